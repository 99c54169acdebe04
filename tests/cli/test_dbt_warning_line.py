"""The run's one line of what dbt warned about (airline_elt/dbt_results.py), from a build's
run_results.json and manifest.json: a model's descriptive columns are one warn-severity
`not_null_columns` test, and the line still counts the nulls per column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airline_elt.dbt_results import warned_tests, warning_line

DESCRIPTIONS = "test.airline_elt.not_null_descriptions_airports_dim.abc"
ONE_COLUMN = "test.airline_elt.not_null_daily_flights_fact_dep_state.def"
COMPILED = "select null_column, null_rows from failing"


@pytest.fixture
def target(tmp_path: Path) -> Path:
    results = [
        {"unique_id": DESCRIPTIONS, "status": "warn", "failures": 8, "compiled_code": COMPILED},
        {"unique_id": ONE_COLUMN, "status": "warn", "failures": 3, "compiled_code": "select 1"},
        {"unique_id": "test.airline_elt.passing.ghi", "status": "pass", "failures": 0},
    ]
    nodes = {
        DESCRIPTIONS: {"attached_node": "seed.airline_elt.airports_dim",
                       "test_metadata": {"name": "not_null_columns"}},
        ONE_COLUMN: {"attached_node": "model.airline_elt.daily_flights_fact",
                     "column_name": "dep_state", "test_metadata": {"name": "not_null"}},
    }
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    return tmp_path


def test_a_columns_test_is_counted_per_column_by_its_own_query(target: Path) -> None:
    asked: list[str] = []

    def query(sql: str) -> list[tuple]:
        asked.append(sql)
        return [("city", 2), ("state", 5), ("name", 1)]

    warned = warned_tests(target, query)
    assert asked == [COMPILED]  # only the columns test's SQL is run again
    line = warning_line(warned, Path("dbt.log"))
    assert line is not None
    assert line.startswith("dbt warned on 2 data tests, rows per column or test")
    assert "airports_dim: city 2, name 1, state 5; daily_flights_fact: dep_state 3." in line


def test_without_its_rows_a_columns_test_counts_as_one(target: Path) -> None:
    def failing(sql: str) -> list[tuple]:
        raise RuntimeError("the warehouse is gone")

    for query in (None, failing):
        line = warning_line(warned_tests(target, query), Path("dbt.log"))
        assert line is not None
        assert "airports_dim: not_null_descriptions_airports_dim 8;" in line
