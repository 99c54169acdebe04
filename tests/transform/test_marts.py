"""The marts answer the business questions: every mart, column by column, equals the same
numbers computed in plain Python (tests/transform/mart_reference.py), after a first build,
after an incremental one, after a changed threshold or minimum sample, and with a
carriers list of the warehouse's own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from generated_flights import UNKNOWN_AIRPORT, land_by_day, make_flights
from mart_reference import (
    CANCELLED,
    DEST_CODE,
    DIVERTED,
    MIN_SAMPLE_FLIGHTS,
    ORIGIN_CODE,
    assert_marts_equal,
    bundled_airports,
    bundled_carriers,
    expected_fact,
    expected_marts,
    is_cancelled,
    is_delayed,
    is_diverted,
)

from airline_elt.seeds import install_carriers
from airline_elt.state import project_dir


@pytest.fixture(scope="module")
def built(dbt_project):
    flights = make_flights(600)
    land_by_day(dbt_project, flights)
    dbt_project.run("build")
    return dbt_project, flights


def test_every_mart_column_equals_python(built):
    project, flights = built
    expected = expected_marts(flights, bundled_airports())
    # The data reaches every case: routes on both sides of the minimum, every outcome.
    routes = expected["mv_route_delays"].values()
    assert {row["flights_operated"] >= MIN_SAMPLE_FLIGHTS for row in routes} == {True, False}
    outcomes = expected["mv_on_time_by_carrier"].values()
    for column in ("flights_on_time", "flights_arrived_late", "flights_cancelled",
                   "flights_diverted"):
        assert sum(row[column] for row in outcomes) > 0, column
    assert "ZZ" not in bundled_carriers()
    assert expected["mv_carrier_delays"]["ZZ"]["carrier_name"] == "ZZ"
    # ... and every case of the BTS columns: all reasons, hour 0 (2400 and 5), carriers
    # both with and without cause data among their flights.
    reasons = {reason for _, reason in expected["mv_cancellations_by_carrier"]}
    assert reasons == {"carrier", "weather", "national aviation system", "security", "not given"}
    assert set(expected["mv_delays_by_scheduled_hour"]) >= {0, 8, 17, 23}
    causes = expected["mv_delay_causes_by_carrier"].values()
    assert all(0 < row["flights_with_causes"] < row["flights_scheduled"] for row in causes)
    assert all(row["weather_delay_minutes"] for row in causes)
    assert all(0 < row["flights_with_weather_delay"] <= row["flights_with_causes"]
               for row in causes)
    # ... and of issue 23's columns: an airport no landed row gives a code (NULL), one whose
    # rows give it now and then (found), and groups on both sides of the minimum sample.
    airports = expected["mv_delays_by_origin_airport"]
    assert airports[12892]["origin_airport_code"] is None
    assert airports[14869]["origin_airport_code"] == "SLC"
    for mart in ("mv_route_delays", "mv_delays_by_scheduled_hour"):
        assert {row["meets_min_sample"] for row in expected[mart].values()} == {True, False}, mart
    assert_marts_equal(project.query, expected)


def test_the_files_flags_decide_cancelled_and_diverted(built):
    """Flights whose flags and delays disagree: the flags decide (macros/delay_rules.sql)."""
    project, flights = built
    flagged_cancelled_late = [f for f in flights if f[CANCELLED] and f[4] is not None
                              and f[4] > 60 and f[3] in bundled_airports()]
    flagged_diverted_arrived = [f for f in flights if f[DIVERTED] and f[5] is not None]
    not_flagged_not_arrived = [f for f in flights if f[DIVERTED] is False
                               and f[CANCELLED] is False and f[5] is None]
    assert flagged_cancelled_late and flagged_diverted_arrived and not_flagged_not_arrived
    in_fact = {row[0] for row in project.fact()}
    assert not {f[0] for f in flagged_cancelled_late} & in_fact
    known = [f for f in flights if f[3] in bundled_airports()]
    assert project.query(
        "select sum(flights_cancelled), sum(flights_diverted) from airlines.mv_on_time_by_carrier"
    ) == [(sum(map(is_cancelled, known)), sum(map(is_diverted, known)))]
    # Without the flags the delays would have said otherwise for these flights.
    assert sum(map(is_cancelled, known)) != sum(1 for f in known if f[4] is None)


def test_the_fact_carries_the_cause_minutes(built):
    project, flights = built
    rows = project.query(
        "select flight_id, flight_date, dep_delay, arr_delay, carrier_delay, weather_delay,"
        " nas_delay, security_delay, late_aircraft_delay from airlines.daily_flights_fact"
    )
    assert sorted(rows) == expected_fact(flights, bundled_airports())
    assert any(row[4] is not None for row in rows) and any(row[4] is None for row in rows)


def test_rates_are_percentages_rounded_to_one_decimal(built):
    project, _ = built
    rows = project.query(
        "select flights_delayed, flights_operated, delay_rate_pct, on_time_pct,"
        " avg_dep_delay_minutes from airlines.mv_carrier_delays"
    )
    for delayed, operated, rate_pct, on_time_pct, avg_delay in rows:
        assert rate_pct == round(rate_pct, 1) and on_time_pct == round(on_time_pct, 1)
        assert avg_delay == round(avg_delay, 1)
        assert abs(float(rate_pct) - 100 * delayed / operated) <= 0.05
        assert 0 <= on_time_pct <= 100


def test_codes_reach_the_fact_from_the_landed_files(built):
    project, flights = built
    rows = dict((flight_id, (origin, dest)) for flight_id, origin, dest in project.query(
        "select flight_id, dep_airport_code, arr_airport_code from airlines.daily_flights_fact"
    ))
    in_fact = [f for f in flights if f[3] != UNKNOWN_AIRPORT and is_delayed(f, 60)]
    assert rows == {f[0]: (f[ORIGIN_CODE], f[DEST_CODE]) for f in in_fact}
    # Flights of daily files, and to Los Angeles, have none; the others have theirs.
    assert {code for codes in rows.values() for code in codes} == {
        "ATL", "DEN", "DFW", "ORD", "PHX", "SLC", None}


def test_delay_prone_routes_rank_by_rate_above_the_minimum(built):
    project, _ = built
    rows = project.query(
        "select delay_rank, delay_rate_pct, flights_delayed, flights_operated"
        " from airlines.mv_delay_prone_routes order by delay_rank, flights_delayed desc"
    )
    assert rows and rows[0][0] == 1
    assert all(row[3] >= MIN_SAMPLE_FLIGHTS for row in rows)
    ordering = [(-row[1], -row[2]) for row in rows]
    assert ordering == sorted(ordering)


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


def test_another_minimum_sample_gives_its_routes_and_ranks(built):
    project, flights = built
    project.run("build", "--vars", "{min_sample_flights: 20}")
    expected = expected_marts(flights, bundled_airports(), min_sample_flights=20)
    assert len(expected["mv_delay_prone_routes"]) < len(
        expected_marts(flights, bundled_airports())["mv_delay_prone_routes"])
    assert_marts_equal(project.query, expected)
    project.run("build")
    assert_marts_equal(project.query, expected_marts(flights, bundled_airports()))


# Minimum samples that split the groups of other marts (each counted on its own flights), for
# the flights built so far (the module's 600 and the new day's 150).
SPLITTING_SAMPLES = {
    40: ["mv_delay_causes_by_origin_airport", "mv_delays_by_scheduled_hour"],
    100: ["mv_on_time_by_airport", "mv_delays_by_origin_airport",
          "mv_arrival_delays_by_destination", "mv_daily_delay_trend"],
    140: ["mv_carrier_delays", "mv_on_time_by_carrier", "mv_delay_correlation",
          "mv_cancellations_by_carrier"],
}


@pytest.mark.parametrize("sample", sorted(SPLITTING_SAMPLES))
def test_meets_min_sample_counts_the_flights_each_rate_is_computed_from(built, sample):
    project, flights = built
    expected = expected_marts(flights, bundled_airports(), min_sample_flights=sample)
    for mart in SPLITTING_SAMPLES[sample]:
        assert {row["meets_min_sample"] for row in expected[mart].values()} == {True, False}, mart
    project.run("build", "--vars", f"{{min_sample_flights: {sample}}}")
    # From 100 flights on no route has enough: the delay-prone routes are then none.
    assert_marts_equal(project.query, expected, empty=frozenset({"mv_delay_prone_routes"}))


def test_a_carriers_list_of_its_own_names_the_carriers(built, tmp_path):
    project, flights = built
    own = tmp_path / "L_UNIQUE_CARRIERS.csv"
    own.write_text('"Code","Description"\n"AA","Our American"\n"ZZ","Zed Air"\n',
                   encoding="utf-8")
    install_carriers(own, project.home)
    try:
        project.run("build")  # nothing landed: the carriers alone refresh the marts
        names = {"AA": "Our American", "ZZ": "Zed Air"}
        assert_marts_equal(project.query,
                           expected_marts(flights, bundled_airports(), carriers=names))
        assert dict(project.query(
            "select carrier, carrier_name from airlines.mv_on_time_by_carrier"
        )) == {"AA": "Our American", "DL": "DL", "UA": "UA", "WN": "WN", "ZZ": "Zed Air"}
    finally:
        install_carriers(Path(project_dir()) / "seeds" / "carriers.csv", project.home)
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
    delayed = [f for f in to_unknown if is_delayed(f, 60)]
    assert project.query(
        "select airport_id, flights, flights_delayed, flights_from, flights_to,"
        " first_flight_date, last_flight_date from airlines.unknown_airports"
    ) == [(
        UNKNOWN_AIRPORT, len(to_unknown), len(delayed),
        0, len(to_unknown), min(f[6] for f in to_unknown), max(f[6] for f in to_unknown),
    )]
