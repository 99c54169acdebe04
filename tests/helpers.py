"""Helpers the tests (and the landing benchmark) share that the product itself never calls:
they were in the product's modules, beside the code they exercise, until issue 24."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from airline_elt.landed_counts import TOTALS, for_psycopg, totals_of
from airline_elt.run_summary import FACT_ROWS_BY_DATE, FILES
from airline_elt.warehouse import Warehouse
from airline_landing.raw_line import KEEP_CHARS, MARKER, RAW_LINE_MAX_BYTES

# The state machine's Summarize step runs these, by name, in this order.
SUMMARY_QUERIES = {"files": FILES, "totals": TOTALS, "fact_rows_by_date": FACT_ROWS_BY_DATE}


def run_summary(conn: Any, run_id: str, started_at: str, finished_at: str) -> dict[str, Any]:
    """The summary of one run, read from a warehouse (a psycopg connection) with the SQL the
    state machine's Summarize step runs."""
    params = {"run_id": run_id, "started_at": started_at, "finished_at": finished_at}
    files = conn.execute(for_psycopg(FILES), params).fetchall()
    totals = _one_row_by_name(conn.execute(for_psycopg(TOTALS), params))
    dates = conn.execute(for_psycopg(FACT_ROWS_BY_DATE), params).fetchall()
    file_fields = ("key", "status", "rows_read", "rows_landed", "rows_rejected")
    fact_rows: dict[str, int] = {}
    for (text,) in dates:
        key, _, count = text.strip("{}").partition(": ")
        fact_rows[key.strip('"')] = int(count)
    return {
        "files": [
            dict(zip(file_fields, row, strict=True)) for row in files
        ],
        "totals": totals_of(totals),
        "duration_seconds": float(totals["duration_seconds"]),
        "fact_rows_by_date": dict(sorted(fact_rows.items())),
    }


def _one_row_by_name(cursor: Any) -> dict[str, Any]:
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def fit_raw_line_text(line: str | None) -> str | None:
    """airline_landing.raw_line's rule on one Python string (what fit_raw_line does in
    Spark)."""
    if line is None:
        return None
    size = len(line.encode("utf-8"))
    if size <= RAW_LINE_MAX_BYTES:
        return line
    return line[:KEEP_CHARS] + MARKER.format(size)


def server_pid(warehouse: Warehouse) -> int | None:
    """The local warehouse's postmaster pid, read from its lock file (None when it is not
    running)."""
    status = warehouse.status()
    if not status["running"]:
        return None
    try:
        first_line = (Path(str(status["data_dir"])) / "postmaster.pid").read_text().splitlines()[0]
        return int(first_line.strip())
    except (FileNotFoundError, IndexError, ValueError, PermissionError):
        return None


def java_children(parent: int) -> list[int]:
    """The pids of the JVMs process `parent` started (pyspark's spark-submit exec's java),
    read from /proc."""
    return child_processes(parent, lambda command, _: command == "java")


def dbt_process_children(parent: int) -> list[int]:
    """The pids of the kept dbt processes (airline_elt.dbt_worker) process `parent` started."""
    return child_processes(parent, lambda _, arguments: "airline_elt.dbt_worker" in arguments)


def child_processes(parent: int, matches: Callable[[str, list[str]], bool]) -> list[int]:
    """The pids of the children of `parent` for which `matches(command name, arguments)`,
    read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "comm").read_text().strip()
            arguments = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except (OSError, ValueError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and matches(command, arguments):
            found.append(int(entry.name))
    return sorted(found)
