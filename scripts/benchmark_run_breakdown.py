#!/usr/bin/env python
"""Where one run's time goes: the fixed cost of Spark and dbt against the work itself.

    .venv/bin/python scripts/benchmark_run_breakdown.py [--sample] [--new-day]
                     [--history-days 30] [--rows-per-day 20000] [--repeat 1]
    .venv/bin/python scripts/benchmark_run_breakdown.py --spark-levers [--repeat 3]

--sample: `airline-elt run sample_data/landing` (what `make run` does) into a fresh private
warehouse (started before the run: initdb is not part of it). --new-day: a warehouse with
--history-days days x --rows-per-day flights written straight into raw.* by SQL and built
(untimed), then `airline-elt run` on a folder holding one new day of --rows-per-day rows.
Both by default. `--variant worker` (with --sample or --new-day): the runs use the
warehouse's workers (airline_elt/workers.py), started and warmed up before the first
measured run (with --new-day, after the history is built; --repeat new days in turn).

Each measured run is the product's own `airline-elt` command (airline_elt.cli.main) in a
fresh Python process of this script, which times the parts from outside, wrapping the
product's functions with timers (nothing in the product changes):

- JVM start: pyspark's launch_gateway (spark-submit's launcher JVM, then the driver JVM
  up to its gateway); Spark session: the SparkContext and SparkSession after that;
  waited for Spark: how long the Land step waited for the session (the JVM starts in the
  background while the run takes its lock and hashes the files);
- Spark's jobs, from its event log (spark.eventLog.*, passed in PYSPARK_SUBMIT_ARGS): the
  first job, every job's wall time, and tasks' run and CPU time; Spark planning = the
  staging write's wall time (airline_landing.targets.stage_text) outside any job (analysis,
  optimisation, code generation, the job commit);
- COPY into PostgreSQL: time in the COPYs' sending of Spark's parts and their end (part of
  it overlaps Spark's job; the part after the job is shown apart);
- dbt, from the subprocess's wall time and dbt's run_results.json: start-up (the process
  start to the first node: parse, connection, cache), model time and test time (wall time
  while at least one model or test ran its SQL), the time no node ran SQL in the nodes'
  window over the number of nodes (dbt's own per-node overhead), and the end (artifacts).

--spark-levers: the Spark part only (`airline-elt land` of the sample into one warehouse,
emptied between runs), each variant of airline_elt.spark's settings run --repeat times in
alternation; prints medians and the ratio of each to the current settings measured in the
same run. Every figure is printed with the machine's load average beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "sample_data" / "landing"
CHILD_FLAG = "--child"

# -- the measured process -----------------------------------------------------------------


class Timers:
    """Intervals (epoch seconds) of the wrapped calls, by name."""

    def __init__(self) -> None:
        self.intervals: dict[str, list[tuple[float, float]]] = {}

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.time()
            try:
                return original(*args, **kwargs)
            finally:
                self.intervals.setdefault(label, []).append((started, time.time()))

        setattr(owner, name, timed)


def apply_variant(variant: str) -> None:
    """airline_elt.spark's settings for a lever variant: 'current' (as shipped), 'nocds'
    (no class archive), 'name=value' (set) or 'name=' (removed), joined by '+'."""
    from airline_elt import spark

    settings = dict(spark.SETTINGS)
    for change in filter(None, variant.split("+")):
        if change == "current":
            continue
        if change == "nocds":
            spark.archive_options = lambda: None
            continue
        if change in ("c1", "c2"):  # the small run's JIT (C1 only), or the default, forced
            from airline_elt import pipeline

            pipeline.small_run = lambda files, small=change == "c1": small
            continue
        name, _, value = change.partition("=")
        if value == "":
            settings.pop(name, None)
        else:
            settings[name] = value
    spark.SETTINGS = settings


def child(argv: list[str]) -> int:
    """Run `airline-elt <argv>` in this process, timers around the parts; write them as JSON
    to $BREAKDOWN_OUT."""
    import pyspark.java_gateway

    from airline_elt import cli, dbt, dbt_step, pipeline, spark
    from airline_landing import landing, targets

    apply_variant(os.environ.get("BREAKDOWN_VARIANT", "current"))
    timers = Timers()
    timers.wrap(pyspark.java_gateway, "launch_gateway", "jvm_start")
    timers.wrap(spark, "start_spark", "spark_session")
    timers.wrap(spark.SparkStarter, "session", "spark_wait")
    timers.wrap(targets, "stage_text", "spark_write")
    timers.wrap(targets, "_send_parts", "copy")
    timers.wrap(targets.PostgresTarget, "_copy", "copy")
    timers.wrap(targets.PostgresTarget, "_copy_while_staging", "copy_staging")
    timers.wrap(targets.PostgresTarget, "commit", "commit")
    timers.wrap(landing, "read_batch", "spark_read")
    timers.wrap(landing, "_load_group", "spark_group")
    timers.wrap(landing, "inspect_file", "inspect")
    timers.wrap(dbt_step, "run_dbt", "dbt")
    timers.wrap(dbt.KeptDbt, "run", "dbt")
    timers.wrap(dbt.KeptDbt, "finish_parse_ahead", "dbt_parse_wait")
    for step in ("run", "land", "transform", "summarize"):
        timers.wrap(pipeline.Run, step, step)
    started = time.time()
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = cli.main(argv)
    timers.intervals["command"] = [(started, time.time())]
    Path(os.environ["BREAKDOWN_OUT"]).write_text(json.dumps(
        {"code": code, "intervals": timers.intervals, "output": output.getvalue()[-4000:],
         "cpu": cpu_seconds()}))
    return 0


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) of this process, of its waited children (dbt), and of
    its Spark driver JVM (still alive, stopped session: read from /proc)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {"python": own.ru_utime + own.ru_stime,
           "waited children (dbt)": children.ru_utime + children.ru_stime, "jvm": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"java" in command:
            cpu["jvm"] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return cpu


# -- reading the measured run -------------------------------------------------------------


def union(intervals: Iterable[tuple[float, float]]) -> float:
    """Seconds covered by at least one interval."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def clipped(intervals: Iterable[tuple[float, float]], window: tuple[float, float]):
    return [(max(a, window[0]), min(b, window[1])) for a, b in intervals
            if b > window[0] and a < window[1]]


