"""The report opened from disk in headless Chromium (Debian's, driven by Playwright) with every
request but the page's own aborted: the page renders, every chart is drawn with data, the page
asked for nothing else; a screenshot is written to tests/artifacts/report-screenshot.png
(git-ignored) for a person to look at. The month and carrier filters redraw the charts with
exactly what SQL on the daily aggregate gives for the same filter; a chart's CSV download is its
table and that SQL; every chart says what it covers; small samples are marked and never named;
the page reads at 700 px."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import ARTIFACTS, REPO, SAMPLE_FILES, Cli
from offline_browser import OfflinePage, open_file
from playwright.sync_api import Browser

from airline_elt.report import CHART_IDS, write_report
from airline_elt.report_data import load_report_data

SCREENSHOT = ARTIFACTS / "report-screenshot.png"
# What a reader sees first (the README's picture): the filters, headline numbers, carriers.
FIRST_SCREEN = ARTIFACTS / "report-first-screen.png"
FIRST_SCREEN_HEIGHT = 1500
MIN_SAMPLE = 10  # dbt_project.yml's min_sample_flights (min_route_flights before the rename)
# Not drawn until the daily aggregate has flights per cause (branch i23-data).
NEEDS_CAUSE_FLIGHTS = "cause-flights-by-carrier"
KNOWN = "has_known_origin and has_known_destination"
SMALL_LEGEND = f"Pale, hatched: fewer than {MIN_SAMPLE} flights (small sample)"


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
        seen.screenshot(FIRST_SCREEN, height=FIRST_SCREEN_HEIGHT)
        print(f"report screenshots: {SCREENSHOT}, {FIRST_SCREEN}")
        yield seen


def _sql(cli: Cli, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(cli.url(), autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def _has_cause_flights(cli: Cli) -> bool:
    return bool(_sql(cli, "select 1 from information_schema.columns where table_schema = "
                          "'intermediate' and table_name = 'int_flight_delays_daily' and "
                          "column_name = 'flights_with_carrier_delay'"))


def _drawn_ids(cli: Cli) -> list[str]:
    return [chart for chart in CHART_IDS
            if chart != NEEDS_CAUSE_FLIGHTS or _has_cause_flights(cli)]


def test_the_report_is_one_file_that_loads_nothing(sample_report: Path) -> None:
    html = sample_report.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", html, re.IGNORECASE)
    assert html.count("plotly.js v") >= 1  # the bundled plotly.js is inlined


def test_the_report_opened_from_disk_sends_no_request(page: OfflinePage) -> None:
    assert page.requests == []


def test_every_chart_is_drawn_with_data_and_labelled_axes(page: OfflinePage,
                                                          sample_cli: Cli) -> None:
    charts = page.charts()
    assert list(charts) == _drawn_ids(sample_cli)
    for chart in charts.values():
        assert chart.traces >= 1, chart
        assert chart.marks >= 2, chart  # bars, markers or line paths actually drawn
        assert len(chart.titles) >= 2, chart  # both axes have a title


def test_the_answers_come_first_and_the_run_last(page: OfflinePage) -> None:
    text = page.text()
    order = ["Carriers by delay rate", "The most delay-prone routes", "Delays by origin airport",
             "Daily trend", "Why flights are late, by carrier", "Correlation of departure",
             "The last run"]
    positions = [text.index(title) for title in order]
    assert positions == sorted(positions)


def test_the_page_says_what_delayed_means_and_shows_the_last_run(page: OfflinePage) -> None:
    text = page.text()
    assert "departs more than 60 minutes late" in text
    assert f"files landed {len(SAMPLE_FILES)}" in text
    assert "rows rejected" in text and "unknown airports" in text


def test_a_screenshot_is_written(page: OfflinePage) -> None:
    for shot in (SCREENSHOT, FIRST_SCREEN):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert shot.stat().st_size > 50_000  # charts, not a blank page


# -- coverage and small samples ---------------------------------------------------------------


def _coverage(page: OfflinePage, chart: str) -> str:
    return " ".join(page.page.inner_text(f"#coverage-{chart}").split())


def test_every_chart_says_what_it_covers(page: OfflinePage, sample_cli: Cli) -> None:
    """Dates, sources and flights; the trend's jump on 1 November is the change of source;
    the cause and hour charts say that the daily files have no such columns."""
    operated = _sql(sample_cli, f"select sum(flights_operated) from "
                                f"intermediate.int_flight_delays_daily where {KNOWN}")[0][0]
    with_causes = _sql(sample_cli, f"select sum(flights_with_causes) from "
                                   f"intermediate.int_flight_delays_daily where {KNOWN}")[0][0]
    for chart in _drawn_ids(sample_cli):
        assert _coverage(page, chart).startswith("Covers "), chart
    trend = _coverage(page, "daily-trend")
    assert f"Covers {operated:,} operated flights of all carriers, 2023-10-01 to 2023-11-21" \
        in trend
    assert "BTS monthly files (2023-10-01 to 2023-10-31) and daily files (2023-11-01 to " \
           "2023-11-21)" in trend
    assert "The flights per day change where the sources change" in trend
    causes = _coverage(page, "causes-by-carrier")
    assert f"Covers {with_causes:,} flights with cause data of all carriers from BTS monthly " \
           "files, 2023-10-01 to 2023-10-31." in causes
    assert "The daily files (2023-11-01 to 2023-11-21) have no cause columns" in causes
    assert "have no scheduled departure times" in _coverage(page, "by-hour")
    assert "the carrier filter does not apply" not in _coverage(page, "by-hour")


def _plotted(page: OfflinePage, chart: str) -> list[dict[str, Any]]:
    return page.page.evaluate(
        """(id) => document.getElementById(id).data.map((trace) => ({
             name: trace.name, x: trace.x, y: trace.y, customdata: trace.customdata || [],
             opacity: trace.marker && trace.marker.opacity,
             pattern: trace.marker && trace.marker.pattern && trace.marker.pattern.shape}))""",
        chart)


def test_a_small_sample_is_marked_and_never_named(page: OfflinePage, sample_cli: Cli) -> None:
    """Carriers under min_sample_flights operated flights (the sample's one-flight BA, EK and
    LH, 100 % delayed) are pale and hatched with a legend saying why, and the sentence naming
    the highest delay rate names a carrier with enough flights."""
    small = {code for code, in _sql(sample_cli, f"""
        select carrier from intermediate.int_flight_delays_daily where {KNOWN}
        group by carrier having sum(flights_operated) < %s""", (MIN_SAMPLE,))}
    assert small
    bars, legend = _plotted(page, "carriers")
    assert legend["name"] == SMALL_LEGEND
    for label, opacity, pattern in zip(bars["y"], bars["opacity"], bars["pattern"],
                                       strict=True):
        code = re.search(r"\((\w+)\)$", label).group(1)
        assert (opacity < 1 and pattern == "/") == (code in small), label
    assert SMALL_LEGEND in page.charts()["carriers"].texts
    sentence = page.page.inner_text("#section-carriers .sentence")
    named = re.search(r"The highest delay rate: .*\((\w+)\), ", sentence).group(1)
    assert named not in small
    top_rate = max(x for x in bars["x"] if x is not None)
    assert top_rate == 100.0  # a small carrier has the tallest bar, and is not named


# -- the filters, against SQL ------------------------------------------------------------------


FILTER_MONTH = "2023-10"
FILTER_CARRIERS = ["AA", "DL", "WN"]


@pytest.fixture(scope="module")
def filtered(browser: Browser, sample_report: Path) -> Iterator[OfflinePage]:
    """The sample's report with the month filter set to one month and three carriers chosen."""
    with open_file(browser, sample_report, accept_downloads=True) as seen:
        seen.page.select_option("#from-month", FILTER_MONTH)
        seen.page.select_option("#to-month", FILTER_MONTH)
        seen.page.select_option("#carrier-filter", FILTER_CARRIERS)
        yield seen


