"""`airline-elt report` and `airline-elt docs` as a user runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import urllib.request
from pathlib import Path

from conftest import CLI, REPO, Cli


def test_report_writes_to_output_and_says_where(sample_cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "mail" / "delays.html"
    result = sample_cli("report", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert f"delay report written: {target}" in result.stdout
    assert target.as_uri() in result.stdout
    page = target.read_text(encoding="utf-8")
    assert "<h1>Airline delays report</h1>" in page
    assert 'id="failed-build"' not in page  # the last build succeeded: no banner


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


def test_the_docs_server_serves_the_report_at_the_link_it_prints(sample_cli: Cli,
                                                                  sample_report: Path) -> None:
    env = {**os.environ, "AIRLINE_ELT_HOME": str(sample_cli.home), "COLUMNS": "200"}
    server = subprocess.Popen([CLI, "docs", "--port", "0"], env=env, cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        link = None
        for line in server.stdout:
            found = re.search(r"the delay report: (http://127\.0\.0\.1:\d+/report\.html)", line)
            if found:
                link = found.group(1)
                break
        assert link, "docs never printed the report's link"
        with urllib.request.urlopen(link, timeout=10) as response:
            assert response.status == 200
            assert response.read() == sample_report.read_bytes()
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
