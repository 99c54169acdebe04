"""The landing's Spark sessions in one process (airline_elt/spark.py): one JVM for every
session a process starts, and the session `airline-elt watch` keeps across its runs.

Each case runs in a fresh Python process, as `airline-elt` does: pyspark keeps one gateway
per process, and this test process may already hold the suite's own session (conftest)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parents[1]
CHILD_JAVA = textwrap.dedent(f"""
    import os
    import sys
    from pathlib import Path

    sys.path.insert(0, {str(TESTS)!r})
    from helpers import java_children as children_of

    def java_children():
        return children_of(os.getpid())
""")


def run_child(body: str, tmp_path: Path) -> dict:
    script = CHILD_JAVA + textwrap.dedent(body)
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sessions_started_one_after_another_share_one_jvm(tmp_path: Path) -> None:
    """A session started after another was stopped (the next run of `watch`) runs in the
    same JVM; before, each launched a JVM of its own that only idled, one per run."""
    figures = run_child(f"""
        import json
        from airline_elt.spark import SparkStarter

        seen = []
        for number in range(3):
            starter = SparkStarter(Path({str(tmp_path)!r}) / f"run-{{number}}" / "spark.log")
            rows = starter.start().session().range(10).count()
            seen.append((rows, java_children(), str(starter.log())))
            starter.stop()
        print(json.dumps({{"seen": seen}}))
    """, tmp_path)
    counts = [rows for rows, _, _ in figures["seen"]]
    jvms = [tuple(children) for _, children, _ in figures["seen"]]
    logs = {log for _, _, log in figures["seen"]}
    assert counts == [10, 10, 10]
    assert len(jvms[0]) == 1 and set(jvms) == {jvms[0]}, jvms
    # The JVM writes to the log it was launched with; later runs are pointed there.
    assert logs == {str(tmp_path / "run-0" / "spark.log")}
    assert (tmp_path / "run-0" / "spark.log").is_file()


def test_a_kept_session_survives_runs_and_replaces_a_dead_jvm(tmp_path: Path) -> None:
    """`watch`'s KeptSpark: a start that failed is tried again by the next run; a run's
    stop() leaves the session up for the next run; if its JVM is killed (out of memory,
    kill -9), the next run gets a new JVM instead of an error; and the watch closes cleanly
    when its JVM is already gone."""
    figures = run_child(f"""
        import json, os, signal
        from airline_elt.spark import KeptSpark

        # A start that fails (here: no java where JAVA_HOME points) fails that run only.
        os.environ["JAVA_HOME"] = {str(tmp_path / "no-such-jdk")!r}
        kept = KeptSpark(Path({str(tmp_path)!r}) / "watch" / "spark.log").start()
        try:
            kept.session()
            failed_start = "no error"
        except Exception as error:
            failed_start = type(error).__name__
        del os.environ["JAVA_HOME"]
        first = kept.session()
        first_jvms = java_children()
        kept.stop()  # what the end of a run calls
        same = kept.session() is first and first.range(5).count() == 5
        os.kill(first_jvms[0], signal.SIGKILL)
        second = kept.session()
        rows = second.range(7).count()
        second_jvms = java_children()
        os.kill(second_jvms[0], signal.SIGKILL)  # the watch stopped with its JVM already gone
        kept.close()
        print(json.dumps({{"same": same, "first": first_jvms, "second": second_jvms,
                          "rows": rows, "replaced": second is not first,
                          "failed_start": failed_start}}))
    """, tmp_path)
    assert figures["same"] is True
    assert len(figures["first"]) == 1 and len(figures["second"]) == 1
    assert figures["first"] != figures["second"]
    assert figures["replaced"] is True and figures["rows"] == 7
    assert figures["failed_start"] != "no error"
