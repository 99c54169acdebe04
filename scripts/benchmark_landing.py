#!/usr/bin/env python
"""Landing throughput against the floor: plain COPY of the same CSV into the same table.

    .venv/bin/python scripts/benchmark_landing.py [--rows 1000000]
                                                  [--repeat 3] [--conninfo URL]
    .venv/bin/python scripts/benchmark_landing.py --backfill [--files 365] [--rows-per-file 20000]
    .venv/bin/python scripts/benchmark_landing.py --sample

--backfill: N daily files of R rows (default 365 x 20,000 = 7.3 M rows, generated
deterministically) landed as one run (batches, airline_landing.bounds) against the floor
measured in the same run: plain COPY of the same rows into the same table. Then the same
rows as ONE file: the difference over N is the fixed cost per file. Prints rows/s, the
ratio to the floor, the Spark start apart, and peak memory (Python, JVM).
--sample: the bundled sample folder landed as `airline-elt run` lands it, the JVM
starting in the background while the files are hashed: the Land step including the start.

Single-file mode (the default):

Generates a flights CSV (BTS-like: a month of dates, ~2% cancelled flights with empty
delays), then in the same run, against the same warehouse:
- floor: `COPY raw.flights_landing (...) FROM STDIN (FORMAT csv, HEADER)` of that file
  (the lineage columns get constant defaults inside the transaction, which is rolled back);
- landing: SparkSession start (shown apart), then `land_folder` on a folder holding the file.
Prints rows/s for each and landing/floor: medians of --repeat runs (the landing's first
file of the session, cold JIT, shown apart), with the machine's load average. Without
--conninfo it starts the local warehouse ($AIRLINE_ELT_HOME). The benchmark's rows are
deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg

from airline_landing.bounds import bounds_from
from airline_landing.local import create_raw_tables, land_folder

# The warehouse's postmaster pid (for its CPU seconds) is read by the tests' helper.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers import server_pid as warehouse_server_pid

CARRIERS = ("AA", "DL", "UA", "WN", "B6", "AS", "NK", "F9", "HA", "G4")
AIRPORTS = (10397, 12478, 13930, 11298, 12892, 14107, 11292, 13204, 14747, 12266)
HEADER = "FlightDate,Carrier,FlightID,OriginAirportID,DestAirportID,DepDelay,ArrDelay\n"
FLOOR_COLUMNS = (
    "flight_date, carrier, flight_id, origin_airport_id, dest_airport_id, dep_delay, arr_delay"
)


def generate(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    first = date(2023, 11, 1)
    days = [(first + timedelta(days=i)).isoformat() for i in range(30)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        batch = []
        for n in range(rows):
            carrier = rng.choice(CARRIERS)
            if rng.random() < 0.02:
                dep = arr = ""
            else:
                dep = str(rng.randint(-15, 240))
                arr = str(int(dep) + rng.randint(-20, 20))
            batch.append(
                f"{days[n % 30]},{carrier},{carrier}{n % 9000 + 1},{rng.choice(AIRPORTS)},"
                f"{rng.choice(AIRPORTS)},{dep},{arr}\n"
            )
            if len(batch) == 50_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))


def floor_copy(conninfo: str, path: Path) -> tuple[float, int]:
    """Plain COPY of the file into raw.flights_landing, timed; rolled back."""
    return floor_copy_many(conninfo, [path])


def start_spark(partitions: int):
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[*]")
        .appName("landing-benchmark")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .getOrCreate()
    )


def land_once(
    spark,
    tmp: Path,
    csv_path: Path,
    conninfo: str,
    run: str,
    attempt: int,
    server_pid: int | None,
):
    """Land the file under a fresh key (so it is never a duplicate); time it; remove its rows."""
    folder = tmp / f"landing-{attempt}"
    target = folder / "daily_flights" / f"bench-{run}-{attempt}" / "flights.csv"
    target.parent.mkdir(parents=True)
    target.hardlink_to(csv_path)
    cpu_before = (tree_cpu_seconds(os.getpid()), tree_cpu_seconds(server_pid))
    started = time.perf_counter()
    report = land_folder(
        spark, folder, conninfo, f"benchmark-{run}", stage_root=tmp
    )
    elapsed = time.perf_counter() - started
    cpu = cpu_note(cpu_before, (tree_cpu_seconds(os.getpid()), tree_cpu_seconds(server_pid)))
    result = report.files[0]
    with psycopg.connect(conninfo, autocommit=True) as connection:
        with connection.transaction():
            for table in RAW_TABLES:
                connection.execute(
                    f"delete from {table} where file_version_id = %s", (result.file_version_id,)
                )
        vacuum(connection)
    return elapsed, result, cpu


def tree_cpu_seconds(root: int | None) -> float | None:
    """CPU seconds used so far by a process, its live descendants and its reaped children
    (Linux /proc; None elsewhere). Less disturbed by other work on the machine than
    wall-clock time: the figure to compare changes by when the machine is busy."""
    if root is None:
        return None
    try:
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    except OSError:
        return None
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


def cpu_note(before: tuple, after: tuple) -> str:
    spent = [
        b - a if a is not None and b is not None else None
        for a, b in zip(before, after, strict=True)
    ]
    return "cpu " + ", ".join(
        f"{name} {value:.1f}s"
        for name, value in zip(("spark+python", "postgres"), spent, strict=True)
        if value is not None
    )


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def generate_days(folder: Path, files: int, rows: int, seed: int) -> list[Path]:
    """`files` daily files of `rows` rows each under folder/daily_flights/date=.../."""
    rng = random.Random(seed)
    first = date(2023, 1, 1)
    paths = []
    for day_index in range(files):
        day = (first + timedelta(days=day_index)).isoformat()
        path = folder / "daily_flights" / f"date={day}" / "flights.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [HEADER]
        for n in range(rows):
            carrier = CARRIERS[n % len(CARRIERS)]
            if rng.random() < 0.02:
                dep = arr = ""
            else:
                dep = str(rng.randint(-15, 240))
                arr = str(int(dep) + rng.randint(-20, 20))
            lines.append(
                f"{day},{carrier},{carrier}{n + 1},{AIRPORTS[n % 10]},"
                f"{AIRPORTS[(n * 7 + 3) % 10]},{dep},{arr}\n"
            )
        path.write_text("".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def floor_copy_many(conninfo: str, paths: list[Path]) -> tuple[float, int]:
    """Plain COPY of every file into raw.flights_landing in one transaction; rolled back."""
    total_s, total_rows = 0.0, 0
    with psycopg.connect(conninfo) as connection:
        for column, default in (
            ("source_key", "'benchmark'"),
            ("source_line_number", "0"),
            ("file_version_id", "0"),
            ("landed_at", "now()"),
        ):
            connection.execute(
                f"alter table raw.flights_landing alter column {column} set default {default}"
            )
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for path in paths:
                with (
                    cursor.copy(
                        f"copy raw.flights_landing ({FLOOR_COLUMNS}) "
                        "from stdin (format csv, header)"
                    ) as copy,
                    path.open("rb") as stream,
                ):
                    while chunk := stream.read(1 << 20):
                        copy.write(chunk)
                total_rows += cursor.rowcount
        total_s = time.perf_counter() - started
        connection.rollback()
        connection.autocommit = True
        vacuum(connection)
    return total_s, total_rows


def peak_memory_note(jvm_pid: int | None) -> str:
    """Peak resident memory of this Python process and of the JVM (VmHWM)."""
    import resource

    python_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    note = f"peak memory: python {python_mb:,.0f} MB"
    if jvm_pid is not None:
        try:
            for line in Path(f"/proc/{jvm_pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    note += f", JVM {int(line.split()[1]) / 1024:,.0f} MB"
        except OSError:
            pass
    return note


def jvm_pid() -> int | None:
    """The Spark driver JVM started by this process (a java child), if any."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == os.getpid() and b"java" in command:
            return int(entry.name)
    return None