def spark_events(log_dir: Path, window: tuple[float, float] | None = None) -> dict[str, Any]:
    """Jobs (epoch-second intervals) and task totals from Spark's event log (with `window`,
    only the jobs submitted in it and their tasks: the landing worker's log spans runs)."""
    jobs: dict[int, list[float]] = {}
    tasks = {"count": 0, "run_s": 0.0, "cpu_s": 0.0, "gc_s": 0.0, "deserialize_s": 0.0}
    for log in log_dir.glob("*"):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            event = json.loads(line)
            kind = event.get("Event")
            if window is not None and not _in_window(event, window):
                continue
            if kind == "SparkListenerJobStart":
                jobs[event["Job ID"]] = [event["Submission Time"] / 1000, 0.0]
            elif kind == "SparkListenerJobEnd" and event["Job ID"] in jobs:
                jobs[event["Job ID"]][1] = event["Completion Time"] / 1000
            elif kind == "SparkListenerTaskEnd" and event.get("Task Metrics"):
                metrics = event["Task Metrics"]
                tasks["count"] += 1
                tasks["run_s"] += metrics["Executor Run Time"] / 1000
                tasks["cpu_s"] += metrics["Executor CPU Time"] / 1e9
                tasks["gc_s"] += metrics["JVM GC Time"] / 1000
                tasks["deserialize_s"] += metrics["Executor Deserialize Time"] / 1000
    return {"jobs": [tuple(jobs[key]) for key in sorted(jobs)], "tasks": tasks}


