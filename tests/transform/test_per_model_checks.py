"""A model's checks in one dbt node each, not one node per column (every node costs dbt's
own overhead, whatever its SQL): the columns that must not be null in one
`not_null_columns` test, and its rules (SQL conditions every row meets) in one
`expressions_are_true` test. Each lists what the model has, and fails naming the column or
the rule broken, within the dates the run rebuilt (all dates when asked)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from airline_elt.state import project_dir

NOV_1, NOV_2, NOV_3 = date(2023, 11, 1), date(2023, 11, 2), date(2023, 11, 3)
ATL, DEN = 10397, 11292
ALL_DATES = ("--vars", "{test_all_dates: true}")
TEST_NAME = "not_null_int_flight_delays_daily"
RULES_TEST = "int_flight_delays_daily_rules_hold"


def model_files() -> list[Path]:
    return sorted(project_dir().glob("models/*/_*__models.yml"))


def models() -> list[dict]:
    return [model for path in model_files()
            for model in (yaml.safe_load(path.read_text("utf-8")).get("models") or [])]


def test_each_model_lists_its_own_columns_in_one_not_null_test() -> None:
    listed = 0
    for model in models():
        columns = [column["name"] for column in model.get("columns") or []]
        tests = [test["not_null_columns"] for test in model.get("data_tests") or []
                 if isinstance(test, dict) and "not_null_columns" in test]
        # One test of the columns that fail the build, one of those that warn (descriptive
        # columns: an airport's name, city, state): each severity one node.
        names_of_tests = sorted(test["name"] for test in tests)
        assert set(names_of_tests) <= {f"not_null_{model['name']}",
                                       f"not_null_descriptions_{model['name']}"}, names_of_tests
        assert len(set(names_of_tests)) == len(names_of_tests), names_of_tests
        for test in tests:
            names = test["arguments"]["columns"]
            assert names, model["name"]
            assert len(set(names)) == len(names), f"{model['name']} lists a column twice"
            assert set(names) <= set(columns), (
                f"{model['name']}: not_null_columns names columns the model does not have: "
                f"{sorted(set(names) - set(columns))}")
            severity = (test.get("config") or {}).get("severity", "error")
            assert (severity == "warn") == test["name"].startswith("not_null_descriptions_")
            listed += len(names)
        # A not-null column, failing or warning, is in its model's test, not a node of its own.
        for column in model.get("columns") or []:
            assert not [test for test in column.get("data_tests") or []
                        if test == "not_null" or (isinstance(test, dict) and "not_null" in test)
                        ], f"{model['name']}.{column['name']}: list it in not_null_columns"
    assert listed >= 180  # the project's not-null checks are here, not lost


def test_each_model_holds_its_rules_in_one_expressions_test() -> None:
    rules = 0
    for model in models():
        tests = [test["expressions_are_true"] for test in model.get("data_tests") or []
                 if isinstance(test, dict) and "expressions_are_true" in test]
        assert len(tests) <= 1, f"{model['name']}: one expressions_are_true test per model"
        for test in tests:
            assert test["name"] == f"{model['name']}_rules_hold"
            expressions = test["arguments"]["expressions"]
            assert expressions, model["name"]
            assert all(isinstance(text, str) and text.strip() for text in expressions.values())
            rules += len(expressions)
        # A rule that fails the build is in the model's one test; a warn-severity rule stays
        # on its own (the run's warning line names it).
        column_tests = [test for column in model.get("columns") or []
                        for test in column.get("data_tests") or []]
        for test in [*(model.get("data_tests") or []), *column_tests]:
            if isinstance(test, dict) and "expression_is_true" in test:
                severity = (test["expression_is_true"].get("config") or {}).get("severity")
                assert severity == "warn", f"{model['name']}: put the rule in {model['name']}" \
                    "_rules_hold"
    assert rules >= 115  # the project's rules are here, not lost


def stored_failures(project, test_name: str, columns: str) -> list[tuple]:
    """`columns` of the rows `dbt test --store-failures` kept for `test_name` (its one
    table), in their order."""
    stored = project.query(
        "select table_schema from information_schema.tables where table_name = %s",
        (test_name,))
    assert len(stored) == 1, stored
    return project.query(f'select {columns} from "{stored[0][0]}"."{test_name}" order by 1')


def flight(flight_id: str, day: date, dep: int) -> tuple:
    return (flight_id, flight_id[:2], ATL, DEN, dep, dep - 5, day)


@pytest.fixture(scope="module")
def project(dbt_project):
    dbt_project.land("daily_flights/date=2023-11-01/flights.csv",
                     [flight("AA101", NOV_1, 90), flight("AA102", NOV_1, 10)])
    dbt_project.run("build")
    return dbt_project


def test_a_null_fails_the_test_naming_its_column_within_the_tested_dates(project) -> None:
    project.land("daily_flights/date=2023-11-02/flights.csv", [flight("DL201", NOV_2, 61)])
    project.run("build")  # rebuilds Nov 2 only
    project.run("test", "--select", TEST_NAME, *ALL_DATES)  # passes on good data
    # Nulls planted on Nov 1, a date the last build did not rebuild: the run's tests,
    # scoped to Nov 2, do not look at it; the whole table's do.
    project.execute("update intermediate.int_flight_delays_daily set flights_on_time = null,"
                    " carrier = null where flight_date = %s", (NOV_1,))
    assert "ERROR=0" in project.run("test", "--select", TEST_NAME)

    output = project.run("test", "--select", TEST_NAME, "--store-failures", *ALL_DATES,
                         expect_success=False)
    assert f"Failure in test {TEST_NAME}" in output
    assert "Got 2 results" in output  # the null values, over the columns
    assert stored_failures(project, TEST_NAME, "null_column, null_rows") == [
        ("carrier", 1), ("flights_on_time", 1)]

    # A null on a date the run rebuilds fails the run's own build.
    project.execute("update intermediate.int_flight_delays_daily set flights_on_time = null"
                    " where flight_date = %s", (NOV_2,))
    output = project.run("test", "--select", TEST_NAME, expect_success=False)
    assert f"Failure in test {TEST_NAME}" in output and "Got 1 result" in output
    project.run("build", "--full-refresh", "--select", "int_flight_delays_daily")
    project.run("test", "--select", TEST_NAME, *ALL_DATES)


def test_a_broken_rule_fails_the_test_naming_it_within_the_tested_dates(project) -> None:
    project.land("daily_flights/date=2023-11-03/flights.csv", [flight("UA301", NOV_3, 75)])
    project.run("build")  # rebuilds Nov 3 only
    project.run("test", "--select", RULES_TEST, *ALL_DATES)  # passes on good data
    # Two rules broken on Nov 1's one row, a date the last build (Nov 3) did not rebuild:
    # the run's scoped test does not look at it.
    project.execute("update intermediate.int_flight_delays_daily set flights_delayed ="
                    " flights_operated + 1, flights_with_causes = flights_scheduled + 1"
                    " where flight_date = %s", (NOV_1,))
    assert "ERROR=0" in project.run("test", "--select", RULES_TEST)
    output = project.run("test", "--select", RULES_TEST, "--store-failures", *ALL_DATES,
                         expect_success=False)
    assert f"Failure in test {RULES_TEST}" in output
    assert "Got 2 results" in output  # the rows breaking a rule, over the rules
    assert stored_failures(project, RULES_TEST, "failed_rule, failing_rows") == [
        ("flights_delayed", 1), ("flights_with_causes", 1)]
    # A rule whose expression is unknown on a row (a null) does not fail it, as with
    # expression_is_true.
    project.execute("update intermediate.int_flight_delays_daily set flights_delayed = null,"
                    " flights_with_causes = null where flight_date = %s", (NOV_1,))
    project.run("test", "--select", RULES_TEST, *ALL_DATES)
    project.run("build", "--full-refresh", "--select", "int_flight_delays_daily")
    project.run("test", "--select", RULES_TEST, *ALL_DATES)
