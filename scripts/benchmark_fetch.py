#!/usr/bin/env python
"""`airline-elt fetch` of one BTS-scale month against the floor, and what it stores.

    .venv/bin/python scripts/benchmark_fetch.py [--flights-per-day 20000] [--repeat 3]

A month of BTS-shaped flights (tests/real_data/bts_files.py: 109 quoted columns and a
trailing comma; 20,000 a day is a BTS month, ~600,000 flights) is zipped as BTS ships it
(the CSV and a readme.html) and served by the local stand-in of the BTS site
(tests/fetch/bts_site.py, 127.0.0.1). Then, in the same run, medians of --repeat:

- floor: what a download script does by hand: read the zip over HTTP to a file, then
  extract its CSV to disk (urllib + zipfile, no checks);
- fetch: `fetch_months` into a fresh landing folder (download, signature and header
  checks, CSV streamed into a deterministic gzip while hashed, atomic rename);
- fetch again: the same month once more (downloaded and hashed, found UNCHANGED, nothing
  written).

Prints the sizes (CSV, zip, stored .csv.gz and gzip/CSV) and seconds with fetch/floor.
Generated flights repeat a small set of airports and carriers, so they compress better
than real BTS months: the size ratio here is a lower bound, not a promise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "fetch"))

from bts_site import BtsSite, flights_of_month, month_csv  # noqa: E402

from airline_fetch.fetch import Status, fetch_months  # noqa: E402
from airline_fetch.http import HttpSettings  # noqa: E402
from airline_fetch.months import Month  # noqa: E402
from airline_fetch.stores import LocalStore  # noqa: E402

YEAR, MONTH = 2023, 1


def floor(url: str, folder: Path) -> float:
    """Download the zip and extract its CSV, as a hand-written script does."""
    started = time.perf_counter()
    zip_path = folder / "month.zip"
    with urllib.request.urlopen(url) as response, zip_path.open("wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)
    with zipfile.ZipFile(zip_path) as archive:
        [name] = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        archive.extract(name, folder)
    return time.perf_counter() - started


def fetch(site: BtsSite, landing: Path, expected: Status) -> tuple[float, Path]:
    started = time.perf_counter()
    month = Month(YEAR, MONTH)
    result = fetch_months([month], LocalStore(landing), source=site.prezip,
                          settings=HttpSettings(), workdir=landing / ".airline-elt-fetch")
    elapsed = time.perf_counter() - started
    [outcome] = result.outcomes
    if outcome.status is not expected:
        raise SystemExit(f"fetch ended {outcome.status}, not {expected}: {outcome.message}")
    return elapsed, landing / month.landing_key()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flights-per-day", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(f"generating a month of {args.flights_per_day:,} flights a day ...", flush=True)
    csv_bytes = month_csv(flights_of_month(YEAR, MONTH, args.flights_per_day))
    floors, fetches, agains = [], [], []
    with BtsSite() as site, tempfile.TemporaryDirectory() as tmp:
        zip_bytes = site.publish(YEAR, MONTH, csv_bytes)
        url = Month(YEAR, MONTH).zip_url(site.prezip)
        for run in range(args.repeat):
            folder = Path(tmp) / f"run{run}"
            (folder / "floor").mkdir(parents=True)
            floors.append(floor(url, folder / "floor"))
            seconds, stored = fetch(site, folder / "landing", Status.WRITTEN)
            fetches.append(seconds)
            agains.append(fetch(site, folder / "landing", Status.UNCHANGED)[0])
            gz_bytes = stored.stat().st_size
            shutil.rmtree(folder)

    rows = csv_bytes.count(b"\n") - 1
    one, five, _ = os.getloadavg()
    print(f"month: {rows:,} flights; CSV {len(csv_bytes) / 1e6:,.1f} MB, zip "
          f"{len(zip_bytes) / 1e6:,.1f} MB, stored .csv.gz {gz_bytes / 1e6:,.1f} MB "
          f"(gzip/CSV {gz_bytes / len(csv_bytes):.3f}; generated data compresses better than "
          "real BTS months)")
    floor_s = statistics.median(floors)
    for name, times in (("floor (download + unzip, no checks)", floors),
                        ("fetch (checked, gzip, atomic)", fetches),
                        ("fetch again (unchanged: nothing written)", agains)):
        median = statistics.median(times)
        print(f"{name:<42} median {median:6.2f} s  ({rows / median:,.0f} flights/s)  "
              f"x{median / floor_s:.2f} of the floor")
    print(f"medians of {args.repeat}; load average {one:.2f} (1 min), {five:.2f} (5 min) on "
          f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
