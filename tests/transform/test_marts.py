"""The marts answer the business questions: every mart, column by column, equals the same
numbers computed in plain Python (tests/transform/mart_reference.py), after a first build,
after an incremental one and after a changed threshold."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
from mart_reference import assert_marts_equal, bundled_airports, expected_marts

CARRIERS = ["AA", "DL", "UA", "WN"]
AIRPORTS = [10397, 11292, 11298, 12892, 13930, 14107, 14869]
UNKNOWN_AIRPORT = 19999


def make_flights(count: int, seed: int = 7, first_day: date = date(2023, 11, 1),
                 days: int = 5) -> list[tuple]:
    rng = random.Random(seed)
    flights = []
    for number in range(count):
        origin, dest = rng.sample(AIRPORTS, 2)
        if rng.random() < 0.03:
            dest = UNKNOWN_AIRPORT
        carrier = rng.choice(CARRIERS)
        roll = rng.random()
        if roll < 0.05:
            dep = arr = None
        else:
            dep = int(rng.expovariate(1 / 25)) - 10
            arr = None if roll < 0.07 else dep + rng.randint(-15, 20)  # diverted: no arrival
        day = first_day + timedelta(days=rng.randrange(days))
        flights.append((f"{carrier}{seed}x{number}", carrier, origin, dest, dep, arr, day))
    return flights


def land_by_day(project, flights: list[tuple]) -> None:
    by_day: dict[date, list[tuple]] = defaultdict(list)
    for row in flights:
        by_day[row[6]].append(row)
    for day, rows in sorted(by_day.items()):
        project.land(f"daily_flights/date={day}/flights-{rows[0][0]}.csv", rows)


@pytest.fixture(scope="module")
def built(dbt_project):
    flights = make_flights(600)
    land_by_day(dbt_project, flights)
    dbt_project.run("build")
    return dbt_project, flights


def test_every_mart_column_equals_python(built):
    project, flights = built
    assert_marts_equal(project.query, expected_marts(flights, bundled_airports()))


def test_a_new_day_keeps_every_mart_exact(built):
    project, flights = built
    more = make_flights(150, seed=8, first_day=date(2023, 11, 6), days=1)
    land_by_day(project, more)
    flights.extend(more)
    project.run("build")
    assert_marts_equal(project.query, expected_marts(flights, bundled_airports()))


def test_another_threshold_gives_every_mart_its_numbers(built):
    project, flights = built
    project.run("build", "--vars", "{delay_threshold_minutes: 30}")
    assert_marts_equal(project.query, expected_marts(flights, bundled_airports(), threshold=30))
    project.run("build")
    assert_marts_equal(project.query, expected_marts(flights, bundled_airports()))


def test_marts_reconcile_with_the_fact(built):
    project, flights = built
    fact_by_day = dict(
        project.query(
            "select flight_date, count(*) from airlines.daily_flights_fact group by flight_date"
        )
    )
    trend = dict(
        project.query("select flight_date, flights_delayed from airlines.mv_daily_delay_trend")
    )
    assert trend == fact_by_day
    by_origin = project.query(
        "select sum(flights_delayed), sum(flights_scheduled) from airlines.mv_delays_by_origin"
    )
    known = [f for f in flights if f[3] != UNKNOWN_AIRPORT]
    assert by_origin == [(sum(fact_by_day.values()), len(known))]


def test_unknown_airports_counts_every_flight_to_them(built):
    project, flights = built
    to_unknown = [f for f in flights if f[3] == UNKNOWN_AIRPORT]
    assert project.query(
        "select airport_id, flights, flights_delayed, flights_from, flights_to,"
        " first_flight_date, last_flight_date from airlines.unknown_airports"
    ) == [(
        UNKNOWN_AIRPORT, len(to_unknown),
        len([f for f in to_unknown if f[4] is not None and f[4] > 60]),
        0, len(to_unknown), min(f[6] for f in to_unknown), max(f[6] for f in to_unknown),
    )]