def _in_window(event: dict[str, Any], window: tuple[float, float]) -> bool:
    stamp = (event.get("Submission Time") or event.get("Completion Time")
             or (event.get("Task Info") or {}).get("Launch Time"))
    return stamp is None or window[0] <= stamp / 1000 <= window[1]


def epoch(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(
        tzinfo=dt.UTC).timestamp()


def dbt_nodes(target: Path) -> list[dict[str, Any]]:
    """run_results.json's nodes: kind, execute interval, compile seconds."""
    path = target / "run_results.json"
    if not path.is_file():
        return []
    nodes = []
    for result in json.loads(path.read_text(encoding="utf-8"))["results"]:
        phases = {t["name"]: (epoch(t["started_at"]), epoch(t["completed_at"]))
                  for t in result.get("timing", []) if t.get("started_at")}
        if "execute" not in phases:
            continue
        compile_s = (phases["compile"][1] - phases["compile"][0]) if "compile" in phases else 0
        nodes.append({"kind": result["unique_id"].split(".")[0], "execute": phases["execute"],
                      "first": min(p[0] for p in phases.values()),
                      "compile_s": compile_s, "seconds": result["execution_time"]})
    return nodes


def breakdown(measured: dict[str, Any], events: dict[str, Any], nodes: list[dict[str, Any]]):
    """The parts, in seconds, in the order they are printed."""
    # Long on purpose: one line per printed part, in print order, so a part is found by its label.
    spans = measured["intervals"]

    def total(name: str) -> float:
        return sum(b - a for a, b in spans.get(name, []))

    parts: dict[str, float] = {"command": total("command")}
    parts["the pipeline's run (lock to notification)"] = total("run")
    parts["JVM start (launcher + driver JVM, gateway)"] = total("jvm_start")
    parts["Spark session creation"] = total("spark_session") - total("jvm_start")
    parts["Land step"] = total("land")
    parts["  waited for the Spark session"] = total("spark_wait")
    jobs = events["jobs"]
    writes = spans.get("spark_write", [])
    in_writes = [job for job in jobs if any(a <= job[0] <= b for a, b in writes)]
    parts["  Spark planning (staging write outside jobs)"] = total("spark_write") - union(
        clipped(in_writes, (min((a for a, _ in writes), default=0),
                            max((b for _, b in writes), default=0))))
    parts["  Spark first job"] = (jobs[0][1] - jobs[0][0]) if jobs else 0.0
    parts["  Spark execution (all jobs, wall)"] = union(jobs)
    copies = spans.get("copy", [])
    parts["  Spark read plan (read_batch: listing, splits)"] = total("spark_read")
    parts["  Spark jobs' Python side (_load_group, all)"] = total("spark_group")
    rejects_copy = sum(b - a for a, b in copies if not any(w[0] <= a <= w[1] for w in writes))
    parts["  Spark plan building (parse_rows, copy_lines: py4j)"] = (
        total("spark_group") - total("spark_read") - total("copy_staging") - rejects_copy)
    parts["  COPY: sending Spark's parts"] = union(copies)
    # The COPY's end (PostgreSQL finishing the rows) after Spark's job, and the rejects' COPY.
    staging_end = sum(b for _, b in spans.get("copy_staging", [])) - sum(
        b for _, b in writes)
    parts["  COPY after Spark's job (end, rejects)"] = staging_end + rejects_copy
    parts["  commit"] = total("commit")
    parts["  hashing and checking the files (inspect_file)"] = total("inspect")
    parts["  rest of Land (decisions, control table, Python)"] = (
        parts["Land step"] - parts["  waited for the Spark session"] - total("spark_group")
        - total("inspect") - total("commit"))
    parts["Transform step"] = total("transform")
    dbt_wall = spans.get("dbt", [])
    parts["  dbt command (wall: a dbt process, or the run's kept one)"] = total("dbt")
    parts["  waited for dbt's parse ahead (in the command)"] = total("dbt_parse_wait")
    if nodes and dbt_wall:
        process = dbt_wall[-1]
        first = min(n["first"] for n in nodes)
        last = max(n["execute"][1] for n in nodes)
        parts["  dbt start-up (command sent to first node)"] = first - process[0]
        models = [n["execute"] for n in nodes if n["kind"] in ("model", "seed", "snapshot")]
        tests = [n["execute"] for n in nodes if n["kind"] in ("test", "unit_test")]
        parts["  dbt model time (models and seeds running)"] = union(models)
        parts["  dbt test time (tests running)"] = union(tests)
        idle = (last - first) - union(n["execute"] for n in nodes)
        parts["  dbt no SQL running in the nodes' window"] = idle
        parts["  dbt end (last node to exit)"] = process[1] - last
        parts["dbt nodes"] = float(len(nodes))
        parts["dbt per-node overhead, ms (no-SQL window / nodes)"] = idle / len(nodes) * 1000
        parts["dbt compile phases, summed"] = sum(n["compile_s"] for n in nodes)
        parts["dbt tests: mean execute, ms"] = (
            statistics.mean(b - a for a, b in tests) * 1000 if tests else 0.0)
    parts["Summarize step"] = total("summarize")
    for name, seconds in measured["cpu"].items():
        parts[f"CPU: {name}"] = seconds
    parts["Spark tasks: run time, summed"] = events["tasks"]["run_s"]
    parts["Spark tasks: CPU time, summed"] = events["tasks"]["cpu_s"]
    parts["Spark tasks: count"] = float(events["tasks"]["count"])
    parts["Spark jobs: count"] = float(len(jobs))
    return parts


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f} (1/5 min, {os.cpu_count()} cores)"


