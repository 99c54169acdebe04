"""What the delay report shows, read from the warehouse into typed rows (no charts here).

The one place the report's SQL lives. The charts are drawn in the page, from the marts' daily
aggregates summed per month (per day for the daily trend) and carrier, so that the page can
filter by month and carrier without a server: `intermediate.int_flight_delays_daily`,
`intermediate.int_flight_delays_by_hour_daily`, carrier names from `airlines.mv_carrier_delays`,
the last run from `raw.landed_files`. Plain SQL that PostgreSQL (the local warehouse) and
Redshift (the AWS stack) both run, through any DB-API connection (psycopg locally,
redshift_connector in the dbt image), so it imports no driver itself.

Columns added by later versions of the models (airport codes, flights per cause, the hour
aggregate's carrier) are read when the table has them; a warehouse built before them still
gives a report, whose page then says what it lacks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from airline_elt import landed_counts

DAILY_AGGREGATE = "int_flight_delays_daily"
HOUR_AGGREGATE = "int_flight_delays_by_hour_daily"
# The marts the report reads besides the aggregates (their contract:
# models/marts/_marts__models.yml).
REPORT_MARTS = ("mv_carrier_delays", "unknown_airports")
# The five BTS delay causes, in BTS's order: the column stem of each in the daily aggregate
# (`sum_<cause>`, `flights_with_<cause>`) and its name in the BTS's own words.
DELAY_CAUSES = (
    ("carrier_delay", "Air carrier"),
    ("weather_delay", "Extreme weather"),
    ("nas_delay", "National Aviation System"),
    ("security_delay", "Security"),
    ("late_aircraft_delay", "Late-arriving aircraft"),
)
# The BTS cancellation codes in the daily aggregate's columns (`flights_cancelled_code_a`, ...,
# `flights_cancelled_no_code`) and their reasons.
CANCELLATION_REASONS = (
    ("code_a", "Carrier"),
    ("code_b", "Weather"),
    ("code_c", "National Aviation System"),
    ("code_d", "Security"),
    ("no_code", "Not given"),
)
# The one minimum sample of every chart (the dbt var; the marts' meets_min_sample uses it too).
MIN_SAMPLE_VAR = "min_sample_flights"
DEFAULT_MIN_SAMPLE_FLIGHTS = 10
# The marts filter with the has_known_airports() macro; the report's SQL cannot call it, so
# tests/report/test_report_data.py keeps this copy equal to it.
KNOWN_AIRPORTS = "has_known_origin and has_known_destination"


class ReportDataError(Exception):
    """The warehouse cannot give the report its data (aggregates or marts missing, ...)."""


class Cursor(Protocol):
    @property
    def description(self) -> Sequence[Sequence[Any]] | None: ...
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchall(self) -> Sequence[Sequence[Any]]: ...
    def close(self) -> None: ...


Row = Mapping[str, Any]  # a result row by column name (the SQL's `as` names)


class DbConnection(Protocol):
    def cursor(self) -> Any: ...


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str


@dataclass(frozen=True)
class Airport:
    airport_id: int
    code: str | None  # IATA (ORD), when the aggregate carries it
    city: str | None
    state: str | None
    name: str | None = None  # the airport list's name: the place when it has no city or state

    @property
    def label(self) -> str:
        """`ORD · Chicago, IL`; `airport 13930 · Chicago, IL` without a code; the airport's
        name stands for the place when it has neither city nor state."""
        place = ", ".join(part for part in (self.city, self.state) if part) or self.name
        name = self.code or f"airport {self.airport_id}"
        return f"{name} · {place}" if place else name

    @property
    def short_label(self) -> str:
        """`ORD`; without a code `Chicago, IL` (`airport 13930` without a city): for routes."""
        place = ", ".join(part for part in (self.city, self.state) if part)
        return self.code or place or f"airport {self.airport_id}"


@dataclass(frozen=True)
class DayCarrier:
    """One carrier's flights on one day: every per-carrier chart sums these."""

    flight_date: dt.date
    carrier: str
    flights_scheduled: int
    flights_operated: int
    flights_cancelled: int
    flights_delayed: int
    flights_on_time: int
    flights_arrived_late: int
    flights_diverted: int
    flights_with_causes: int
    cause_minutes: tuple[int, ...]  # DELAY_CAUSES' order
    cause_flights: tuple[int, ...] | None  # DELAY_CAUSES' order; None: not in the aggregate
    cancelled_by_reason: tuple[int, ...]  # CANCELLATION_REASONS' order
    paired_flights: int  # flights with both delays, and the sums their correlation needs
    paired_sum_dep: int
    paired_sum_arr: int
    paired_sum_dep_squared: int
    paired_sum_arr_squared: int
    paired_sum_product: int


