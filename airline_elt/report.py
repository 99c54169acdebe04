"""The delay report: one self-contained HTML page of charts drawn from the marts.

Charts are plotly figures; plotly.js (the copy bundled in the plotly wheel) is inlined once in
the page, so the file needs no network: it works opened from disk or sent as an attachment.
The data comes typed from `report_data`; this module holds no SQL.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from jinja2 import Environment, Template
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from airline_elt.report_data import (
    DELAY_CAUSES,
    OVERALL_CARRIER,
    AirportDelayCauses,
    CarrierDelayCauses,
    ReportData,
)

if TYPE_CHECKING:  # the dbt image carries report.py without the local runner's modules
    from airline_elt.build_record import BuildRecord

REPORT_FILE = "report.html"
# A carrier's rate is charted from this many operated (scheduled, for on time) flights on: one
# flight, delayed once, is not a 100 % carrier. The run summary's floor
# (queries.MIN_CARRIER_FLIGHTS; not imported: the dbt image carries no database driver).
MIN_CARRIER_FLIGHTS = 50
TOP_ROUTES = 15
SCATTER_ROUTES = 300  # the most delay-prone routes in the departure/arrival scatter
TOP_CAUSE_AIRPORTS = 15  # origin airports in the cause-mix chart: the most cause minutes
# An hour is named the worst only from this many operated flights on (as a carrier's rate).
MIN_HOUR_FLIGHTS = MIN_CARRIER_FLIGHTS

OPERATED, DELAYED, RATE = "#9aa5b1", "#e4572e", "#1d3557"
ON_TIME, LATE, CANCELLED, DIVERTED = "#2a9d8f", "#e9c46a", "#e76f51", "#8d99ae"
# One colour per BTS delay cause (DELAY_CAUSES' order) and per cancellation code (None: the file
# gave no reason).
CAUSE_COLORS = {"carrier_delay": "#e4572e", "weather_delay": "#457b9d",
                "nas_delay": "#e9c46a", "security_delay": "#6a4c93",
                "late_aircraft_delay": "#8d99ae"}
CANCELLATION_CODES = ("A", "B", "C", "D", None)
CANCELLATION_COLORS = {"A": "#e4572e", "B": "#457b9d", "C": "#e9c46a", "D": "#6a4c93",
                       None: "#c5ccd3"}
VOLUME_SCALE = [[0.0, "#c6dbef"], [1.0, "#08306b"]]  # pale (few flights) to dark
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Chart:
    """One section of the page: a heading, a sentence on how to read it, and a figure, or
    (no data for it) a sentence in its place that says why."""

    chart_id: str
    title: str
    caption: str
    figure: go.Figure | None
    empty: str = ""

    def html(self) -> str:
        if self.figure is None:
            return f'<p class="empty" id="{self.chart_id}">{html.escape(self.empty)}</p>'
        return self.figure.to_html(full_html=False, include_plotlyjs=False,
                                   config=PLOT_CONFIG, div_id=self.chart_id)


def write_report(data: ReportData, path: Path, generated_at: dt.datetime | None = None,
                 last_build: BuildRecord | None = None) -> Path:
    """Render the report and write it to `path` (its folder is created); returns the path.
    `last_build`: the warehouse's last dbt build (airline_elt.build_record); a failed one
    gets a banner above everything (the marts may be stale or half rebuilt)."""
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
        totals=_totals(data),
        delayed_means=delayed_means(data.delay_threshold_minutes),
        charts=charts(data),
        plotly_js=get_plotlyjs(),
    )


def delayed_means(threshold_minutes: int | None) -> str:
    threshold = (f"more than {threshold_minutes} minutes" if threshold_minutes is not None
                 else "more than the threshold of the dbt var delay_threshold_minutes")
    return (f"A flight is delayed when it departs {threshold} late. The delay rate is the "
            "share of the flights that took off (operated: cancelled flights left out) that "
            "were delayed. A flight is on time (the US DOT's rule) when it arrives less than "
            "15 minutes late; cancelled and diverted flights are not on time.")


def charts(data: ReportData) -> list[Chart]:
    return [
        _daily_trend(data),
        _carriers(data),
        _routes(data),
        _origin_states(data),
        _dep_vs_arr(data),
        _correlation_by_carrier(data),
        _on_time_by_carrier(data),
        _causes_by_carrier(data),
        _causes_by_origin_airport(data),
        _delays_by_scheduled_hour(data),
        _cancellations_by_carrier(data),
    ]


# -- the charts -----------------------------------------------------------------------------


def _daily_trend(data: ReportData) -> Chart:
    rows = data.daily_trend
    dates = [row.flight_date for row in rows]
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Bar(x=dates, y=[row.flights_operated for row in rows],
                            name="Flights operated", marker_color=OPERATED,
                            hovertemplate="%{x|%a %d %b %Y}: %{y:,} flights operated"
                                          "<extra></extra>"), secondary_y=False)
    figure.add_trace(go.Bar(x=dates, y=[row.flights_delayed for row in rows],
                            name="Flights delayed", marker_color=DELAYED,
                            hovertemplate="%{x|%a %d %b %Y}: %{y:,} flights delayed"
                                          "<extra></extra>"), secondary_y=False)
    figure.add_trace(go.Scatter(x=dates, y=[row.delay_rate_pct for row in rows],
                                name="Delay rate", mode="lines+markers",
                                line={"color": RATE, "width": 2},
                                hovertemplate="%{x|%a %d %b %Y}: %{y:.1f} % delayed"
                                              "<extra></extra>"), secondary_y=True)
    figure.update_layout(barmode="overlay", bargap=0.15)
    figure.update_traces(opacity=0.9, selector={"type": "bar"})
    figure.update_xaxes(title_text="Flight date", tickformat="%d %b")
    figure.update_yaxes(title_text="Flights", tickformat=",", secondary_y=False)
    figure.update_yaxes(title_text="Delay rate (%)", ticksuffix=" %", rangemode="tozero",
                        tickformat=".1f", tickmode="auto", nticks=6,
                        showgrid=False, secondary_y=True)
    _style(figure, 420)
    return Chart("daily-trend", "Daily trend",
                 "Flights operated and delayed each day (bars, left axis) and the share of "
                 "operated flights that were delayed (line, right axis).", figure)


def _carriers(data: ReportData) -> Chart:
    rows = [row for row in data.carriers  # highest delay rate first
            if row.flights_operated >= MIN_CARRIER_FLIGHTS]
    left_out = len(data.carriers) - len(rows)
    figure = go.Figure(go.Bar(
        y=[_carrier_label(row.carrier, row.carrier_name) for row in rows],
        x=[row.delay_rate_pct for row in rows],
        orientation="h",
        text=[f"{_pct(row.delay_rate_pct)} ({row.flights_delayed:,} of {row.flights_operated:,} "
              "flights)" for row in rows],
        textposition="auto",
        customdata=[[row.flights_operated, row.flights_delayed] for row in rows],
        marker=_volume_marker([row.flights_operated for row in rows]),
        hovertemplate="%{y}: %{x:.1f} % delayed (%{customdata[1]:,} of %{customdata[0]:,} "
                      "operated flights)<extra></extra>",
    ))
    figure.update_yaxes(title_text="Carrier", autorange="reversed")
    figure.update_xaxes(title_text="Delay rate (% of operated flights)", ticksuffix=" %",
                        rangemode="tozero")
    _style(figure, _bar_height(len(rows)))
    return Chart("carriers", "Carriers by delay rate",
                 "Each carrier's delay rate, highest first, with its delayed and operated "
                 "flights; the colour shows its volume (pale: few flights)."
                 + _left_out(left_out, "operated"), figure)


def _volume_marker(flights_operated: list[int]) -> dict:
    """Bars coloured by their volume, pale (few flights) to dark, with a colour bar."""
    return {"color": flights_operated, "colorscale": VOLUME_SCALE, "cmin": 0,
            "colorbar": {"title": {"text": "Flights<br>operated"}, "tickformat": ","},
            "line": {"color": RATE, "width": 1}}


def _routes(data: ReportData) -> Chart:
    rows = data.delay_prone_routes[:TOP_ROUTES]
    figure = go.Figure(go.Bar(
        y=[f"{row.delay_rank}. {row.label}" for row in rows],
        x=[row.delay_rate_pct for row in rows],
        orientation="h",
        text=[f"{_pct(row.delay_rate_pct)}: {row.flights_delayed:,} of "
              f"{row.flights_operated:,} flights" for row in rows],
        textposition="auto",
        marker_color=DELAYED,
        customdata=[[row.origin_airport or "", row.dest_airport or ""] for row in rows],
        hovertemplate="%{customdata[0]} → %{customdata[1]}<br>%{x:.1f} % delayed"
                      "<extra></extra>",
    ))
    figure.update_yaxes(title_text="Route (rank)", autorange="reversed", automargin=True)
    figure.update_xaxes(title_text="Delay rate (% of operated flights)", ticksuffix=" %",
                        rangemode="tozero")
    _style(figure, _bar_height(len(rows)))
    floor = (f"at least {data.min_route_flights:,} operated flights"
             if data.min_route_flights is not None else "the minimum number of flights")
    return Chart("routes", "The most delay-prone routes",
                 f"The {len(rows)} routes with the highest delay rate among the routes with "
                 f"{floor} (airlines.mv_delay_prone_routes), so that a route flown once "
                 "cannot top the list.", figure)


def _origin_states(data: ReportData) -> Chart:
    rows = data.origin_states  # highest delay rate first
    figure = go.Figure(go.Bar(
        x=[row.origin_state for row in rows],
        y=[row.delay_rate_pct for row in rows],
        customdata=[[row.flights_operated, row.flights_delayed] for row in rows],
        marker=_volume_marker([row.flights_operated for row in rows]),
        hovertemplate="%{x}: %{y:.1f} % delayed (%{customdata[1]:,} of %{customdata[0]:,} "
                      "operated flights)<extra></extra>",
    ))
    figure.update_xaxes(title_text="Origin state", type="category")
    figure.update_yaxes(title_text="Delay rate (% of operated flights)", ticksuffix=" %",
                        rangemode="tozero")
    _style(figure, 400)
    return Chart("origin-states", "Delays by origin state",
                 "The delay rate of the flights leaving each state, highest first; the colour "
                 "shows the state's volume.", figure)


def _dep_vs_arr(data: ReportData) -> Chart:
    rows = [row for row in data.delay_prone_routes[:SCATTER_ROUTES]
            if row.avg_dep_delay_of_delayed_minutes is not None
            and row.avg_arr_delay_of_delayed_minutes is not None]
    dep = [row.avg_dep_delay_of_delayed_minutes or 0.0 for row in rows]
    arr = [row.avg_arr_delay_of_delayed_minutes or 0.0 for row in rows]
    top = max([*dep, *arr, 1.0])
    figure = go.Figure()
    figure.add_trace(go.Scatter(
        x=[0, top], y=[0, top], mode="lines", name="arrival = departure delay",
        line={"color": OPERATED, "dash": "dash"}, hoverinfo="skip",
    ))
    figure.add_trace(go.Scatter(
        x=dep, y=arr, mode="markers", name="a route",
        text=[row.label for row in rows],
        customdata=[row.flights_delayed for row in rows],
        marker={"color": DELAYED, "opacity": 0.7, "line": {"color": RATE, "width": 1},
                "size": _sizes([row.flights_delayed for row in rows])},
        hovertemplate="%{text}<br>%{customdata:,} delayed flights: departed %{x:.1f} min, "
                      "arrived %{y:.1f} min late on average<extra></extra>",
    ))
    figure.update_xaxes(title_text="Average departure delay of delayed flights (minutes)",
                        rangemode="tozero")
    figure.update_yaxes(title_text="Average arrival delay of delayed flights (minutes)",
                        rangemode="tozero")
    _style(figure, 460)
    overall = data.overall_correlation
    r = (f" Over all flights with both delays the correlation of departure and arrival delay "
         f"is r = {overall.dep_arr_delay_correlation:.3f}."
         if overall is not None and overall.dep_arr_delay_correlation is not None else "")
    return Chart("dep-vs-arr", "Departure and arrival delay",
                 "Each dot is a delay-prone route (its size: the delayed flights): how late its "
                 "delayed flights left and arrived on average. Dots under the dashed line made "
                 f"up time in the air.{r}", figure)


def _correlation_by_carrier(data: ReportData) -> Chart:
    carriers = [row for row in data.correlations if row.carrier != OVERALL_CARRIER
                and row.dep_arr_delay_correlation is not None]
    rows = [row for row in carriers if row.flights_operated >= MIN_CARRIER_FLIGHTS]
    rows.sort(key=lambda row: (-(row.dep_arr_delay_correlation or 0.0), row.carrier))
    values = [row.dep_arr_delay_correlation or 0.0 for row in rows]
    figure = go.Figure(go.Scatter(
        y=[_carrier_label(row.carrier, row.carrier_name) for row in rows], x=values,
        mode="markers", name="a carrier",
        marker={"color": RATE, "size": _sizes([row.flights_operated for row in rows])},
        customdata=[[row.flights_operated, row.avg_dep_delay_minutes or 0.0,
                     row.avg_arr_delay_minutes or 0.0] for row in rows],
        hovertemplate="%{y}: r = %{x:.3f} over %{customdata[0]:,} flights (average "
                      "departure delay %{customdata[1]:.1f} min, arrival %{customdata[2]:.1f} "
                      "min)<extra></extra>",
    ))
    overall = data.overall_correlation
    if overall is not None and overall.dep_arr_delay_correlation is not None:
        values.append(overall.dep_arr_delay_correlation)
        figure.add_vline(x=overall.dep_arr_delay_correlation, line_dash="dash",
                         line_color=DELAYED,
                         annotation_text=f"all carriers: r = "
                                         f"{overall.dep_arr_delay_correlation:.3f}",
                         annotation_position="bottom left")
    low = max(-1.0, min([*values, 1.0]) - 0.05)
    figure.update_yaxes(title_text="Carrier", autorange="reversed")
    figure.update_xaxes(title_text="Correlation of departure and arrival delay (Pearson's r)",
                        range=[low, 1.0])
    _style(figure, _bar_height(len(rows)))
    return Chart("correlation", "Departure vs arrival delay, by carrier",
                 "Pearson's r of departure and arrival delay over each carrier's flights with "
                 "both (1: a late departure means an equally late arrival); the dot's size is "
                 "the carrier's volume." + _left_out(len(carriers) - len(rows), "operated"),
                 figure)


def _on_time_by_carrier(data: ReportData) -> Chart:
    rows = [row for row in data.on_time_by_carrier  # best on-time rate first
            if row.flights_scheduled >= MIN_CARRIER_FLIGHTS]
    left_out = len(data.on_time_by_carrier) - len(rows)
    labels = [_carrier_label(row.carrier, row.carrier_name) for row in rows]
    figure = go.Figure()
    parts = [("On time", ON_TIME, [row.flights_on_time for row in rows]),
             ("Arrived 15+ min late", LATE, [row.flights_arrived_late for row in rows]),
             ("Cancelled", CANCELLED, [row.flights_cancelled for row in rows]),
             ("Diverted", DIVERTED, [row.flights_diverted for row in rows])]
    for name, color, counts in parts:
        shares = [_share(count, row.flights_scheduled) for count, row in zip(counts, rows,
                                                                              strict=True)]
        figure.add_trace(go.Bar(
            y=labels, x=shares, name=name, orientation="h", marker_color=color,
            customdata=[[count, row.flights_scheduled] for count, row in zip(counts, rows,
                                                                               strict=True)],
            text=[_pct(share) if share >= 4 else "" for share in shares],
            textposition="inside", insidetextanchor="middle",
            hovertemplate=f"%{{y}}: %{{x:.1f}} % {name.lower()} (%{{customdata[0]:,}} of "
                          "%{customdata[1]:,} scheduled flights)<extra></extra>",
        ))
    figure.update_layout(barmode="stack", legend_traceorder="normal")
    figure.update_yaxes(title_text="Carrier", autorange="reversed")
    figure.update_xaxes(title_text="Share of scheduled flights (%)", ticksuffix=" %",
                        range=[0, 100])
    _style(figure, _bar_height(len(rows)))
    return Chart("on-time", "On-time performance by carrier",
                 "What became of each carrier's scheduled flights, best on-time rate first."
                 + _left_out(left_out, "scheduled"), figure)


# -- why and when: the BTS cause, schedule and cancellation columns -------------------------


NO_CAUSES = ("No cause data: no file with BTS cause columns has landed. The daily files carry "
             "seven columns; a BTS on-time monthly file (June 2003 on) adds CarrierDelay, "
             "WeatherDelay, NASDelay, SecurityDelay and LateAircraftDelay.")
NO_HOURS = ("No scheduled departure times: no file with the BTS column CRSDepTime has landed "
            "(the daily files carry none).")
NO_CANCELLATIONS = "No cancelled flights in the warehouse."
NO_CODES = (" No file with BTS cancellation codes (CancellationCode) has landed: the daily "
            "files say that a flight was cancelled (it has no delays), not why.")


def _causes_by_carrier(data: ReportData) -> Chart:
    chart_id, title = "causes-by-carrier", "Why flights are late, by carrier"
    caption = ("Each carrier's delay minutes by cause (BTS reports the cause of every flight "
               "15+ minutes late), as shares of its cause minutes; under each carrier, how many "
               "of its flights have cause data. Carriers with the most cause minutes first.")
    rows = data.causes_by_carrier
    if not rows:
        return _empty(chart_id, title, caption,
                      _not_built(data, "mv_delay_causes_by_carrier") or NO_CAUSES)
    labels = [_carrier_label(row.carrier, row.carrier_name) for row in rows]
    return Chart(chart_id, title, caption, _cause_mix_figure(labels, rows, "Carrier"))


def _causes_by_origin_airport(data: ReportData) -> Chart:
    chart_id, title = "causes-by-airport", "Why flights are late, by origin airport"
    everyone = data.causes_by_origin_airport  # the most cause minutes first
    rows = everyone[:TOP_CAUSE_AIRPORTS]
    caption = ("The origin airports whose departing flights have the most delay minutes with "
               "a cause, and what those minutes were due to; under each, its flights with "
               "cause data.")
    if not rows:
        return _empty(chart_id, title, caption,
                      _not_built(data, "mv_delay_causes_by_origin_airport") or NO_CAUSES)
    caption += f" The top {len(rows)} of {len(everyone)} airports with cause data."
    labels = [f"{rank}. {row.label}" for rank, row in enumerate(rows, start=1)]
    return Chart(chart_id, title, caption,
                 _cause_mix_figure(labels, rows, "Origin airport (most cause minutes first)"))


def _cause_mix_figure(labels: list[str],
                      rows: Sequence[CarrierDelayCauses | AirportDelayCauses],
                      axis_title: str) -> go.Figure:
    """One stacked bar per row: the five causes' shares (0-100) of its cause minutes."""
    figure = go.Figure()
    for cause, name in DELAY_CAUSES:
        shares = [row.pct(cause) or 0.0 for row in rows]
        figure.add_trace(go.Bar(
            y=labels, x=shares, name=name, orientation="h", marker_color=CAUSE_COLORS[cause],
            customdata=[[row.minutes(cause), row.cause_minutes, row.flights_with_causes,
                         row.flights_scheduled] for row in rows],
            text=[_pct(share) if share >= 6 else "" for share in shares],
            textposition="inside", insidetextanchor="middle",
            hovertemplate=f"%{{y}}: {name.lower()} %{{x:.1f}} % of the cause minutes "
                          "(%{customdata[0]:,} of %{customdata[1]:,} minutes; "
                          "%{customdata[2]:,} of %{customdata[3]:,} flights with cause data)"
                          "<extra></extra>",
        ))
    figure.update_layout(barmode="stack", legend_traceorder="normal")
    figure.update_yaxes(
        title_text=axis_title, autorange="reversed", tickvals=labels,
        ticktext=[f"{label}<br><span style='font-size:11px'>{_flights_with_causes(row)}</span>"
                  for label, row in zip(labels, rows, strict=True)],
    )
    figure.update_xaxes(title_text="Share of the delay minutes with a cause (%)",
                        ticksuffix=" %", range=[0, 100])
    _style(figure, max(320, 120 + 46 * len(rows)))
    return figure


