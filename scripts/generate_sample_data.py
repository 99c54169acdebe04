#!/usr/bin/env python3
"""Write the bundled sample data: three weeks of daily flight files and one BTS month,
deterministically.

    python scripts/generate_sample_data.py            # writes sample_data/landing/
    python scripts/generate_sample_data.py --out DIR  # somewhere else

Layout: <out>/daily_flights/date=YYYY-MM-DD/flights.csv, one seven-column file per
day from 2023-11-01 to 2023-11-21. Every day but one is drawn from a seeded random
generator (same bytes on every run, standard library only): realistic carriers
with hubs, routes between the airports of seeds/airports_dim.csv, a long-tailed
delay distribution (most flights early or a few minutes late, a tail beyond an
hour, worse on a stormy day) and a few cancelled or diverted flights with empty
delays. 2023-11-15 is the seed example from the original design: exactly the
ten flights of the golden test.

And <out>/daily_flights/bts/On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)
_2023_10.csv: October 2023 as the BTS site ships a month (the real header: 109 quoted
names and a trailing comma, CRLF line ends, clock times quoted and zero-padded, minutes
as "75.00"), about 1,500 flights of the same carriers and airports, from its own seeded
generator (the daily files' bytes do not depend on it): scheduled departure times with
more and longer delays in the evening, the five delay causes for flights 15+ minutes
late (summing to the arrival delay, as BTS fills them: late aircraft more as the day
goes on, weather on a stormy day in the Northeast), about 2% cancellations with their
codes (A carrier, B weather, C National Aviation System, D security) and a few diversions.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The BTS on-time header (109 names), as the real-data tests know it.
sys.path.insert(0, str(REPO / "tests" / "real_data"))
from bts_files import BTS_ONTIME_COLUMNS  # noqa: E402

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


# --- The BTS month (October 2023) ----------------------------------------------------------

BTS_KEY = (
    "daily_flights/bts/"
    "On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2023_10.csv"
)
BTS_FIRST_DAY = dt.date(2023, 10, 1)
BTS_LAST_DAY = dt.date(2023, 10, 31)
BTS_STORM_DAY = dt.date(2023, 10, 13)  # a nor'easter: weather delays and cancellations
NORTHEAST = {"BOS", "LGA", "JFK", "EWR", "PHL", "DCA", "BWI"}
BTS_RANDOM_SEED = 20231031

# (latitude, longitude, UTC offset in October) of each sample airport: distances, and
# arrival clock times in the destination's local time as BTS writes them.
AIRPORT_PLACES = {
    "ATL": (33.64, -84.43, -4), "DEN": (39.86, -104.67, -6), "DFW": (32.90, -97.04, -5),
    "DTW": (42.21, -83.35, -4), "LAX": (33.94, -118.41, -7), "MIA": (25.79, -80.29, -4),
    "MSP": (44.88, -93.22, -5), "PHX": (33.43, -112.01, -7), "SLC": (40.79, -111.98, -6),
    "TUS": (32.12, -110.94, -7), "ORD": (41.98, -87.90, -5), "LGA": (40.78, -73.87, -4),
    "JFK": (40.64, -73.78, -4), "EWR": (40.69, -74.17, -4), "SEA": (47.45, -122.31, -7),
    "SFO": (37.62, -122.38, -7), "IAH": (29.98, -95.34, -5), "LAS": (36.08, -115.15, -7),
    "MCO": (28.43, -81.31, -4), "CLT": (35.21, -80.94, -4), "BOS": (42.36, -71.01, -4),
    "PHL": (39.87, -75.24, -4), "DCA": (38.85, -77.04, -4), "BWI": (39.18, -76.67, -4),
    "TPA": (27.98, -82.53, -4), "SAN": (32.73, -117.19, -7),
}
STATE_NAMES = {
    "AZ": "Arizona", "CA": "California", "CO": "Colorado", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "IL": "Illinois", "MA": "Massachusetts",
    "MD": "Maryland", "MI": "Michigan", "MN": "Minnesota", "NC": "North Carolina",
    "NJ": "New Jersey", "NV": "Nevada", "NY": "New York", "PA": "Pennsylvania",
    "TX": "Texas", "UT": "Utah", "WA": "Washington",
}
DOT_CARRIER_IDS = {
    "WN": "19393", "DL": "19790", "AA": "19805", "UA": "19977", "B6": "20409", "AS": "19930",
    "NK": "20416", "F9": "20436", "G4": "20368", "HA": "19690",
}
# Scheduled departures per hour of the day (local): morning and evening banks, a few red-eyes.
HOUR_WEIGHTS = {
    0: 1, 5: 3, 6: 9, 7: 9, 8: 8, 9: 7, 10: 7, 11: 7, 12: 7, 13: 7, 14: 7, 15: 7, 16: 7,
    17: 8, 18: 8, 19: 7, 20: 6, 21: 5, 22: 3, 23: 2,
}
CAUSES = ("CarrierDelay", "WeatherDelay", "NASDelay", "SecurityDelay", "LateAircraftDelay")
CANCELLATION_CODES = ("A", "B", "C", "D")  # carrier, weather, National Aviation System, security


@dataclass(frozen=True)
class BtsFlight:
    day: dt.date
    carrier: Carrier
    number: int
    tail: str
    origin: str
    dest: str
    scheduled_dep: int  # minutes after local midnight
    dep_delay: int | None  # None: cancelled
    arr_delay: int | None  # None: cancelled or diverted
    cancellation_code: str  # "" unless cancelled
    causes: dict[str, int]  # empty unless 15+ minutes late at arrival


def miles(origin: str, dest: str) -> int:
    lat1, lon1, _ = AIRPORT_PLACES[origin]
    lat2, lon2, _ = AIRPORT_PLACES[dest]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * 3958.8 * math.asin(math.sqrt(a)))


def scheduled_minutes(distance: int) -> int:
    """Gate to gate: taxiing and climb, then about 500 mph; to 5 minutes, as airlines plan."""
    return 5 * round((30 + distance * 60 / 500) / 5)


def hour_factor(hour: int) -> float:
    """Delays build up during the day: late flights inherit the day's knock-ons."""
    return 1.1 if hour < 5 else 0.5 + 0.065 * (hour - 5)