@dataclass(frozen=True)
class RouteMonth:
    month: str  # YYYY-MM
    carrier: str
    origin_airport_id: int
    dest_airport_id: int
    flights_scheduled: int
    flights_operated: int
    flights_delayed: int
    flights_on_time: int
    flights_delayed_with_arr_delay: int
    sum_dep_delay_of_delayed: int
    sum_arr_delay_of_delayed: int


@dataclass(frozen=True)
class OriginCausesMonth:
    month: str
    carrier: str
    origin_airport_id: int
    flights_with_causes: int
    cause_minutes: tuple[int, ...]
    cause_flights: tuple[int, ...] | None


@dataclass(frozen=True)
class HourMonth:
    """The flights of one scheduled departure hour (0-23) in one month; `carrier` is None when
    the hour aggregate has no carrier column (the carrier filter cannot apply)."""

    month: str
    carrier: str | None
    scheduled_dep_hour: int
    flights_scheduled: int
    flights_operated: int
    flights_cancelled: int
    flights_delayed: int
    flights_on_time: int


@dataclass(frozen=True)
class DaySource:
    """Of one day's flights, how many came with the BTS monthly files' columns (a scheduled
    departure time: the daily files carry none); the rest came from daily files."""

    flight_date: dt.date
    flights_scheduled: int
    flights_from_bts_files: int


@dataclass(frozen=True)
class LastRun:
    """The newest run that recorded files in raw.landed_files, with its counts."""

    run_id: str
    finished_at: dt.datetime
    files_by_status: dict[str, int]
    rows_read: int
    rows_landed: int
    rows_rejected: int


@dataclass(frozen=True)
class UnknownAirports:
    airports: int
    flights: int


@dataclass(frozen=True)
class ReportData:
    carriers: list[Carrier]  # most flights first: the page's one carrier order
    airports: list[Airport]
    day_carriers: list[DayCarrier]
    route_months: list[RouteMonth]
    origin_causes: list[OriginCausesMonth]
    hour_months: list[HourMonth]
    day_sources: list[DaySource]
    has_airport_codes: bool
    has_cause_flights: bool
    has_hour_aggregate: bool
    has_hour_carrier: bool  # the hour aggregate has the carrier in its grain
    last_run: LastRun | None
    unknown_airports: UnknownAirports
    delay_threshold_minutes: int | None
    min_sample_flights: int

    @property
    def first_date(self) -> dt.date | None:
        return min((row.flight_date for row in self.day_carriers), default=None)

    @property
    def last_date(self) -> dt.date | None:
        return max((row.flight_date for row in self.day_carriers), default=None)


def load_report_data(conn: DbConnection, schema: str = "airlines", raw_schema: str = "raw",
                     intermediate_schema: str = "intermediate",
                     project_dir: Path | None = None) -> ReportData:
    """Every row the report shows. The delay threshold is the one the aggregates were built
    with (int_flight_delays_daily records it); `project_dir` (the dbt project) gives the
    defaults of dbt_project.yml: min_sample_flights, and the threshold when none is recorded."""
    reader = _Reader(conn)
    missing = sorted(f"{schema}.{mart}" for mart in set(REPORT_MARTS) - reader.relations(schema))
    if DAILY_AGGREGATE not in reader.relations(intermediate_schema):
        missing.append(f"{intermediate_schema}.{DAILY_AGGREGATE}")
    if missing:
        raise ReportDataError(
            f"the marts are not built yet (missing: {', '.join(missing)})"
        )
    daily = f"{intermediate_schema}.{DAILY_AGGREGATE}"
    hours = f"{intermediate_schema}.{HOUR_AGGREGATE}"
    daily_columns = reader.columns(intermediate_schema, DAILY_AGGREGATE)
    if not {"origin_city", "origin_state", "dest_city", "dest_state"} <= daily_columns:
        raise ReportDataError(
            f"{daily} was built by an older version of the models (its airport columns are "
            "named dep_/arr_): run `airline-elt transform` to rebuild it"
        )
    has_codes = {"origin_airport_code", "dest_airport_code"} <= daily_columns
    has_cause_flights = all(f"flights_with_{cause}" in daily_columns
                            for cause, _ in DELAY_CAUSES)
    hour_columns = reader.columns(intermediate_schema, HOUR_AGGREGATE)
    has_hour_carrier = "carrier" in hour_columns
    day_carriers = _day_carriers(reader, daily, has_cause_flights)
    project_vars = dbt_project_vars(project_dir) if project_dir is not None else {}
    return ReportData(
        carriers=_carriers(reader, day_carriers, schema),
        airports=_airports(reader, daily, has_codes),
        day_carriers=day_carriers,
        route_months=_route_months(reader, daily),
        origin_causes=_origin_causes(reader, daily, has_cause_flights),
        hour_months=_hour_months(reader, hours, has_hour_carrier) if hour_columns else [],
        day_sources=_day_sources(reader, day_carriers, hours if hour_columns else None),
        has_airport_codes=has_codes,
        has_cause_flights=has_cause_flights,
        has_hour_aggregate=bool(hour_columns),
        has_hour_carrier=has_hour_carrier,
        last_run=_last_run(reader, raw_schema),
        unknown_airports=_unknown_airports(reader, schema),
        delay_threshold_minutes=_threshold_in_use(reader, daily)
        or _int_or_none(project_vars.get("delay_threshold_minutes")),
        min_sample_flights=min_sample_flights(project_vars),
    )


