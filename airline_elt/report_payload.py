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
import datetime as dt
import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass

from airline_elt.report_data import (
    CANCELLATION_REASONS,
    DELAY_CAUSES,
    DayCarrier,
    DaySource,
    HourMonth,
    OriginCausesMonth,
    ReportData,
    RouteMonth,
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
    index = _Index.of(data)
    return ReportPayload(
        min_sample_flights=data.min_sample_flights,
        delay_threshold_minutes=data.delay_threshold_minutes,
        has_airport_codes=data.has_airport_codes,
        has_cause_flights=data.has_cause_flights,
        has_hour_aggregate=data.has_hour_aggregate,
        has_hour_carrier=data.has_hour_carrier,
        carriers=Table({"code": [carrier.code for carrier in data.carriers],
                        "name": [carrier.name for carrier in data.carriers]}),
        airports=Table({"id": [airport.airport_id for airport in data.airports],
                        "label": [airport.label for airport in data.airports],
                        "short": [airport.short_label for airport in data.airports],
                        "state": [airport.state for airport in data.airports]}),
        days=[day.isoformat() for day in index.days],
        months=index.months,
        day_sources=_day_source_table(data.day_sources, index),
        day_carriers=_day_carrier_table(data.day_carriers, index),
        route_months=_route_table(data.route_months, index),
        origin_causes=_origin_cause_table(data.origin_causes, index),
        hour_months=_hour_table(data.hour_months, index),
        cause_names=[name for _, name in DELAY_CAUSES],
        cancellation_reasons=[reason for _, reason in CANCELLATION_REASONS],
    )


@dataclass(frozen=True)
class _Index:
    """The position of each carrier, airport, day and month in the payload's lists."""

    carriers: dict[str, int]
    airports: dict[int, int]
    days: list[dt.date]
    day: dict[dt.date, int]
    months: list[str]
    month: dict[str, int]

    @classmethod
    def of(cls, data: ReportData) -> _Index:
        days = sorted({row.flight_date for row in data.day_carriers})
        months = sorted({day.strftime("%Y-%m") for day in days})
        return cls(
            carriers={carrier.code: index for index, carrier in enumerate(data.carriers)},
            airports={airport.airport_id: index for index, airport in enumerate(data.airports)},
            days=days, day={day: index for index, day in enumerate(days)},
            months=months, month={month: index for index, month in enumerate(months)},
        )

    def carrier(self, code: str) -> int:
        return self.carriers[code]  # every aggregate's carriers are the daily aggregate's


def _cause_columns(rows: Sequence[DayCarrier] | Sequence[OriginCausesMonth]
                   ) -> dict[str, Column]:
    """Minutes and flights of each delay cause, by the cause's position in DELAY_CAUSES."""
    columns: dict[str, Column] = {}
    for cause in range(len(DELAY_CAUSES)):
        columns[f"causeMinutes{cause}"] = [row.cause_minutes[cause] for row in rows]
        columns[f"causeFlights{cause}"] = [
            row.cause_flights[cause] if row.cause_flights else 0 for row in rows]
    return columns


def _day_carrier_table(rows: Sequence[DayCarrier], index: _Index) -> Table:
    columns: dict[str, Column] = {
        "day": [index.day[row.flight_date] for row in rows],
        "carrier": [index.carrier(row.carrier) for row in rows],
        "scheduled": [row.flights_scheduled for row in rows],
        "operated": [row.flights_operated for row in rows],
        "cancelled": [row.flights_cancelled for row in rows],
        "delayed": [row.flights_delayed for row in rows],
        "onTime": [row.flights_on_time for row in rows],
        "arrivedLate": [row.flights_arrived_late for row in rows],
        "diverted": [row.flights_diverted for row in rows],
        "withCauses": [row.flights_with_causes for row in rows],
        "pairedFlights": [row.paired_flights for row in rows],
        "pairedSumDep": [row.paired_sum_dep for row in rows],
        "pairedSumArr": [row.paired_sum_arr for row in rows],
        "pairedSumDep2": [row.paired_sum_dep_squared for row in rows],
        "pairedSumArr2": [row.paired_sum_arr_squared for row in rows],
        "pairedSumProduct": [row.paired_sum_product for row in rows],
        **_cause_columns(rows),
    }
    for reason in range(len(CANCELLATION_REASONS)):
        columns[f"cancelled{reason}"] = [row.cancelled_by_reason[reason] for row in rows]
    return Table(columns)


def _origin_cause_table(rows: Sequence[OriginCausesMonth], index: _Index) -> Table:
    return Table({
        "month": [index.month[row.month] for row in rows],
        "carrier": [index.carrier(row.carrier) for row in rows],
        "origin": [index.airports[row.origin_airport_id] for row in rows],
        "withCauses": [row.flights_with_causes for row in rows],
        **_cause_columns(rows),
    })


def _route_table(rows: Sequence[RouteMonth], index: _Index) -> Table:
    return Table({
        "month": [index.month[row.month] for row in rows],
        "carrier": [index.carrier(row.carrier) for row in rows],
        "origin": [index.airports[row.origin_airport_id] for row in rows],
        "dest": [index.airports[row.dest_airport_id] for row in rows],
        "scheduled": [row.flights_scheduled for row in rows],
        "operated": [row.flights_operated for row in rows],
        "delayed": [row.flights_delayed for row in rows],
        "onTime": [row.flights_on_time for row in rows],
        "delayedWithArr": [row.flights_delayed_with_arr_delay for row in rows],
        "sumDepOfDelayed": [row.sum_dep_delay_of_delayed for row in rows],
        "sumArrOfDelayed": [row.sum_arr_delay_of_delayed for row in rows]})


def _hour_table(rows: Sequence[HourMonth], index: _Index) -> Table:
    return Table({
        "month": [index.month[row.month] for row in rows],
        "carrier": [index.carrier(row.carrier) if row.carrier is not None else -1
                    for row in rows],
        "hour": [row.scheduled_dep_hour for row in rows],
        "scheduled": [row.flights_scheduled for row in rows],
        "operated": [row.flights_operated for row in rows],
        "cancelled": [row.flights_cancelled for row in rows],
        "delayed": [row.flights_delayed for row in rows],
        "onTime": [row.flights_on_time for row in rows]})


def _day_source_table(rows: Sequence[DaySource], index: _Index) -> Table:
    shown = [row for row in rows if row.flight_date in index.day]
    return Table({"day": [index.day[row.flight_date] for row in shown],
                  "scheduled": [row.flights_scheduled for row in shown],
                  "fromBtsFiles": [row.flights_from_bts_files for row in shown]})
