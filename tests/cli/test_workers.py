"""The warehouse's workers when they are not there (airline_elt/workers.py): a stale file, a
landing worker or a dbt worker that does not answer. A run then starts its own JVM and dbt
process, as without workers. (Runs through live workers, their crashes and their stop:
tests/faults/test_workers.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from airline_elt.dbt import ForkedDbt
from airline_elt.workers import WorkerInfo, publish, read_worker, ready_worker

FALLBACK = """
import json, sys
from pathlib import Path
from airline_elt.spark import WorkerSpark

starter = WorkerSpark(port=1, secret="not-a-secret", worker_log=Path(sys.argv[1]) / "w.log",
                      log_file=Path(sys.argv[1]) / "spark.log", small=True)
session = starter.session()
rows = session.range(3).count()
print(json.dumps({"attached": starter.attached, "error": starter.attach_error, "rows": rows,
                  "log": str(starter.log())}))
starter.stop()
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
    assert figures["error"]  # why it did not attach
    assert figures["rows"] == 3  # the session of its own works
    assert figures["log"] == str(tmp_path / "spark.log")  # its own JVM's log, not the worker's


def test_a_dbt_worker_that_does_not_answer_gives_the_run_a_dbt_process_of_its_own(
    tmp_path: Path,
) -> None:
    log = tmp_path / "dbt-process.log"
    process = ForkedDbt(str(tmp_path / "no-such-socket"), log)
    try:
        process.start()
        assert process.forked is False
        assert process._process is not None and process._process.poll() is None
        assert isinstance(process._process, subprocess.Popen)  # started, not forked
        assert "did not answer" in log.read_text()
    finally:
        process.close()