def measured_run(argv: list[str], home: Path, variant: str = "current") -> dict[str, float]:
    """`airline-elt <argv>` in a child process of this script, against `home`: its parts."""
    scratch = Path(tempfile.mkdtemp(prefix="breakdown-", dir=home))
    events_dir = scratch / "events"
    events_dir.mkdir()
    out = scratch / "timers.json"
    env = {**os.environ, "AIRLINE_ELT_HOME": str(home), "BREAKDOWN_OUT": str(out),
           "BREAKDOWN_VARIANT": variant,
           "PYSPARK_SUBMIT_ARGS": f"--conf spark.eventLog.enabled=true --conf "
                                  f"spark.eventLog.dir=file://{events_dir} pyspark-shell"}
    load_before = os.getloadavg()[0]
    subprocess.run([sys.executable, __file__, CHILD_FLAG, *argv], cwd=PROJECT, env=env,
                   check=True)
    measured = json.loads(out.read_text())
    if measured["code"] != 0:
        raise SystemExit(f"airline-elt {' '.join(argv)} failed:\n{measured['output']}")
    events = spark_events(events_dir)
    if not events["jobs"]:  # a run attached to the landing worker: its JVM's events
        worker_events = spark_events(home / "worker-events", measured["intervals"]["command"][0])
        events = worker_events if worker_events["jobs"] else events
    parts = breakdown(measured, events,
                      dbt_nodes(home / "dbt" / "target") if "dbt" in measured["intervals"]
                      else [])
    parts["load (1 min) before / after"] = load_before
    parts["load after"] = os.getloadavg()[0]
    return parts


def print_parts(title: str, runs: list[dict[str, float]]) -> None:
    print(f"\n{title}: median of {len(runs)} run(s); {load()} now")
    for name in runs[0]:
        if name == "load after":
            continue
        values = [run.get(name, 0.0) for run in runs]
        if name.startswith("load"):
            after = [run["load after"] for run in runs]
            print(f"  {name:52s} " + ", ".join(f"{a:.2f}/{b:.2f}"
                                                for a, b in zip(values, after, strict=True)))
            continue
        unit = "" if any(word in name for word in ("count", "nodes", "ms")) else " s"
        median = statistics.median(values)
        shown = f"{median:8.3f}{unit}" if 0 < abs(median) < 0.1 else f"{median:8.2f}{unit}"
        if len(values) > 1:
            shown += "   [" + ", ".join(f"{v:.2f}" for v in values) + "]"
        print(f"  {name:52s} {shown}")


