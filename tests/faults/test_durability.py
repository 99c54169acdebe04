"""Durability of the local warehouse: a clean stop/start and a SIGKILLed PostgreSQL server
(postmaster, found with helpers.server_pid()) lose no committed landing; `warehouse start`
after the kill copes with the stale pid file; a server killed in the middle of a landing
fails that run clearly, and the rerun lands every file exactly once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psycopg
import pytest
from conftest import (
    FaultCli,
    Reference,
    assert_landing_consistent,
    assert_ok,
    assert_same_as,
    landing_v1,
    output,
    snapshot,
)
from helpers import server_pid

from airline_elt.warehouse import Warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return landing_v1(tmp_path_factory.mktemp("landing"))


def wait_gone(pid: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[1].startswith("Z"):
                    return  # a zombie: dead, not yet reaped
        except FileNotFoundError:
            return
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), f"pid {pid} still alive"


def kill_server(cli: FaultCli) -> int:
    pid = server_pid(Warehouse(cli.home))
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    return pid


def test_a_server_killed_mid_landing_fails_the_run_and_the_rerun_lands_once(
    cli: FaultCli, landing: Path, reference: Reference
) -> None:
    assert cli("warehouse", "start").returncode == 0
    run = cli.start("run", "--landing", str(landing))
    # Kill the server once the first file is committed and the run goes on with the next.
    deadline = time.monotonic() + 240
    while True:
        assert run.poll() is None, run.communicate()[0]
        assert time.monotonic() < deadline, "no file landed in time"
        try:
            if cli.query("select count(*) from raw.landed_files where status = 'landed'")[0][0]:
                break
        except psycopg.errors.UndefinedTable:
            pass  # the run has not created the raw tables yet
        time.sleep(0.05)
    kill_server(cli)
    killed_at = time.monotonic()
    out, _ = run.communicate(timeout=300)
    print(f"run failed {time.monotonic() - killed_at:.1f} s after the server was killed")
    assert run.returncode == 1, out
    assert "Traceback" not in out

    status = cli("warehouse", "status")
    assert status.stdout.startswith("warehouse stopped"), output(status)
    started = cli("warehouse", "start", timeout=120)
    assert started.returncode == 0, output(started)
    assert_landing_consistent(cli)
    assert cli.query("select count(*) from raw.landed_files where status = 'landed'")[0][0] >= 1
    assert_ok(cli.run("run", "--landing", str(landing)))
    assert_landing_consistent(cli)
    assert_same_as(snapshot(cli), reference.v1)


def test_stop_start_and_a_killed_server_lose_no_committed_landing(
    cli: FaultCli, reference: Reference
) -> None:
    before = snapshot(cli)
    assert_same_as(before, reference.v1)

    assert cli("warehouse", "stop").returncode == 0
    assert not Warehouse(cli.home).is_running()
    assert cli("warehouse", "start").returncode == 0
    assert snapshot(cli) == before

    # A crash (no shutdown checkpoint): what was committed is replayed from the WAL.
    pid = kill_server(cli)
    assert not Warehouse(cli.home).is_running()
    started = cli("warehouse", "start", timeout=120)
    assert started.returncode == 0, output(started)
    assert server_pid(Warehouse(cli.home)) not in (None, pid)
    assert snapshot(cli) == before
    assert_landing_consistent(cli)