SERVER_PID: list[int | None] = [None]  # the warehouse's postmaster, for CPU seconds


def land_backfill(spark, folder: Path, conninfo: str, run_id: str, stage: Path):
    """Land a folder as one run; time it (wall clock, and CPU seconds of this process tree
    and of PostgreSQL: less disturbed by other work on the machine); remove what it
    landed. Returns (seconds, report, cpu note, cpu seconds in all)."""
    before = (tree_cpu_seconds(os.getpid()), tree_cpu_seconds(SERVER_PID[0]))
    started = time.perf_counter()
    report = land_folder(spark, folder, conninfo, run_id, stage_root=stage, bounds=bounds_from())
    elapsed = time.perf_counter() - started
    after = (tree_cpu_seconds(os.getpid()), tree_cpu_seconds(SERVER_PID[0]))
    cpu_total = sum((b or 0) - (a or 0) for a, b in zip(before, after, strict=True))
    versions = [f.file_version_id for f in report.files]
    with psycopg.connect(conninfo, autocommit=True) as connection:
        with connection.transaction():
            for table in RAW_TABLES:
                connection.execute(
                    f"delete from {table} where file_version_id = any(%s)", (versions,)
                )
        vacuum(connection)
    return elapsed, report, cpu_note(before, after), cpu_total


