"""The warehouse's workers: processes started and stopped with the local warehouse
(`airline-elt warehouse start` / `stop`; `--no-workers`, or AIRLINE_ELT_WORKERS=off, leaves
them out) that take the fixed cost of Spark and dbt out of separate runs.

- `landing`: Spark's JVM, started once and warmed up (landing_worker.py); a run's Land step
  attaches to it through py4j (spark.WorkerSpark) instead of starting a JVM of its own.
- `dbt`: a process that imported dbt once and forks a dbt process for each run that asks
  (dbt_worker.serve_forks); a run's forked dbt process is its own, as the process it would
  otherwise start (KeptDbt), without the import (dbt.ForkedDbt).

Either one missing, stale or not answering: a run starts its own JVM or dbt process, as it
does without workers. The crash stories are in the two modules: what a run killed mid-way
left running in a worker never writes once the next run holds the lock.

A worker's file (`workers/<kind>.json` in the state folder, readable by its owner only: it
holds py4j's secret, the socket's folder) names its pid and how to reach it, and whether
its warm-up is done. A worker ends when SIGTERM'd (`stop_workers`), when its file no
longer names it, or when the warehouse stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from airline_elt.state import project_dir

SWITCH = "AIRLINE_ELT_WORKERS"  # "off" (or 0, false, no): `warehouse start` starts none
POLL_SECONDS = 2.0
STOP_SECONDS = 30.0

# kind -> the module its process runs (`python -m MODULE HOME`)
MODULES = {
    "landing": "airline_elt.landing_worker",
    "dbt": "airline_elt.dbt_worker",
}


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker's file says: its pid; how to reach it once it is up (the landing
    worker: py4j's port and secret; the dbt worker: its socket)."""

    kind: str
    pid: int
    log: str
    port: int | None = None
    secret: str | None = None
    socket: str | None = None
    warm: bool = False

    @property
    def up(self) -> bool:
        return self.socket is not None or (self.port is not None and self.secret is not None)

    @property
    def state(self) -> str:
        if not self.up:
            return "starting"
        return "ready" if self.warm else "warming up"


def enabled() -> bool:
    """Whether `warehouse start` starts the workers (AIRLINE_ELT_WORKERS)."""
    return os.environ.get(SWITCH, "on").strip().lower() not in {"off", "0", "false", "no"}


def worker_file(home: Path, kind: str) -> Path:
    return home / "workers" / f"{kind}.json"


def read_worker(home: Path, kind: str) -> WorkerInfo | None:
    """The `kind` worker of `home` while its process runs (None: none, or a stale file)."""
    try:
        info = WorkerInfo(**json.loads(worker_file(home, kind).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return info if is_worker_process(info.pid, kind, home) else None


def ready_worker(home: Path, kind: str) -> WorkerInfo | None:
    """The `kind` worker of `home` once it can be reached (warm or still warming up)."""
    info = read_worker(home, kind)
    return info if info is not None and info.up else None


def is_worker_process(pid: int, kind: str, home: Path) -> bool:
    """Whether `pid` runs the `kind` worker of `home` (its command line says so)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    expected = [b"-m", MODULES[kind].encode(), b"--worker", str(home.resolve()).encode()]
    return command[-5:-1] == expected  # the command line ends with an empty argument


def publish(home: Path, info: WorkerInfo) -> None:
    """Replace the worker's file at once (readers never see half of it), owner-only."""
    target = worker_file(home, info.kind)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{info.kind}-")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(asdict(info), handle)
    os.replace(temporary, target)


def start_workers(home: Path) -> list[WorkerInfo]:
    """Start the workers of `home` in the background (each its own session, output to its
    log), those not running yet; returns at once (`read_worker` says when one is up)."""
    return [start_worker(home, kind) for kind in MODULES]


def start_worker(home: Path, kind: str) -> WorkerInfo:
    running = read_worker(home, kind)
    if running is not None:
        return running
    log = home / "logs" / f"{kind}-worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as sink:
        process = subprocess.Popen(
            # In the project's folder: `-m` puts the current folder first on sys.path, and
            # from inside airline_elt/, airline_elt/dbt.py would hide the dbt package.
            [sys.executable, "-m", MODULES[kind], "--worker", str(home.resolve())],
            cwd=project_dir(),
            stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, start_new_session=True,
        )
    info = WorkerInfo(kind=kind, pid=process.pid, log=str(log))
    publish(home, info)
    return info


def stop_workers(home: Path) -> list[str]:
    """Stop the workers of `home` (the landing worker's JVM and the dbt worker's forked
    processes with them); the kinds that were running."""
    return [kind for kind in MODULES if stop_worker(home, kind)]


def stop_worker(home: Path, kind: str) -> bool:
    info = read_worker(home, kind)
    worker_file(home, kind).unlink(missing_ok=True)
    if info is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while is_worker_process(info.pid, kind, home) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(info.pid, signal.SIGKILL)  # what outlived it: its JVM, forked processes
    return True


# -- inside a worker's process --------------------------------------------------------


@contextlib.contextmanager
def serving(home: Path, kind: str) -> Iterator[WorkerInfo]:
    """A worker process's life: SIGTERM ends it (SystemExit), its file is removed when it
    ends (if it still names it)."""

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminated)
    me = WorkerInfo(kind=kind, pid=os.getpid(), log=str(home / "logs" / f"{kind}-worker.log"))
    try:
        yield me
    finally:
        if names_me(home, me):
            worker_file(home, kind).unlink(missing_ok=True)


def names_me(home: Path, me: WorkerInfo) -> bool:
    info = read_worker(home, me.kind)
    return info is not None and info.pid == me.pid


def mark_warm(home: Path, info: WorkerInfo) -> None:
    if names_me(home, info):
        publish(home, replace(info, warm=True))


def wait_while_wanted(home: Path, me: WorkerInfo) -> None:
    """Return once the worker's file no longer names it, or the warehouse stopped."""
    from airline_elt.warehouse import Warehouse

    warehouse = Warehouse(home)
    while names_me(home, me) and warehouse.is_running():
        time.sleep(POLL_SECONDS)
