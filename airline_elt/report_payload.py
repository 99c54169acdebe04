"""The report's data as the page carries it: ReportData made compact and columnar.

Every chart of the page is computed in its JavaScript (report_template.html) from this payload,
so that the month and carrier filters can redraw them offline. Carriers, airports, days and
months are listed once and referred to by index; each table is a set of equal-length columns of
numbers (a BTS year is ~150,000 rows: scripts/benchmark_report_size.py measures it). The page
carries it gzipped and base64-encoded (a third of its JSON size); the browser's own
DecompressionStream unpacks it, so no library is needed.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass

from airline_elt.report_data import (
    CANCELLATION_REASONS,
    DELAY_CAUSES,
    ReportData,
)

Column = list[int] | list[str] | list[str | None]


@dataclass(frozen=True)
class Table:
    """Equal-length named columns."""

    columns: dict[str, Column]

    def as_json(self) -> dict[str, Column]:
        return self.columns


@dataclass(frozen=True)
class ReportPayload:
    min_sample_flights: int
    delay_threshold_minutes: int | None
    has_airport_codes: bool
    has_cause_flights: bool
    has_hour_aggregate: bool
    has_hour_carrier: bool
    carriers: Table
    airports: Table
    days: list[str]
    months: list[str]
    day_sources: Table
    day_carriers: Table
    route_months: Table
    origin_causes: Table
    hour_months: Table
    cause_names: list[str]
    cancellation_reasons: list[str]

    def to_json(self) -> str:
        """The payload as JSON, safe inside a <script> element (no `</` in it)."""
        document = {
            "minSampleFlights": self.min_sample_flights,
            "delayThresholdMinutes": self.delay_threshold_minutes,
            "hasAirportCodes": self.has_airport_codes,
            "hasCauseFlights": self.has_cause_flights,
            "hasHourAggregate": self.has_hour_aggregate,
            "hasHourCarrier": self.has_hour_carrier,
            "carriers": self.carriers.as_json(),
            "airports": self.airports.as_json(),
            "days": self.days,
            "months": self.months,
            "daySources": self.day_sources.as_json(),
            "dayCarriers": self.day_carriers.as_json(),
            "routeMonths": self.route_months.as_json(),
            "originCauses": self.origin_causes.as_json(),
            "hourMonths": self.hour_months.as_json(),
            "causeNames": self.cause_names,
            "cancellationReasons": self.cancellation_reasons,
        }
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        return text.replace("</", "<\\/")

    def to_embedded(self) -> str:
        """The JSON gzipped (deterministic: no time stamp) and base64-encoded, for the page."""
        packed = gzip.compress(self.to_json().encode("utf-8"), compresslevel=9, mtime=0)
        return base64.b64encode(packed).decode("ascii")


def build_payload(data: ReportData) -> ReportPayload:
    carrier_index = {carrier.code: index for index, carrier in enumerate(data.carriers)}
    airport_index = {airport.airport_id: index for index, airport in enumerate(data.airports)}
    days = sorted({row.flight_date for row in data.day_carriers})
    day_index = {day: index for index, day in enumerate(days)}
    months = sorted({day.strftime("%Y-%m") for day in days})
    month_index = {month: index for index, month in enumerate(months)}

    def carrier_of(code: str) -> int:
        return carrier_index[code]  # every aggregate's carriers are the daily aggregate's

    day_rows = data.day_carriers
    causes = range(len(DELAY_CAUSES))
    day_carriers: dict[str, Column] = {
        "day": [day_index[row.flight_date] for row in day_rows],
        "carrier": [carrier_of(row.carrier) for row in day_rows],
        "scheduled": [row.flights_scheduled for row in day_rows],
        "operated": [row.flights_operated for row in day_rows],
        "cancelled": [row.flights_cancelled for row in day_rows],
        "delayed": [row.flights_delayed for row in day_rows],
        "onTime": [row.flights_on_time for row in day_rows],
        "arrivedLate": [row.flights_arrived_late for row in day_rows],
        "diverted": [row.flights_diverted for row in day_rows],
        "withCauses": [row.flights_with_causes for row in day_rows],
        "pairedFlights": [row.paired_flights for row in day_rows],
        "pairedSumDep": [row.paired_sum_dep for row in day_rows],
        "pairedSumArr": [row.paired_sum_arr for row in day_rows],
        "pairedSumDep2": [row.paired_sum_dep_squared for row in day_rows],
        "pairedSumArr2": [row.paired_sum_arr_squared for row in day_rows],
        "pairedSumProduct": [row.paired_sum_product for row in day_rows],
    }
    for cause in causes:
        day_carriers[f"causeMinutes{cause}"] = [row.cause_minutes[cause] for row in day_rows]
        day_carriers[f"causeFlights{cause}"] = [
            row.cause_flights[cause] if row.cause_flights else 0 for row in day_rows]
    for reason in range(len(CANCELLATION_REASONS)):
        day_carriers[f"cancelled{reason}"] = [row.cancelled_by_reason[reason]
                                              for row in day_rows]

    routes = data.route_months
    origin_rows = data.origin_causes
    origin_causes: dict[str, Column] = {
        "month": [month_index[row.month] for row in origin_rows],
        "carrier": [carrier_of(row.carrier) for row in origin_rows],
        "origin": [airport_index[row.origin_airport_id] for row in origin_rows],
        "withCauses": [row.flights_with_causes for row in origin_rows],
    }
    for cause in causes:
        origin_causes[f"causeMinutes{cause}"] = [row.cause_minutes[cause] for row in origin_rows]
        origin_causes[f"causeFlights{cause}"] = [
            row.cause_flights[cause] if row.cause_flights else 0 for row in origin_rows]

    hours = data.hour_months
    has_hour_carrier = any(row.carrier is not None for row in hours)
    return ReportPayload(
        min_sample_flights=data.min_sample_flights,
        delay_threshold_minutes=data.delay_threshold_minutes,
        has_airport_codes=data.has_airport_codes,
        has_cause_flights=data.has_cause_flights,
        has_hour_aggregate=data.has_hour_aggregate,
        has_hour_carrier=has_hour_carrier,
        carriers=Table({"code": [carrier.code for carrier in data.carriers],
                        "name": [carrier.name for carrier in data.carriers]}),
        airports=Table({"id": [airport.airport_id for airport in data.airports],
                        "label": [airport.label for airport in data.airports],
                        "short": [airport.short_label for airport in data.airports],
                        "state": [airport.state for airport in data.airports]}),
        days=[day.isoformat() for day in days],
        months=months,
        day_sources=Table({
            "day": [day_index[row.flight_date] for row in data.day_sources
                    if row.flight_date in day_index],
            "scheduled": [row.flights_scheduled for row in data.day_sources
                          if row.flight_date in day_index],
            "fromBtsFiles": [row.flights_from_bts_files for row in data.day_sources
                             if row.flight_date in day_index]}),
        day_carriers=Table(day_carriers),
        route_months=Table({
            "month": [month_index[row.month] for row in routes],
            "carrier": [carrier_of(row.carrier) for row in routes],
            "origin": [airport_index[row.origin_airport_id] for row in routes],
            "dest": [airport_index[row.dest_airport_id] for row in routes],
            "scheduled": [row.flights_scheduled for row in routes],
            "operated": [row.flights_operated for row in routes],
            "delayed": [row.flights_delayed for row in routes],
            "onTime": [row.flights_on_time for row in routes],
            "delayedWithArr": [row.flights_delayed_with_arr_delay for row in routes],
            "sumDepOfDelayed": [row.sum_dep_delay_of_delayed for row in routes],
            "sumArrOfDelayed": [row.sum_arr_delay_of_delayed for row in routes]}),
        origin_causes=Table(origin_causes),
        hour_months=Table({
            "month": [month_index[row.month] for row in hours],
            "carrier": [carrier_of(row.carrier) if row.carrier is not None else -1
                        for row in hours],
            "hour": [row.scheduled_dep_hour for row in hours],
            "scheduled": [row.flights_scheduled for row in hours],
            "operated": [row.flights_operated for row in hours],
            "cancelled": [row.flights_cancelled for row in hours],
            "delayed": [row.flights_delayed for row in hours],
            "onTime": [row.flights_on_time for row in hours]}),
        cause_names=[name for _, name in DELAY_CAUSES],
        cancellation_reasons=[reason for _, reason in CANCELLATION_REASONS],
    )
