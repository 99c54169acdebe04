#!/usr/bin/env python
"""Real-shaped data at BTS scale through `airline-elt run`, with the counts a user checks.

    .venv/bin/python scripts/try_bts_shapes.py [--flights-per-day 20000] [--days 30]
                                               [--airports 6500] [--keep DIR]

Generates, deterministically, what a user downloads from the BTS site: the airport
lookup `L_AIRPORT_ID.csv` (`"Code","Description"`, about a tenth of it foreign
airports, which get no state) and an on-time month as shipped (109 quoted columns and
a trailing comma; tests/real_data/bts_files.py writes both), with a few airports the
lookup lacks. Then, in a fresh state folder (a warehouse of its own), runs
`airline-elt run --landing DIR --airports L_AIRPORT_ID.csv` and prints: the run's
time and exit status, rows read / landed / rejected, fact rows against the count
computed here in Python, the airports with gaps, what dbt warned, and the unknown
airports. A check of behaviour at scale, not a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "real_data"))

from bts_files import (  # noqa: E402
    Airport,
    month_of_flights,
    write_airport_lookup,
    write_ontime_month,
)

THRESHOLD = 60
COUNTRIES = ("Canada", "Mexico", "Bahamas", "Jamaica", "Germany", "Japan")
STATES = ("GA", "TX", "CA", "NY", "IL", "FL", "CO", "WA", "AZ", "NC", "AK", "PR", "GU")


def airport_lookup(count: int, seed: int = 5) -> list[Airport]:
    rng = random.Random(seed)
    airports = []
    for index in range(count):
        airport_id = 10001 + index * 3
        if rng.random() < 0.1:
            airports.append(Airport(airport_id, f"F{index:02d}", f"City {index}", "",
                                    f"Field {index} International", rng.choice(COUNTRIES)))
        else:
            airports.append(Airport(airport_id, f"U{index:02d}", f"Town {index}",
                                    rng.choice(STATES), f"Town {index} Regional"))
    return airports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flights-per-day", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--airports", type=int, default=6_500)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bts-shapes-"))
    work.mkdir(parents=True, exist_ok=True)
    lookup = airport_lookup(args.airports)
    served = lookup[: 350]  # the airports the month's flights use ...
    missing = [Airport(99000 + n, f"X{n}", f"Nowhere {n}", "AK", f"Strip {n}") for n in range(3)]
    started = time.perf_counter()
    flights = month_of_flights(served + missing, dt.date(2024, 1, 1), args.days,
                               args.flights_per_day, seed=17)
    key = "daily_flights/On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2024_1.csv"
    month = write_ontime_month(work / "landing" / key, flights)
    airports_file = write_airport_lookup(work / "L_AIRPORT_ID.csv", lookup)
    print(f"generated {len(flights):,} flights ({month.stat().st_size / 1e6:.0f} MB) and "
          f"{len(lookup):,} airports ({sum(1 for a in lookup if not a.state):,} with no state) "
          f"in {time.perf_counter() - started:.1f} s under {work}")

    env = dict(os.environ, AIRLINE_ELT_HOME=str(work / "state"))
    env.pop("AIRLINE_ELT_SEED_DIR", None)
    cli = str(Path(sys.executable).with_name("airline-elt"))
    started = time.perf_counter()
    result = subprocess.run([cli, "run", "--landing", str(work / "landing"), "--airports",
                             str(airports_file)], env=env, cwd=REPO, capture_output=True,
                            text=True, check=False)
    seconds = time.perf_counter() - started
    print(f"airline-elt run: exit {result.returncode} in {seconds:.1f} s")
    for line in (result.stdout + result.stderr).splitlines():
        if "warn" in line or "airports_dim" in line or "error" in line.lower():
            print("  " + line.strip())
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:])
        return 1

    known = {a.airport_id for a in lookup}
    expected_fact = sum(1 for f in flights if f.dep_delay is not None and f.dep_delay > THRESHOLD
                        and f.origin.airport_id in known and f.dest.airport_id in known)
    url = subprocess.run([cli, "warehouse", "url"], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    with psycopg.connect(url, autocommit=True) as conn:
        read, landed, rejected = conn.execute(
            "select rows_read, rows_landed, rows_rejected from raw.landed_files "
            "where status = 'landed'").fetchone()
        fact = conn.execute("select count(*) from airlines.daily_flights_fact").fetchone()[0]
        gaps = conn.execute("select count(*) filter (where state is null), count(*) "
                            "from airlines.airports_dim").fetchone()
        unknown = conn.execute("select airport_id, flights, flights_delayed "
                               "from airlines.unknown_airports order by 1").fetchall()
    print(f"rows read {read:,} = landed {landed:,} + rejected {rejected:,}")
    print(f"fact rows {fact:,} (computed here: {expected_fact:,}) "
          f"{'OK' if fact == expected_fact else 'MISMATCH'}")
    print(f"airports_dim: {gaps[1]:,} airports, {gaps[0]:,} without a state")
    print(f"unknown_airports: {unknown}")
    subprocess.run([cli, "warehouse", "stop"], env=env, capture_output=True, check=False)
    return 0 if fact == expected_fact and read == landed + rejected else 1


if __name__ == "__main__":
    sys.exit(main())
