"""The report page for a BTS year stays under a mail attachment limit: the size benchmark's own
generated year, rendered through the same code as `airline-elt report`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conftest import REPO

SCRIPT = REPO / "scripts" / "benchmark_report_size.py"


def test_a_bts_year_page_is_under_the_mail_limit(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("benchmark_report_size", SCRIPT)
    assert spec is not None and spec.loader is not None
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    page = tmp_path / "year.html"
    assert benchmark.main(["--output", str(page)]) == 0
    said = capsys.readouterr().out
    assert "6,500 routes" in said and "17 carriers" in said and "360 airports" in said
    assert 5_000_000 < page.stat().st_size < benchmark.MAIL_LIMIT_BYTES