def _flights_with_causes(row: CarrierDelayCauses | AirportDelayCauses) -> str:
    return f"{row.flights_with_causes:,} flight{'s' if row.flights_with_causes != 1 else ''} " \
           "with cause data"


def _delays_by_scheduled_hour(data: ReportData) -> Chart:
    chart_id, title = "by-hour", "Delays by scheduled departure hour"
    rows = data.delays_by_scheduled_hour
    caption = ("The delay rate of the flights scheduled to leave in each hour of the day "
               "(local time, from the BTS column CRSDepTime; a 24:00 departure counts in hour "
               "0); the colour shows the hour's volume.")
    if not rows:
        return _empty(chart_id, title, caption,
                      _not_built(data, "mv_delays_by_scheduled_hour") or NO_HOURS)
    rated = [row for row in rows if row.flights_operated >= MIN_HOUR_FLIGHTS
             and row.delay_rate_pct is not None]
    if rated:
        worst = max(rated, key=lambda row: (row.delay_rate_pct or 0.0, -row.scheduled_dep_hour))
        caption += (f" The worst hour: {_hour(worst.scheduled_dep_hour)}, "
                    f"{_pct(worst.delay_rate_pct)} of its {worst.flights_operated:,} operated "
                    f"flights delayed (hours with at least {MIN_HOUR_FLIGHTS} operated flights).")
    figure = go.Figure(go.Bar(
        x=[row.scheduled_dep_hour for row in rows],
        y=[row.delay_rate_pct for row in rows],
        customdata=[[_hour(row.scheduled_dep_hour), row.flights_operated, row.flights_delayed,
                     row.avg_dep_delay_minutes or 0.0, row.on_time_pct or 0.0,
                     row.flights_cancelled] for row in rows],
        marker=_volume_marker([row.flights_operated for row in rows]),
        hovertemplate="%{customdata[0]}: %{y:.1f} % delayed (%{customdata[2]:,} of "
                      "%{customdata[1]:,} operated flights); average departure delay "
                      "%{customdata[3]:.1f} min, %{customdata[4]:.1f} % on time, "
                      "%{customdata[5]:,} cancelled<extra></extra>",
    ))
    figure.update_xaxes(title_text="Scheduled departure hour (local time)",
                        tickvals=list(range(24)), ticktext=[f"{hour:02d}" for hour in range(24)],
                        range=[-0.5, 23.5])
    figure.update_yaxes(title_text="Delay rate (% of operated flights)", ticksuffix=" %",
                        rangemode="tozero")
    _style(figure, 400)
    return Chart(chart_id, title, caption, figure)