def _filtered_sql(cli: Cli, select: str, group: str) -> list[tuple]:
    return _sql(cli, f"""
        select {select} from intermediate.int_flight_delays_daily
        where {KNOWN} and to_char(flight_date, 'YYYY-MM') = %s and carrier = any(%s)
        group by {group} order by {group}""", (FILTER_MONTH, FILTER_CARRIERS))


def test_the_filters_redraw_the_carriers_as_sql_sums_them(filtered: OfflinePage,
                                                         sample_cli: Cli) -> None:
    expected = {code: [delayed, operated] for code, operated, delayed in _filtered_sql(
        sample_cli, "carrier, sum(flights_operated), sum(flights_delayed)", "carrier")}
    (bars,) = _plotted(filtered, "carriers")  # no small carrier among them: no legend trace
    plotted = {re.search(r"\((\w+)\)$", label).group(1): counts
               for label, counts in zip(bars["y"], bars["customdata"], strict=True)}
    assert plotted == expected
    for counts, rate in zip(bars["customdata"], bars["x"], strict=True):
        assert rate == pytest.approx(100 * counts[0] / counts[1])
    shown = re.search(r"Showing 2023-10 to 2023-10, ([A-Z0-9, ]+)\.", filtered.text())
    assert shown is not None and sorted(shown.group(1).split(", ")) == FILTER_CARRIERS