# -- the scenarios ------------------------------------------------------------------------


def fresh_warehouse(root: Path, name: str):
    from airline_elt.warehouse import Warehouse

    home = root / name
    warehouse = Warehouse(home)
    warehouse.start()
    return home, warehouse


def sample_runs(root: Path, repeat: int, variant: str = "current") -> list[dict[str, float]]:
    runs = []
    for _ in range(repeat):
        home, warehouse = fresh_warehouse(Path(tempfile.mkdtemp(dir=root)), "sample")
        try:
            with warm_workers(home, variant == "worker"):
                runs.append(measured_run(["run", str(SAMPLE)], home,
                                         "current" if variant == "worker" else variant))
        finally:
            warehouse.stop()
    return runs


@contextlib.contextmanager
def warm_workers(home: Path, wanted: bool):
    """The warehouse's workers (variant 'worker'), started and warmed up before the measured
    run, the landing worker's Spark events logged beside the run's; stopped after it."""
    if not wanted:
        yield
        return
    from airline_elt.workers import MODULES, read_worker, start_workers, stop_workers

    events = home / "worker-events"
    events.mkdir()
    saved = os.environ.get("PYSPARK_SUBMIT_ARGS")
    os.environ["PYSPARK_SUBMIT_ARGS"] = (f"--conf spark.eventLog.enabled=true --conf "
                                         f"spark.eventLog.dir=file://{events} pyspark-shell")
    try:
        start_workers(home)
    finally:
        if saved is None:
            os.environ.pop("PYSPARK_SUBMIT_ARGS")
        else:
            os.environ["PYSPARK_SUBMIT_ARGS"] = saved
    started = time.perf_counter()
    while not all((info := read_worker(home, kind)) and info.warm for kind in MODULES):
        if time.perf_counter() - started > 180:
            raise SystemExit(f"the workers did not warm up: see {home / 'logs'}")
        time.sleep(0.5)
    print(f"workers warm after {time.perf_counter() - started:.1f} s", flush=True)
    try:
        yield
    finally:
        stop_workers(home)


def new_day_runs(root: Path, days: int, rows: int, repeat: int,
                 workers: bool = False) -> list[dict[str, float]]:
    sys.path.insert(0, str(PROJECT / "scripts"))
    import benchmark_history as history
    import psycopg

    from airline_landing.ddl import raw_tables_ddl

    home, warehouse = fresh_warehouse(root, f"history-{days}")
    runs = []
    try:
        url = warehouse.start().url()
        with psycopg.connect(url) as conn:
            for statement in raw_tables_ddl("postgres"):
                conn.execute(statement)
        ids = history.airports()
        started = time.perf_counter()
        history.write_history(url, days, rows, ids)
        env = {**os.environ, "AIRLINE_ELT_HOME": str(home)}
        history.timed(["transform"], env)
        print(f"history: {days} days x {rows:,} rows written and built in "
              f"{time.perf_counter() - started:.0f} s ({load()})", flush=True)
        with warm_workers(home, workers):
            for index in range(repeat):
                landing = root / f"new-day-{days}-{index}"
                history.write_day(landing, history.FIRST_DAY + timedelta(days=days + index),
                                  rows, ids, seed=index)
                runs.append(measured_run(["run", str(landing)], home))
    finally:
        warehouse.stop()
    return runs


LEVER_VARIANTS = {
    "current": "current",
}


