"""Crash safety with the warehouse's workers (airline_elt/workers.py): runs that land in the
landing worker's JVM and build in a dbt process forked by the dbt worker keep the
guarantees of runs with their own. A run SIGKILLed inside a batch leaves nothing of it; one
killed mid-build leaves no dbt process behind; the landing worker killed under a batch fails
the run with nothing of the batch committed and no file failed for it; and the reruns leave
what the uninterrupted reference run (no workers) left."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import (
    FaultCli,
    Reference,
    assert_killed,
    assert_landing_consistent,
    assert_ok,
    assert_same_as,
    landing_v1,
    output,
    snapshot,
)

from airline_elt.dbt import ForkedDbt
from airline_elt.workers import SWITCH, read_worker

pytestmark = pytest.mark.slow

WARM_UP_TIMEOUT = 240


@dataclass
class WorkersCli(FaultCli):
    """FaultCli with the warehouse's workers on (the test session turns them off); `kills`:
    whose process an armed fault kills (tests/faults/hook: the run's, or the landing
    worker's)."""

    kills: str = "run"

    def env(self) -> dict[str, str]:
        env = {**super().env(), SWITCH: "on"}
        if self.kills != "run":
            env["AIRLINE_ELT_FAULT_KILLS"] = self.kills
        return env


def wait_for_workers(cli: WorkersCli) -> None:
    deadline = time.monotonic() + WARM_UP_TIMEOUT
    while not all((info := read_worker(cli.home, kind)) and info.warm
                  for kind in ("landing", "dbt")):
        assert time.monotonic() < deadline, cli("warehouse", "status").stdout
        time.sleep(0.5)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkersCli]:
    cli = WorkersCli(tmp_path_factory.mktemp("elt-workers"))
    started = cli("warehouse", "start", timeout=120)
    assert started.returncode == 0, output(started)
    assert "landing worker" in started.stdout and "dbt worker" in started.stdout
    wait_for_workers(cli)
    yield cli
    cli("warehouse", "stop", timeout=120)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return landing_v1(tmp_path_factory.mktemp("landing"))


def forked_dbt_pids(cli: WorkersCli) -> set[int]:
    """The dbt worker's children: the dbt processes it forked for runs."""
    info = read_worker(cli.home, "dbt")
    assert info is not None
    children = Path(f"/proc/{info.pid}/task/{info.pid}/children").read_text().split()
    return {int(pid) for pid in children if not _zombie(int(pid))}


def newest_run_logs(cli: WorkersCli) -> Path:
    """The log folder of the newest run (logs/<run id>/, run ids sort by time)."""
    runs = sorted((cli.home / "logs").glob("local-*"))
    assert runs, "no run logged anything"
    return runs[-1]


def forked_pid(cli: WorkersCli) -> int:
    """The pid of the dbt process forked for the newest run (its dbt-process.log says)."""
    log = (newest_run_logs(cli) / "dbt-process.log").read_text()
    found = re.search(r"dbt process (\d+) forked by the dbt worker", log)
    assert found, log
    return int(found.group(1))


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z"
    except OSError:
        return True


def test_killed_runs_with_workers_leave_nothing_then_a_rerun_equals_the_reference(
    cli: WorkersCli, landing: Path, reference: Reference
) -> None:
    landing_pid = read_worker(cli.home, "landing").pid  # type: ignore[union-attr]
    for fault in ("before_copy:1", "during_copy:1", "after_copy_before_commit:1"):
        result = cli.run("run", "--landing", str(landing), fault=fault)
        assert_killed(result)
        assert cli.lock_holders() == [], fault
        assert_landing_consistent(cli)
        assert cli.query("select count(*) from raw.landed_files") == [(0,)], output(result)
        # The run landed in the worker (a JVM of its own would have logged to spark.log),
        # and the worker outlives it.
        assert not (newest_run_logs(cli) / "spark.log").exists(), fault
        assert read_worker(cli.home, "landing").pid == landing_pid, fault  # type: ignore[union-attr]

    result = cli.run("run", "--landing", str(landing), fault="during_transform:5")
    assert_killed(result)
    fork = forked_pid(cli)  # the killed run built in a dbt process the dbt worker forked
    deadline = time.monotonic() + 10
    while not _zombie(fork):  # ... which ends with the run
        assert time.monotonic() < deadline, f"dbt process {fork} outlived its run"
        time.sleep(0.1)
    assert forked_dbt_pids(cli) == set()

    rerun = cli.run("run", "--landing", str(landing), "--json")
    assert_ok(rerun)
    assert "Spark in the landing worker" in rerun.stderr, output(rerun)
    assert "dbt forked by the dbt worker" in rerun.stderr, output(rerun)
    assert_landing_consistent(cli)
    assert_same_as(snapshot(cli), reference.v1)


