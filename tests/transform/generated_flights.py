"""Generated flights for the mart tests: every outcome (on time, late, cancelled, diverted),
an airport the seed lacks and a carrier no carriers list names, spread over `days` days.

Half the days come as from a BTS monthly file: the optional columns (scheduled departure
time and hour, cancelled / diverted flags, cancellation code, the five delay causes,
distance, tail number, the airports' codes) are filled, including the cases where the
flags and the delays disagree (a flight flagged cancelled after a departure delay, one
flagged diverted with an arrival delay, one flagged neither without an arrival delay),
every BTS clock-time corner (2400, 5) and the airport-code corners (an airport whose BTS
rows never give a code, one whose rows give it only now and then). The other days are the
seven-column daily files: all of those null."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from conftest import OPTIONAL_COLUMNS

# ZZ is in no carriers list: the marts show its code as its name.
CARRIERS = ["AA", "DL", "UA", "WN", "ZZ"]
AIRPORTS = [10397, 11292, 11298, 12892, 13930, 14107, 14869]
UNKNOWN_AIRPORT = 19999
CANCELLATION_CODES = ["A", "B", "C", "D", None]
NO_OPTIONAL_COLUMNS = (None,) * len(OPTIONAL_COLUMNS)
# The codes the BTS rows give (`Origin`/`Dest`): Los Angeles never (its marts' code is NULL),
# Salt Lake City on every third flight only (max() over the group still finds it).
AIRPORT_CODES = {10397: "ATL", 11292: "DEN", 11298: "DFW", 12892: None, 13930: "ORD",
                 14107: "PHX", 14869: "SLC", UNKNOWN_AIRPORT: "ZZZ"}
SOMETIMES_CODED = 14869


def airport_code(airport_id: int, number: int) -> str | None:
    if airport_id == SOMETIMES_CODED and number % 3:
        return None
    return AIRPORT_CODES[airport_id]


def make_flights(count: int, seed: int = 7, first_day: date = date(2023, 11, 1),
                 days: int = 5) -> list[tuple]:
    rng = random.Random(seed)
    bts = random.Random(seed + 1_000_003)  # its own draws: the base columns stay as they were
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
        base = (f"{carrier}{seed}x{number}", carrier, origin, dest, dep, arr, day)
        is_bts_day = (day - first_day).days % 2 == 0
        codes = (airport_code(origin, number), airport_code(dest, number))
        flights.append(base + (bts_columns(bts, dep, arr, number) + codes if is_bts_day
                               else NO_OPTIONAL_COLUMNS))
    return flights


def bts_columns(rng: random.Random, dep: int | None, arr: int | None, number: int) -> tuple:
    """The optional columns of a BTS file for a flight with these delays, up to the tail
    number (the airports' codes follow it)."""
    hour = rng.choice([0, 5, 6, 6, 7, 8, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 17, 18, 19, 20,
                       21, 22, 23])
    hhmm = hour * 100 + rng.randrange(60)
    corner = rng.random()
    if corner < 0.02:
        hhmm = 2400  # midnight at the day's end: hour 0
    elif corner < 0.04:
        hhmm = 5  # "5" in the file: 00:05
    cancelled, diverted, code = dep is None, dep is not None and arr is None, None
    odd = rng.random()
    if not cancelled and not diverted and dep > 45 and odd < 0.25:
        cancelled, code = True, rng.choice(CANCELLATION_CODES)  # cancelled after a long wait
    elif not cancelled and not diverted and odd < 0.04:
        diverted = True  # flagged diverted, an arrival delay recorded anyway
    elif cancelled:
        code = rng.choice(CANCELLATION_CODES)
    elif diverted and odd < 0.5:
        diverted = False  # the file says "not diverted", yet no arrival delay
    causes: tuple = (None,) * 5
    if not cancelled and not diverted and arr is not None and arr >= 15:
        causes = split_minutes(rng, arr)
    elif not cancelled and not diverted and arr is not None and odd < 0.2:
        causes = (0, 0, 0, 0, 0)  # filled with zeros: cause data, no minutes
    return (hhmm, (hhmm // 100) % 24, cancelled, diverted, code, *causes,
            rng.randrange(100, 2600), f"N{number % 900 + 100}XX")


def split_minutes(rng: random.Random, minutes: int) -> tuple[int, ...]:
    """Split an arrival delay into the five causes (carrier, weather, NAS, security, late
    aircraft), as BTS does: they sum to it."""
    weights = [rng.choice([0, 0, 1, 3]) for _ in range(5)]
    weights[rng.choice([0, 2, 4])] += 2
    cuts = [minutes * w // sum(weights) for w in weights]
    cuts[4] += minutes - sum(cuts)
    return tuple(cuts)


def land_by_day(project, flights: list[tuple]) -> None:
    by_day: dict[date, list[tuple]] = defaultdict(list)
    for row in flights:
        by_day[row[6]].append(row)
    for day, rows in sorted(by_day.items()):
        project.land(f"daily_flights/date={day}/flights-{rows[0][0]}.csv", rows)
