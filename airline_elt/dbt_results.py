"""What a dbt build warned about, from its run_results.json and manifest.json, in one line.

Data tests on descriptive columns (an airport's city, state or name) warn
instead of failing the build: real airport lists have gaps. A run that warned
says, per model, which columns or tests did, with their counts, and where to look.
A model's descriptive columns are one `not_null_columns` test (one dbt node): its
count per column comes from the test's own query, run again (`Query`), which
returns a row per column that has nulls.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airline_elt.wording import plural


@dataclass(frozen=True)
class WarnedTest:
    name: str  # the test's own name, for `dbt test --select`
    model: str  # the model or seed it tests ("" when dbt does not say)
    subject: str  # the column it tests, or the test's name
    failures: int


# Runs a query against the warehouse and returns its rows.
Query = Callable[[str], list[tuple[Any, ...]]]


def warned_tests(target_dir: Path, query: Query | None = None) -> list[WarnedTest]:
    """The data tests of the last dbt invocation in `target_dir` that ended in `warn`; a
    `not_null_columns` test is one WarnedTest per column with nulls when `query` can run
    its compiled SQL (else one for the test, its failures the nulls of all its columns)."""
    results = _read(target_dir / "run_results.json").get("results", [])
    nodes = _read(target_dir / "manifest.json").get("nodes", {})
    warned = []
    for item in results:
        unique_id = item.get("unique_id", "")
        if item.get("status") != "warn" or not unique_id.startswith("test."):
            continue
        node = nodes.get(unique_id, {})
        name = unique_id.split(".")[2]
        model = (node.get("attached_node") or "").rpartition(".")[2]
        per_column = (_nulls_per_column(item.get("compiled_code"), query)
                      if (node.get("test_metadata") or {}).get("name") == "not_null_columns"
                      else None)
        if per_column:
            warned += [WarnedTest(name, model, column, count) for column, count in per_column]
            continue
        warned.append(WarnedTest(
            name=name,
            model=model,
            subject=node.get("column_name") or name,
            failures=int(item.get("failures") or 0),
        ))
    return sorted(warned, key=lambda test: (test.model, test.subject))


def _nulls_per_column(compiled_sql: str | None, query: Query | None,
                      ) -> list[tuple[str, int]] | None:
    """A not_null_columns test's rows (null_column, null_rows), by its compiled SQL; None
    when there is no SQL or no way to run it, or it fails."""
    if not compiled_sql or query is None:
        return None
    try:
        return [(str(column), int(count)) for column, count in query(compiled_sql)]
    except Exception:  # any failure: the line falls back to the test's own count
        return None


def warning_line(warned: list[WarnedTest], log_file: Path) -> str | None:
    """One line naming what warned, grouped by model, and where to look; None when nothing."""
    if not warned:
        return None
    tests = len({test.name for test in warned})
    by_model: dict[str, list[str]] = {}
    for test in warned:
        by_model.setdefault(test.model or "tests", []).append(f"{test.subject} {test.failures:,}")
    shown = "; ".join(f"{model}: {', '.join(items)}" for model, items in by_model.items())
    return (
        f"dbt warned on {plural(tests, 'data test')}, rows per column or test (gaps in descriptive "
        f"columns, unknown airports, flights carried by two files; the build went on): "
        f"{shown}. "
        f"`airline-elt dbt test --select <model>` lists them; dbt's output: {log_file}"
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
