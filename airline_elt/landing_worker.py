"""The landing worker (workers.py): Spark's JVM kept warm between separate runs.

A one-shot `airline-elt run` (or `land`) otherwise starts a JVM, and its first job plans and
compiles the parse: half its Land step on the sample (docs/performance.md). This worker
process starts the session once, warms it up by parsing the bundled sample's first file
into a scratch folder (the plan a run's batch has), and waits. A run attaches to its JVM
through py4j (spark.WorkerSpark) instead of starting one, and detaches at its end; the
session keeps the default JIT (C2): its compiled code serves every later run.

Its crash story: every write to the warehouse stays the run's own (its COPY, in its
transaction, under its run lock); the worker's JVM only reads the files and writes the run's
staged parts under the state folder's staging/. A run killed mid-batch: its connections
close, its batch rolls back and the lock is freed, as before; a Spark job it left running
in the worker is cancelled by the next run, under the lock, before that run clears staging/
(WorkerSpark.quiesce). A worker that dies mid-batch: the run's Spark calls fail and its
batch rolls back (nothing of it committed; the run fails, as with a dead JVM of its own);
the next run finds no worker and starts its own JVM.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from airline_elt.workers import mark_warm, publish, serving, wait_while_wanted

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

KIND = "landing"
WARM_UP_ROUNDS = 3


def warm_up(session: SparkSession, scratch: Path, rounds: int = WARM_UP_ROUNDS) -> None:
    """Parse the bundled sample's daily files as one batch of a run would, `rounds` times,
    writing the staged parts into `scratch`: the planning, code generation and JIT compiling
    that a run's first batch would pay are done here. Best effort: a run that attached
    meanwhile may cancel it."""
    from airline_elt.state import project_dir
    from airline_landing.batch import BatchFile
    from airline_landing.columns import resolve_columns, split_header
    from airline_landing.landing import copy_lines_of, utc_now
    from airline_landing.plausibility import Plausibility
    from airline_landing.scan import scan_folder
    from airline_landing.source import LocalFile, inspect_file
    from airline_landing.targets import stage_text

    landing = project_dir() / "sample_data" / "landing"
    files, header = [], ""
    for number, key in enumerate(scan_folder(landing).keys, start=1):
        source = LocalFile(landing, key, scratch / "failed")
        facts = inspect_file(source.chunks())
        if header and facts.header_line != header:
            continue  # one layout: one batch's plan
        header = facts.header_line or ""
        files.append(BatchFile(key=key, spark_path=source.spark_path(), file_version_id=number,
                               size=facts.size, lines=facts.lines, key_date=None))
    if not files:
        return
    columns = resolve_columns(split_header(header))
    for round_number in range(rounds):
        with copy_lines_of(session, files, columns, utc_now(), Plausibility()) as lines:
            stage_text(lines, str(scratch / f"parts-{round_number}"))


def serve(home: Path) -> None:
    """The worker's life: start the session, say where it listens, warm up, wait."""
    from pyspark import SparkContext

    from airline_elt.spark import start_spark

    with serving(home, KIND) as me:
        session = start_spark(home / "logs" / "landing-worker-spark.log")
        try:
            parameters = SparkContext._gateway.gateway_parameters  # type: ignore[union-attr]
            info = replace(me, port=parameters.port, secret=parameters.auth_token)
            publish(home, info)
            print(f"landing worker {me.pid}: session up, py4j on port {info.port}", flush=True)
            with tempfile.TemporaryDirectory(prefix="warm-up-", dir=home) as scratch:
                started = time.monotonic()
                try:
                    warm_up(session, Path(scratch))
                    print(f"warmed up in {time.monotonic() - started:.1f} s", flush=True)
                except Exception as error:  # best effort: a run may cancel it
                    print(f"warm-up stopped: {type(error).__name__}: {error}"[:500],
                          flush=True)
            mark_warm(home, info)
            wait_while_wanted(home, me)
        finally:
            session.stop()


if __name__ == "__main__":
    if sys.argv[1:2] != ["--worker"] or len(sys.argv) != 3:
        raise SystemExit("usage: python -m airline_elt.landing_worker --worker HOME "
                         "(started by `airline-elt warehouse start`)")
    serve(Path(sys.argv[2]))
