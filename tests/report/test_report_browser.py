"""The report opened from disk in headless Chromium (Debian's, driven by Playwright) with every
request but the page's own aborted: the page renders, every chart is drawn with data, the page
asked for nothing else; a screenshot is written to tests/artifacts/report-screenshot.png
(git-ignored) for a person to look at. The charts of the BTS cause, hour and cancellation marts
plot exactly their marts (plotly's own data, read in the page), and say in words why they are
empty on a warehouse of daily files only or one built before their marts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import ARTIFACTS, REPO, SAMPLE_FILES, Cli
from offline_browser import OfflinePage, PlotlyChart, PlotTrace, open_file
from playwright.sync_api import Browser

from airline_elt import queries
from airline_elt.report import (
    MIN_CARRIER_FLIGHTS,
    MIN_HOUR_FLIGHTS,
    TOP_CAUSE_AIRPORTS,
    write_report,
)
from airline_elt.report_data import CAUSE_MARTS, DELAY_CAUSES, load_report_data

SCREENSHOT = ARTIFACTS / "report-screenshot.png"
CHART_IDS = ["daily-trend", "carriers", "routes", "origin-states", "dep-vs-arr", "correlation",
             "on-time", "causes-by-carrier", "causes-by-airport", "by-hour", "cancellations"]
CAUSE_CHART_IDS = CHART_IDS[7:]  # the charts of issue 14's marts
CAUSE_NAMES = ["Air carrier", "Extreme weather", "National Aviation System", "Security",
               "Late-arriving aircraft"]


def test_the_offline_browser_catches_a_page_that_fetches_from_the_network(
        browser: Browser, tmp_path: Path) -> None:
    """The check below could fail: a page loading a script, a style sheet, an image, a fetch()
    and a WebSocket from the internet, and a file beside it, is seen asking for each."""
    page = tmp_path / "fetches.html"
    (tmp_path / "beside.css").write_text("p { color: red; }")
    page.write_text('<!DOCTYPE html><html><head><script src="http://cdn.example.com/lib.js">'
                    '</script><link rel="stylesheet" href="beside.css"></head><body>'
                    '<img src="https://images.example.org/a.png"><script>'
                    'fetch("https://api.example.net/data.json").catch(() => null);'
                    'new WebSocket("wss://live.example.io/feed");</script></body></html>')
    with open_file(browser, page) as seen:
        seen.page.wait_for_timeout(500)  # the socket is opened after load
        requests = list(seen.requests)
    assert any("http://cdn.example.com/lib.js" in request for request in requests), requests
    assert any("https://images.example.org/a.png" in request for request in requests), requests
    assert any("https://api.example.net/data.json" in request for request in requests), requests
    assert any("wss://live.example.io/feed" in request for request in requests), requests
    assert any(request.endswith("/beside.css") for request in requests), requests


@pytest.fixture(scope="module")
def page(browser: Browser, sample_report: Path) -> Iterator[OfflinePage]:
    """The sample's report, open for the module's tests; its screenshot written once."""
    with open_file(browser, sample_report) as seen:
        seen.screenshot(SCREENSHOT)
        print(f"report screenshot: {SCREENSHOT}")
        yield seen


def test_the_report_is_one_file_that_loads_nothing(sample_report: Path) -> None:
    html = sample_report.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", html, re.IGNORECASE)
    assert html.count("plotly.js v") >= 1  # the bundled plotly.js is inlined


def test_the_report_opened_from_disk_sends_no_request(page: OfflinePage) -> None:
    assert page.requests == []


def test_every_chart_is_drawn_with_data_and_labelled_axes(page: OfflinePage) -> None:
    charts = page.charts()
    assert list(charts) == CHART_IDS
    for chart in charts.values():
        assert chart.traces >= 1, chart
        assert chart.marks >= 2, chart  # bars, markers or line paths actually drawn
        assert len(chart.titles) >= 2, chart  # both axes have a title


def test_the_charts_show_every_row_of_their_marts(page: OfflinePage, sample_cli: Cli) -> None:
    """Carriers with enough flights (MIN_CARRIER_FLIGHTS: a carrier flown once is no 100 %
    carrier), the top 15 delay-prone routes, every day; the carriers left out are named."""
    charts = page.charts()
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
    assert f"Not shown: {few} carrier" in page.text()
    assert charts["routes"].marks == min(routes, 15)
    assert charts["daily-trend"].marks >= 2 * days  # a bar per day for operated and delayed


def test_the_carrier_floor_is_the_run_summarys() -> None:
    assert MIN_CARRIER_FLIGHTS == queries.MIN_CARRIER_FLIGHTS


def test_the_page_says_what_delayed_means_and_shows_the_last_run(page: OfflinePage) -> None:
    text = page.text()
    assert "departs more than 60 minutes late" in text
    assert f"files landed {len(SAMPLE_FILES)}" in text
    assert "rows rejected" in text and "unknown airports" in text


def test_a_screenshot_is_written(page: OfflinePage) -> None:
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 50_000  # charts, not a blank page


# -- the charts of the cause, hour and cancellation marts -----------------------------------


@pytest.fixture(scope="module")
def plotted(page: OfflinePage) -> tuple[dict[str, PlotlyChart], dict[str, list[PlotTrace]]]:
    """The sample's report: the charts drawn, and the data plotly.js holds for each."""
    return page.charts(), page.plot_data()


