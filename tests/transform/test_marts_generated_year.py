"""A generated year, landed as 365 daily files: every mart, column by column, equals the same
numbers computed in plain Python, over every month and every day of the week (the sample
covers three weeks of one month)."""

from __future__ import annotations

from datetime import date

import pytest
from generated_flights import land_by_day, make_flights
from mart_reference import assert_marts_equal, bundled_airports, expected_marts

FLIGHTS_A_YEAR = 20_000


@pytest.fixture(scope="module")
def year(dbt_project):
    flights = make_flights(FLIGHTS_A_YEAR, seed=2023, first_day=date(2023, 1, 1), days=365)
    land_by_day(dbt_project, flights)
    dbt_project.run("build")
    return dbt_project, flights


def test_the_data_covers_a_whole_year(year):
    _, flights = year
    days = {f[6] for f in flights}
    assert len(days) == 365
    assert {d.month for d in days} == set(range(1, 13))


def test_every_mart_column_equals_python_on_a_year(year):
    project, flights = year
    expected = expected_marts(flights, bundled_airports())
    assert len(expected["mv_delays_by_month"]) == 12
    assert len(expected["mv_delays_by_weekday"]) == 7
    assert len(expected["mv_daily_delay_trend"]) == 365
    assert set(expected["mv_delays_by_scheduled_hour"]) == {0, *range(5, 24)}
    assert len(expected["mv_cancellations_by_carrier"]) == 5 * 5  # every carrier, every reason
    assert_marts_equal(project.query, expected)
