"""A warehouse built by the previous main (marts over int_flights_enriched, no build log)
takes this version on its next plain build: every materialized view gets its new SQL
(dbt alone would only refresh it, dbt-core#8862), the marts are exact, the fact is kept."""

from __future__ import annotations

import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

import pytest
from mart_reference import assert_marts_equal, bundled_airports, expected_marts
from test_marts import land_by_day, make_flights

from airline_elt.dbt import dbt_environment, dbt_executable
from airline_elt.state import project_dir

# The last main before the marts read int_flight_delays_daily.
PREVIOUS_MAIN = "090ad254b7f22b7e961bb9c8afbb5a0b3c340f1c"


def previous_main_checkout(into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(project_dir()), "archive", "--format=tar", PREVIOUS_MAIN],
        capture_output=True, check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


@pytest.fixture(scope="module")
def old_warehouse(dbt_project, tmp_path_factory):
    old_project = previous_main_checkout(tmp_path_factory.mktemp("previous-main"))
    old_home = tmp_path_factory.mktemp("previous-main-home")
    flights = make_flights(400, seed=11)
    land_by_day(dbt_project, flights)
    result = subprocess.run(
        [dbt_executable(), "build"], cwd=old_project,
        env=dbt_environment(dbt_project.connection, old_home), capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    return dbt_project, flights


def definitions(project) -> dict[str, str]:
    return dict(project.query(
        "select matviewname, definition from pg_matviews where schemaname = 'airlines'"
    ))


def test_the_previous_main_built_its_marts_over_int_flights_enriched(old_warehouse):
    project, _ = old_warehouse
    assert "int_flights_enriched" in definitions(project)["mv_carrier_delays"]


def test_a_plain_build_upgrades_every_mart_in_place(old_warehouse):
    project, flights = old_warehouse
    fact_before = sorted(project.fact())
    project.run("build")
    for name in ("mv_carrier_delays", "mv_route_delays", "mv_delays_by_origin",
                 "mv_daily_delay_trend", "mv_delay_correlation"):
        assert "int_flight_delays_daily" in definitions(project)[name], name
    assert_marts_equal(project.query, expected_marts(flights, bundled_airports()))
    assert sorted(project.fact()) == fact_before
    # From now on it is incremental as usual: a new day, and the marts follow.
    more = make_flights(100, seed=12)
    land_by_day(project, more)
    project.run("build")
    assert_marts_equal(project.query, expected_marts(flights + more, bundled_airports()))