def _mart(sample_cli: Cli, sql: str) -> list[dict[str, Any]]:
    with psycopg.connect(sample_cli.url(), autocommit=True) as conn:
        cursor = conn.execute(sql)
        columns = [column.name for column in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _names_carrier(label: str, row: dict[str, Any]) -> bool:
    """`Delta Air Lines (DL)`, or the bare code where the carrier has no name."""
    return label in (f"{row['carrier_name']} ({row['carrier']})", row["carrier"])


def _flights_with_causes(count: int) -> str:
    return f"{count:,} flight{'s' if count != 1 else ''} with cause data"


def test_the_page_gives_the_data_of_every_chart(plotted: tuple[dict, dict],
                                                 sample_cli: Cli) -> None:
    charts, data = plotted
    assert list(data) == list(charts) == CHART_IDS
    days = _mart(sample_cli, "select flight_date from airlines.mv_daily_delay_trend")
    assert len(data["daily-trend"][0].x) == len(days) > 0  # real data, read from the page


def _cause_mix_matches(chart: PlotlyChart, traces: list[PlotTrace],
                       mart: list[dict[str, Any]]) -> None:
    """Five stacked traces, one per cause, each the mart's shares and minutes row by row; each
    row's flights with cause data written under its label."""
    assert [trace.name for trace in traces] == CAUSE_NAMES
    for (cause, _), trace in zip(DELAY_CAUSES, traces, strict=True):
        assert trace.x == [_float(row[f"{cause}_pct"]) or 0.0 for row in mart], cause
        assert [point[0] for point in trace.customdata] == [row[f"{cause}_minutes"]
                                                            for row in mart]
        assert [point[1:3] for point in trace.customdata] == [
            [row["cause_minutes"], row["flights_with_causes"]] for row in mart]
        assert len(trace.y) == len(mart)
    for row in mart:
        assert _flights_with_causes(row["flights_with_causes"]) in chart.texts, row
    assert "Share of the delay minutes with a cause (%)" in chart.titles
    assert chart.marks >= len(mart)  # at least one bar drawn per row


def test_the_cause_mix_by_carrier_is_its_mart(plotted: tuple[dict, dict],
                                              sample_cli: Cli) -> None:
    charts, data = plotted
    mart = sorted(_mart(sample_cli, "select * from airlines.mv_delay_causes_by_carrier "
                                    "where flights_with_causes > 0"),
                  key=lambda row: (-row["cause_minutes"], -row["flights_with_causes"],
                                   row["carrier"]))
    assert len(mart) >= 3
    _cause_mix_matches(charts["causes-by-carrier"], data["causes-by-carrier"], mart)
    labels = data["causes-by-carrier"][0].y
    assert all(_names_carrier(label, row) for label, row in zip(labels, mart, strict=True))
    assert "Carrier" in charts["causes-by-carrier"].titles


def test_the_cause_mix_by_airport_is_its_mart_worst_first(plotted: tuple[dict, dict],
                                                          sample_cli: Cli) -> None:
    charts, data = plotted
    every = sorted(_mart(sample_cli, "select * from airlines.mv_delay_causes_by_origin_airport "
                                     "where flights_with_causes > 0"),
                   key=lambda row: (-row["cause_minutes"], -row["flights_with_causes"],
                                    row["origin_airport_id"]))
    mart = every[:TOP_CAUSE_AIRPORTS]
    assert len(mart) >= 3
    _cause_mix_matches(charts["causes-by-airport"], data["causes-by-airport"], mart)
    for rank, (label, row) in enumerate(zip(data["causes-by-airport"][0].y, mart, strict=True),
                                        start=1):
        assert label.startswith(f"{rank}. "), label
        assert (row["origin_city"] or str(row["origin_airport_id"])) in label, (label, row)


def test_the_hour_chart_is_the_hour_mart_and_names_the_worst_hour(
        plotted: tuple[dict, dict], sample_cli: Cli, page: OfflinePage) -> None:
    charts, data = plotted
    mart = sorted(_mart(sample_cli, "select * from airlines.mv_delays_by_scheduled_hour "
                                    "where flights_scheduled > 0"),
                  key=lambda row: row["scheduled_dep_hour"])
    (trace,) = data["by-hour"]
    assert trace.x == [row["scheduled_dep_hour"] for row in mart]
    assert trace.y == [_float(row["delay_rate_pct"]) for row in mart]
    assert [point[1:3] for point in trace.customdata] == [
        [row["flights_operated"], row["flights_delayed"]] for row in mart]
    delayed_hours = sum(1 for row in mart if row["delay_rate_pct"])
    assert delayed_hours <= charts["by-hour"].marks <= len(mart)  # a bar per hour with delays
    assert "Scheduled departure hour (local time)" in charts["by-hour"].titles
    rated = [row for row in mart if row["flights_operated"] >= MIN_HOUR_FLIGHTS]
    worst = max(rated, key=lambda row: (row["delay_rate_pct"], -row["scheduled_dep_hour"]))
    hour = worst["scheduled_dep_hour"]
    said = (f"The worst hour: {hour:02d}:00-{hour:02d}:59, {float(worst['delay_rate_pct']):.1f} "
            f"% of its {worst['flights_operated']:,} operated flights delayed")
    assert said in page.text()
    print(said)


def test_the_cancellations_chart_is_the_cancellation_mart(plotted: tuple[dict, dict],
                                                          sample_cli: Cli) -> None:
    charts, data = plotted
    mart = _mart(sample_cli, "select * from airlines.mv_cancellations_by_carrier "
                             "where flights_cancelled > 0")
    plotted_counts: dict[tuple[str, str], int] = {}
    for trace in data["cancellations"]:
        assert trace.name
        for label, count in zip(trace.y, trace.x, strict=True):
            (carrier,) = {row["carrier"] for row in mart if _names_carrier(label, row)}
            plotted_counts[(carrier, trace.name.lower())] = count
    assert plotted_counts == {(row["carrier"], row["cancellation_reason"]):
                              row["flights_cancelled"] for row in mart}
    assert "not given" in {name for _, name in plotted_counts}  # the daily files'
    assert len({name for _, name in plotted_counts}) >= 2  # and the BTS file's reasons
    assert "Cancelled flights" in charts["cancellations"].titles
    assert charts["cancellations"].marks == len(mart)


def test_a_warehouse_of_daily_files_says_why_its_charts_are_empty(
        browser: Browser, daily_only_cli: Cli, tmp_path: Path) -> None:
    """No BTS file landed: the cause and hour charts are a sentence saying so, not an empty
    plot; the cancellations are charted, without a reason, and the page says why."""
    report = tmp_path / "daily-only.html"
    result = daily_only_cli("report", "--output", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    with open_file(browser, report) as seen:
        charts, text, dom, requests = seen.charts(), seen.text(), seen.dom, seen.requests
    assert list(charts) == [*CHART_IDS[:7], "cancellations"]
    assert text.count("No cause data: no file with BTS cause columns has landed.") == 2
    assert "No scheduled departure times: no file with the BTS column CRSDepTime has " \
           "landed" in text
    assert "No file with BTS cancellation codes (CancellationCode) has landed" in text
    for chart_id in ("causes-by-carrier", "causes-by-airport", "by-hour"):
        assert f'<p class="empty" id="{chart_id}">' in dom, chart_id
    assert "Not given" in charts["cancellations"].texts  # the legend: the one reason
    assert requests == []


def test_a_warehouse_built_before_the_cause_marts_says_so(
        browser: Browser, sample_db: psycopg.Connection, built_before_cause_marts: str,
        tmp_path: Path) -> None:
    data = load_report_data(sample_db, schema=built_before_cause_marts, project_dir=REPO)
    with open_file(browser, write_report(data, tmp_path / "before.html")) as seen:
        charts, text, requests = seen.charts(), seen.text(), seen.requests
    assert list(charts) == CHART_IDS[:7]
    assert requests == []
    for mart in CAUSE_MARTS:
        assert f"Not built yet: this warehouse was built before airlines.{mart} existed. " \
               "The next run, or airline-elt transform, builds it." in text, mart
