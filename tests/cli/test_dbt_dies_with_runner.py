"""A killed run leaves no dbt behind: the dbt child gets SIGTERM when its parent dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

RUNNER = """
import sys
from airline_elt import dbt
from airline_elt.warehouse import Connection

dbt.dbt_command = lambda: ["/bin/sleep"]  # stands in for a long dbt build
dbt.run_dbt(["300"], Connection("127.0.0.1", 1, "u", "p", "d"))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux's")
def test_dbt_child_is_terminated_when_the_runner_is_killed(tmp_path: Path) -> None:
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER], env={**os.environ, "AIRLINE_ELT_HOME": str(tmp_path)}
    )
    try:
        deadline = time.monotonic() + 30
        children: list[str] = []
        while not children and time.monotonic() < deadline:
            time.sleep(0.2)
            children = subprocess.run(
                ["pgrep", "-P", str(runner.pid)], capture_output=True, text=True, check=False
            ).stdout.split()
        assert children, "the runner never started its dbt child"
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in children):
            assert time.monotonic() < deadline, f"dbt child {children} outlived its runner"
            time.sleep(0.1)
    finally:
        if runner.poll() is None:
            runner.kill()
