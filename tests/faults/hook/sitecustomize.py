"""The fault hook of tests/faults: kill an `airline-elt` process at a named point.

Not product code: tests/faults puts this folder on the subprocess's PYTHONPATH, so
Python imports it at start-up (as `sitecustomize`) and, when AIRLINE_ELT_FAULT is set,
it wraps the product from outside (the landing's PostgreSQL connection, its per-file
callback, the Transform step) before any command runs. Format: `<point>[:<n>]` —
SIGKILL the own process the n-th time (default 1) the run reaches `<point>`:

- before_copy              a file's COPY statement is about to be sent
- during_copy              the first chunk of a COPY was sent, the COPY is not finished
- after_copy_before_commit a file's rows are in (uncommitted), its commit is next
- after_commit             a file's transaction just committed (landed, duplicate or failed)
- between_files            a file is done and reported, the next one has not started
- during_transform         dbt build is running and has finished n nodes (see dbt_progress)

SIGKILL, not an exception: nothing in the process gets a chance to clean up, as
when the machine loses power or the OOM killer strikes. tests/faults/ uses it.

With AIRLINE_ELT_FAULT_KILLS=landing-worker, the fault SIGKILLs the warehouse's landing
worker instead (its process group: the worker and its JVM; airline_elt/workers.py), and
the run goes on without it.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

ENV = "AIRLINE_ELT_FAULT"
KILLS_ENV = "AIRLINE_ELT_FAULT_KILLS"
POINTS = (
    "before_copy",
    "during_copy",
    "after_copy_before_commit",
    "after_commit",
    "between_files",
    "during_transform",
)
_reached: dict[str, int] = {}


def armed() -> tuple[str, int] | None:
    """(point, n) from AIRLINE_ELT_FAULT, or None when no fault is asked for."""
    spec = os.environ.get(ENV, "").strip()
    if not spec:
        return None
    point, _, count = spec.partition(":")
    if point not in POINTS:
        raise ValueError(f"{ENV}={spec!r}: unknown point (one of {', '.join(POINTS)})")
    return point, int(count or 1)


def reached(point: str) -> None:
    """Count a pass through `point`; SIGKILL the process on the armed pass."""
    fault = armed()
    if fault is None or fault[0] != point:
        return
    _reached[point] = _reached.get(point, 0) + 1
    if _reached[point] != fault[1]:
        return
    if os.environ.get(KILLS_ENV) == "landing-worker":
        _kill_landing_worker()
    else:
        os.kill(os.getpid(), signal.SIGKILL)


def _kill_landing_worker() -> None:
    import json

    info = Path(os.environ["AIRLINE_ELT_HOME"]) / "workers" / "landing.json"
    pid = json.loads(info.read_text(encoding="utf-8"))["pid"]
    os.killpg(pid, signal.SIGKILL)
    while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
        time.sleep(0.01)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return "Z"


def connection(conn: Any) -> Any:
    """`conn` itself, or (when a landing fault is armed) a wrapper that calls `reached`
    around its COPYs and commits."""
    fault = armed()
    if fault is None or fault[0] == "during_transform":
        return conn
    return _Connection(conn)


class _Connection:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        return _Cursor(self._conn.cursor(*args, **kwargs))

    def commit(self) -> None:
        reached("after_copy_before_commit")
        self._conn.commit()
        reached("after_commit")


class _Cursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __enter__(self) -> _Cursor:
        self._cursor.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._cursor.__exit__(*exc)

    def copy(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        reached("before_copy")
        return _Copy(self._cursor.copy(statement, *args, **kwargs))


class _Copy:
    def __init__(self, context: Any) -> None:
        self._context = context
        self._copy: Any = None

    def __enter__(self) -> _Copy:
        self._copy = self._context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._context.__exit__(*exc)

    def write(self, data: Any) -> None:
        self._copy.write(data)
        reached("during_copy")


DBT_NODE_DONE = re.compile(r"\b\d+ of \d+ (OK|PASS|WARN|ERROR|SKIP)\b")


def dbt_progress(log_file: Path) -> None:
    """With during_transform:<n> armed: a daemon thread that SIGKILLs the process once
    dbt's log file shows n more finished nodes than it did when this was called."""
    fault = armed()
    if fault is None or fault[0] != "during_transform":
        return
    start = log_file.stat().st_size if log_file.exists() else 0

    def watch() -> None:
        while True:
            if log_file.exists():
                with log_file.open("rb") as handle:
                    handle.seek(start)
                    text = handle.read().decode(errors="replace")
                if len(DBT_NODE_DONE.findall(text)) >= fault[1]:
                    os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(0.05)

    threading.Thread(target=watch, name="fault-during-transform", daemon=True).start()


# -- wrapping the product from outside ------------------------------------------------


def _install() -> None:
    fault = armed()
    if fault is None:
        return
    if fault[0] == "during_transform":
        from airline_elt import pipeline

        transform = pipeline.Run.transform

        def watched_transform(self: Any, *args: Any, **kwargs: Any) -> Any:
            dbt_progress(self.home / "dbt" / "logs" / "dbt.log")
            return transform(self, *args, **kwargs)

        pipeline.Run.transform = watched_transform  # type: ignore[method-assign]
        return
    from airline_landing import local, targets

    init = targets.PostgresTarget.__init__

    def wrapped_init(self: Any, conn: Any, *args: Any, **kwargs: Any) -> None:
        init(self, connection(conn), *args, **kwargs)

    targets.PostgresTarget.__init__ = wrapped_init  # type: ignore[method-assign]
    land_files = local.land_files

    def land_files_then_fault(*args: Any, on_file: Any = None, **kwargs: Any) -> Any:
        def after_file(result: Any) -> None:
            if on_file is not None:
                on_file(result)
            reached("between_files")

        return land_files(*args, on_file=after_file, **kwargs)

    local.land_files = land_files_then_fault  # type: ignore[assignment]


_install()
