"""Vars rendered into SQL are checked where they are rendered (macros/checked_vars.sql): a value
that is not a whole number in its bounds, or not a plain schema name, stops dbt before any SQL
runs, with the var's name and what it got. Real dbt against the local warehouse."""

from __future__ import annotations

import pytest

HOSTILE = [
    ("delay_threshold_minutes", '"60; drop table raw.landed_files"', "int_flight_delays_daily",
     "var delay_threshold_minutes must be a whole number from 0 to 1440"),
    ("delay_threshold_minutes", "45.5", "int_flight_delays_daily",
     "var delay_threshold_minutes must be a whole number from 0 to 1440, got 45.5"),
    ("delay_threshold_minutes", "true", "int_flight_delays_daily",
     "var delay_threshold_minutes must be a whole number from 0 to 1440, got true"),
    ("min_sample_flights", "99999999999", "mv_delay_prone_routes",
     "var min_sample_flights must be a whole number from 1 to 1000000, got 99999999999"),
    ("build_log_schema", '"x; drop schema airlines cascade; --"', "int_flight_delays_daily",
     "var build_log_schema must be a lower-case schema name"),
]


@pytest.mark.parametrize(("name", "value", "model", "message"), HOSTILE)
def test_a_hostile_var_stops_dbt_before_any_sql_with_its_reason(
    dbt_project, name: str, value: str, model: str, message: str
) -> None:
    output = dbt_project.run("compile", "--select", model, "--vars", f"{{{name}: {value}}}",
                             expect_success=False)
    assert message in output, output[-3000:]
    assert "drop " not in "".join(
        line for line in output.splitlines() if line.lstrip().startswith(("select", "and"))
    )


def test_a_number_in_its_bounds_is_rendered_as_that_number(dbt_project) -> None:
    output = dbt_project.run("compile", "--select", "mv_delay_prone_routes",
                             "--vars", "{min_sample_flights: 7}")
    assert "coalesce(sum(flights_operated) >= 7, false)" in output


RENAMED = ("var min_route_flights was renamed min_sample_flights (one minimum sample for every"
           " rate and ranking): set min_sample_flights instead")


@pytest.mark.parametrize("model", ["mv_delay_prone_routes", "stg_raw__flights"])
def test_the_old_name_of_the_minimum_sample_stops_dbt_naming_the_new_one(
    dbt_project, model: str
) -> None:
    """Where the var is rendered (a mart) and where it is not (the on-run-start hook): a
    deploy or a habit that still sets min_route_flights is told, not silently ignored."""
    output = dbt_project.run("run", "--select", model, "--vars", "{min_route_flights: 7}",
                             expect_success=False)
    assert RENAMED in output, output[-3000:]
