"""The report opened from disk in headless Chromium with the network off: the page renders,
every chart is drawn with data, nothing tried to leave the machine; a screenshot is written
to tests/artifacts/report-screenshot.png (git-ignored) for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from chromium import PageVisit, rendered_charts, visit
from conftest import ARTIFACTS, Cli

from airline_elt import queries
from airline_elt.report import MIN_CARRIER_FLIGHTS

SCREENSHOT = ARTIFACTS / "report-screenshot.png"
CHART_IDS = ["daily-trend", "carriers", "routes", "origin-states", "dep-vs-arr", "correlation",
             "on-time"]


def test_the_offline_browser_catches_a_page_that_fetches_from_the_network(tmp_path: Path) -> None:
    """The check below could fail: a page loading a script and an image from the internet is
    seen doing so."""
    page = tmp_path / "fetches.html"
    page.write_text('<!DOCTYPE html><html><head><script src="http://cdn.example.com/lib.js">'
                    '</script></head><body><img src="https://images.example.org/a.png">'
                    "</body></html>")
    seen = visit(page, tmp_path / "browser")
    assert any("cdn.example.com" in request for request in seen.requests), seen.requests
    assert any("images.example.org" in request for request in seen.requests), seen.requests


@pytest.fixture(scope="module")
def page(sample_report: Path, tmp_path_factory: pytest.TempPathFactory) -> PageVisit:
    seen = visit(sample_report, tmp_path_factory.mktemp("browser"), screenshot=SCREENSHOT,
                 window=(1280, 4700))
    print(f"report screenshot: {SCREENSHOT}")
    return seen


def test_the_report_is_one_file_that_loads_nothing(sample_report: Path) -> None:
    html = sample_report.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", html, re.IGNORECASE)
    assert html.count("plotly.js v") >= 1  # the bundled plotly.js is inlined


def test_the_report_opened_from_disk_sends_no_request(page: PageVisit) -> None:
    assert page.requests == []


def test_every_chart_is_drawn_with_data_and_labelled_axes(page: PageVisit) -> None:
    charts = {chart.div_id: chart for chart in rendered_charts(page.dom)}
    assert list(charts) == CHART_IDS
    for chart in charts.values():
        assert chart.traces >= 1, chart
        assert chart.marks >= 2, chart  # bars, markers or line paths actually drawn
        assert len(chart.titles) >= 2, chart  # both axes have a title


def test_the_charts_show_every_row_of_their_marts(page: PageVisit, sample_cli: Cli) -> None:
    """Carriers with enough flights (MIN_CARRIER_FLIGHTS: a carrier flown once is no 100 %
    carrier), the top 15 delay-prone routes, every day; the carriers left out are named."""
    charts = {chart.div_id: chart for chart in rendered_charts(page.dom)}
    with psycopg.connect(sample_cli.url(), autocommit=True) as conn:
        carriers, few = conn.execute(
            "select count(*) filter (where flights_operated >= %s), "
            "count(*) filter (where flights_operated between 1 and %s - 1) "
            "from airlines.mv_carrier_delays", (MIN_CARRIER_FLIGHTS, MIN_CARRIER_FLIGHTS),
        ).fetchone()
        routes = conn.execute("select count(*) from airlines.mv_delay_prone_routes").fetchone()[0]
        days = conn.execute("select count(*) from airlines.mv_daily_delay_trend").fetchone()[0]
    assert carriers >= 5 and few >= 1  # the sample has both kinds
    assert charts["carriers"].marks == carriers
    assert charts["correlation"].marks == carriers
    assert f"Not shown: {few} carrier" in _text(page)
    assert charts["routes"].marks == min(routes, 15)
    assert charts["daily-trend"].marks >= 2 * days  # a bar per day for operated and delayed


def test_the_carrier_floor_is_the_run_summarys() -> None:
    assert MIN_CARRIER_FLIGHTS == queries.MIN_CARRIER_FLIGHTS


def _text(page: PageVisit) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.dom))


def test_the_page_says_what_delayed_means_and_shows_the_last_run(page: PageVisit) -> None:
    text = _text(page)
    assert "departs more than 60 minutes late" in text
    assert "files landed 22" in text  # the sample's 21 daily files and its BTS month
    assert "rows rejected" in text and "unknown airports" in text


def test_a_screenshot_is_written(page: PageVisit) -> None:
    assert page.screenshot == SCREENSHOT
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 50_000  # charts, not a blank page