def _hour(hour: int) -> str:
    return f"{hour:02d}:00-{hour:02d}:59"


def _cancellations_by_carrier(data: ReportData) -> Chart:
    chart_id, title = "cancellations", "Cancellations by carrier and reason"
    rows = data.cancellations_by_carrier
    caption = ("Each carrier's cancelled flights by the reason its files give (BTS "
               "CancellationCode: A carrier, B weather, C National Aviation System, "
               "D security), most cancellations first; hover for the share of the carrier's "
               "scheduled flights.")
    if not rows:
        return _empty(chart_id, title, caption,
                      _not_built(data, "mv_cancellations_by_carrier") or NO_CANCELLATIONS)
    totals: dict[str, int] = {}
    labels: dict[str, str] = {}
    for row in rows:
        totals[row.carrier] = totals.get(row.carrier, 0) + row.flights_cancelled
        labels[row.carrier] = _carrier_label(row.carrier, row.carrier_name)
    carriers = sorted(totals, key=lambda carrier: (-totals[carrier], carrier))
    cancelled = sum(totals.values())
    with_reason = sum(row.flights_cancelled for row in rows if row.cancellation_code)
    caption += (f" {cancelled:,} cancelled flight{'s' if cancelled != 1 else ''}, "
                f"{with_reason:,} of them with a reason.")
    if not with_reason:
        caption += NO_CODES
    figure = go.Figure()
    for code in CANCELLATION_CODES:
        by_carrier = {row.carrier: row for row in rows if row.cancellation_code == code}
        if not by_carrier:
            continue
        reason = next(iter(by_carrier.values())).cancellation_reason
        shown = [carrier for carrier in carriers if carrier in by_carrier]
        figure.add_trace(go.Bar(
            y=[labels[carrier] for carrier in shown],
            x=[by_carrier[carrier].flights_cancelled for carrier in shown],
            name=reason[:1].upper() + reason[1:], orientation="h",
            marker_color=CANCELLATION_COLORS[code],
            customdata=[[by_carrier[carrier].cancelled_pct or 0.0,
                         by_carrier[carrier].flights_scheduled] for carrier in shown],
            text=[f"{by_carrier[carrier].flights_cancelled:,}" for carrier in shown],
            textposition="inside", insidetextanchor="middle",
            hovertemplate=f"%{{y}}: %{{x:,}} flights cancelled ({reason}), "
                          "%{customdata[0]:.1f} % of %{customdata[1]:,} scheduled flights"
                          "<extra></extra>",
        ))
    # The legend names the reasons even when there is one (plotly hides a lone trace's).
    figure.update_layout(barmode="stack", legend_traceorder="normal", showlegend=True)
    figure.update_yaxes(title_text="Carrier", autorange="reversed",
                        categoryorder="array", categoryarray=[labels[c] for c in carriers])
    figure.update_xaxes(title_text="Cancelled flights", tickformat=",", rangemode="tozero")
    _style(figure, _bar_height(len(carriers)))
    return Chart(chart_id, title, caption, figure)


