"""Overlapping deliveries: the same flight (carrier, flight id, route, date) landed from two
different file keys is counted by a warn-severity dbt test whose stored rows name both keys;
the build still succeeds. Without an overlap it does not fire."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from airline_elt import queries

NOV_1, NOV_2 = date(2023, 11, 1), date(2023, 11, 2)
ATL, DEN, SLC = 10397, 11292, 14869
DAILY = "daily_flights/date=2023-11-01/flights.csv"
EXPORT = "daily_flights/exports/november part 1.csv"
TEST = "flights_carried_by_two_files"


def flight(flight_id: str, day: date, dep: int, origin: int = ATL, dest: int = DEN):
    return (flight_id, flight_id[:2], origin, dest, dep, dep - 5, day)


def stored(project) -> list[tuple]:
    return project.query(
        "select first_key, second_key, shared_flights, first_flight_date, last_flight_date,"
        f" example_flight_id from {queries.OVERLAPPING_DELIVERIES} order by 1, 2"
    )


@pytest.fixture(scope="module")
def project(dbt_project):
    dbt_project.land(
        DAILY, [flight("AA1", NOV_1, 90), flight("AA2", NOV_1, 10), flight("DL3", NOV_1, 75)]
    )
    return dbt_project


def test_one_file_alone_does_not_warn(project):
    output = project.run("build")
    assert f"Warning in test {TEST}" not in output
    assert "WARN=0" in output
    assert stored(project) == []


def test_two_files_sharing_flights_warn_and_name_both_keys(project):
    project.land(
        EXPORT,
        [
            flight("AA1", NOV_1, 90),  # the same flight as in the daily file: counted
            flight("DL3", NOV_1, 80),  # the same flight with another delay: still the same flight
            flight("AA2", NOV_1, 10, dest=SLC),  # the same number on another leg: not the same
            flight("AA1", NOV_2, 90),  # the same number on another day: not the same
            (None, "UA", ATL, DEN, 90, 85, NOV_1),  # no flight id: cannot be told apart
        ],
    )
    output = project.run("build")  # a warning, not an error: the build succeeds
    assert f"Warning in test {TEST}" in output
    assert "WARN=1" in output and "ERROR=0" in output
    assert "Got 2 results" in output  # the count is the shared flights
    assert stored(project) == [(DAILY, EXPORT, 2, NOV_1, NOV_1, "AA1")]
    with psycopg.connect(project.connection.url()) as conn:
        line = queries.overlapping_deliveries_line(queries.overlapping_deliveries(conn))
    assert line is not None
    assert line.startswith(
        f"2 flights landed from two different files (overlapping deliveries, both copies "
        f"count in the fact and the marts): {DAILY} and {EXPORT} share 2 flights (2023-11-01)"
    )
    # Both copies are in the fact: the warning is what tells the user.
    assert project.query(
        "select count(*) from airlines.daily_flights_fact where flight_id = 'AA1'"
        " and flight_date = %s",
        (NOV_1,),
    ) == [(2,)]


def test_the_overlap_gone_the_warning_goes(project):
    (version,) = project.query(
        "select file_version_id from raw.landed_files where file_key = %s and status = 'landed'",
        (EXPORT,),
    )[0]
    project.land(EXPORT, [flight("AA1", NOV_2, 90)], replaces=version)
    output = project.run("build")
    assert f"Warning in test {TEST}" not in output
    assert stored(project) == []
