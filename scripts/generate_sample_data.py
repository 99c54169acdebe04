#!/usr/bin/env python3
"""Write the bundled sample data: three weeks of daily flight files, deterministically.

    python scripts/generate_sample_data.py            # writes sample_data/landing/
    python scripts/generate_sample_data.py --out DIR  # somewhere else

Layout: <out>/daily_flights/date=YYYY-MM-DD/flights.csv, one file per day from
2023-11-01 to 2023-11-21. Every day but one is drawn from a seeded random
generator (same bytes on every run, standard library only): realistic carriers
with hubs, routes between the airports of seeds/airports_dim.csv, a long-tailed
delay distribution (most flights early or a few minutes late, a tail beyond an
hour, worse on a stormy day) and a few cancelled or diverted flights with empty
delays. 2023-11-15 is the seed example from the original design: exactly the
ten flights of the golden test.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "sample_data" / "landing"
SEED_FILE = REPO / "seeds" / "airports_dim.csv"
HEADER = ["FlightID", "Carrier", "OriginAirportID", "DestAirportID", "DepDelay", "ArrDelay",
          "FlightDate"]
FIRST_DAY = dt.date(2023, 11, 1)
LAST_DAY = dt.date(2023, 11, 21)
GOLDEN_DAY = dt.date(2023, 11, 15)
STORM_DAY = dt.date(2023, 11, 9)
RANDOM_SEED = 20231115

# US DOT airport ids (all present in seeds/airports_dim.csv).
AIRPORTS = {
    "ATL": 10397, "DEN": 11292, "DFW": 11298, "DTW": 11433, "LAX": 12892, "MIA": 13303,
    "MSP": 13487, "PHX": 14107, "SLC": 14869, "TUS": 15376, "ORD": 13930, "LGA": 12953,
    "JFK": 12478, "EWR": 11618, "SEA": 14747, "SFO": 14771, "IAH": 12266, "LAS": 12889,
    "MCO": 13204, "CLT": 11057, "BOS": 10721, "PHL": 14100, "DCA": 11278, "BWI": 10821,
    "TPA": 15304, "SAN": 14679,
}

# The ten flights of the seed example (the golden test): five depart more than 60 minutes late.
GOLDEN_ROWS = [
    ["DL1234", "DL", "11433", "13303", "-3", "1", "2023-11-15"],
    ["AA5678", "AA", "10397", "14869", "75", "82", "2023-11-15"],
    ["UA9012", "UA", "14107", "13487", "62", "58", "2023-11-15"],
    ["WN2345", "WN", "11298", "12892", "45", "39", "2023-11-15"],
    ["BA7890", "BA", "11292", "15376", "120", "115", "2023-11-15"],
    ["QF3456", "QF", "10397", "14107", "5", "-2", "2023-11-15"],
    ["EK4567", "EK", "14869", "11433", "88", "92", "2023-11-15"],
    ["SQ6789", "SQ", "13487", "11298", "0", "-5", "2023-11-15"],
    ["LH7890", "LH", "12892", "14869", "63", "60", "2023-11-15"],
    ["TK8901", "TK", "15376", "10397", "15", "12", "2023-11-15"],
]


@dataclass(frozen=True)
class Carrier:
    code: str
    share: float  # relative number of flights per day
    hubs: tuple[str, ...]
    lateness: float  # scales the probability and size of long delays


CARRIERS = [
    Carrier("WN", 0.22, ("DEN", "LAS", "PHX", "BWI", "MCO", "TPA", "SAN"), 1.0),
    Carrier("DL", 0.18, ("ATL", "DTW", "MSP", "SLC", "JFK", "LAX", "SEA", "BOS"), 0.7),
    Carrier("AA", 0.18, ("DFW", "CLT", "MIA", "PHL", "PHX", "ORD", "DCA", "LAX"), 1.1),
    Carrier("UA", 0.15, ("ORD", "DEN", "IAH", "EWR", "SFO", "LAX"), 1.0),
    Carrier("B6", 0.07, ("JFK", "BOS", "MCO", "LGA"), 1.5),
    Carrier("AS", 0.06, ("SEA", "SFO", "LAX", "SAN"), 0.6),
    Carrier("NK", 0.05, ("LAS", "MCO", "DTW", "EWR"), 1.6),
    Carrier("F9", 0.04, ("DEN", "LAS", "MCO", "PHL"), 1.7),
    Carrier("G4", 0.02, ("LAS", "TPA", "PHX"), 1.3),
    Carrier("HA", 0.01, ("LAX", "SFO", "SEA", "LAS"), 0.5),
    Carrier("SY", 0.02, ("MSP", "LAS", "MCO"), 1.2),
]


def check_airports_in_seed() -> None:
    """Every airport id the sample uses must be in the seed (when the seed exists)."""
    if not SEED_FILE.is_file():
        return
    with SEED_FILE.open(newline="", encoding="utf-8-sig") as handle:
        seeded = {int(row["airport_id"]) for row in csv.DictReader(handle)}
    missing = sorted(code for code, ident in AIRPORTS.items() if ident not in seeded)
    if missing:
        sys.exit(f"airports missing from {SEED_FILE}: {', '.join(missing)}")


def pick_route(rng: random.Random, carrier: Carrier) -> tuple[str, str]:
    """A route touching one of the carrier's hubs (most do), else any two airports."""
    codes = sorted(AIRPORTS)
    if rng.random() < 0.85:
        hub = rng.choice(carrier.hubs)
        other = rng.choice([c for c in codes if c != hub])
        return (hub, other) if rng.random() < 0.5 else (other, hub)
    origin, dest = rng.sample(codes, 2)
    return origin, dest


