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
- dbt's own start-up: `airline-elt dbt ls` (parse, with partial parsing kept), and the
  same `dbt ls` through a new `dbt` process against the dbt process a watch keeps (KeptDbt),
  alternated, medians of 3: the start-up a build under `watch` no longer pays;
- the event-driven path: `airline-elt watch` on a folder, two more new days dropped one
  after the other (the second run lands in the JVM the watch kept warm).

The flights are real-shaped (ROUTES, the delay constants): the fact's size (the flights
more than an hour late) and the daily aggregate's (one row per date, carrier and route)
follow from that shape, and so does what a year costs to build.

Prints one table row per size, the ratios of the largest size to the smallest, where the
backfill and the new day's build spend their time (dbt's run_results.json: the slowest
nodes; with 2 threads the nodes overlap, so their times add up to more than the build's),
the watched runs, and the load
average beside it (other load slows every figure).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg

from airline_elt.dbt import KeptDbt, run_dbt
from airline_elt.warehouse import Connection, Warehouse

PROJECT = Path(__file__).resolve().parent.parent
CARRIERS = ("AA", "DL", "UA", "WN", "B6", "AS", "NK", "F9", "HA", "G4")
FIRST_DAY = date(2023, 1, 1)


@dataclass(frozen=True)
class WatchedRun:
    """One run of `airline-elt watch`, as its own step lines print it."""

    land: float
    build: float

    @property
    def total(self) -> float:
        return self.land + self.build


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
    dbt_process_ls: float = 0.0
    kept_dbt_ls: float = 0.0
    watch_runs: list[WatchedRun] = field(default_factory=list)
    slowest: list[tuple[str, float]] = field(default_factory=list)
    backfill_slowest: list[tuple[str, float]] = field(default_factory=list)

    @property
    def new_day_total(self) -> float:
        return self.new_day_land + self.new_day_build


def airports() -> list[int]:
    with (PROJECT / "seeds" / "airports_dim.csv").open(encoding="utf-8") as src:
        return [int(row["airport_id"]) for row in csv.DictReader(src)]


# The flights' shape, real-shaped rather than uniform (what a year costs depends on it: the
# fact holds the flights delayed more than an hour, the daily aggregate one row per date,
# carrier and route): ROUTES (route, carrier) pairs over the seed's airports, the popular
# ones flown more often; 2 % cancelled (no departure delay), 80 % of the rest leave less
# than 15 minutes late, the others 15 minutes late plus an exponential tail of mean
# DELAY_TAIL_MINUTES: about 20 % leave 15 minutes late or more and 6 % more than an hour,
# as in BTS's recent years (the bundled sample, BTS's November 2023: 13.5 % and 4.1 %).
ROUTES = 10_000
CANCELLED = 0.02
LATE = 0.2
DELAY_TAIL_MINUTES = 37.5


