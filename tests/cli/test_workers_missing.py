"""The warehouse's workers when they are not there (airline_elt/workers.py): a stale file, a
landing worker or a dbt worker that does not answer. A run then starts its own JVM and dbt
process, as without workers. (Runs through live workers, their crashes and their stop:
tests/faults/test_crash_with_workers.py.)"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from airline_elt import dbt
from airline_elt.dbt import ForkedDbt
from airline_elt.workers import WorkerInfo, publish, read_worker, ready_worker

FALLBACK = """
import json, socket, sys
from pathlib import Path
from airline_elt import spark

silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
spark.ATTACH_SECONDS = 2.0
starter = spark.WorkerSpark(port=silent.getsockname()[1], secret="not-a-secret",
                            worker_log=Path(sys.argv[1]) / "w.log",
                            log_file=Path(sys.argv[1]) / "spark.log", small=True)
session = starter.session()
rows = session.range(3).count()
print(json.dumps({"attached": starter.attached, "error": starter.attach_error, "rows": rows,
                  "log": str(starter.log())}))
starter.stop()
"""

QUIESCE = """
import json, threading, time
from airline_elt.spark import quiesce, start_spark

session = start_spark()
errors = []

def left_running():  # what a killed run's job does: runs on, nobody waiting for it
    try:
        session.range(0, 10**12, numPartitions=2).selectExpr("sum(id * id)").collect()
    except Exception as error:
        errors.append(type(error).__name__)

thread = threading.Thread(target=left_running, daemon=True)
thread.start()
tracker = session.sparkContext.statusTracker()
while not tracker.getActiveJobsIds():
    time.sleep(0.05)
quiesce(session)
thread.join(30)
print(json.dumps({"active_after": list(tracker.getActiveJobsIds()), "errors": errors,
                  "alive": thread.is_alive()}))
"""


def test_a_worker_file_naming_another_process_is_ignored(tmp_path: Path) -> None:
    """A worker that died left its file: the pid is now nobody's, or another program's."""
    publish(tmp_path, WorkerInfo(kind="landing", pid=os.getpid(), log="x", port=1, secret="s"))
    assert read_worker(tmp_path, "landing") is None  # this pytest process is no worker
    assert ready_worker(tmp_path, "landing") is None
    (tmp_path / "workers" / "dbt.json").write_text("{not json")
    assert read_worker(tmp_path, "dbt") is None
    assert read_worker(tmp_path / "nowhere", "dbt") is None


def test_a_landing_worker_that_does_not_answer_gives_the_run_a_jvm_of_its_own(
    tmp_path: Path,
) -> None:
    result = subprocess.run([sys.executable, "-c", FALLBACK, str(tmp_path)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["attached"] is False
    assert figures["error"] == "the landing worker did not answer in 2 s"
    assert figures["rows"] == 3  # the session of its own works
    assert figures["log"] == str(tmp_path / "spark.log")  # its own JVM's log, not the worker's


@pytest.mark.parametrize("worker", ["gone", "silent"])
def test_a_dbt_worker_that_does_not_answer_gives_the_run_a_dbt_process_of_its_own(
    tmp_path: Path, worker: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Gone: no socket. Silent: a socket that queues the connection and never forks."""
    monkeypatch.setattr(dbt, "FORK_SECONDS", 1.0)
    path = str(tmp_path / "socket")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if worker == "silent":
        listener.bind(path)
        listener.listen(8)
    log = tmp_path / "dbt-process.log"
    process = ForkedDbt(path, log)
    try:
        process.start()
        assert process.forked is False
        assert process._process is not None and process._process.poll() is None
        assert isinstance(process._process, subprocess.Popen)  # started, not forked
        assert "did not answer" in log.read_text()
    finally:
        process.close()
        listener.close()


def test_quiesce_cancels_the_jobs_left_running_in_a_jvm(tmp_path: Path) -> None:
    """What a run killed mid-batch left running in the landing worker is stopped by the next
    run before it lands (Run._quiesce): here a job that would run for hours."""
    result = subprocess.run([sys.executable, "-c", QUIESCE], capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["active_after"] == []
    # Cancelled: the job (hours of work) failed, its thread ended.
    assert figures["alive"] is False and figures["errors"] == ["Py4JJavaError"], figures