def departure_delay(rng: random.Random, carrier: Carrier, day: dt.date, origin: str) -> int:
    """Minutes late (negative = early): mostly around zero, with a long tail."""
    storm = day == STORM_DAY and origin in {"ORD", "DTW", "MSP", "EWR", "LGA", "JFK", "BOS"}
    weekend_rush = day.weekday() in (4, 6)  # Friday and Sunday
    tail_chance = 0.13 * carrier.lateness * (2.8 if storm else 1.0) * (1.3 if weekend_rush else 1)
    if rng.random() < tail_chance:
        # A long tail: exponential beyond a few minutes, occasionally hours.
        return int(8 + rng.expovariate(1 / (38 * carrier.lateness)))
    return max(-25, round(rng.gauss(-3, 7)))


def arrival_delay(rng: random.Random, dep_delay: int) -> int:
    """Arrival follows departure; crews make up a little time on long delays."""
    recovered = 0.1 * dep_delay if dep_delay > 30 else 0
    return round(dep_delay - recovered + rng.gauss(-2, 8))


def day_rows(rng: random.Random, day: dt.date) -> Iterator[list[str]]:
    storm = day == STORM_DAY
    flights_today = rng.randint(170, 230) + (20 if day.weekday() in (4, 6) else 0)
    weights = [c.share for c in CARRIERS]
    used_numbers: set[str] = set()
    for _ in range(flights_today):
        carrier = rng.choices(CARRIERS, weights)[0]
        origin, dest = pick_route(rng, carrier)
        flight_id = f"{carrier.code}{rng.randint(100, 9999)}"
        while flight_id in used_numbers:
            flight_id = f"{carrier.code}{rng.randint(100, 9999)}"
        used_numbers.add(flight_id)
        cancel_chance = 0.06 if storm else 0.015
        roll = rng.random()
        if roll < cancel_chance:
            dep, arr = "", ""  # cancelled
        elif roll < cancel_chance + 0.003:
            dep, arr = str(departure_delay(rng, carrier, day, origin)), ""  # diverted
        else:
            dep_minutes = departure_delay(rng, carrier, day, origin)
            dep, arr = str(dep_minutes), str(arrival_delay(rng, dep_minutes))
        yield [flight_id, carrier.code, str(AIRPORTS[origin]), str(AIRPORTS[dest]), dep, arr,
               day.isoformat()]


def render(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def generate(out: Path) -> list[Path]:
    rng = random.Random(RANDOM_SEED)
    written = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        # Draw every day, the golden one included, so each day's rows stay the same
        # whatever the golden file holds.
        rows = list(day_rows(rng, day))
        if day == GOLDEN_DAY:
            rows = GOLDEN_ROWS
        path = out / "daily_flights" / f"date={day.isoformat()}" / "flights.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(rows), encoding="utf-8")
        written.append(path)
        day += dt.timedelta(days=1)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"landing folder to write into (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    check_airports_in_seed()
    files = generate(args.out)
    rows = sum(len(p.read_text().splitlines()) - 1 for p in files)
    print(f"wrote {len(files)} files, {rows} flights, under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
