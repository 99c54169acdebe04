"""The report's data module (airline_elt.report_data) on the sample: the aggregate rows it reads
sum to the marts (the trend, the carriers, the routes, the hours), airports carry their labels,
the last run's counts equal raw.landed_files grouped in Python; the cause and hour rows are empty,
not an error, on a warehouse of daily files only; every statement parses as Redshift SQL."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from typing import Any

import psycopg
import pytest
from conftest import DAILY_FILES, REPO, SAMPLE_FILES, Cli

from airline_elt.report_data import (
    DAILY_AGGREGATE,
    DELAY_CAUSES,
    KNOWN_AIRPORTS,
    Airport,
    ReportData,
    ReportDataError,
    load_report_data,
    min_sample_flights,
)

Db = psycopg.Connection


def _mart(db: psycopg.Connection, name: str) -> list[dict[str, Any]]:
    cursor = db.execute(f"select * from airlines.{name}")
    columns = [column.name for column in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def data(sample_cli: Cli) -> ReportData:
    with psycopg.connect(sample_cli.url(), autocommit=True) as conn:
        return load_report_data(conn, project_dir=REPO)


def test_the_days_sum_to_the_daily_trend_mart(data: ReportData, sample_db: Db) -> None:
    by_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in data.day_carriers:
        sums = by_day[row.flight_date]
        sums[0] += row.flights_scheduled
        sums[1] += row.flights_operated
        sums[2] += row.flights_delayed
    mart = {row["flight_date"]: [row["flights_scheduled"], row["flights_operated"],
                                 row["flights_delayed"]]
            for row in _mart(sample_db, "mv_daily_delay_trend")}
    assert dict(by_day) == mart
    assert {dt.date(2023, 11, day) for day in range(1, 22)} <= set(mart)  # the daily files


def test_the_carriers_sum_to_the_carrier_mart_most_flights_first(data: ReportData,
                                                                  sample_db: Db) -> None:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in data.day_carriers:
        sums[row.carrier][0] += row.flights_operated
        sums[row.carrier][1] += row.flights_delayed
        sums[row.carrier][2] += row.flights_scheduled
    mart = {row["carrier"]: row for row in _mart(sample_db, "mv_carrier_delays")}
    for carrier, (operated, delayed, _) in sums.items():
        assert (operated, delayed) == (mart[carrier]["flights_operated"],
                                       mart[carrier]["flights_delayed"]), carrier
    order = [carrier.code for carrier in data.carriers]
    assert order == sorted(sums, key=lambda code: (-sums[code][2], code))
    assert {carrier.code: carrier.name for carrier in data.carriers}["DL"] == \
        mart["DL"]["carrier_name"]


def test_the_routes_sum_to_the_delay_prone_route_mart(data: ReportData, sample_db: Db) -> None:
    sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in data.route_months:
        sums[(row.origin_airport_id, row.dest_airport_id)][0] += row.flights_operated
        sums[(row.origin_airport_id, row.dest_airport_id)][1] += row.flights_delayed
    mart = _mart(sample_db, "mv_delay_prone_routes")
    assert mart
    for route in mart:
        key = (route["origin_airport_id"], route["dest_airport_id"])
        assert sums[key] == [route["flights_operated"], route["flights_delayed"]], key
    assert {row.month for row in data.route_months} == {"2023-10", "2023-11"}


def test_the_flights_per_cause_sum_to_the_cause_mart(data: ReportData, sample_db: Db) -> None:
    assert data.has_cause_flights and data.has_airport_codes
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * len(DELAY_CAUSES))
    for row in data.day_carriers:
        assert row.cause_flights is not None
        sums[row.carrier] = [a + b for a, b in zip(sums[row.carrier], row.cause_flights,
                                                   strict=True)]
    mart = _mart(sample_db, "mv_delay_causes_by_carrier")
    assert any(row["flights_with_causes"] for row in mart)
    for row in mart:
        assert sums[row["carrier"]] == [row[f"flights_with_{cause}"]
                                        for cause, _ in DELAY_CAUSES], row["carrier"]


def test_the_hours_sum_to_the_hour_mart(data: ReportData, sample_db: Db) -> None:
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in data.hour_months:
        sums[row.scheduled_dep_hour][0] += row.flights_operated
        sums[row.scheduled_dep_hour][1] += row.flights_delayed
    mart = {row["scheduled_dep_hour"]: [row["flights_operated"], row["flights_delayed"]]
            for row in _mart(sample_db, "mv_delays_by_scheduled_hour")
            if row["flights_scheduled"] > 0}
    assert dict(sums) == mart


def test_the_sources_say_which_days_came_from_the_bts_file(data: ReportData) -> None:
    bts_days = {row.flight_date for row in data.day_sources if row.flights_from_bts_files}
    daily_days = {row.flight_date for row in data.day_sources
                  if row.flights_scheduled > row.flights_from_bts_files}
    assert bts_days == {dt.date(2023, 10, day) for day in range(1, 32)}
    assert daily_days == {dt.date(2023, 11, day) for day in range(1, 22)}


def test_airports_are_labelled_by_code_or_id_and_place(data: ReportData) -> None:
    assert Airport(13930, "ORD", "Chicago", "IL").label == "ORD · Chicago, IL"
    assert Airport(13930, None, "Chicago", "IL").label == "airport 13930 · Chicago, IL"
    assert Airport(99999, None, None, None).label == "airport 99999"
    chicago = next(airport for airport in data.airports if airport.airport_id == 13930)
    assert chicago.label == "ORD · Chicago, IL"  # the BTS file's Origin/Dest code


def test_one_small_sample_var(data: ReportData) -> None:
    assert min_sample_flights({"min_sample_flights": 5}) == 5
    assert min_sample_flights({"min_sample_flights": "{{ env_var('X') }}"}) == 10
    assert min_sample_flights({}) == 10
    assert data.min_sample_flights == 10  # dbt_project.yml's default


def test_the_report_filters_airports_as_the_marts_macro_does() -> None:
    """The report's SQL cannot call a dbt macro: its filter is the macro's known branch."""
    macro = (REPO / "macros" / "delay_rules.sql").read_text(encoding="utf-8")
    known = re.search(r"macro has_known_airports\(known=true\).*?\{%- if known -%\}(.*?)\{%- else",
                      macro, re.S)
    assert known is not None
    assert " ".join(known.group(1).split()) == KNOWN_AIRPORTS


def test_a_warehouse_of_daily_files_has_no_cause_or_hour_rows(daily_only_cli: Cli) -> None:
    """Seven-column files only: no cause or hour rows, cancellations without a reason; not an
    error."""
    with psycopg.connect(daily_only_cli.url(), autocommit=True) as conn:
        daily = load_report_data(conn, project_dir=REPO)
        landed = conn.execute("select count(*) from raw.landed_files "
                              "where status = 'landed'").fetchone()
    assert landed == (len(DAILY_FILES),)
    assert daily.origin_causes == [] and daily.hour_months == []
    assert all(row.flights_with_causes == 0 for row in daily.day_carriers)
    assert all(row.flights_from_bts_files == 0 for row in daily.day_sources)
    cancelled = sum(row.flights_cancelled for row in daily.day_carriers)
    assert cancelled > 0
    assert sum(row.cancelled_by_reason[-1] for row in daily.day_carriers) == cancelled


def test_last_run_counts_are_the_newest_run_of_raw(data: ReportData, sample_db: Db) -> None:
    rows = sample_db.execute(
        "select run_id, landed_at, status, rows_read, rows_landed, rows_rejected "
        "from raw.landed_files"
    ).fetchall()
    newest = max((landed_at, run_id) for run_id, landed_at, *_ in rows if run_id)[1]
    mine = [row for row in rows if row[0] == newest]
    assert data.last_run is not None and data.last_run.run_id == newest
    assert data.last_run.files_by_status == dict(Counter(row[2] for row in mine))
    assert data.last_run.rows_read == sum(row[3] for row in mine)
    assert data.last_run.rows_landed == sum(row[4] for row in mine)
    assert data.last_run.rows_rejected == sum(row[5] for row in mine)
    assert data.last_run.files_by_status.get("landed") == len(SAMPLE_FILES)


def test_unknown_airports_count_the_unknown_airports_mart(data: ReportData, sample_db: Db) -> None:
    rows = _mart(sample_db, "unknown_airports")
    assert data.unknown_airports.airports == len(rows)
    assert data.unknown_airports.flights == sum(row["flights"] for row in rows)


def test_the_threshold_is_the_one_the_marts_were_built_with(data: ReportData,
                                                            sample_db: Db) -> None:
    built = sample_db.execute("select distinct delay_threshold_minutes "
                              "from intermediate.int_flight_delays_daily").fetchall()
    assert built == [(60,)]  # the default of dbt_project.yml
    assert data.delay_threshold_minutes == 60


def test_a_schema_without_the_marts_is_a_clear_error(sample_db: psycopg.Connection) -> None:
    with pytest.raises(ReportDataError, match=r"not built yet .*mv_carrier_delays"):
        load_report_data(sample_db, schema="no_such_schema")
    with pytest.raises(ReportDataError, match=rf"not built yet .*nowhere\.{DAILY_AGGREGATE}"):
        load_report_data(sample_db, intermediate_schema="nowhere")


def test_an_aggregate_built_by_older_models_is_a_clear_error(sample_db: psycopg.Connection) -> None:
    """Upgraded code before its first `transform`: the aggregate still has dep_/arr_ columns."""
    sample_db.execute("create schema old_models")
    try:
        sample_db.execute(f"create table old_models.{DAILY_AGGREGATE} "
                          "(flight_date date, dep_city varchar(64), arr_city varchar(64))")
        with pytest.raises(ReportDataError, match=r"older version .*airline-elt transform"):
            load_report_data(sample_db, intermediate_schema="old_models")
    finally:
        sample_db.execute("drop schema old_models cascade")


class _Recording:
    """A DB-API connection that keeps every statement run through it (a test's wrapper)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.statements: list[str] = []

    def cursor(self) -> Any:
        recording = self

        class Cursor:
            def __init__(self) -> None:
                self.inner = recording.conn.cursor()

            def execute(self, sql: str, params: Any = None) -> None:
                recording.statements.append(sql)
                self.inner.execute(sql, params)

            @property
            def description(self) -> Any:
                return self.inner.description

            def fetchall(self) -> list[Any]:
                return self.inner.fetchall()

            def close(self) -> None:
                self.inner.close()

        return Cursor()


def test_every_statement_the_report_runs_parses_as_redshift_sql(sample_db: Db) -> None:
    """The dbt image runs the same statements on Redshift: sqlfluff's Redshift dialect parses
    each (and would refuse an unquoted raw. schema, a Redshift reserved word)."""
    from sqlfluff.core import FluffConfig, Linter

    recording = _Recording(sample_db)
    load_report_data(recording, project_dir=REPO)
    assert len(recording.statements) >= 10
    for table in ("int_flight_delays_daily", "int_flight_delays_by_hour_daily"):
        assert any(table in sql for sql in recording.statements), table
    redshift = Linter(config=FluffConfig(overrides={"dialect": "redshift"}))

    def problems(sql: str) -> list[str]:
        parsed = redshift.parse_string(re.sub(r"%s", "'x'", sql))
        assert parsed.tree is not None, sql
        return ([segment.raw for segment in parsed.tree.recursive_crawl("unparsable")]
                + [str(violation) for violation in parsed.violations])

    assert problems("select file_key from raw.landed_files")  # the check can fail
    for sql in recording.statements:
        assert problems(sql) == [], sql
