"""What the delay report shows, read from the marts into typed rows (no charts here).

The one place the report's SQL lives. It reads only the marts of the `airlines` schema,
`raw.landed_files` and `airlines.unknown_airports`, with plain SQL that PostgreSQL (the local
warehouse) and Redshift (the AWS stack) both run, through any DB-API connection (psycopg
locally, redshift_connector in the dbt image), so it imports no driver itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol

# The marts the report reads (their contract: models/marts/_marts__models.yml).
REPORT_MARTS = (
    "mv_daily_delay_trend",
    "mv_carrier_delays",
    "mv_delay_prone_routes",
    "mv_delays_by_origin_state",
    "mv_delay_correlation",
    "mv_on_time_by_carrier",
    "unknown_airports",
)
# The marts of the BTS cause, schedule and cancellation columns (issue 14). A warehouse built
# before they existed still gives a report: their charts then say so (ReportData.missing_marts).
CAUSE_MARTS = (
    "mv_delay_causes_by_carrier",
    "mv_delay_causes_by_origin_airport",
    "mv_delays_by_scheduled_hour",
    "mv_cancellations_by_carrier",
)
OVERALL_CARRIER = "ALL"  # mv_delay_correlation's row over every carrier
# The five BTS delay causes, in BTS's order: the column stem of each in the cause marts
# (`<cause>_minutes`, `<cause>_pct`) and its name in the BTS's own words.
DELAY_CAUSES = (
    ("carrier_delay", "Air carrier"),
    ("weather_delay", "Extreme weather"),
    ("nas_delay", "National Aviation System"),
    ("security_delay", "Security"),
    ("late_aircraft_delay", "Late-arriving aircraft"),
)


class ReportDataError(Exception):
    """The warehouse cannot give the report its data (marts missing, ...)."""


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchall(self) -> Sequence[Sequence[Any]]: ...
    def close(self) -> None: ...


class DbConnection(Protocol):
    def cursor(self) -> Any: ...


@dataclass(frozen=True)
class DailyTrend:
    flight_date: dt.date
    flights_scheduled: int
    flights_operated: int
    flights_delayed: int
    delay_rate_pct: float | None
    on_time_pct: float | None


@dataclass(frozen=True)
class CarrierDelays:
    carrier: str
    carrier_name: str
    flights_operated: int
    flights_delayed: int
    delay_rate_pct: float | None
    avg_dep_delay_of_delayed_minutes: float | None


@dataclass(frozen=True)
class RouteDelays:
    delay_rank: int
    origin_airport_id: int
    origin_airport: str | None
    origin_city: str | None
    origin_state: str | None
    dest_airport_id: int
    dest_airport: str | None
    dest_city: str | None
    dest_state: str | None
    flights_operated: int
    flights_delayed: int
    delay_rate_pct: float | None
    avg_dep_delay_of_delayed_minutes: float | None
    avg_arr_delay_of_delayed_minutes: float | None

    @property
    def label(self) -> str:
        """`Chicago, IL -> Denver, CO` (the airport id where the city is unknown)."""
        return f"{_place(self.origin_city, self.origin_state, self.origin_airport_id)} → " \
               f"{_place(self.dest_city, self.dest_state, self.dest_airport_id)}"


@dataclass(frozen=True)
class StateDelays:
    origin_state: str
    flights_operated: int
    flights_delayed: int
    delay_rate_pct: float | None


@dataclass(frozen=True)
class DelayCorrelation:
    carrier: str
    carrier_name: str
    flights_operated: int
    avg_dep_delay_minutes: float | None
    avg_arr_delay_minutes: float | None
    dep_arr_delay_correlation: float | None


@dataclass(frozen=True)
class OnTimeByCarrier:
    carrier: str
    carrier_name: str
    flights_scheduled: int
    flights_on_time: int
    flights_arrived_late: int
    flights_cancelled: int
    flights_diverted: int
    on_time_pct: float | None


@dataclass(frozen=True)
class CauseMix:
    """Delay minutes by BTS cause over the flights with cause data (filled by BTS for flights
    15+ minutes late), and each cause's share (0-100) of all cause minutes."""

    flights_scheduled: int
    flights_with_causes: int
    cause_minutes: int
    carrier_delay_minutes: int
    weather_delay_minutes: int
    nas_delay_minutes: int
    security_delay_minutes: int
    late_aircraft_delay_minutes: int
    carrier_delay_pct: float | None
    weather_delay_pct: float | None
    nas_delay_pct: float | None
    security_delay_pct: float | None
    late_aircraft_delay_pct: float | None

    def minutes(self, cause: str) -> int:
        """The minutes of one cause of DELAY_CAUSES (`carrier_delay`, ...)."""
        return int(getattr(self, f"{cause}_minutes"))

    def pct(self, cause: str) -> float | None:
        """One cause's share of cause_minutes, 0-100, as the mart rounds it."""
        value = getattr(self, f"{cause}_pct")
        return None if value is None else float(value)