def bts_departure_delay(rng: random.Random, carrier: Carrier, hour: int, storm: bool) -> int:
    factor = hour_factor(hour)
    tail_chance = 0.2 * carrier.lateness * factor * (2.5 if storm else 1.0)
    if rng.random() < tail_chance:
        return int(8 + rng.expovariate(1 / (34 * carrier.lateness * factor)))
    return max(-20, round(rng.gauss(-3, 6)))


def split_causes(
    rng: random.Random, arr_delay: int, carrier: Carrier, hour: int, storm: bool
) -> dict[str, int]:
    """The arrival delay's minutes over the five causes, summing to it exactly."""
    weights = {
        "CarrierDelay": 0.34 * carrier.lateness,
        "WeatherDelay": 0.45 if storm else 0.04,
        "NASDelay": 0.24,
        "SecurityDelay": 0.004,
        "LateAircraftDelay": 0.12 + 0.035 * max(0, hour - 5),
    }
    first = rng.choices(CAUSES, [weights[c] for c in CAUSES])[0]
    minutes = dict.fromkeys(CAUSES, 0)
    if rng.random() < 0.5:
        minutes[first] = arr_delay
        return minutes
    others = [c for c in CAUSES if c != first]
    second = rng.choices(others, [weights[c] for c in others])[0]
    share = round(arr_delay * rng.uniform(0.2, 0.8))
    minutes[first], minutes[second] = arr_delay - share, share
    return minutes


