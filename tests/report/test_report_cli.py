"""`airline-elt report` and `airline-elt docs` as a user runs them."""

from __future__ import annotations

from pathlib import Path

from conftest import Cli


def test_report_writes_to_output_and_says_where(sample_cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "mail" / "delays.html"
    result = sample_cli("report", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert f"delay report written: {target}" in result.stdout
    assert target.as_uri() in result.stdout
    assert "<h1>Airline delays report</h1>" in target.read_text(encoding="utf-8")


def test_report_without_a_warehouse_says_how_to_make_one(tmp_path: Path) -> None:
    result = Cli(tmp_path / "empty-home")("report")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: no warehouse yet"), result.stderr
    assert "make run" in result.stderr and "Traceback" not in result.stderr


def test_docs_prints_where_the_report_is(sample_cli: Cli, sample_report: Path) -> None:
    result = sample_cli("docs", "--no-serve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"the delay report: {sample_report.as_uri()}" in result.stdout