@dataclass(frozen=True)
class CarrierDelayCauses(CauseMix):
    carrier: str
    carrier_name: str


@dataclass(frozen=True)
class AirportDelayCauses(CauseMix):
    origin_airport_id: int
    origin_airport: str | None
    origin_city: str | None
    origin_state: str | None

    @property
    def label(self) -> str:
        """`Chicago, IL` (the airport id where the city is unknown)."""
        return _place(self.origin_city, self.origin_state, self.origin_airport_id)


@dataclass(frozen=True)
class HourDelays:
    """The flights of one scheduled departure hour (0-23; a 2400 departure is hour 0)."""

    scheduled_dep_hour: int
    flights_scheduled: int
    flights_cancelled: int
    flights_operated: int
    flights_delayed: int
    delay_rate_pct: float | None
    avg_dep_delay_minutes: float | None
    on_time_pct: float | None


@dataclass(frozen=True)
class CarrierCancellations:
    """One carrier's flights cancelled for one reason (code None: the file gave none)."""

    carrier: str
    carrier_name: str
    cancellation_code: str | None
    cancellation_reason: str
    flights_scheduled: int
    flights_cancelled: int
    cancelled_pct: float | None


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
    daily_trend: list[DailyTrend]
    carriers: list[CarrierDelays]
    delay_prone_routes: list[RouteDelays]
    origin_states: list[StateDelays]
    correlations: list[DelayCorrelation]
    on_time_by_carrier: list[OnTimeByCarrier]
    causes_by_carrier: list[CarrierDelayCauses]
    causes_by_origin_airport: list[AirportDelayCauses]
    delays_by_scheduled_hour: list[HourDelays]
    cancellations_by_carrier: list[CarrierCancellations]
    missing_marts: tuple[str, ...]  # of CAUSE_MARTS: the warehouse was built before them
    last_run: LastRun | None
    unknown_airports: UnknownAirports
    delay_threshold_minutes: int | None
    min_route_flights: int | None

    @property
    def first_date(self) -> dt.date | None:
        return self.daily_trend[0].flight_date if self.daily_trend else None

    @property
    def last_date(self) -> dt.date | None:
        return self.daily_trend[-1].flight_date if self.daily_trend else None

    @property
    def overall_correlation(self) -> DelayCorrelation | None:
        return next((row for row in self.correlations if row.carrier == OVERALL_CARRIER), None)


