"""The report's data module (airline_elt.report_data) on the sample: every row it gives equals
the mart it comes from, read here with `select *`; the last run's counts equal raw.landed_files
grouped in Python. The cause, hour and cancellation rows (issue 14) are empty, not an error, on
a warehouse of daily files only and on one built before their marts existed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from conftest import DAILY_FILES, REPO, SAMPLE_FILES, Cli

from airline_elt.report_data import (
    CAUSE_MARTS,
    DELAY_CAUSES,
    ReportData,
    ReportDataError,
    dbt_project_vars,
    load_report_data,
)

Db = psycopg.Connection


def _mart(db: psycopg.Connection, name: str) -> list[dict[str, Any]]:
    cursor = db.execute(f"select * from airlines.{name}")
    columns = [column.name for column in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _as_float(value: Any) -> Any:
    """Numeric (Decimal) columns as the floats of the typed rows; anything else as it is."""
    return float(value) if isinstance(value, Decimal | float) else value


def _matches(rows: list[Any], mart: list[dict[str, Any]], key: tuple[str, ...],
             where: Any = lambda row: True) -> None:
    """Each typed row equals the mart row with the same key, field by field; and the
    typed rows are exactly the mart rows `where` keeps."""
    wanted = [row for row in mart if where(row)]
    by_key = {tuple(row[name] for name in key): row for row in wanted}
    assert len(rows) == len(wanted) > 0
    for typed in rows:
        mart_row = by_key[tuple(getattr(typed, name) for name in key)]
        for field in dataclasses.fields(typed):
            expected = mart_row[field.name]
            if field.name == "carrier_name" and expected is None:
                expected = mart_row["carrier"]
            assert getattr(typed, field.name) == _as_float(expected), (field.name, mart_row)


@pytest.fixture(scope="module")
def data(sample_cli: Cli) -> ReportData:
    with psycopg.connect(sample_cli.url(), autocommit=True) as conn:
        return load_report_data(conn, project_dir=REPO)


def test_the_daily_trend_is_the_daily_mart_in_date_order(data: ReportData, sample_db: Db) -> None:
    _matches(data.daily_trend, _mart(sample_db, "mv_daily_delay_trend"), ("flight_date",))
    dates = [row.flight_date for row in data.daily_trend]
    assert dates == sorted(dates)
    daily_files = {dt.date(2023, 11, day) for day in range(1, 22)}  # the sample's 21 days
    assert daily_files <= set(dates)
    assert sum(row.flights_delayed for row in data.daily_trend) > 0


def test_carriers_are_the_carrier_mart_highest_rate_first(data: ReportData, sample_db: Db) -> None:
    _matches(data.carriers, _mart(sample_db, "mv_carrier_delays"), ("carrier",),
             lambda row: row["flights_operated"] > 0)
    rates = [row.delay_rate_pct for row in data.carriers]
    assert rates == sorted(rates, reverse=True)


def test_routes_are_the_delay_prone_routes_in_rank_order(data: ReportData, sample_db: Db) -> None:
    mart = _mart(sample_db, "mv_delay_prone_routes")
    _matches(data.delay_prone_routes, mart, ("origin_airport_id", "dest_airport_id"))
    ranks = [row.delay_rank for row in data.delay_prone_routes]
    assert ranks == sorted(ranks) and ranks[0] == 1
    floor = dbt_project_vars(REPO)["min_route_flights"]
    assert data.min_route_flights == int(floor)
    assert all(row.flights_operated >= data.min_route_flights for row in data.delay_prone_routes)


def test_origin_states_are_the_state_mart(data: ReportData, sample_db: Db) -> None:
    _matches(data.origin_states, _mart(sample_db, "mv_delays_by_origin_state"), ("origin_state",),
             lambda row: row["origin_state"] is not None and row["flights_operated"] > 0)


def test_correlations_are_the_mart_with_its_overall_row(data: ReportData, sample_db: Db) -> None:
    _matches(data.correlations, _mart(sample_db, "mv_delay_correlation"), ("carrier",))
    overall = data.overall_correlation
    assert overall is not None and overall.carrier == "ALL"
    assert overall.dep_arr_delay_correlation is not None
    assert -1 <= overall.dep_arr_delay_correlation <= 1


def test_on_time_is_the_on_time_mart(data: ReportData, sample_db: Db) -> None:
    _matches(data.on_time_by_carrier, _mart(sample_db, "mv_on_time_by_carrier"), ("carrier",),
             lambda row: row["flights_scheduled"] > 0)
    for row in data.on_time_by_carrier:
        parts = (row.flights_on_time + row.flights_arrived_late + row.flights_cancelled
                 + row.flights_diverted)
        assert parts == row.flights_scheduled, row


def test_cause_mix_by_carrier_is_the_cause_mart(data: ReportData, sample_db: Db) -> None:
    _matches(data.causes_by_carrier, _mart(sample_db, "mv_delay_causes_by_carrier"),
             ("carrier",), lambda row: row["flights_with_causes"] > 0)
    _cause_mix_is_whole(data.causes_by_carrier)


def test_cause_mix_by_origin_airport_is_its_mart(data: ReportData, sample_db: Db) -> None:
    _matches(data.causes_by_origin_airport,
             _mart(sample_db, "mv_delay_causes_by_origin_airport"), ("origin_airport_id",),
             lambda row: row["flights_with_causes"] > 0)
    _cause_mix_is_whole(data.causes_by_origin_airport)


def _cause_mix_is_whole(rows: list[Any]) -> None:
    """Most cause minutes first; the five causes add up to the cause minutes and (rounded to
    one decimal each) to 100 %."""
    minutes = [row.cause_minutes for row in rows]
    assert minutes == sorted(minutes, reverse=True) and minutes[0] > 0
    for row in rows:
        assert 0 < row.flights_with_causes <= row.flights_scheduled, row
        assert sum(row.minutes(cause) for cause, _ in DELAY_CAUSES) == row.cause_minutes, row
        shares = [row.pct(cause) for cause, _ in DELAY_CAUSES]
        assert abs(sum(shares) - 100) <= 0.25, row


def test_hours_are_the_scheduled_hour_mart_in_hour_order(data: ReportData,
                                                          sample_db: Db) -> None:
    _matches(data.delays_by_scheduled_hour, _mart(sample_db, "mv_delays_by_scheduled_hour"),
             ("scheduled_dep_hour",), lambda row: row["flights_scheduled"] > 0)
    hours = [row.scheduled_dep_hour for row in data.delays_by_scheduled_hour]
    assert hours == sorted(set(hours)) and hours[0] >= 0 and hours[-1] <= 23


def test_cancellations_are_the_cancellation_mart(data: ReportData, sample_db: Db) -> None:
    _matches(data.cancellations_by_carrier, _mart(sample_db, "mv_cancellations_by_carrier"),
             ("carrier", "cancellation_code"), lambda row: row["flights_cancelled"] > 0)
    codes = {row.cancellation_code for row in data.cancellations_by_carrier}
    assert None in codes  # the daily files' cancellations give no reason
    assert codes & {"A", "B", "C", "D"}  # the BTS file's do
    assert data.missing_marts == ()


def test_a_warehouse_of_daily_files_has_no_cause_or_hour_rows(daily_only_cli: Cli) -> None:
    """Seven-column files only: no cause or hour rows, cancellations without a reason; not an
    error."""
    with psycopg.connect(daily_only_cli.url(), autocommit=True) as conn:
        daily = load_report_data(conn, project_dir=REPO)
        mart = _mart(conn, "mv_cancellations_by_carrier")
        landed = conn.execute("select count(*) from raw.landed_files "
                              "where status = 'landed'").fetchone()
    assert landed == (len(DAILY_FILES),)
    assert daily.missing_marts == ()
    assert daily.causes_by_carrier == daily.causes_by_origin_airport == []
    assert daily.delays_by_scheduled_hour == []
    _matches(daily.cancellations_by_carrier, mart, ("carrier", "cancellation_code"),
             lambda row: row["flights_cancelled"] > 0)
    assert {(row.cancellation_code, row.cancellation_reason)
            for row in daily.cancellations_by_carrier} == {(None, "not given")}


def test_a_warehouse_built_before_the_cause_marts_still_gives_a_report(
        data: ReportData, sample_db: Db, built_before_cause_marts: str) -> None:
    before = load_report_data(sample_db, schema=built_before_cause_marts, project_dir=REPO)
    assert before.missing_marts == CAUSE_MARTS
    assert before.causes_by_carrier == before.causes_by_origin_airport == []
    assert before.delays_by_scheduled_hour == before.cancellations_by_carrier == []
    assert before.carriers == data.carriers and before.daily_trend == data.daily_trend


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
    with pytest.raises(ReportDataError, match=r"not built yet .*mv_daily_delay_trend"):
        load_report_data(sample_db, schema="no_such_schema")


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
    assert len(recording.statements) >= 13
    for mart in CAUSE_MARTS:
        assert any(mart in sql for sql in recording.statements), mart
    redshift = Linter(config=FluffConfig(overrides={"dialect": "redshift"}))

    def problems(sql: str) -> list[str]:
        parsed = redshift.parse_string(re.sub(r"%s", "'x'", sql))
        assert parsed.tree is not None, sql
        return ([segment.raw for segment in parsed.tree.recursive_crawl("unparsable")]
                + [str(violation) for violation in parsed.violations])

    assert problems("select file_key from raw.landed_files")  # the check can fail
    for sql in recording.statements:
        assert problems(sql) == [], sql