def _not_built(data: ReportData, mart: str) -> str:
    """Why a chart is empty when its mart does not exist ("" when it does)."""
    if mart not in data.missing_marts:
        return ""
    return (f"Not built yet: this warehouse was built before airlines.{mart} existed. "
            "The next run, or airline-elt transform, builds it.")


def _empty(chart_id: str, title: str, caption: str, why: str) -> Chart:
    return Chart(chart_id, title, caption, None, empty=why)


# -- helpers --------------------------------------------------------------------------------


def _style(figure: go.Figure, height: int) -> None:
    figure.update_layout(
        height=height, template="plotly_white", font={"family": FONT, "size": 13},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"font": {"family": FONT}},
    )
    figure.update_yaxes(automargin=True)
    figure.update_xaxes(automargin=True)


def _left_out(carriers: int, counted: str) -> str:
    if not carriers:
        return ""
    return (f" Not shown: {carriers} carrier{'s' if carriers != 1 else ''} with fewer than "
            f"{MIN_CARRIER_FLIGHTS} {counted} flights.")


def _bar_height(bars: int) -> int:
    return max(320, 120 + 30 * bars)


def _sizes(values: Sequence[int]) -> list[float]:
    biggest = max([*values, 1])
    return [8 + 22 * (value / biggest) ** 0.5 for value in values]


