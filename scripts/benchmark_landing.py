#!/usr/bin/env python
"""Landing throughput against the floor: plain COPY of the same CSV into the same table.

    .venv/bin/python scripts/benchmark_landing.py [--rows 1000000] [--method files|iterator|both]
                                                  [--conninfo URL]

Generates a flights CSV (BTS-like: a month of dates, ~2% cancelled flights with empty
delays), then in the same run, against the same warehouse:
- floor: `COPY raw.flights_landing (...) FROM STDIN (FORMAT csv, HEADER)` of that file
  (the lineage columns get constant defaults inside the transaction, which is rolled back);
- landing: SparkSession start (shown apart), then `land_folder` on a folder holding the file.
Prints rows/s for each and landing/floor. Without --conninfo it starts the local warehouse
($AIRLINE_ELT_HOME). The benchmark's rows are deleted afterwards.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg

from airline_landing.local import create_raw_tables, land_folder

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
            with (
                cursor.copy(
                    f"copy raw.flights_landing ({FLOOR_COLUMNS}) from stdin (format csv, header)"
                ) as copy,
                path.open("rb") as stream,
            ):
                while chunk := stream.read(1 << 20):
                    copy.write(chunk)
            copied = cursor.rowcount
        elapsed = time.perf_counter() - started
        connection.rollback()
    return elapsed, copied


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--method", choices=("files", "iterator", "both"), default="both")
    parser.add_argument("--conninfo", help="libpq URL (default: start the local warehouse)")
    parser.add_argument("--partitions", type=int, default=2, help="spark.sql.shuffle.partitions")
    args = parser.parse_args()

    conninfo = args.conninfo
    if conninfo is None:
        from airline_elt.warehouse import Warehouse

        conninfo = Warehouse().start().url()
    with psycopg.connect(conninfo, autocommit=True) as connection:
        create_raw_tables(connection)

    with tempfile.TemporaryDirectory(prefix="landing-bench-") as tmp:
        folder = Path(tmp) / "landing"
        run = uuid.uuid4().hex[:12]
        csv_path = folder / "daily_flights" / f"bench-{run}" / "flights.csv"
        started = time.perf_counter()
        generate(csv_path, args.rows, seed=int(run, 16))
        size_mb = csv_path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows ({size_mb:.1f} MB) in "
            f"{time.perf_counter() - started:.1f}s"
        )

        floor_s, floor_rows = floor_copy(conninfo, csv_path)
        floor_rate = floor_rows / floor_s
        print(f"floor   plain COPY                   {floor_s:7.2f}s  {floor_rate:12,.0f} rows/s")

        started = time.perf_counter()
        spark = start_spark(args.partitions)
        spark.sparkContext.setLogLevel("ERROR")
        spark_s = time.perf_counter() - started
        print(f"spark   session start                {spark_s:7.2f}s  (apart)")

        # The first landing of a run pays the JVM's JIT warm-up; later files do not.
        if args.method == "both":
            methods = ("files", "files", "iterator")
        else:
            methods = (args.method, args.method)
        for attempt, method in enumerate(methods):
            label = f"{method}, {'first file' if attempt == 0 else 'warm JVM'}"
            # A fresh key per method, so neither is a duplicate of the other.
            method_folder = Path(tmp) / f"landing-{attempt}"
            target = method_folder / "daily_flights" / f"bench-{run}-{attempt}" / "flights.csv"
            target.parent.mkdir(parents=True)
            target.hardlink_to(csv_path)
            started = time.perf_counter()
            report = land_folder(
                spark,
                method_folder,
                conninfo,
                f"benchmark-{run}",
                copy_method=method,
                stage_root=Path(tmp),
            )
            land_s = time.perf_counter() - started
            rate = report.rows_landed / land_s
            result = report.files[0]
            print(
                f"landing ({label:<20}) {land_s:7.2f}s  {rate:12,.0f} rows/s  "
                f"= {rate / floor_rate:5.1%} of floor  "
                f"[{result.status}: read {result.rows_read:,}, landed {result.rows_landed:,}, "
                f"rejected {result.rows_rejected:,}]"
            )
            with psycopg.connect(conninfo, autocommit=True) as connection, connection.transaction():
                version = result.file_version_id
                connection.execute(
                    "delete from raw.flights_landing where file_version_id = %s", (version,)
                )
                connection.execute(
                    "delete from raw.flights_rejected where file_version_id = %s", (version,)
                )
                connection.execute(
                    "delete from raw.landed_files where file_version_id = %s", (version,)
                )
        spark.stop()


if __name__ == "__main__":
    main()