def load_report_data(conn: DbConnection, schema: str = "airlines", raw_schema: str = "raw",
                     intermediate_schema: str = "intermediate",
                     project_dir: Path | None = None) -> ReportData:
    """Every row the report shows. The delay threshold is the one the marts were built with
    (int_flight_delays_daily records it); `project_dir` (the dbt project) gives the defaults
    of dbt_project.yml: min_route_flights, and the threshold when none is recorded."""
    reader = _Reader(conn)
    present = reader.relations(schema)
    missing = sorted(set(REPORT_MARTS) - present)
    if missing:
        raise ReportDataError(
            f"the marts are not built yet (missing in schema {schema}: {', '.join(missing)})"
        )
    missing_marts = tuple(name for name in CAUSE_MARTS if name not in present)

    def cause_mart_rows(name: str, sql: str) -> list[tuple[Any, ...]]:
        return [] if name in missing_marts else reader.rows(sql)

    project_vars = dbt_project_vars(project_dir) if project_dir is not None else {}
    return ReportData(
        daily_trend=[DailyTrend(flight_date=_date(r[0]), flights_scheduled=_int(r[1]),
                                flights_operated=_int(r[2]), flights_delayed=_int(r[3]),
                                delay_rate_pct=_num(r[4]), on_time_pct=_num(r[5]))
                     for r in reader.rows(f"""
            select flight_date, flights_scheduled, flights_operated, flights_delayed,
                   delay_rate_pct, on_time_pct
            from {schema}.mv_daily_delay_trend
            order by flight_date""")],
        carriers=[CarrierDelays(carrier=r[0], carrier_name=r[1] or r[0],
                                flights_operated=_int(r[2]), flights_delayed=_int(r[3]),
                                delay_rate_pct=_num(r[4]),
                                avg_dep_delay_of_delayed_minutes=_num(r[5]))
                  for r in reader.rows(f"""
            select carrier, carrier_name, flights_operated, flights_delayed, delay_rate_pct,
                   avg_dep_delay_of_delayed_minutes
            from {schema}.mv_carrier_delays
            where flights_operated > 0
            order by delay_rate_pct desc, flights_delayed desc, carrier""")],
        delay_prone_routes=[RouteDelays(
            delay_rank=_int(r[0]), origin_airport_id=_int(r[1]), origin_airport=r[2],
            origin_city=r[3], origin_state=r[4], dest_airport_id=_int(r[5]), dest_airport=r[6],
            dest_city=r[7], dest_state=r[8], flights_operated=_int(r[9]),
            flights_delayed=_int(r[10]), delay_rate_pct=_num(r[11]),
            avg_dep_delay_of_delayed_minutes=_num(r[12]),
            avg_arr_delay_of_delayed_minutes=_num(r[13]))
            for r in reader.rows(f"""
            select delay_rank, origin_airport_id, origin_airport, origin_city, origin_state,
                   dest_airport_id, dest_airport, dest_city, dest_state, flights_operated,
                   flights_delayed, delay_rate_pct, avg_dep_delay_of_delayed_minutes,
                   avg_arr_delay_of_delayed_minutes
            from {schema}.mv_delay_prone_routes
            order by delay_rank, origin_airport_id, dest_airport_id""")],
        origin_states=[StateDelays(origin_state=r[0], flights_operated=_int(r[1]),
                                   flights_delayed=_int(r[2]), delay_rate_pct=_num(r[3]))
                       for r in reader.rows(f"""
            select origin_state, flights_operated, flights_delayed, delay_rate_pct
            from {schema}.mv_delays_by_origin_state
            where origin_state is not null and flights_operated > 0
            order by delay_rate_pct desc, flights_delayed desc, origin_state""")],
        correlations=[DelayCorrelation(carrier=r[0], carrier_name=r[1] or r[0],
                                       flights_operated=_int(r[2]),
                                       avg_dep_delay_minutes=_num(r[3]),
                                       avg_arr_delay_minutes=_num(r[4]),
                                       dep_arr_delay_correlation=_num(r[5]))
                      for r in reader.rows(f"""
            select carrier, carrier_name, flights_operated, avg_dep_delay_minutes,
                   avg_arr_delay_minutes, dep_arr_delay_correlation
            from {schema}.mv_delay_correlation
            order by carrier""")],
        on_time_by_carrier=[OnTimeByCarrier(
            carrier=r[0], carrier_name=r[1] or r[0], flights_scheduled=_int(r[2]),
            flights_on_time=_int(r[3]), flights_arrived_late=_int(r[4]),
            flights_cancelled=_int(r[5]), flights_diverted=_int(r[6]), on_time_pct=_num(r[7]))
            for r in reader.rows(f"""
            select carrier, carrier_name, flights_scheduled, flights_on_time,
                   flights_arrived_late, flights_cancelled, flights_diverted, on_time_pct
            from {schema}.mv_on_time_by_carrier
            where flights_scheduled > 0
            order by on_time_pct desc, flights_scheduled desc, carrier""")],
        causes_by_carrier=[CarrierDelayCauses(carrier=r[0], carrier_name=r[1] or r[0],
                                              **_cause_mix(r[2:]))
                           for r in cause_mart_rows("mv_delay_causes_by_carrier", f"""
            select carrier, carrier_name, {_CAUSE_MIX_COLUMNS}
            from {schema}.mv_delay_causes_by_carrier
            where flights_with_causes > 0
            order by cause_minutes desc, flights_with_causes desc, carrier""")],
        causes_by_origin_airport=[AirportDelayCauses(
            origin_airport_id=_int(r[0]), origin_airport=r[1], origin_city=r[2],
            origin_state=r[3], **_cause_mix(r[4:]))
            for r in cause_mart_rows("mv_delay_causes_by_origin_airport", f"""
            select origin_airport_id, origin_airport, origin_city, origin_state,
                   {_CAUSE_MIX_COLUMNS}
            from {schema}.mv_delay_causes_by_origin_airport
            where flights_with_causes > 0
            order by cause_minutes desc, flights_with_causes desc, origin_airport_id""")],
        delays_by_scheduled_hour=[HourDelays(
            scheduled_dep_hour=_int(r[0]), flights_scheduled=_int(r[1]),
            flights_cancelled=_int(r[2]), flights_operated=_int(r[3]),
            flights_delayed=_int(r[4]), delay_rate_pct=_num(r[5]),
            avg_dep_delay_minutes=_num(r[6]), on_time_pct=_num(r[7]))
            for r in cause_mart_rows("mv_delays_by_scheduled_hour", f"""
            select scheduled_dep_hour, flights_scheduled, flights_cancelled, flights_operated,
                   flights_delayed, delay_rate_pct, avg_dep_delay_minutes, on_time_pct
            from {schema}.mv_delays_by_scheduled_hour
            where flights_scheduled > 0
            order by scheduled_dep_hour""")],
        cancellations_by_carrier=[CarrierCancellations(
            carrier=r[0], carrier_name=r[1] or r[0], cancellation_code=r[2],
            cancellation_reason=r[3], flights_scheduled=_int(r[4]),
            flights_cancelled=_int(r[5]), cancelled_pct=_num(r[6]))
            for r in cause_mart_rows("mv_cancellations_by_carrier", f"""
            select carrier, carrier_name, cancellation_code, cancellation_reason,
                   flights_scheduled, flights_cancelled, cancelled_pct
            from {schema}.mv_cancellations_by_carrier
            where flights_cancelled > 0
            order by carrier, cancellation_reason""")],
        missing_marts=missing_marts,
        last_run=_last_run(reader, raw_schema),
        unknown_airports=_unknown_airports(reader, schema),
        delay_threshold_minutes=_threshold_in_use(reader, intermediate_schema)
        or _int_or_none(project_vars.get("delay_threshold_minutes")),
        min_route_flights=_int_or_none(project_vars.get("min_route_flights")),
    )


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