def min_sample_flights(project_vars: dict[str, Any]) -> int:
    """The dbt var every chart's small-sample rule uses, else its default."""
    value = _int_or_none(project_vars.get(MIN_SAMPLE_VAR))
    return DEFAULT_MIN_SAMPLE_FLIGHTS if value is None else value


def dbt_project_vars(project_dir: Path) -> dict[str, Any]:
    """The `vars:` of dbt_project.yml (the defaults a build uses unless --vars overrides)."""
    import yaml  # dbt's own dependency

    path = project_dir / "dbt_project.yml"
    try:
        project = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise ReportDataError(f"cannot read {path}: {error.strerror or error}") from error
    found = project.get("vars") or {}
    return dict(found) if isinstance(found, dict) else {}


def _month(column: str) -> str:
    return f"to_char({column}, 'YYYY-MM')"  # PostgreSQL and Redshift alike


def _carriers(reader: _Reader, day_carriers: list[DayCarrier], schema: str) -> list[Carrier]:
    """Every carrier of the daily aggregate, most scheduled flights first, with its name."""
    names = {row["carrier"]: row["carrier_name"] for row in reader.records(
        f"select carrier, carrier_name from {schema}.mv_carrier_delays")}
    flights: dict[str, int] = {}
    for row in day_carriers:
        flights[row.carrier] = flights.get(row.carrier, 0) + row.flights_scheduled
    ranked = sorted(flights, key=lambda code: (-flights[code], code))
    return [Carrier(code=code, name=names.get(code) or code) for code in ranked]


def _airports(reader: _Reader, daily: str, has_codes: bool) -> list[Airport]:
    found: dict[int, Airport] = {}
    for side in ("origin", "dest"):
        iata = f"max({side}_airport_code)" if has_codes else "cast(null as varchar)"
        for row in reader.records(f"""
                select {side}_airport_id as airport_id, max({side}_city) as city,
                       max({side}_state) as state, {iata} as code
                from {daily}
                where {KNOWN_AIRPORTS}
                group by {side}_airport_id"""):
            airport_id = int(row["airport_id"])
            known = found.get(airport_id)
            found[airport_id] = Airport(
                airport_id=airport_id, code=(known and known.code) or row["code"] or None,
                city=(known and known.city) or row["city"] or None,
                state=(known and known.state) or row["state"] or None)
    return [found[key] for key in sorted(found)]


def _sums(*columns: str) -> str:
    """`sum(x) as x, ...`: each column summed under its own name."""
    return ", ".join(f"sum({column}) as {column}" for column in columns)