RAW_TABLES = ("raw.flights_landing", "raw.flights_rejected", "raw.landed_files")


def vacuum(connection: psycopg.Connection) -> None:
    """Clean up the dead rows a measured step left (its deleted or rolled-back rows)
    before the next step, outside its timing: otherwise autovacuum cleans them up *during*
    the next step, and its CPU and I/O are counted against that step."""
    for table in RAW_TABLES:
        connection.execute(f"vacuum (analyze) {table}")


def backfill(args: argparse.Namespace, conninfo: str) -> None:
    from airline_elt.spark import start_spark as runner_spark

    with tempfile.TemporaryDirectory(prefix="landing-backfill-") as tmp_name:
        tmp = Path(tmp_name)
        run = uuid.uuid4().hex[:12]
        started = time.perf_counter()
        folder = tmp / f"run-{run}"
        paths = generate_days(folder, args.files, args.rows_per_file, seed=42)
        rows = args.files * args.rows_per_file
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        print(f"generated {args.files} files x {args.rows_per_file:,} rows = {rows:,} rows "
              f"({size_mb:.0f} MB) in {time.perf_counter() - started:.1f}s")
        before = (tree_cpu_seconds(os.getpid()), tree_cpu_seconds(SERVER_PID[0]))
        floor_s, copied = floor_copy_many(conninfo, paths)
        floor_cpu = cpu_note(before, (tree_cpu_seconds(os.getpid()),
                                      tree_cpu_seconds(SERVER_PID[0])))
        floor_rate = copied / floor_s
        print(f"floor   plain COPY of every file      {floor_s:7.2f}s  {floor_rate:12,.0f} rows/s"
              f"  [{floor_cpu}]")

        started = time.perf_counter()
        spark = runner_spark(tmp / "spark.log")
        print(f"spark   session start                 {time.perf_counter() - started:7.2f}s"
              "  (apart)")
        # A folder of 200,000 rows first: the JVM's JIT compiles the parse's hot code
        # (C2, which takes a few hundred thousand rows), so neither measured run pays for
        # it and their order does not matter.
        warm = generate_days(tmp / "warm", 10, 20_000, seed=7)
        land_backfill(spark, warm[0].parents[2], conninfo, f"bench-warm-{run}", tmp)

        elapsed, report, cpu, cpu_s = land_backfill(
            spark, folder, conninfo, f"bench-{run}", tmp
        )
        rate = report.rows_landed / elapsed
        print(f"landing {args.files} files, one run          {elapsed:7.2f}s  {rate:12,.0f} rows/s"
              f"  = {rate / floor_rate:5.1%} of floor  [landed {report.files_landed} files, "
              f"{report.rows_landed:,} rows, rejected {report.rows_rejected:,}; {cpu}]")
        one = tmp / f"one-{run}" / "daily_flights" / "all.csv"
        one.parent.mkdir(parents=True)
        with one.open("w", encoding="utf-8") as out:
            out.write(HEADER)
            for path in paths:
                with path.open(encoding="utf-8") as source:
                    next(source)
                    for chunk in iter(lambda source=source: source.read(1 << 20), ""):
                        out.write(chunk)
        one_s, one_report, one_cpu, one_cpu_s = land_backfill(
            spark, one.parents[1], conninfo, f"bench1-{run}", tmp
        )
        fixed_ms = (elapsed - one_s) / args.files * 1000
        print(f"landing the same rows as ONE file      {one_s:7.2f}s  "
              f"{one_report.rows_landed / one_s:12,.0f} rows/s  = "
              f"{one_report.rows_landed / one_s / floor_rate:5.1%} of floor  [{one_cpu}]")
        print(f"fixed cost per file: ({elapsed:.2f}s - {one_s:.2f}s) / {args.files} = "
              f"{fixed_ms:.1f} ms wall, "
              f"{(cpu_s - one_cpu_s) / args.files * 1000:.1f} ms CPU")
        print(peak_memory_note(jvm_pid()))
        spark.stop()


