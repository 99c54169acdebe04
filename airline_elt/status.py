"""`airline-elt status`: the last build, the last run and the landed file versions, on the
console or as JSON. A stopped warehouse is started only when asked (--start, or a yes at a
terminal)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from airline_elt import queries
from airline_elt.build_record import last_build
from airline_elt.notify import Outbox
from airline_elt.ui import render_landed_files
from airline_elt.warehouse import Warehouse
from airline_elt.warehouse_users import DBT
from airline_elt.wording import step_label


@dataclass(frozen=True)
class StatusRequest:
    limit: int = 30
    show_duplicates: bool = False  # --all
    start: bool = False
    json: bool = False
    verbose: bool = False


def show_status(console: Console, home: Path, request: StatusRequest) -> None:
    warehouse = Warehouse(home)
    if not warehouse.exists():
        console.print(f"no warehouse yet in {warehouse.folder}: `make run` "
                      "(or `airline-elt run DIR`) creates and fills one")
        return
    notifications = Outbox(home).read()
    last = notifications[-1] if notifications else None
    if not warehouse.is_running() and not request.start:
        asked = _can_ask(console, request)
        if not (asked and _agrees_to_start(home)):
            _status_of_stopped(console, home, warehouse, last, request, asked)
            return
    connection = warehouse.start_as(DBT)
    with queries.read_only(connection) as conn:
        files = queries.landed_files(conn, request.limit,
                                     include_duplicates=request.show_duplicates)
        counts = queries.landed_file_counts(conn)
    if request.json:
        _print_json(home, warehouse, last, counts, files)
        return
    console.print(f"warehouse running on 127.0.0.1:{connection.port} (state folder {home})")
    _print_last_run(console, home, last)
    render_landed_files(console, files, counts, show_runs=request.verbose,
                        show_duplicates=request.show_duplicates)


def _can_ask(console: Console, request: StatusRequest) -> bool:
    """Whether a person is there to answer a question (a terminal, not --json)."""
    return not request.json and sys.stdin.isatty() and console.is_terminal


def _agrees_to_start(home: Path) -> bool:
    """Ask whether to start the stopped warehouse; no answer is a no."""
    try:
        answer = input(f"The warehouse in {home} is stopped. "
                       "Start it and list the landed files? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _status_of_stopped(console: Console, home: Path, warehouse: Warehouse,
                       last: dict[str, Any] | None, request: StatusRequest,
                       asked: bool = False) -> None:
    """What status can say without starting the warehouse: that it is stopped, the last run."""
    if request.json:
        _print_json(home, warehouse, last)
        return
    if asked:
        console.print("left stopped: `airline-elt status --start` starts it and lists the "
                      "landed files")
    else:
        console.print(f"the warehouse is stopped (state folder {home}); the landed "
                      "files are in it: `airline-elt status --start` starts it and lists "
                      "them")
    _print_last_run(console, home, last)


def _print_json(home: Path, warehouse: Warehouse, last: dict[str, Any] | None,
                counts: dict[str, int] | None = None,
                files: list[queries.LandedFile] | None = None) -> None:
    """status --json; a stopped warehouse gives no counts and no files (null)."""
    print(json.dumps({
        "warehouse": warehouse.status(),
        "file_versions_by_status": counts,
        "landed_files": None if files is None else [
            {**vars(item), "landed_at": item.landed_at.isoformat()} for item in files
        ],
        "last_run": last,
        "last_build": _build_json(home),
    }, indent=2, default=str))


def _build_json(home: Path) -> dict[str, Any] | None:
    record = last_build(home)
    return None if record is None else {"status": record.status, **asdict(record)}


def _print_last_run(console: Console, home: Path, last: dict[str, Any] | None) -> None:
    record = last_build(home)
    if record is not None:
        console.print(record.line(), style=None if record.succeeded else "bold red",
                      markup=False, highlight=False)
    if last is None:
        return
    where = (f": could not {step_label(last['step'])}: {last['error']}"
             if last["status"] == "FAILED" else "")
    console.print(f"last run: {last['run_id']} {last['status']}{where} "
                  f"(finished {last['finished_at']}, trigger {last['trigger']})")