def test_the_filters_redraw_the_trend_and_the_airports_as_sql_sums_them(
        filtered: OfflinePage, sample_cli: Cli) -> None:
    days = _filtered_sql(sample_cli, "flight_date, sum(flights_operated), sum(flights_delayed)",
                         "flight_date")
    operated, delayed, _ = _plotted(filtered, "daily-trend")
    assert operated["x"] == [day.isoformat() for day, _, _ in days]
    assert operated["y"] == [flights for _, flights, _ in days]
    assert delayed["y"] == [flights for _, _, flights in days]
    airports = dict((origin, [d, o]) for origin, o, d in _filtered_sql(
        sample_cli, "origin_airport_id, sum(flights_operated), sum(flights_delayed)",
        "origin_airport_id"))
    rate_trace = _plotted(filtered, "origin-airports")[0]
    assert len(rate_trace["y"]) == min(20, len(airports))
    for label, (delayed_flights, operated_flights, airport) in zip(
            rate_trace["y"], rate_trace["customdata"], strict=True):
        assert airports[airport] == [delayed_flights, operated_flights], label
        assert re.match(r"[A-Z0-9]{3} · .+, [A-Z]{2}$", label), label  # ORD · Chicago, IL
    covered = _coverage(filtered, "daily-trend")
    assert f"Covers {sum(o for _, o, _ in days):,} operated flights of 3 carriers, " \
           "2023-10-01 to 2023-10-31; sources: BTS monthly files" in covered
    assert "daily files" not in covered  # October is the BTS file's alone


def test_the_filters_redraw_the_hours_as_sql_sums_them(filtered: OfflinePage,
                                                      sample_cli: Cli) -> None:
    """The hour aggregate has the carrier in its grain: the carrier filter applies to it too."""
    hours = _sql(sample_cli, f"""
        select scheduled_dep_hour, sum(flights_operated), sum(flights_delayed)
        from intermediate.int_flight_delays_by_hour_daily
        where {KNOWN} and to_char(flight_date, 'YYYY-MM') = %s and carrier = any(%s)
        group by scheduled_dep_hour order by scheduled_dep_hour""",
                 (FILTER_MONTH, FILTER_CARRIERS))
    every_carrier = _sql(sample_cli, f"""
        select sum(flights_operated) from intermediate.int_flight_delays_by_hour_daily
        where {KNOWN} and to_char(flight_date, 'YYYY-MM') = %s""", (FILTER_MONTH,))[0][0]
    assert sum(operated for _, operated, _ in hours) < every_carrier  # the filter bites
    bars = _plotted(filtered, "by-hour")[0]
    assert bars["x"] == [hour for hour, _, _ in hours]
    assert [row[1:3] for row in bars["customdata"]] == [
        [operated, delayed] for _, operated, delayed in hours]
    covered = _coverage(filtered, "by-hour")
    assert "of 3 carriers" in covered and "does not apply" not in covered, covered


def test_a_csv_download_is_the_table_and_the_sql(filtered: OfflinePage, sample_cli: Cli,
                                                 tmp_path: Path) -> None:
    page = filtered.page
    page.click("#section-carriers details.numbers summary")
    with page.expect_download() as download:
        page.click("#csv-carriers")
    saved = tmp_path / "carriers.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "carriers.csv"
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    assert header == ["Carrier", "Code", "Flights operated", "Flights delayed",
                      "Delay rate (%)", "Small sample"]
    table = page.evaluate("""() => Array.from(
        document.querySelectorAll('#section-carriers details.numbers tbody tr'),
        (row) => Array.from(row.cells, (cell) => cell.textContent))""")
    assert [[cell.replace(",", "") for cell in row] for row in table] == body
    expected = {code: (operated, delayed) for code, operated, delayed in _filtered_sql(
        sample_cli, "carrier, sum(flights_operated), sum(flights_delayed)", "carrier")}
    assert {row[1]: (int(row[2]), int(row[3])) for row in body} == expected
    for row in body:
        assert float(row[4]) == pytest.approx(100 * int(row[3]) / int(row[2]), abs=0.005)


def test_a_month_without_bts_data_empties_the_cause_charts_and_says_why(
        browser: Browser, sample_report: Path) -> None:
    with open_file(browser, sample_report) as seen:
        seen.page.select_option("#from-month", "2023-11")
        charts = seen.charts()
        text = seen.text()
    assert "causes-by-carrier" not in charts and "by-hour" not in charts
    assert "No cause data: no file with BTS cause columns has landed in the months" in text
    assert "No scheduled departure times" in text