def sample(conninfo: str) -> None:
    """The bundled sample, landed as the runner lands it: JVM start hidden behind the
    hashing, the Land step timed including it."""
    import shutil

    from airline_elt.spark import SparkStarter

    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="landing-sample-") as tmp_name:
        tmp = Path(tmp_name)
        run = uuid.uuid4().hex[:12]
        folder = tmp / "landing"
        # Under a key prefix of this run's own, so nothing is a duplicate of earlier runs.
        shutil.copytree(repo / "sample_data" / "landing" / "daily_flights",
                        folder / "daily_flights" / f"bench-{run}")
        started = time.perf_counter()
        with SparkStarter(tmp / "spark.log") as starter:
            starter.start()
            _, report, cpu, _ = land_backfill(
                starter.session, folder, conninfo, f"bench-sample-{run}", tmp
            )
            elapsed = time.perf_counter() - started
            print(f"sample  Land step incl. JVM start      {elapsed:7.2f}s  "
                  f"[{report.files_landed} files, {report.rows_landed:,} rows landed, "
                  f"{report.rows_rejected:,} rejected; landing alone: {cpu}]")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backfill", action="store_true",
                        help="N daily files landed as one run (see --files, --rows-per-file)")
    parser.add_argument("--files", type=int, default=365)
    parser.add_argument("--rows-per-file", type=int, default=20_000)
    parser.add_argument("--sample", action="store_true",
                        help="the bundled sample's Land step, JVM start included")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--conninfo", help="libpq URL (default: start the local warehouse)")
    parser.add_argument("--partitions", type=int, default=2, help="spark.sql.shuffle.partitions")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (and floor runs)")
    parser.add_argument("--no-class-archive", action="store_true",
                        help="start Spark's driver without its class-data-sharing archive "
                             "(airline_elt.spark), as before `make spark-archive`")
    parser.add_argument("--spark-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting of airline_elt.spark's session to try (--backfill, "
                             "--sample); repeatable")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    from airline_elt import spark as runner_spark

    if args.no_class_archive:
        runner_spark.archive_options = lambda: None
    for setting in args.spark_setting:
        name, _, value = setting.partition("=")
        runner_spark.SETTINGS = {**runner_spark.SETTINGS, name: value}
        print(f"Spark setting tried: {name}={value}")

    conninfo, server_pid = args.conninfo, None
    if conninfo is None:
        from airline_elt.warehouse import Warehouse

        warehouse = Warehouse()
        conninfo = warehouse.start().url()
        server_pid = warehouse_server_pid(warehouse)
        SERVER_PID[0] = server_pid
    with psycopg.connect(conninfo, autocommit=True) as connection:
        create_raw_tables(connection)

    from airline_elt.spark import archive_options

    print(f"machine: {load_note()} (other work on the machine slows every figure)")
    print(f"Spark driver's class archive (--backfill, --sample): "
          f"{'in use' if archive_options() else 'none'}")
    if args.backfill or args.sample:
        if args.sample:
            sample(conninfo)
        if args.backfill:
            backfill(args, conninfo)
        print(f"machine: {load_note()}")
        return
    single_file(args, conninfo, server_pid)
    print(f"machine: {load_note()}")


