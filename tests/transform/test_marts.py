"""The marts answer the business questions: checked against the same numbers computed in Python."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from datetime import date, timedelta

import pytest

CARRIERS = ["AA", "DL", "UA", "WN"]
AIRPORTS = [10397, 11292, 11298, 12892, 13930, 14107, 14869]
THRESHOLD = 60


def make_flights(count: int, seed: int = 7) -> list[tuple]:
    rng = random.Random(seed)
    flights = []
    for number in range(count):
        origin, dest = rng.sample(AIRPORTS, 2)
        carrier = rng.choice(CARRIERS)
        if rng.random() < 0.05:
            dep = arr = None
        else:
            dep = int(rng.expovariate(1 / 25)) - 10
            arr = dep + rng.randint(-15, 20)
        day = date(2023, 11, 1) + timedelta(days=rng.randrange(5))
        flights.append((f"{carrier}{number}", carrier, origin, dest, dep, arr, day))
    return flights


@pytest.fixture(scope="module")
def built(dbt_project):
    flights = make_flights(600)
    by_day: dict[date, list[tuple]] = defaultdict(list)
    for row in flights:
        by_day[row[6]].append(row)
    for day, rows in sorted(by_day.items()):
        dbt_project.land(f"daily_flights/date={day}/flights.csv", rows)
    dbt_project.run("build")
    return dbt_project, flights


def test_carrier_delays(built):
    project, flights = built
    expected = {}
    for carrier in CARRIERS:
        mine = [f for f in flights if f[1] == carrier]
        operated = [f for f in mine if f[4] is not None]
        delayed = [f for f in operated if f[4] > THRESHOLD]
        expected[carrier] = (
            len(mine), len(operated), len(mine) - len(operated), len(delayed),
            pytest.approx(len(delayed) / len(operated)),
            pytest.approx(statistics.fmean(f[4] for f in delayed)),
        )
    rows = project.query(
        "select carrier, flights_scheduled, flights_operated, flights_cancelled, flights_delayed,"
        " delay_rate, avg_dep_delay_of_delayed_minutes from airlines.mv_carrier_delays"
    )
    assert {row[0]: tuple(row[1:]) for row in rows} == expected


def test_route_delay_rate_is_a_rate_per_route(built):
    project, flights = built
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for f in flights:
        if f[4] is not None:
            counts[(f[2], f[3])][0] += 1
            counts[(f[2], f[3])][1] += f[4] > THRESHOLD
    rows = project.query(
        "select origin_airport_id, dest_airport_id, flights_operated, flights_delayed, delay_rate"
        " from airlines.mv_route_delays"
    )
    assert len(rows) == len(counts)
    for origin, dest, operated, delayed, rate in rows:
        assert [operated, delayed] == counts[(origin, dest)]
        assert rate == pytest.approx(delayed / operated)


def test_delay_correlation_matches_pearson(built):
    project, flights = built
    operated = [f for f in flights if f[4] is not None]
    rows = dict(
        project.query(
            "select carrier, dep_arr_delay_correlation from airlines.mv_delay_correlation"
        )
    )
    assert rows["ALL"] == pytest.approx(
        statistics.correlation([f[4] for f in operated], [f[5] for f in operated]), abs=1e-9
    )
    for carrier in CARRIERS:
        mine = [f for f in operated if f[1] == carrier]
        assert rows[carrier] == pytest.approx(
            statistics.correlation([f[4] for f in mine], [f[5] for f in mine]), abs=1e-9
        )


def test_daily_trend_and_origin_reconcile_with_the_fact(built):
    project, _ = built
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
    assert by_origin == [(sum(fact_by_day.values()), 600)]