def _share(count: int, total: int) -> float:
    return 100.0 * count / total if total else 0.0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} %"


def _carrier_label(code: str, name: str) -> str:
    return code if not name or name == code else f"{name} ({code})"


@dataclass(frozen=True)
class _Totals:
    flights_scheduled: int
    flights_operated: int
    flights_delayed: int
    delay_rate: str
    on_time: str


def _totals(data: ReportData) -> _Totals:
    """The period's headline numbers (the same sums as the marts, over every day)."""
    scheduled = sum(row.flights_scheduled for row in data.daily_trend)
    operated = sum(row.flights_operated for row in data.daily_trend)
    delayed = sum(row.flights_delayed for row in data.daily_trend)
    on_time = sum(row.flights_on_time for row in data.on_time_by_carrier)
    on_time_scheduled = sum(row.flights_scheduled for row in data.on_time_by_carrier)
    return _Totals(
        flights_scheduled=scheduled, flights_operated=operated, flights_delayed=delayed,
        delay_rate=_pct(_share(delayed, operated)) if operated else "n/a",
        on_time=_pct(_share(on_time, on_time_scheduled)) if on_time_scheduled else "n/a",
    )


TEMPLATE_FILE = Path(__file__).with_name("report_template.html")


def _template() -> Template:
    environment = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.filters["num"] = lambda value: f"{value:,}"
    environment.globals["font"] = FONT
    return environment.from_string(TEMPLATE_FILE.read_text(encoding="utf-8"))
