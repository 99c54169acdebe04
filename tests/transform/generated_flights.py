"""Generated flights for the mart tests: every outcome (on time, late, cancelled, diverted),
an airport the seed lacks and a carrier no carriers list names, spread over `days` days."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

# ZZ is in no carriers list: the marts show its code as its name.
CARRIERS = ["AA", "DL", "UA", "WN", "ZZ"]
AIRPORTS = [10397, 11292, 11298, 12892, 13930, 14107, 14869]
UNKNOWN_AIRPORT = 19999


def make_flights(count: int, seed: int = 7, first_day: date = date(2023, 11, 1),
                 days: int = 5) -> list[tuple]:
    rng = random.Random(seed)
    flights = []
    for number in range(count):
        origin, dest = rng.sample(AIRPORTS, 2)
        if rng.random() < 0.03:
            dest = UNKNOWN_AIRPORT
        carrier = rng.choice(CARRIERS)
        roll = rng.random()
        if roll < 0.05:
            dep = arr = None
        else:
            dep = int(rng.expovariate(1 / 25)) - 10
            arr = None if roll < 0.07 else dep + rng.randint(-15, 20)  # diverted: no arrival
        day = first_day + timedelta(days=rng.randrange(days))
        flights.append((f"{carrier}{seed}x{number}", carrier, origin, dest, dep, arr, day))
    return flights


def land_by_day(project, flights: list[tuple]) -> None:
    by_day: dict[date, list[tuple]] = defaultdict(list)
    for row in flights:
        by_day[row[6]].append(row)
    for day, rows in sorted(by_day.items()):
        project.land(f"daily_flights/date={day}/flights-{rows[0][0]}.csv", rows)