def bts_day_flights(rng: random.Random, day: dt.date) -> Iterator[BtsFlight]:
    storm_day = day == BTS_STORM_DAY
    weights = [c.share for c in CARRIERS]
    hours = sorted(HOUR_WEIGHTS)
    used: set[tuple[str, int]] = set()
    for _ in range(rng.randint(44, 52)):
        carrier = rng.choices(CARRIERS, weights)[0]
        origin, dest = pick_route(rng, carrier)
        number = rng.randint(100, 4999)
        while (carrier.code, number) in used:
            number = rng.randint(100, 4999)
        used.add((carrier.code, number))
        tail = f"N{rng.randint(100, 999)}{carrier.code[0]}{rng.choice('ABCDEJKLMNRSUWY')}"
        hour = rng.choices(hours, [HOUR_WEIGHTS[h] for h in hours])[0]
        scheduled = hour * 60 + 5 * rng.randint(0, 11) + (1 if hour == 0 else 0)
        storm = storm_day and (origin in NORTHEAST or dest in NORTHEAST)
        cancel_roll = rng.random()
        if cancel_roll < (0.12 if storm else 0.019):
            code = rng.choices(CANCELLATION_CODES, (0.2, 0.6, 0.2, 0.0) if storm
                               else (0.42, 0.18, 0.3, 0.1))[0]
            yield BtsFlight(day, carrier, number, tail, origin, dest, scheduled, None, None,
                            code, {})
            continue
        dep = bts_departure_delay(rng, carrier, hour, storm)
        if cancel_roll > 0.997:  # diverted: departed, landed elsewhere, no arrival delay
            yield BtsFlight(day, carrier, number, tail, origin, dest, scheduled, dep, None,
                            "", {})
            continue
        arr = arrival_delay(rng, dep)
        causes = split_causes(rng, arr, carrier, hour, storm) if arr >= 15 else {}
        yield BtsFlight(day, carrier, number, tail, origin, dest, scheduled, dep, arr, "",
                        causes)


def _q(value: object) -> str:
    return f'"{value}"'


