"""A warehouse built by an earlier main takes this version on its next plain build: every
materialized view gets its new SQL (dbt alone would only refresh it, dbt-core#8862), the
marts are exact, the fact is kept. Two earlier mains: one whose marts read
int_flights_enriched (no build log), and the last before issue 13, whose daily aggregate
lacks the on-time columns: its every date is rebuilt so that none is left null. And the
last main before issue 14, whose raw table has none of the optional BTS columns: a plain
build adds them (raw DDL, on_schema_change), refills every date of the per-date models
(their definition versions), keeps every row, and the new marts appear. And the last main
before issue 23, whose BTS rows have no airport codes and whose daily aggregate has no
flights per delay cause: a plain build refills every date with the flights per cause, the
codes stay NULL where no landed file gave one, and a next file's codes reach the marts.

An earlier main's warehouse holds what the daily files gave it: seven columns a flight
(the optional columns are cut off the generated flights)."""

from __future__ import annotations

import subprocess
import tarfile
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from conftest import OPTIONAL_COLUMNS, fresh_project
from generated_flights import land_by_day, make_flights
from mart_reference import (
    MART_KEYS,
    assert_marts_equal,
    bundled_airports,
    expected_fact,
    expected_marts,
)

from airline_elt.dbt import dbt_command, dbt_environment
from airline_elt.state import project_dir

# The last main before the marts read int_flight_delays_daily.
PREVIOUS_MAIN = "090ad254b7f22b7e961bb9c8afbb5a0b3c340f1c"
# The last main before issue 13 (int_flight_delays_daily without the on-time columns).
BEFORE_ON_TIME_MAIN = "34c96c23488ad729064cdb1b4f76c2e443095da9"
# The last main before issue 14 (no delay causes, hours, flags, cancellation codes).
BEFORE_CAUSES_MAIN = "1d3488011925b3994335b8e41a77640efc22820c"
# The last main before issue 23 (no airport codes, no flights per cause, min_route_flights).
BEFORE_CODES_MAIN = "0f8d6989ddddd147ce4f809320e019a15729ad3b"
CODE_COLUMNS = ("origin_airport_code", "dest_airport_code")
FLIGHTS_BY_CAUSE = ("flights_with_carrier_delay", "flights_with_weather_delay",
                    "flights_with_nas_delay", "flights_with_security_delay",
                    "flights_with_late_aircraft_delay")
NEW_AGGREGATE_COLUMNS = ("flights_on_time", "flights_arrived_late", "flights_diverted",
                         "flights_arrived", "sum_arr_delay", "sum_arr_delay_of_late")