def single_file(args: argparse.Namespace, conninfo: str, server_pid: int | None) -> None:
    """One generated file of --rows rows: the COPY floor, then the landing, cold and warm."""
    with tempfile.TemporaryDirectory(prefix="landing-bench-") as tmp_name:
        tmp = Path(tmp_name)
        run = uuid.uuid4().hex[:12]
        csv_path = tmp / "source" / "flights.csv"
        started = time.perf_counter()
        generate(csv_path, args.rows, seed=int(run, 16))
        size_mb = csv_path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows ({size_mb:.1f} MB) in "
            f"{time.perf_counter() - started:.1f}s"
        )

        floor_runs = []
        for _ in range(args.repeat):
            cpu_before = (tree_cpu_seconds(os.getpid()), tree_cpu_seconds(server_pid))
            elapsed, copied = floor_copy(conninfo, csv_path)
            cpu_after = (tree_cpu_seconds(os.getpid()), tree_cpu_seconds(server_pid))
            floor_runs.append((elapsed, copied, cpu_note(cpu_before, cpu_after)))
        floor_s = statistics.median(elapsed for elapsed, _, _ in floor_runs)
        floor_rate = floor_runs[0][1] / floor_s
        runs = ", ".join(f"{elapsed:.2f}s ({cpu})" for elapsed, _, cpu in floor_runs)
        print(
            f"floor   plain COPY (median)          {floor_s:7.2f}s  {floor_rate:12,.0f} rows/s"
            f"  [runs: {runs}]"
        )

        started = time.perf_counter()
        spark = start_spark(args.partitions)
        spark.sparkContext.setLogLevel("ERROR")
        spark_s = time.perf_counter() - started
        print(f"spark   session start                {spark_s:7.2f}s  (apart)")

        methods = ("files",)
        attempt = 0
        for method in methods:
            # The first landing of a session pays the JVM's JIT warm-up; later files do not.
            timings = []
            for round_ in range(args.repeat + 1):
                elapsed, result, cpu = land_once(
                    spark, tmp, csv_path, conninfo, run, attempt, server_pid
                )
                attempt += 1
                timings.append((elapsed, cpu))
                if round_ == 0:
                    rate = result.rows_landed / elapsed
                    print(
                        f"landing ({method}, first file)      {elapsed:7.2f}s  {rate:12,.0f} rows/s"
                        f"  = {rate / floor_rate:5.1%} of floor  [{result.status}: "
                        f"read {result.rows_read:,}, landed {result.rows_landed:,}, "
                        f"rejected {result.rows_rejected:,}; {cpu}]"
                    )
            warm_s = statistics.median(elapsed for elapsed, _ in timings[1:])
            rate = result.rows_landed / warm_s
            runs = ", ".join(f"{elapsed:.2f}s ({cpu})" for elapsed, cpu in timings[1:])
            print(
                f"landing ({method}, warm JVM, median) {warm_s:7.2f}s  {rate:12,.0f} rows/s"
                f"  = {rate / floor_rate:5.1%} of floor  [runs: {runs}]"
            )
        spark.stop()


if __name__ == "__main__":
    main()