_CAUSE_MIX_FIELDS = [field.name for field in fields(CauseMix)]
_CAUSE_MIX_COLUMNS = ", ".join(_CAUSE_MIX_FIELDS)


def _cause_mix(values: Sequence[Any]) -> dict[str, Any]:
    """CauseMix's fields from the mart columns of _CAUSE_MIX_COLUMNS, in that order."""
    return {name: _num(value) if name.endswith("_pct") else _int(value)
            for name, value in zip(_CAUSE_MIX_FIELDS, values, strict=True)}


def _last_run(reader: _Reader, raw_schema: str) -> LastRun | None:
    table = f'"{raw_schema}".landed_files'
    if "landed_files" not in reader.relations(raw_schema):
        return None
    newest = reader.rows(f"""
        select run_id, max(landed_at) as finished_at
        from {table}
        where run_id is not null
        group by run_id
        order by finished_at desc, run_id desc
        limit 1""")
    if not newest:
        return None
    run_id, finished_at = newest[0]
    by_status = reader.rows(f"""
        select status, count(*), sum(rows_read), sum(rows_landed), sum(rows_rejected)
        from {table}
        where run_id = %s
        group by status
        order by status""", (run_id,))
    return LastRun(
        run_id=str(run_id),
        finished_at=finished_at,
        files_by_status={str(status): _int(count) for status, count, *_ in by_status},
        rows_read=sum(_int(row[2]) for row in by_status),
        rows_landed=sum(_int(row[3]) for row in by_status),
        rows_rejected=sum(_int(row[4]) for row in by_status),
    )


def _threshold_in_use(reader: _Reader, intermediate_schema: str) -> int | None:
    """The delay threshold every date of the daily aggregate was built with (a build that
    changes it rebuilds every date); None when not recorded or not one value."""
    if "int_flight_delays_daily" not in reader.relations(intermediate_schema):
        return None
    values = reader.rows(f"select distinct delay_threshold_minutes "
                         f"from {intermediate_schema}.int_flight_delays_daily")
    return _int_or_none(values[0][0]) if len(values) == 1 else None


def _unknown_airports(reader: _Reader, schema: str) -> UnknownAirports:
    airports, flights = reader.rows(
        f"select count(*), coalesce(sum(flights), 0) from {schema}.unknown_airports"
    )[0]
    return UnknownAirports(airports=_int(airports), flights=_int(flights))


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

    def relations(self, schema: str) -> set[str]:
        """Tables, views and materialized views of `schema` (pg_class: both engines)."""
        return {name for (name,) in self.rows(
            "select c.relname from pg_catalog.pg_class as c "
            "join pg_catalog.pg_namespace as n on n.oid = c.relnamespace "
            "where n.nspname = %s", (schema,))}


def _place(city: str | None, state: str | None, airport_id: int) -> str:
    if city and state:
        return f"{city}, {state}"
    return city or f"airport {airport_id}"


def _int(value: Any) -> int:
    return int(value or 0)


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None  # a Jinja expression: the report then leaves the number out


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
