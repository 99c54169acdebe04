"""One run summary, two runners: the state machine's Summarize SQL is airline_elt/run_summary.py's,
and run on the local warehouse after a real local landing it says what the local run reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest
from conftest import load_definition
from helpers import SUMMARY_QUERIES, run_summary

from airline_elt.pipeline import LandingSummary
from airline_elt.warehouse import Connection
from airline_landing.ddl import raw_tables_ddl
from airline_landing.local import land_folder

DATABASE = "airline_elt_run_summary"
HEADER = "FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate"


def test_the_state_machine_runs_exactly_the_summary_sql() -> None:
    branch = load_definition()["States"]["Summarize"]["Branches"][0]["States"]
    queries = branch["PrepareQueries"]["Parameters"]["queries"]
    assert {q["name"]: q["sql"] for q in queries} == SUMMARY_QUERIES
    # The shaping states read the columns in the order the SQL returns them.
    assert list(SUMMARY_QUERIES) == ["files", "totals", "fact_rows_by_date"]


@pytest.fixture
def summary_db(connection: Connection) -> str:
    with psycopg.connect(connection.url(), autocommit=True) as admin:
        admin.execute(f"drop database if exists {DATABASE}")
        admin.execute(f"create database {DATABASE}")
    conninfo = Connection(
        connection.host, connection.port, connection.user, connection.password, DATABASE
    ).url()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in raw_tables_ddl("postgres"):
            conn.execute(statement)
        conn.execute("create schema airlines")
        conn.execute(
            "create table airlines.daily_flights_fact (flight_id varchar(32), flight_date date)"
        )
    return conninfo


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _compare_right_after(spark, landing: Path, conninfo: str, run_id: str):  # type: ignore[no-untyped-def]
    """Land the folder as run `run_id`, then summarise it as Summarize does right after."""
    started = dt.datetime.now(dt.UTC).isoformat()
    report = land_folder(spark, landing, conninfo, run_id)
    finished = dt.datetime.now(dt.UTC).isoformat()
    local = LandingSummary(report)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        summary = run_summary(conn, run_id, started, finished)
    assert summary["totals"] == local.totals
    fields = ("key", "status", "rows_read", "rows_landed", "rows_rejected")
    assert sorted(summary["files"], key=lambda f: f["key"]) == sorted(
        ({k: getattr(f, k) for k in fields} for f in local.files), key=lambda f: f["key"]
    )
    assert sorted(summary["fact_rows_by_date"]) == local.landed_dates
    assert summary["duration_seconds"] > 0
    return report


def test_the_summary_sql_says_what_a_local_run_reported(
    spark, summary_db: str, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    landing = tmp_path / "landing"
    _write(landing / "daily_flights/date=2023-11-15/flights.csv",
           f"{HEADER}\nDL1,DL,10397,12478,90,80,2023-11-15\nDL2,DL,10397,12478,5,1,2023-11-15\n"
           "DL3,DL,not-a-number,12478,5,1,2023-11-16\n")
    _write(landing / "daily_flights/date=2023-11-17/flights.csv",
           f"{HEADER}\nUA1,UA,12478,10397,61,70,2023-11-17\n")
    _write(landing / "daily_flights/broken.csv", "no header here\x00")
    with psycopg.connect(summary_db, autocommit=True) as conn:
        conn.execute(
            "insert into airlines.daily_flights_fact values ('DL1', '2023-11-15'),"
            " ('UA1', '2023-11-17')"
        )
    first = _compare_right_after(spark, landing, summary_db, "run-1")
    # The same files again, one changed: duplicates and a new version, in a second run.
    _write(landing / "daily_flights/date=2023-11-17/flights.csv",
           f"{HEADER}\nUA1,UA,12478,10397,61,70,2023-11-17\nUA2,UA,12478,10397,3,3,2023-11-17\n")
    second = _compare_right_after(spark, landing, summary_db, "run-2")
    # What the runs were: so the comparison above is not of two empty summaries.
    assert LandingSummary(first).totals.files_landed == 2
    assert LandingSummary(first).totals.rows_rejected == 1
    assert LandingSummary(first).totals.files_failed == 1
    assert LandingSummary(second).totals.files_duplicate >= 1
    assert LandingSummary(second).totals.files_landed == 1
