"""A fresh warehouse builds: every model and data test passes with nothing landed, and with
only rejected rows landed (a first file whose every row was refused). The first scheduled
run before any file arrives must not fail, locally or on AWS (the same dbt project)."""

from __future__ import annotations

from datetime import date

import pytest

MARTS_WITH_AN_ALL_ROW = ("mv_delay_correlation",)


@pytest.fixture(scope="module")
def project(dbt_project):
    return dbt_project


def marts(project) -> list[str]:
    return [row[0] for row in project.query(
        "select table_name from information_schema.tables where table_schema = 'airlines'"
        " and table_name like 'mv\\_%%' union select matviewname from pg_matviews"
        " where schemaname = 'airlines'")]


def test_an_empty_warehouse_builds_and_every_mart_is_empty(project):
    output = project.run("build")
    assert "ERROR=0" in output and "Completed successfully" in output
    names = marts(project)
    assert len(names) >= 17
    for name in names:
        assert project.query(f"select count(*) from airlines.{name}") == [(0,)], name


def test_a_warehouse_holding_only_rejected_rows_builds(project):
    project.execute(
        """
        insert into raw.landed_files (file_key, content_sha256, file_bytes, rows_read,
            rows_landed, rows_rejected, status, run_id, landed_at)
        values ('daily_flights/date=2023-11-01/flights.csv', repeat('a', 64), 40, 2, 0, 2,
            'landed', 'test', now())
        """
    )
    project.execute(
        """
        insert into raw.flights_rejected (file_version_id, source_key, source_line_number,
            raw_line, reason_code, reason_detail, flight_date, rejected_at)
        select file_version_id, file_key, line, 'AA1,AA,x,y,1,2,2023-11-01',
            'bad_airport_id', 'not a number', date '2023-11-01', now()
        from raw.landed_files cross join (values (2), (3)) as lines (line)
        """
    )
    output = project.run("build")
    assert "ERROR=0" in output
    assert project.query("select count(*) from airlines.daily_flights_fact") == [(0,)]
    assert project.query("select count(*) from airlines.rejected_flights") == [(2,)]
    for name in MARTS_WITH_AN_ALL_ROW:
        assert project.query(f"select count(*) from airlines.{name}") == [(0,)], name


def test_a_flight_from_and_to_the_same_unknown_airport_counts_once(project):
    unknown = 88888
    project.land("daily_flights/date=2023-11-02/flights.csv", [
        ("ZZ1", "ZZ", unknown, unknown, 90, 80, date(2023, 11, 2)),  # a round trip
        ("ZZ2", "ZZ", unknown, 10397, 10, 5, date(2023, 11, 2)),
    ])
    project.run("build")
    assert project.query(
        "select airport_id, flights, flights_delayed, flights_from, flights_to"
        " from airlines.unknown_airports"
    ) == [(unknown, 2, 1, 2, 0)]