def _cause_columns(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{cause}" for cause, _ in DELAY_CAUSES)


def _ints(row: Row, columns: Sequence[str]) -> tuple[int, ...]:
    return tuple(_int(row[column]) for column in columns)


CAUSE_MINUTES = _cause_columns("sum_")
CAUSE_FLIGHTS = _cause_columns("flights_with_")
CANCELLED_BY_REASON = tuple(f"flights_cancelled_{code}" for code, _ in CANCELLATION_REASONS)
PAIRED_SUMS = ("paired_flights", "paired_sum_dep_delay", "paired_sum_arr_delay",
               "paired_sum_dep_delay_squared", "paired_sum_arr_delay_squared",
               "paired_sum_dep_arr_delay_product")


def _day_carriers(reader: _Reader, daily: str, has_cause_flights: bool) -> list[DayCarrier]:
    cause_flights = CAUSE_FLIGHTS if has_cause_flights else ()
    rows = reader.records(f"""
        select flight_date, carrier,
               {_sums("flights_scheduled", "flights_operated", "flights_cancelled",
                      "flights_delayed", "flights_on_time", "flights_arrived_late",
                      "flights_diverted", "flights_with_causes", *CAUSE_MINUTES,
                      *cause_flights, *CANCELLED_BY_REASON, *PAIRED_SUMS)}
        from {daily}
        where {KNOWN_AIRPORTS}
        group by flight_date, carrier
        order by flight_date, carrier""")
    return [DayCarrier(
        flight_date=_date(r["flight_date"]), carrier=str(r["carrier"]),
        flights_scheduled=_int(r["flights_scheduled"]),
        flights_operated=_int(r["flights_operated"]),
        flights_cancelled=_int(r["flights_cancelled"]),
        flights_delayed=_int(r["flights_delayed"]), flights_on_time=_int(r["flights_on_time"]),
        flights_arrived_late=_int(r["flights_arrived_late"]),
        flights_diverted=_int(r["flights_diverted"]),
        flights_with_causes=_int(r["flights_with_causes"]),
        cause_minutes=_ints(r, CAUSE_MINUTES),
        cause_flights=_ints(r, cause_flights) if has_cause_flights else None,
        cancelled_by_reason=_ints(r, CANCELLED_BY_REASON),
        paired_flights=_int(r["paired_flights"]),
        paired_sum_dep=_int(r["paired_sum_dep_delay"]),
        paired_sum_arr=_int(r["paired_sum_arr_delay"]),
        paired_sum_dep_squared=_int(r["paired_sum_dep_delay_squared"]),
        paired_sum_arr_squared=_int(r["paired_sum_arr_delay_squared"]),
        paired_sum_product=_int(r["paired_sum_dep_arr_delay_product"]),
    ) for r in rows]


def _route_months(reader: _Reader, daily: str) -> list[RouteMonth]:
    rows = reader.records(f"""
        select {_month("flight_date")} as month, carrier, origin_airport_id, dest_airport_id,
               {_sums("flights_scheduled", "flights_operated", "flights_delayed",
                      "flights_on_time", "flights_delayed_with_arr_delay",
                      "sum_dep_delay_of_delayed", "sum_arr_delay_of_delayed")}
        from {daily}
        where {KNOWN_AIRPORTS}
        group by {_month("flight_date")}, carrier, origin_airport_id, dest_airport_id
        order by month, carrier, origin_airport_id, dest_airport_id""")
    return [RouteMonth(
        month=str(r["month"]), carrier=str(r["carrier"]),
        origin_airport_id=_int(r["origin_airport_id"]),
        dest_airport_id=_int(r["dest_airport_id"]),
        flights_scheduled=_int(r["flights_scheduled"]),
        flights_operated=_int(r["flights_operated"]),
        flights_delayed=_int(r["flights_delayed"]), flights_on_time=_int(r["flights_on_time"]),
        flights_delayed_with_arr_delay=_int(r["flights_delayed_with_arr_delay"]),
        sum_dep_delay_of_delayed=_int(r["sum_dep_delay_of_delayed"]),
        sum_arr_delay_of_delayed=_int(r["sum_arr_delay_of_delayed"]),
    ) for r in rows]


def _origin_causes(reader: _Reader, daily: str,
                   has_cause_flights: bool) -> list[OriginCausesMonth]:
    cause_flights = CAUSE_FLIGHTS if has_cause_flights else ()
    rows = reader.records(f"""
        select {_month("flight_date")} as month, carrier, origin_airport_id,
               {_sums("flights_with_causes", *CAUSE_MINUTES, *cause_flights)}
        from {daily}
        where {KNOWN_AIRPORTS} and flights_with_causes > 0
        group by {_month("flight_date")}, carrier, origin_airport_id
        order by month, carrier, origin_airport_id""")
    return [OriginCausesMonth(
        month=str(r["month"]), carrier=str(r["carrier"]),
        origin_airport_id=_int(r["origin_airport_id"]),
        flights_with_causes=_int(r["flights_with_causes"]),
        cause_minutes=_ints(r, CAUSE_MINUTES),
        cause_flights=_ints(r, cause_flights) if has_cause_flights else None,
    ) for r in rows]


def _hour_months(reader: _Reader, hours: str, has_carrier: bool) -> list[HourMonth]:
    carrier = "carrier" if has_carrier else "cast(null as varchar) as carrier"
    group_carrier = ", carrier" if has_carrier else ""
    rows = reader.records(f"""
        select {_month("flight_date")} as month, {carrier}, scheduled_dep_hour,
               {_sums("flights_scheduled", "flights_operated", "flights_cancelled",
                      "flights_delayed", "flights_on_time")}
        from {hours}
        where {KNOWN_AIRPORTS}
        group by {_month("flight_date")}{group_carrier}, scheduled_dep_hour
        order by 1, 2, 3""")
    return [HourMonth(
        month=str(r["month"]), carrier=None if r["carrier"] is None else str(r["carrier"]),
        scheduled_dep_hour=_int(r["scheduled_dep_hour"]),
        flights_scheduled=_int(r["flights_scheduled"]),
        flights_operated=_int(r["flights_operated"]),
        flights_cancelled=_int(r["flights_cancelled"]),
        flights_delayed=_int(r["flights_delayed"]), flights_on_time=_int(r["flights_on_time"]),
    ) for r in rows]


def _day_sources(reader: _Reader, day_carriers: list[DayCarrier],
                 hours: str | None) -> list[DaySource]:
    """Each day's flights (the daily aggregate's, summed over carriers) and those of them
    in the hour aggregate (which only BTS monthly files fill)."""
    flights: dict[dt.date, int] = {}
    for row in day_carriers:
        flights[row.flight_date] = flights.get(row.flight_date, 0) + row.flights_scheduled
    with_hour = {_date(row["flight_date"]): _int(row["flights_scheduled"])
                 for row in reader.records(f"""
        select flight_date, sum(flights_scheduled) as flights_scheduled from {hours}
        where {KNOWN_AIRPORTS} group by flight_date""")} if hours else {}
    return [DaySource(flight_date=day, flights_scheduled=flights[day],
                      flights_from_bts_files=with_hour.get(day, 0)) for day in sorted(flights)]


def _last_run(reader: _Reader, raw_schema: str) -> LastRun | None:
    table = f'"{raw_schema}".landed_files'
    if "landed_files" not in reader.relations(raw_schema):
        return None
    newest = reader.records(f"""
        select run_id, max(landed_at) as finished_at
        from {table}
        where run_id is not null
        group by run_id
        order by finished_at desc, run_id desc
        limit 1""")
    if not newest:
        return None
    run_id, finished_at = newest[0]["run_id"], newest[0]["finished_at"]
    counts = landed_counts.status_counts(
        reader.rows(landed_counts.by_status(raw_schema), (run_id,)))
    return LastRun(
        run_id=str(run_id),
        finished_at=finished_at,
        files_by_status={str(count.status): count.files for count in counts},
        rows_read=sum(count.rows_read for count in counts),
        rows_landed=sum(count.rows_landed for count in counts),
        rows_rejected=sum(count.rows_rejected for count in counts),
    )


def _threshold_in_use(reader: _Reader, daily: str) -> int | None:
    """The delay threshold every date of the daily aggregate was built with (a build that
    changes it rebuilds every date); None when not recorded or not one value."""
    values = reader.records(f"select distinct delay_threshold_minutes from {daily}")
    return _int_or_none(values[0]["delay_threshold_minutes"]) if len(values) == 1 else None


def _unknown_airports(reader: _Reader, schema: str) -> UnknownAirports:
    (row,) = reader.records(f"select count(*) as airports, coalesce(sum(flights), 0) as flights"
                            f" from {schema}.unknown_airports")
    return UnknownAirports(airports=_int(row["airports"]), flights=_int(row["flights"]))


class _Reader:
    """Runs read-only statements on a DB-API connection and closes each cursor."""

    def __init__(self, conn: DbConnection) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql, params) if params else cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def records(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of `sql` by column name."""
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql, params) if params else cursor.execute(sql)
            names = [str(column[0]) for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def relations(self, schema: str) -> set[str]:
        """Tables, views and materialized views of `schema` (pg_class: both engines)."""
        return {name for (name,) in self.rows(
            "select c.relname from pg_catalog.pg_class as c "
            "join pg_catalog.pg_namespace as n on n.oid = c.relnamespace "
            "where n.nspname = %s", (schema,))}

    def columns(self, schema: str, relation: str) -> set[str]:
        """The column names of `schema.relation` (empty: no such relation)."""
        return {name for (name,) in self.rows(
            "select a.attname from pg_catalog.pg_attribute as a "
            "join pg_catalog.pg_class as c on c.oid = a.attrelid "
            "join pg_catalog.pg_namespace as n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relname = %s and a.attnum > 0 "
            "and not a.attisdropped", (schema, relation))}


def _int(value: Any) -> int:
    return int(value or 0)


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None  # a Jinja expression: the report then leaves the number out


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