def _minutes(value: int | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _clock(minutes_after_midnight: int, *, actual: bool = False) -> str:
    """A clock time as BTS writes it: quoted `hhmm`; an actual time at midnight is 2400."""
    minutes = minutes_after_midnight % (24 * 60)
    if actual and minutes == 0:
        return _q("2400")
    return _q(f"{minutes // 60:02d}{minutes % 60:02d}")


def _block(minutes_after_midnight: int) -> str:
    hour = minutes_after_midnight % (24 * 60) // 60
    return _q("0001-0559") if hour < 6 else _q(f"{hour:02d}00-{hour:02d}59")


def _group(delay: int) -> str:
    return str(max(-2, min(12, delay // 15)))


def bts_line(flight: BtsFlight, airports: dict[str, tuple[str, str]]) -> str:
    """One data line of the month: 109 fields and the trailing comma."""
    day = flight.day
    distance = miles(flight.origin, flight.dest)
    planned = scheduled_minutes(distance)
    offset = (AIRPORT_PLACES[flight.dest][2] - AIRPORT_PLACES[flight.origin][2]) * 60
    crs_arr = flight.scheduled_dep + planned + offset
    values = {
        "Year": str(day.year), "Quarter": str((day.month - 1) // 3 + 1), "Month": str(day.month),
        "DayofMonth": str(day.day), "DayOfWeek": str(day.isoweekday()),
        "FlightDate": day.isoformat(),
        "Reporting_Airline": _q(flight.carrier.code),
        "DOT_ID_Reporting_Airline": DOT_CARRIER_IDS.get(flight.carrier.code, ""),
        "IATA_CODE_Reporting_Airline": _q(flight.carrier.code), "Tail_Number": _q(flight.tail),
        "Flight_Number_Reporting_Airline": str(flight.number),
        "CRSDepTime": _clock(flight.scheduled_dep), "DepTimeBlk": _block(flight.scheduled_dep),
        "CRSArrTime": _clock(crs_arr), "ArrTimeBlk": _block(crs_arr),
        "Cancelled": "1.00" if flight.dep_delay is None else "0.00",
        "CancellationCode": _q(flight.cancellation_code),
        "Diverted": "1.00" if flight.dep_delay is not None and flight.arr_delay is None
        else "0.00",
        "CRSElapsedTime": _minutes(planned), "Flights": "1.00",
        "Distance": _minutes(distance), "DistanceGroup": str(min(11, distance // 250 + 1)),
        "DivAirportLandings": "0",
    }
    for side, code in (("Origin", flight.origin), ("Dest", flight.dest)):
        city, state = airports[code]
        values |= {
            f"{side}AirportID": str(AIRPORTS[code]),
            f"{side}AirportSeqID": f"{AIRPORTS[code]}0{len(code)}",
            f"{side}CityMarketID": str(30000 + AIRPORTS[code] % 1000), side: _q(code),
            f"{side}CityName": _q(f"{city}, {state}"), f"{side}State": _q(state),
            f"{side}StateName": _q(STATE_NAMES.get(state, "")),
        }
    if flight.dep_delay is not None:
        dep = flight.dep_delay
        taxi_out = 12 + flight.number % 11
        values |= {
            "DepTime": _clock(flight.scheduled_dep + dep, actual=True),
            "DepDelay": _minutes(dep), "DepDelayMinutes": _minutes(max(dep, 0)),
            "DepDel15": "1.00" if dep >= 15 else "0.00", "DepartureDelayGroups": _group(dep),
            "TaxiOut": _minutes(taxi_out),
            "WheelsOff": _clock(flight.scheduled_dep + dep + taxi_out, actual=True),
        }
        if flight.arr_delay is None:
            values |= {"DivAirportLandings": "1", "DivReachedDest": "0.00"}
        else:
            arr = flight.arr_delay
            taxi_in = 4 + flight.number % 9
            actual = planned + arr - dep
            values |= {
                "WheelsOn": _clock(crs_arr + arr - taxi_in, actual=True),
                "TaxiIn": _minutes(taxi_in), "ArrTime": _clock(crs_arr + arr, actual=True),
                "ArrDelay": _minutes(arr), "ArrDelayMinutes": _minutes(max(arr, 0)),
                "ArrDel15": "1.00" if arr >= 15 else "0.00", "ArrivalDelayGroups": _group(arr),
                "ActualElapsedTime": _minutes(actual),
                "AirTime": _minutes(max(20, actual - taxi_out - taxi_in)),
                **{cause: _minutes(m) for cause, m in flight.causes.items()},
            }
    return ",".join(values.get(name, "") for name in BTS_ONTIME_COLUMNS) + ","


def seed_places() -> dict[str, tuple[str, str]]:
    """Code -> (city, state) from seeds/airports_dim.csv."""
    with SEED_FILE.open(newline="", encoding="utf-8-sig") as handle:
        rows = {int(row["airport_id"]): (row["city"], row["state"])
                for row in csv.DictReader(handle)}
    return {code: rows[ident] for code, ident in AIRPORTS.items()}


def bts_month_flights() -> list[BtsFlight]:
    rng = random.Random(BTS_RANDOM_SEED)
    flights: list[BtsFlight] = []
    day = BTS_FIRST_DAY
    while day <= BTS_LAST_DAY:
        flights.extend(bts_day_flights(rng, day))
        day += dt.timedelta(days=1)
    return flights


def generate_bts_month(out: Path) -> Path:
    """The October 2023 month as the BTS site ships it (quoted header, trailing comma, CRLF)."""
    places = seed_places()
    header = ",".join(_q(name) for name in BTS_ONTIME_COLUMNS) + ","
    lines = [header, *(bts_line(flight, places) for flight in bts_month_flights())]
    path = out / BTS_KEY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"landing folder to write into (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    check_airports_in_seed()
    files = generate(args.out)
    rows = sum(len(p.read_text().splitlines()) - 1 for p in files)
    print(f"wrote {len(files)} daily files, {rows} flights, under {args.out}")
    month = generate_bts_month(args.out)
    month_rows = len(month.read_text().splitlines()) - 1
    print(f"wrote 1 BTS month, {month_rows} flights: {month.relative_to(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