def spark_levers(root: Path, repeat: int, variants: list[str], landing: Path = SAMPLE) -> None:
    """The Land step (`airline-elt land`) of the sample, or of the folder `landing`, per
    variant, alternating, the raw tables emptied between runs."""
    import psycopg

    home, warehouse = fresh_warehouse(root, "levers")
    owner_url = warehouse.start().url()
    results: dict[str, list[dict[str, float]]] = {variant: [] for variant in variants}
    try:
        for _ in range(repeat):
            for variant in variants:
                results[variant].append(
                    measured_run(["land", "--landing", str(landing)], home, variant))
                with psycopg.connect(owner_url, autocommit=True) as conn:
                    conn.execute("truncate raw.flights_landing, raw.flights_rejected, "
                                 "raw.landed_files")
    finally:
        warehouse.stop()
    base = results[variants[0]]
    keys = ("command", "JVM start (launcher + driver JVM, gateway)", "Spark session creation",
            "Land step", "  Spark planning (staging write outside jobs)", "  Spark first job",
            "  Spark read plan (read_batch: listing, splits)",
            "  Spark plan building (parse_rows, copy_lines: py4j)",
            "Spark tasks: CPU time, summed", "CPU: jvm")
    print(f"\nSpark levers: `airline-elt land` of {landing}, medians of {repeat}, "
          f"variants alternated; ratio to '{variants[0]}' in this run; {load()} now")
    for variant in variants:
        runs = results[variant]
        loads = ", ".join(f"{run['load (1 min) before / after']:.2f}" for run in runs)
        print(f"  {variant}  [load before each run: {loads}]")
        for key in keys:
            median = statistics.median(run[key] for run in runs)
            ratio = median / statistics.median(run[key] for run in base) if base else 1
            print(f"    {key.strip():48s} {median:7.2f} s  x{ratio:4.2f}   ["
                  + ", ".join(f"{run[key]:.2f}" for run in runs) + "]")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == CHILD_FLAG:
        return child(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true", help="the bundled sample's run")
    parser.add_argument("--new-day", action="store_true", help="one new day on a history")
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--rows-per-day", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--spark-levers", action="store_true",
                        help="the Spark part only, per variant of airline_elt.spark's settings")
    parser.add_argument("--variant", action="append",
                        help="with --spark-levers or --sample: 'current', 'nocds', 'c1' or "
                             "'c2' (the small run's JIT or the default, forced), 'worker' "
                             "(--sample, --new-day: the runs use the warehouse's warm "
                             "workers), or "
                             "settings "
                             "changed, "
                             "'name=value+name2=' (empty: removed); repeatable")
    parser.add_argument("--landing", type=Path, default=SAMPLE,
                        help="with --spark-levers: the folder to land (default: the sample)")
    args = parser.parse_args()
    print(f"machine: {load()} (other work on the machine slows every figure)", flush=True)
    with tempfile.TemporaryDirectory(prefix="run-breakdown-") as scratch:
        root = Path(scratch)
        if args.spark_levers:
            spark_levers(root, args.repeat, args.variant or ["current", "nocds"],
                         args.landing)
            return 0
        both = not (args.sample or args.new_day)
        if args.sample or both:
            variants = args.variant or ["current"]
            by_variant: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
            for _ in range(args.repeat):  # alternated: the variants share the load
                for name in variants:
                    by_variant[name] += sample_runs(root, 1, name)
            for name, runs in by_variant.items():
                print_parts(f"`airline-elt run sample_data/landing` into a fresh warehouse "
                            f"({name})", runs)
        if args.new_day or both:
            with_workers = "worker" in (args.variant or [])
            print_parts(f"`airline-elt run` of one new {args.rows_per_day:,}-row day on "
                        f"{args.history_days} days of history"
                        + (" (the warehouse's workers warm)" if with_workers else ""),
                        new_day_runs(root, args.history_days, args.rows_per_day, args.repeat,
                                     with_workers))
    print(f"\nmachine: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
