#!/usr/bin/env python
"""dbt at scale: what one new day costs on a month and on a year of history.

    .venv/bin/python scripts/benchmark_history.py [--days 30 365] [--rows-per-day 20000]

For each history size, in a fresh warehouse (a state folder of its own under a temporary
folder), it writes N days x rows-per-day flights straight into raw.* (SQL, the quick way:
the history is not what is measured), then times, through the `airline-elt` commands a user
runs:

- backfill build: `airline-elt transform` on the whole history;
- one new day: a rows-per-day CSV landed by the real landing job (`airline-elt land`),
  then `airline-elt transform`;
- nothing new: `airline-elt transform` (dbt is not started: nothing new to build),
  `airline-elt run` on the same folder (every file a duplicate; Spark starts to find that
  out, dbt does not), then `airline-elt dbt build` (dbt runs: every model finds no date to
  rebuild, no view is refreshed);
- dbt's own start-up: `airline-elt dbt ls` (parse, with partial parsing kept).

Prints one table row per size, the ratios of the largest size to the smallest, where the
new day's build spends its time (dbt's run_results.json: the slowest nodes), and the load
average beside it (other load slows every figure).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg

from airline_elt.warehouse import Warehouse

PROJECT = Path(__file__).resolve().parent.parent
CARRIERS = ("AA", "DL", "UA", "WN", "B6", "AS", "NK", "F9", "HA", "G4")
FIRST_DAY = date(2023, 1, 1)


@dataclass
class Figures:
    days: int
    flights: int
    backfill: float = 0.0
    new_day_land: float = 0.0
    new_day_build: float = 0.0
    nothing_new_build: float = 0.0
    nothing_new_transform: float = 0.0
    nothing_new_run: float = 0.0
    dbt_start: float = 0.0
    slowest: list[tuple[str, float]] = field(default_factory=list)

    @property
    def new_day_total(self) -> float:
        return self.new_day_land + self.new_day_build


def airports() -> list[int]:
    with (PROJECT / "seeds" / "airports_dim.csv").open(encoding="utf-8") as src:
        return [int(row["airport_id"]) for row in csv.DictReader(src)]


def write_history(url: str, days: int, rows_per_day: int, airport_ids: list[int]) -> None:
    """One landed file version per day and its flights, by SQL (deterministic: setseed)."""
    with psycopg.connect(url) as conn:
        conn.execute("select setseed(0.42)")
        conn.execute(
            """
            insert into raw.landed_files (file_key, content_sha256, file_bytes, rows_read,
                rows_landed, rows_rejected, status, run_id, landed_at)
            select 'daily_flights/date=' || d::date || '/flights.csv',
                md5(d::text) || md5(d::text), 0, %(rows)s, %(rows)s, 0, 'landed',
                'history', now()
            from generate_series(%(first)s::date, %(first)s::date + %(days)s - 1,
                interval '1 day') as d
            """,
            {"rows": rows_per_day, "first": FIRST_DAY, "days": days},
        )
        conn.execute(
            """
            insert into raw.flights_landing (flight_id, carrier, origin_airport_id,
                dest_airport_id, dep_delay, arr_delay, flight_date, source_key,
                source_line_number, file_version_id, landed_at)
            select
                carrier || (n %% 9000 + 1), carrier,
                (%(airports)s::bigint[])[1 + (n * 7) %% cardinality(%(airports)s::bigint[])],
                (%(airports)s::bigint[])[1 + (n * 13 + 5) %% cardinality(%(airports)s::bigint[])],
                dep, case when dep is null then null else dep + (n %% 41) - 20 end,
                flight_date, file_key, n + 1, file_version_id, now()
            from (
                select
                    f.file_version_id, f.file_key,
                    substring(f.file_key from 'date=([0-9-]+)')::date as flight_date,
                    n,
                    (%(carriers)s::text[])[1 + n %% 10] as carrier,
                    case when random() < 0.02 then null
                        else (-15 + floor(random() * 120) + floor(random() * random() * 300))::int
                    end as dep
                from raw.landed_files as f
                cross join generate_series(1, %(rows)s) as n
            ) as generated
            """,
            {"rows": rows_per_day, "airports": airport_ids, "carriers": list(CARRIERS)},
        )
        conn.execute("analyze raw.flights_landing")
        conn.execute("analyze raw.landed_files")


def write_day(folder: Path, day: date, rows: int, airport_ids: list[int], seed: int) -> None:
    rng = random.Random(seed)
    target = folder / "daily_flights" / f"date={day}" / "flights.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as out:
        out.write("FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate\n")
        for n in range(rows):
            carrier = CARRIERS[n % 10]
            origin, dest = rng.sample(airport_ids, 2)
            if rng.random() < 0.02:
                dep = arr = ""
            else:
                dep_value = -15 + rng.randrange(120) + int(rng.random() * rng.random() * 300)
                dep, arr = str(dep_value), str(dep_value + rng.randint(-20, 20))
            out.write(f"{carrier}{n + 1},{carrier},{origin},{dest},{dep},{arr},{day}\n")


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [str(Path(sys.executable).with_name("airline-elt")), *args],
        cwd=PROJECT, env=env, capture_output=True, text=True, check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"airline-elt {' '.join(args)} failed:\n{result.stdout[-3000:]}"
                         f"\n{result.stderr[-3000:]}")
    return seconds


def slowest_nodes(home: Path, count: int = 8) -> list[tuple[str, float]]:
    results = json.loads((home / "dbt" / "target" / "run_results.json").read_text())
    timings = [(item["unique_id"].split(".", 2)[-1], float(item["execution_time"]))
               for item in results["results"]]
    return sorted(timings, key=lambda item: -item[1])[:count]


def measure(days: int, rows_per_day: int, scratch: Path) -> Figures:
    home = scratch / f"home-{days}"
    env = {**os.environ, "AIRLINE_ELT_HOME": str(home)}
    warehouse = Warehouse(home)
    connection = warehouse.start()
    figures = Figures(days=days, flights=days * rows_per_day)
    try:
        from airline_landing.ddl import raw_tables_ddl

        with psycopg.connect(connection.url()) as conn:
            for statement in raw_tables_ddl("postgres"):
                conn.execute(statement)
        ids = airports()
        write_history(connection.url(), days, rows_per_day, ids)
        figures.backfill = timed(["transform"], env)
        landing = scratch / f"landing-{days}"
        write_day(landing, FIRST_DAY + timedelta(days=days), rows_per_day, ids, seed=days)
        figures.new_day_land = timed(["land", "--landing", str(landing)], env)
        figures.new_day_build = timed(["transform"], env)
        figures.slowest = slowest_nodes(home)
        # transform and run first: any `airline-elt dbt` command makes the next transform build
        # (the warehouse is no longer what the last plain build left), so after `dbt build`
        # transform would measure a build, not the skip.
        figures.nothing_new_transform = timed(["transform"], env)
        figures.nothing_new_run = timed(["run", "--landing", str(landing)], env)
        figures.nothing_new_build = timed(["dbt", "build"], env)
        figures.dbt_start = timed(["dbt", "ls", "--select", "daily_flights_fact", "--quiet"], env)
    finally:
        warehouse.stop()
    return figures


def report(all_figures: list[Figures], rows_per_day: int) -> None:
    print(f"\nrows per day: {rows_per_day:,}; load average now: "
          + ", ".join(f"{value:.2f}" for value in os.getloadavg()) + f" ({os.cpu_count()} CPUs)")
    print("\n| history | backfill build | new day: land | new day: build | new day: land + build"
          " | nothing new: dbt build | nothing new: transform | nothing new: run"
          " | dbt start-up (ls) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for f in all_figures:
        print(f"| {f.days} days ({f.flights / 1e6:.1f} M flights) | {f.backfill:.1f} s"
              f" | {f.new_day_land:.1f} s | {f.new_day_build:.1f} s | {f.new_day_total:.1f} s"
              f" | {f.nothing_new_build:.1f} s | {f.nothing_new_transform:.1f} s"
              f" | {f.nothing_new_run:.1f} s | {f.dbt_start:.1f} s |")
    if len(all_figures) > 1:
        small, large = all_figures[0], all_figures[-1]
        print(f"\nratios {large.days} days / {small.days} days: "
              f"backfill {large.backfill / small.backfill:.2f}, "
              f"new day build {large.new_day_build / small.new_day_build:.2f}, "
              f"new day land + build {large.new_day_total / small.new_day_total:.2f}, "
              f"nothing new build {large.nothing_new_build / small.nothing_new_build:.2f}")
    for f in all_figures:
        print(f"\nnew day's build on {f.days} days, slowest dbt nodes:")
        for name, seconds in f.slowest:
            print(f"  {seconds:6.2f} s  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[30, 365],
                        help="history sizes in days (default: 30 365)")
    parser.add_argument("--rows-per-day", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="airline-elt-history-") as scratch:
        figures = []
        for days in sorted(args.days):
            print(f"{days} days: writing the history and building ...", flush=True)
            figures.append(measure(days, args.rows_per_day, Path(scratch)))
        report(figures, args.rows_per_day)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
