"""The delay report: one self-contained HTML page of charts, filterable by month and carrier.

The page embeds plotly.js (the copy bundled in the plotly wheel), the report's data as a compact
payload (report_payload) and the charts' one implementation (JavaScript, in
report_template.html), so it needs no network and no server: it works opened from disk or sent
as an attachment, and its filters redraw every chart in the browser. This module lays out the
page; it draws no chart and holds no SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, Template
from plotly.offline import get_plotlyjs

from airline_elt.report_data import CANCELLATION_REASONS, ReportData
from airline_elt.report_payload import build_payload

# "A carrier, B weather, ...": the codes' reasons as the report's data names them.
CANCELLATION_CODES = ", ".join(
    f"{column.removeprefix('code_').upper()} {reason}"
    for column, reason in CANCELLATION_REASONS if column.startswith("code_"))

if TYPE_CHECKING:  # the dbt image carries report.py without the local runner's modules
    from airline_elt.build_record import BuildRecord

REPORT_FILE = "report.html"
TEMPLATE_FILE = Path(__file__).with_name("report_template.html")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class ChartSection:
    """One chart's place in the page: the template's script draws it into the section."""

    chart_id: str
    title: str
    caption: str


@dataclass(frozen=True)
class Part:
    title: str
    charts: tuple[ChartSection, ...]


# The reader's order: the answers (carriers, routes, places, when, why), then how departure
# and arrival delay go together; the run's operational panel comes last (the template).
PARTS = (
    Part("Carriers", (
        ChartSection("carriers", "Carriers by delay rate",
                     "Each carrier's delay rate with its delayed and operated flights."),
        ChartSection("on-time", "On-time performance by carrier",
                     "What became of each carrier's scheduled flights."),
    )),
    Part("Routes", (
        ChartSection("routes", "The most delay-prone routes",
                     "The 15 routes with enough flights and the highest delay rate; where "
                     "fewer have enough, the busiest small-sample routes fill the list, "
                     "marked."),
    )),
    Part("Places", (
        ChartSection("origin-airports", "Delays by origin airport",
                     "The delay rate and on-time rate of the flights leaving each airport."),
        ChartSection("dest-airports", "Delays by destination airport",
                     "The delay rate and on-time rate of the flights arriving at each airport."),
        ChartSection("origin-states", "Delays by origin state",
                     "The delay rate of the flights leaving each state, highest first."),
    )),
    Part("When", (
        ChartSection("daily-trend", "Daily trend",
                     "Flights operated and delayed each day (bars, left axis) and the share of "
                     "operated flights that were delayed (line, right axis)."),
        ChartSection("by-month", "Delays by month",
                     "The delay rate and on-time rate of each month."),
        ChartSection("by-weekday", "Delays by day of the week",
                     "The delay rate and on-time rate of each day of the week."),
        ChartSection("by-hour", "Delays by scheduled departure hour",
                     "The delay rate of the flights scheduled to leave in each hour of the day "
                     "(local time, from the BTS column CRSDepTime; a 24:00 departure counts in "
                     "hour 0)."),
    )),
    Part("Why", (
        ChartSection("causes-by-carrier", "Why flights are late, by carrier: minutes",
                     "Each carrier's delay minutes by BTS cause (BTS gives the causes of every "
                     "flight 15+ minutes late), as shares of its cause minutes."),
        ChartSection("cause-flights-by-carrier", "Why flights are late, by carrier: flights",
                     "The share of each carrier's flights with cause data that had minutes of "
                     "each cause."),
        ChartSection("causes-by-airport", "Why flights are late, by origin airport",
                     "What the delay minutes with a cause of the flights leaving each airport "
                     "were due to."),
        ChartSection("cancellations", "Cancellations by carrier and reason",
                     "Each carrier's cancelled flights by the reason its files give (BTS "
                     f"CancellationCode: {CANCELLATION_CODES})."),
    )),
    Part("Departure and arrival delay", (
        ChartSection("dep-vs-arr", "Departure and arrival delay by route",
                     "Each dot is a route (the 300 with the most delayed flights): how late "
                     "its delayed flights left and arrived on average. Dots under the dashed "
                     "line made up time in the air."),
        ChartSection("correlation", "Correlation of departure and arrival delay by carrier",
                     "The Pearson correlation of departure and arrival delay over the flights "
                     "with both (1: a late departure means an equally late arrival)."),
    )),
)
CHART_IDS = tuple(chart.chart_id for part in PARTS for chart in part.charts)


def write_report(data: ReportData, path: Path, generated_at: dt.datetime | None = None,
                 last_build: BuildRecord | None = None) -> Path:
    """Render the report and write it to `path` (its folder is created); returns the path.
    `last_build`: the warehouse's last dbt build (airline_elt.build_record); a failed one
    gets a banner above everything (the data may be stale or half rebuilt)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    html = render_report(data, generated_at or dt.datetime.now(dt.UTC), last_build)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a page
    return path


def render_report(data: ReportData, generated_at: dt.datetime,
                  last_build: BuildRecord | None = None) -> str:
    return _template().render(
        data=data,
        failed_build=last_build if last_build is not None and not last_build.succeeded
        else None,
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M %Z").strip(),
        delayed_means=delayed_means(data.delay_threshold_minutes),
        parts=PARTS,
        payload=build_payload(data).to_embedded(),
        plotly_js=get_plotlyjs(),
    )


def delayed_means(threshold_minutes: int | None) -> str:
    threshold = (f"more than {threshold_minutes} minutes" if threshold_minutes is not None
                 else "more than the threshold of the dbt var delay_threshold_minutes")
    return (f"A flight is delayed when it departs {threshold} late. The delay rate is the "
            "share of the flights that took off (operated: cancelled flights left out) that "
            "were delayed. A flight is on time (the US DOT's rule) when it arrives less than "
            "15 minutes late; cancelled and diverted flights are not on time.")


def _template() -> Template:
    environment = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.filters["num"] = lambda value: f"{value:,}"
    environment.globals["font"] = FONT
    return environment.from_string(TEMPLATE_FILE.read_text(encoding="utf-8"))