def test_the_landing_worker_killed_under_a_batch_fails_the_run_and_loses_nothing(
    tmp_path_factory: pytest.TempPathFactory, reference: Reference
) -> None:
    cli = WorkersCli(tmp_path_factory.mktemp("elt-worker-killed"))
    landing = landing_v1(tmp_path_factory.mktemp("landing-worker-killed"))
    try:
        assert cli("warehouse", "start", timeout=120).returncode == 0
        wait_for_workers(cli)
        cli.kills = "landing-worker"
        result = cli.run("run", "--landing", str(landing), fault="before_copy:1")
        cli.kills = "run"
        assert result.returncode == 1, output(result)
        assert "Spark's JVM went away during a batch" in result.stderr, output(result)
        assert cli.lock_holders() == []
        assert cli.query("select count(*) from raw.landed_files") == [(0,)], output(result)
        assert read_worker(cli.home, "landing") is None  # its file is stale: not used again

        rerun = cli.run("run", "--landing", str(landing))
        assert_ok(rerun)
        assert "Spark in the landing worker" not in rerun.stdout + rerun.stderr
        assert_landing_consistent(cli)
        assert_same_as(snapshot(cli), reference.v1)
        status = cli("warehouse", "status")
        assert "no landing worker" in status.stdout, status.stdout
    finally:
        cli("warehouse", "stop", timeout=120)


def test_stop_ends_the_workers_and_what_they_started(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cli = WorkersCli(tmp_path_factory.mktemp("elt-workers-stop"))
    assert cli("warehouse", "start", timeout=120).returncode == 0
    wait_for_workers(cli)
    again = cli("warehouse", "start", timeout=120)  # running workers are not started twice
    infos = {kind: read_worker(cli.home, kind) for kind in ("landing", "dbt")}
    assert all(infos.values())
    for kind, info in infos.items():
        assert f"{kind} worker ready (pid {info.pid}" in again.stdout, again.stdout  # type: ignore[union-attr]
    jvm = Path(f"/proc/{infos['landing'].pid}/task/{infos['landing'].pid}/children"  # type: ignore[union-attr]
               ).read_text().split()
    assert jvm, "the landing worker has no JVM"
    secrets = json.loads((cli.home / "workers" / "landing.json").read_text())
    assert secrets["secret"] and (cli.home / "workers" / "landing.json").stat().st_mode & 0o077 == 0

    # A run's dbt process, forked and waiting for its next command when the warehouse stops.
    waiting = ForkedDbt(infos["dbt"].socket, cli.home / "logs" / "fork.log")  # type: ignore[union-attr, arg-type]
    waiting.start()
    assert waiting.forked and waiting._process is not None
    fork = waiting._process.pid

    try:
        stopped = cli("warehouse", "stop", timeout=120)
        assert "landing worker stopped" in stopped.stdout
        assert "dbt worker stopped" in stopped.stdout
        for pid in [info.pid for info in infos.values() if info] + [int(p) for p in jvm] + [fork]:
            assert _zombie(pid), f"{pid} outlived the stop"
    finally:
        waiting.close()
    assert not list((cli.home / "workers").glob("*.json"))
    socket_folder = Path(infos["dbt"].socket).parent  # type: ignore[union-attr, arg-type]
    assert not socket_folder.exists()