def route_airports(route: int, airport_ids: list[int]) -> tuple[int, int]:
    """The origin and destination of a route (never the same airport)."""
    count = len(airport_ids)
    origin = route % count
    return airport_ids[origin], airport_ids[(origin + 1 + (route // count) % (count - 1)) % count]


def write_history(url: str, days: int, rows_per_day: int, airport_ids: list[int]) -> None:
    """One landed file version per day and its flights, by SQL (deterministic: setseed), in
    the shape of ROUTES and the delay constants above (route_airports, write_day)."""
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
                (%(airports)s::bigint[])[1 + origin_index],
                (%(airports)s::bigint[])[1 + (origin_index + 1
                    + (route / %(count)s) %% (%(count)s - 1)) %% %(count)s],
                dep, case when dep is null then null else dep + (n %% 41) - 20 end,
                flight_date, file_key, n + 1, file_version_id, now()
            from (
                select
                    file_version_id, file_key, flight_date, n, route,
                    route %% %(count)s as origin_index,
                    (%(carriers)s::text[])[1 + (route * 7919) %% 10] as carrier,
                    case
                        when shape < %(cancelled)s then null
                        when random() >= %(late)s then floor(random() * 25)::int - 10
                        else 15 + floor(-%(tail)s * ln(1 - random()))::int
                    end as dep
                from (
                    select
                        f.file_version_id, f.file_key,
                        substring(f.file_key from 'date=([0-9-]+)')::date as flight_date,
                        n,
                        floor(power(random(), 2) * %(routes)s)::int as route,
                        random() as shape
                    from raw.landed_files as f
                    cross join generate_series(1, %(rows)s) as n
                ) as drawn
            ) as generated
            """,
            {"rows": rows_per_day, "airports": airport_ids, "count": len(airport_ids),
             "carriers": list(CARRIERS), "routes": ROUTES, "cancelled": CANCELLED,
             "late": LATE, "tail": DELAY_TAIL_MINUTES},
        )
        conn.execute("analyze raw.flights_landing")
        conn.execute("analyze raw.landed_files")


def write_day(folder: Path, day: date, rows: int, airport_ids: list[int], seed: int) -> None:
    """One day's CSV in the shape write_history gives the history."""
    rng = random.Random(seed)
    target = folder / "daily_flights" / f"date={day}" / "flights.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as out:
        out.write("FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate\n")
        for n in range(rows):
            route = int(rng.random() ** 2 * ROUTES)
            carrier = CARRIERS[route * 7919 % 10]
            origin, dest = route_airports(route, airport_ids)
            if rng.random() < CANCELLED:
                dep = arr = ""
            else:
                dep_value = (rng.randrange(25) - 10 if rng.random() >= LATE
                             else 15 + int(rng.expovariate(1 / DELAY_TAIL_MINUTES)))
                dep, arr = str(dep_value), str(dep_value + rng.randint(-20, 20))
            out.write(f"{carrier}{n % 9000 + 1},{carrier},{origin},{dest},{dep},{arr},{day}\n")


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


STEP_SECONDS = re.compile(r"✓ (Land new files|Build the models with dbt) \(([0-9.]+) s\)")


def watched_days(env: dict[str, str], folder: Path, days: list[date], rows: int,
                 airport_ids: list[int]) -> list[WatchedRun]:
    """The event-driven path: `airline-elt watch` on a folder, one new day dropped after the
    other, each timed by the step lines the watch prints. Spark's session is kept between
    the watch's runs (airline_elt/spark.py, KeptSpark): the second run lands in a warm JVM."""
    (folder / "daily_flights").mkdir(parents=True)
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("airline-elt")), "watch", str(folder),
         "--interval", "0.2", "--settle", "0.5", "--max-runs", str(len(days))],
        cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout is not None
    runs, seen = [], []
    try:
        for line in process.stdout:
            seen.append(line)
            if "watching" in line:
                break
        time.sleep(10)  # a watch that has been running: its JVM is up
        for number, day in enumerate(days):
            write_day(folder, day, rows, airport_ids, seed=1000 + number)
            steps: dict[str, float] = {}
            for line in process.stdout:
                seen.append(line)
                if match := STEP_SECONDS.search(line):
                    steps[match.group(1)] = float(match.group(2))
                if ": SUCCEEDED in" in line or ": FAILED" in line:
                    break
            if len(steps) != 2:
                raise SystemExit("airline-elt watch did not finish a run:\n" + "".join(seen))
            runs.append(WatchedRun(steps["Land new files"], steps["Build the models with dbt"]))
        process.wait(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
    return runs


def slowest_nodes(home: Path, count: int = 8) -> list[tuple[str, float]]:
    results = json.loads((home / "dbt" / "target" / "run_results.json").read_text())
    timings = [(item["unique_id"].split(".", 2)[-1], float(item["execution_time"]))
               for item in results["results"]]
    return sorted(timings, key=lambda item: -item[1])[:count]


def dbt_start_up(connection: Connection, home: Path, repeat: int = 3) -> tuple[float, float]:
    """`dbt ls` of one model through a new `dbt` process and through the dbt process a watch
    keeps (KeptDbt), alternated: the medians, in seconds."""
    args = ["ls", "--select", "daily_flights_fact", "--quiet"]
    kept = KeptDbt(home / "logs" / "benchmark-dbt-process.log")
    times: dict[str, list[float]] = {"process": [], "kept": []}
    try:
        warm_up = kept.run(args, connection, home=home, capture=True)  # start and import
        if warm_up.returncode != 0:
            raise SystemExit(f"dbt ls failed (kept):\n{warm_up.stdout[-3000:]}"
                             f"\n{warm_up.stderr[-3000:]}")
        for _ in range(repeat):
            for name, runner in (("process", run_dbt), ("kept", kept.run)):
                started = time.perf_counter()
                result = runner(args, connection, home=home, capture=True)
                times[name].append(time.perf_counter() - started)
                if result.returncode != 0:
                    raise SystemExit(f"dbt ls failed ({name}):\n{result.stdout[-3000:]}"
                                     f"\n{result.stderr[-3000:]}")
    finally:
        kept.close()
    return statistics.median(times["process"]), statistics.median(times["kept"])


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
        figures.backfill_slowest = slowest_nodes(home, count=15)
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
        figures.dbt_process_ls, figures.kept_dbt_ls = dbt_start_up(connection, home)
        next_days = [FIRST_DAY + timedelta(days=days + offset) for offset in (1, 2)]
        figures.watch_runs = watched_days(env, scratch / f"watched-{days}", next_days,
                                          rows_per_day, ids)
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
    print("\n`dbt ls` of one model, medians of 3 alternated: a new `dbt` process against the"
          " dbt process `watch` keeps (KeptDbt):")
    for f in all_figures:
        print(f"  {f.days} days: {f.dbt_process_ls:.2f} s against {f.kept_dbt_ls:.2f} s"
              f" (x{f.kept_dbt_ls / f.dbt_process_ls:.2f})")
    print("\nnew days under `airline-elt watch` (Spark's session and a dbt process kept between"
          " runs):")
    for f in all_figures:
        for number, run in enumerate(f.watch_runs, start=1):
            print(f"  {f.days} days, run {number}: land {run.land:.1f} s + build"
                  f" {run.build:.1f} s = {run.total:.1f} s (a cold `land` + `transform`:"
                  f" {f.new_day_total:.1f} s, x{run.total / f.new_day_total:.2f})")
    if len(all_figures) > 1:
        small, large = all_figures[0], all_figures[-1]
        print(f"\nratios {large.days} days / {small.days} days: "
              f"backfill {large.backfill / small.backfill:.2f}, "
              f"new day build {large.new_day_build / small.new_day_build:.2f}, "
              f"new day land + build {large.new_day_total / small.new_day_total:.2f}, "
              f"nothing new build {large.nothing_new_build / small.nothing_new_build:.2f}")
    for f in all_figures:
        for build, nodes in (("backfill build", f.backfill_slowest),
                             ("new day's build", f.slowest)):
            print(f"\n{build} on {f.days} days, slowest dbt nodes:")
            for name, seconds in nodes:
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