# -- 700 px --------------------------------------------------------------------------------------


def test_the_page_reads_at_700_px(browser: Browser, sample_report: Path) -> None:
    """Nothing wider than the window, no chart text cut at its edges, and the toolbar (shown
    on hover) never over a legend."""
    with open_file(browser, sample_report, window=(700, 900)) as seen:
        page = seen.page
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 700
        cut = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
          .flatMap((chart) => {
            const box = chart.getBoundingClientRect();
            return Array.from(chart.querySelectorAll('text')).filter((text) => {
              const r = text.getBoundingClientRect();
              return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1);
            }).map((text) => chart.id + ': ' + text.textContent);
          })""")
        assert cut == []
        for chart in seen.charts():
            page.hover(f"#{chart} .nsewdrag")
            overlap = page.evaluate("""(id) => {
              const chart = document.getElementById(id);
              const bar = chart.querySelector('.modebar');
              const legend = chart.querySelector('.legend');
              if (!bar || !legend) { return false; }
              const a = bar.getBoundingClientRect(); const b = legend.getBoundingClientRect();
              return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
            }""", chart)
            assert not overlap, chart


# -- colours, axes, empty states -----------------------------------------------------------------


def test_no_two_meanings_share_a_colour_in_why(page: OfflinePage) -> None:
    """The five causes and the cancellation reasons: a reason has its cause's colour, "Not
    given" one that no cause has (it was the grey of "Late-arriving aircraft")."""
    colours: dict[str, set[str]] = {}
    for chart in ("causes-by-carrier", "cancellations"):
        for trace in page.page.evaluate(
                "(id) => document.getElementById(id).data.map((t) => [t.name, t.marker.color])",
                chart):
            name, colour = trace
            if name != SMALL_LEGEND:
                colours.setdefault(colour, set()).add(name.lower())
    meanings = {"air carrier": "carrier", "extreme weather": "weather",
                "national aviation system": "national aviation system", "security": "security"}
    for colour, names in colours.items():
        merged = {meanings.get(name, name) for name in names}
        assert len(merged) == 1, (colour, names)
    assert any("not given" in names for names in colours.values())


def test_the_correlation_axis_is_fixed_at_minus_one_to_one(page: OfflinePage) -> None:
    axis_range = page.page.evaluate(
        "() => document.getElementById('correlation')._fullLayout.xaxis.range")
    assert axis_range == [-1.05, 1.05]


def test_a_warehouse_of_daily_files_says_why_its_charts_are_empty(
        browser: Browser, daily_only_cli: Cli, tmp_path: Path) -> None:
    """No BTS file landed: the cause and hour charts are a sentence saying so, not an empty
    plot; the cancellations are charted as "Not given", and the page says why."""
    report = tmp_path / "daily-only.html"
    result = daily_only_cli("report", "--output", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    with open_file(browser, report) as seen:
        charts, text, dom, requests = seen.charts(), seen.text(), seen.dom, seen.requests
        trend = _coverage(seen, "daily-trend")
    assert requests == []
    for chart in ("causes-by-carrier", "cause-flights-by-carrier", "causes-by-airport",
                  "by-hour"):
        assert chart not in charts
        assert f'<p class="empty" id="{chart}">' in dom, chart
    assert text.count("No cause data: no file with BTS cause columns has landed") == 3
    assert "No scheduled departure times: no file with the BTS column CRSDepTime" in text
    assert "No file with BTS cancellation codes (CancellationCode) has landed" in text
    assert "Not given" in charts["cancellations"].texts
    assert "sources: daily files (2023-11-01 to 2023-11-21)." in trend
    assert "BTS monthly files" not in trend


def test_a_warehouse_built_before_issue_23_says_what_it_lacks(
        browser: Browser, sample_db: psycopg.Connection, built_before_issue_23: str,
        tmp_path: Path) -> None:
    data = load_report_data(sample_db, intermediate_schema=built_before_issue_23,
                            project_dir=REPO)
    assert not data.has_airport_codes and not data.has_hour_aggregate
    with open_file(browser, write_report(data, tmp_path / "before.html")) as seen:
        charts, text, requests = seen.charts(), seen.text(), seen.requests
        airports = _plotted(seen, "origin-airports")[0]["y"]
    assert requests == []
    assert "by-hour" not in charts and "cause-flights-by-carrier" not in charts
    assert "Not built yet: this warehouse was built before " \
           "intermediate.int_flight_delays_by_hour_daily existed." in text
    assert "Not built yet: this warehouse's intermediate.int_flight_delays_daily has no " \
           "flights per cause" in text
    assert all(re.match(r"airport \d+ · ", label) for label in airports), airports