def previous_main_checkout(into: Path, commit: str = PREVIOUS_MAIN) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(project_dir()), "archive", "--format=tar", commit],
        capture_output=True, check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def build_with(project, commit: str, tmp_path_factory) -> None:
    """`dbt build` of an earlier main's checkout against the project's database."""
    old_project = previous_main_checkout(tmp_path_factory.mktemp("previous-main"), commit)
    old_home = tmp_path_factory.mktemp("previous-main-home")
    result = subprocess.run(
        [*dbt_command(), "build"], cwd=old_project,
        env=dbt_environment(project.connection, old_home), capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def daily_files_only(flights: list[tuple]) -> list[tuple]:
    return [flight[:7] for flight in flights]


@pytest.fixture(scope="module")
def old_warehouse(dbt_project, tmp_path_factory):
    flights = daily_files_only(make_flights(400, seed=11))
    land_by_day(dbt_project, flights)
    build_with(dbt_project, PREVIOUS_MAIN, tmp_path_factory)
    return dbt_project, flights


@pytest.fixture(scope="module")
def before_on_time_warehouse(connection, tmp_path_factory):
    name = "t_upgrade_before_on_time"
    with fresh_project(connection, name, tmp_path_factory.mktemp(name)) as project:
        flights = daily_files_only(make_flights(400, seed=13))
        land_by_day(project, flights)
        build_with(project, BEFORE_ON_TIME_MAIN, tmp_path_factory)
        yield project, flights


def definitions(project) -> dict[str, str]:
    return dict(project.query(
        "select matviewname, definition from pg_matviews where schemaname = 'airlines'"
    ))


def test_the_previous_main_built_its_marts_over_int_flights_enriched(old_warehouse):
    project, _ = old_warehouse
    assert "int_flights_enriched" in definitions(project)["mv_carrier_delays"]


# The older cases land seven-column flights: no causes, hours or cancellation codes.
CAUSE_MARTS = frozenset({
    "mv_delay_causes_by_carrier", "mv_delay_causes_by_origin_airport",
    "mv_delays_by_scheduled_hour", "mv_cancellations_by_carrier",
})


def test_a_plain_build_upgrades_every_mart_in_place(old_warehouse):
    project, flights = old_warehouse
    fact_before = sorted(project.fact())
    project.run("build")
    for name in MART_KEYS:
        assert "int_flight_delays_" in definitions(project)[name], name  # a daily aggregate
    assert_marts_equal(
        project.query, expected_marts(flights, bundled_airports()), empty=CAUSE_MARTS
    )
    assert sorted(project.fact()) == fact_before
    # From now on it is incremental as usual: a new day, and the marts follow.
    more = make_flights(100, seed=12)
    land_by_day(project, more)
    project.run("build")
    assert_marts_equal(
        project.query, expected_marts(flights + more, bundled_airports()), empty=CAUSE_MARTS
    )


def aggregate_columns(project) -> list[str]:
    return [name for (name,) in project.query(
        "select column_name from information_schema.columns"
        " where table_schema = 'intermediate' and table_name = 'int_flight_delays_daily'"
    )]


def test_the_main_before_on_time_had_no_on_time_columns(before_on_time_warehouse):
    project, _ = before_on_time_warehouse
    assert not set(NEW_AGGREGATE_COLUMNS) & set(aggregate_columns(project))
    assert "delay_rate" in definitions(project)["mv_carrier_delays"]


def test_a_plain_build_fills_the_new_columns_on_every_date(before_on_time_warehouse):
    project, flights = before_on_time_warehouse
    fact_before = sorted(project.fact())
    project.run("build")
    assert set(NEW_AGGREGATE_COLUMNS) <= set(aggregate_columns(project))
    (rows, dates), = project.query(
        "select count(*), count(distinct flight_date) from intermediate.int_flight_delays_daily"
    )
    assert dates == len({f[6] for f in flights}) and rows > dates
    counted = " + ".join(f"count({column})" for column in NEW_AGGREGATE_COLUMNS[:4])
    assert project.query(
        f"select {counted} from intermediate.int_flight_delays_daily"
    ) == [(4 * rows,)]
    # The renamed columns reached every old view (replaced, not only refreshed).
    old_definitions = definitions(project)
    assert "delay_rate_pct" in old_definitions["mv_carrier_delays"]
    assert "origin_state" in old_definitions["mv_delays_by_origin"]
    assert_marts_equal(
        project.query, expected_marts(flights, bundled_airports()), empty=CAUSE_MARTS
    )
    assert sorted(project.fact()) == fact_before
    # The version is recorded: the next build rebuilds nothing.
    built_at = project.query(
        "select max(built_at) from intermediate.flight_date_builds"
        " where model_name = 'int_flight_delays_daily'"
    )
    project.run("build")
    assert project.query(
        "select max(built_at) from intermediate.flight_date_builds"
        " where model_name = 'int_flight_delays_daily'"
    ) == built_at


@pytest.fixture(scope="module")
def before_causes_warehouse(connection, tmp_path_factory):
    """A warehouse of the last main before issue 14: its raw table without the optional
    columns (as that main's DDL made it), built by that main."""
    name = "t_upgrade_before_causes"
    with fresh_project(connection, name, tmp_path_factory.mktemp(name)) as project:
        for column in OPTIONAL_COLUMNS:
            project.execute(f"alter table raw.flights_landing drop column {column}")
        flights = daily_files_only(make_flights(400, seed=17))
        land_by_day(project, flights)
        build_with(project, BEFORE_CAUSES_MAIN, tmp_path_factory)
        yield project, flights


def table_columns(project, schema: str, table: str) -> set[str]:
    return {name for (name,) in project.query(
        "select column_name from information_schema.columns"
        " where table_schema = %s and table_name = %s", (schema, table))}


def test_the_main_before_issue_14_had_no_bts_columns(before_causes_warehouse):
    project, _ = before_causes_warehouse
    assert not set(OPTIONAL_COLUMNS) & table_columns(project, "raw", "flights_landing")
    assert "sum_carrier_delay" not in aggregate_columns(project)
    assert "mv_delays_by_scheduled_hour" not in definitions(project)


def test_a_plain_build_adds_the_bts_columns_and_marts_keeping_every_row(
    before_causes_warehouse,
):
    project, flights = before_causes_warehouse
    fact_before = sorted(project.fact())
    (enriched_before,), = project.query("select count(*) from intermediate.int_flights_enriched")
    project.run("build")
    assert set(OPTIONAL_COLUMNS) <= table_columns(project, "raw", "flights_landing")
    assert set(OPTIONAL_COLUMNS) <= table_columns(project, "intermediate", "int_flights_enriched")
    assert {"flights_with_causes", "sum_carrier_delay", "flights_cancelled_code_a",
            "flights_cancelled_no_code"} <= set(aggregate_columns(project))
    assert {"carrier_delay", "late_aircraft_delay"} <= table_columns(
        project, "airlines", "daily_flights_fact")
    assert project.query("select count(*) from raw.flights_landing") == [(len(flights),)]
    assert project.query(
        "select count(*) from intermediate.int_flights_enriched") == [(enriched_before,)]
    assert sorted(project.fact()) == fact_before
    # Every date was refilled: the new counts are filled on all of them, not left null.
    assert project.query(
        "select count(*) from intermediate.int_flight_delays_daily where flights_with_causes"
        " is null or sum_carrier_delay is null or flights_cancelled_no_code is null"
    ) == [(0,)]
    assert table_columns(project, "intermediate", "int_flight_delays_by_hour_daily")
    for mart in ("mv_delay_causes_by_carrier", "mv_delays_by_scheduled_hour"):
        assert project.query(f"select count(*) from airlines.{mart}") == [(0,)], mart
    # Daily files give every cancellation without a reason.
    assert_cancellations_not_given(project, flights)
    # A BTS month lands next: every mart, the new ones included, is exact over both.
    more = make_flights(300, seed=18, first_day=date(2023, 10, 1), days=10)
    land_by_day(project, more)
    project.run("build")
    assert_marts_equal(
        project.query, expected_marts(flights + more, bundled_airports()), empty=CAUSE_MARTS
    )
    assert sorted(project.query(
        "select flight_id, flight_date, dep_delay, arr_delay, carrier_delay, weather_delay,"
        " nas_delay, security_delay, late_aircraft_delay from airlines.daily_flights_fact"
    )) == expected_fact(flights + more, bundled_airports())
    # The versions are recorded: the next build rebuilds nothing.
    built_at = project.query("select max(built_at) from intermediate.flight_date_builds")
    project.run("build")
    assert project.query("select max(built_at) from intermediate.flight_date_builds") == built_at


def assert_cancellations_not_given(project, flights: list[tuple]) -> None:
    known = [f for f in flights if f[3] in bundled_airports()]
    assert project.query(
        "select cancellation_reason, sum(flights_cancelled)"
        " from airlines.mv_cancellations_by_carrier group by cancellation_reason"
    ) == [("not given", sum(1 for f in known if f[4] is None))]


@pytest.fixture(scope="module")
def before_codes_warehouse(connection, tmp_path_factory):
    """A warehouse of the last main before issue 23: its raw table without the code columns
    (as that main's DDL made it), BTS and daily rows landed, built by that main."""
    name = "t_upgrade_before_codes"
    with fresh_project(connection, name, tmp_path_factory.mktemp(name)) as project:
        for column in CODE_COLUMNS:
            project.execute(f"alter table raw.flights_landing drop column {column}")
        without_codes = len(OPTIONAL_COLUMNS) - len(CODE_COLUMNS)
        flights = [f[: 7 + without_codes] for f in make_flights(400, seed=23)]
        land_by_day(project, flights)
        build_with(project, BEFORE_CODES_MAIN, tmp_path_factory)
        yield project, flights


def test_the_main_before_issue_23_had_no_codes_nor_flights_by_cause(before_codes_warehouse):
    project, flights = before_codes_warehouse
    assert not set(CODE_COLUMNS) & table_columns(project, "raw", "flights_landing")
    assert not set(FLIGHTS_BY_CAUSE) & set(aggregate_columns(project))
    # ... though its rows have the cause minutes the new counts are made of.
    assert any(f[12] for f in flights)


def test_a_plain_build_fills_flights_by_cause_on_every_date_and_codes_from_new_files(
    before_codes_warehouse,
):
    project, flights = before_codes_warehouse
    fact_before = sorted(project.fact())
    project.run("build")
    assert set(CODE_COLUMNS) <= table_columns(project, "raw", "flights_landing")
    assert set(CODE_COLUMNS) <= table_columns(project, "intermediate", "int_flights_enriched")
    assert {"dep_airport_code", "arr_airport_code"} <= table_columns(
        project, "airlines", "daily_flights_fact")
    assert sorted(project.fact()) == fact_before
    # Every date was rebuilt with the new counts (definition_version), none left null.
    nulls = " or ".join(f"{column} is null" for column in FLIGHTS_BY_CAUSE)
    assert project.query(
        f"select count(*) from intermediate.int_flight_delays_daily where {nulls}"
    ) == [(0,)]
    assert project.query(
        "select sum(flights_with_late_aircraft_delay) from intermediate.int_flight_delays_daily"
    )[0][0] > 0
    # No landed row had a code: every mart's code is NULL, the rest exact.
    assert project.query(
        "select count(origin_airport_code) from airlines.mv_delays_by_origin_airport"
    ) == [(0,)]
    assert_marts_equal(project.query, expected_marts(flights, bundled_airports()))
    # A file with codes lands next: its airports get them, the marts stay exact.
    more = make_flights(300, seed=24, first_day=date(2023, 12, 1), days=4)
    land_by_day(project, more)
    project.run("build")
    assert_marts_equal(project.query, expected_marts(flights + more, bundled_airports()))
    assert project.query(
        "select count(origin_airport_code) from airlines.mv_delays_by_origin_airport"
    )[0][0] > 0
