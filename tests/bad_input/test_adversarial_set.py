"""A private adversarial set, end to end through `airline-elt run` as a user runs it, with
every count checked against values this test computes on its own: the generated files read
back with Python's csv module and the documented rules (docs/bad_input.md, README: a flight
is delayed when it left more than 60 minutes late and was not cancelled; it reaches the fact
when both its airports are in airports_dim), never with the product's code.

The set (seeded, explicit cases beside random flights): odd keys (spaces, unicode, a
browser's `flights (1).csv` with the same bytes), a seven-column daily file and a BTS month
(quoted header, trailing comma, CRLF, cancellation codes, diversions, delay causes), a
daily file with its columns in another order and case, bad rows of each kind (too few
fields, impossible and implausible dates, delays out of bounds, hostile strings, an airport
that is not a number, a bad cancellation code), a flight carried by two different files, an
unknown airport, non-CSV and hidden entries, an empty file and a header-only file. A second
run replaces one file."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bts_shaped import BtsFlight, bts_file, bts_line

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_helpers import REPO, Cli

pytestmark = pytest.mark.slow

DAILY = "daily_flights/date=2023-11-20/flights.csv"
DAILY_COPY = "daily_flights/date=2023-11-20/flights (1).csv"
ODD = "daily_flights/vols été ✈/2023-11-21 export #2.csv"
BTS = "daily_flights/bts/On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2023_11.csv"
EMPTY = "daily_flights/date=2023-11-25/flights.csv"
HEADER_ONLY = "daily_flights/date=2023-11-26/flights.csv"
NOT_DELIVERIES = [
    "daily_flights/README.txt",
    "daily_flights/2023-11.zip",
    "daily_flights/.DS_Store",
]
DAILY_HEADER = "FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate"
# The same columns in another order and case (found by name, case-insensitively).
ODD_HEADER = "flightdate,ARRDELAY,DepDelay,destairportid,originairportid,carrier,flightid"
HOSTILE = "'); drop table raw.flights_landing; --"
UNKNOWN_AIRPORT = 99999
CARRIERS = ["DL", "AA", "UA", "WN", "B6"]
THRESHOLD = 60  # delay_threshold_minutes
MIN_DELAY, MAX_DELAY = -1440, 4320  # the documented plausible delays
FIRST_DATE = dt.date(1987, 10, 1)  # the documented first plausible flight date


def known_airports() -> list[int]:
    with (REPO / "seeds" / "airports_dim.csv").open(newline="", encoding="utf-8") as seed:
        return sorted(int(row["airport_id"]) for row in csv.DictReader(seed))


# -- the set ----------------------------------------------------------------------------


@dataclass
class AdversarialSet:
    folder: Path
    files: dict[str, bytes] = field(default_factory=dict)

    def write(self, key: str, content: bytes) -> None:
        path = self.folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        self.files[key] = content


def daily_row(
    flight_id: str, carrier: str, origin: object, dest: object, dep: object, arr: object, day: str
) -> str:
    return ",".join(str(v) for v in (flight_id, carrier, origin, dest, dep, arr, day))


def random_flights(
    rng: random.Random, airports: list[int], day: str, count: int, number_from: int
) -> list[tuple]:
    flights = []
    for number in range(number_from, number_from + count):
        origin, dest = rng.sample(airports, 2)
        dep = rng.choice(["", -5, 0, 14, 59, 60, 61, 75, 140, rng.randint(-20, 300)])
        arr = "" if dep == "" else int(dep) + rng.randint(-15, 15)
        carrier = rng.choice(CARRIERS)
        flights.append((f"{carrier}{number}", carrier, origin, dest, dep, arr, day))
    return flights


def build_set(folder: Path) -> AdversarialSet:
    rng = random.Random(20)
    airports = known_airports()[:12]
    made = AdversarialSet(folder)

    daily = random_flights(rng, airports, "2023-11-20", 40, 100)
    shared = ("DL4242", "DL", airports[0], airports[1], 95, 90, "2023-11-20")
    daily_lines = [daily_row(*flight) for flight in [*daily, shared]] + [
        "DL1,DL,10397,12892,5,2023-11-20",  # a field missing
        daily_row("DL2", "DL", airports[0], airports[1], 70, 60, "2023-02-30"),  # no such day
        daily_row("DL3", "DL", airports[0], airports[1], MAX_DELAY + 1, 60, "2023-11-20"),
        daily_row(
            "DL4", HOSTILE.replace(",", ";"), airports[0], airports[1], 1, 1, "2023-11-20"
        ),  # a hostile carrier, over 10 characters
        daily_row("DL5", "DL", "ATL", airports[1], 1, 1, "2023-11-20"),  # not an airport id
    ]
    rng.shuffle(daily_lines)
    daily_bytes = ("\n".join([DAILY_HEADER, *daily_lines]) + "\n").encode()
    made.write(DAILY, daily_bytes)
    made.write(DAILY_COPY, daily_bytes)  # the browser's second download: the same bytes

    odd = random_flights(rng, airports, "2023-11-21", 25, 500)
    odd.append(("B6600", "';--", airports[2], airports[3], 61, 70, "2023-11-21"))  # fits
    odd.append(("B6601", "B6", UNKNOWN_AIRPORT, airports[3], 200, 190, "2023-11-21"))
    odd_lines = [",".join(str(v) for v in (f[6], f[5], f[4], f[3], f[2], f[1], f[0])) for f in odd]
    odd_lines += [
        f"2023-11-21,5,5,{airports[3]},{airports[2]},,B6602",  # carrier empty
        f"9999-12-31,5,5,{airports[3]},{airports[2]},B6,B6603",  # far in the future
    ]
    made.write(ODD, ("\ufeff" + "\r\n".join([ODD_HEADER, *odd_lines]) + "\r\n").encode())

    bts_flights = []
    for number in range(60):
        day = f"2023-11-{20 + number % 5:02d}"
        origin, dest = rng.sample(airports, 2)
        if number % 12 == 0:
            dep, arr, code = None, None, "ABCD"[number // 12 % 4]  # cancelled, with a reason
        else:
            dep, code = rng.choice([-4, 0, 20, 61, 62, 90, 180, rng.randint(-10, 240)]), ""
            arr = None if number % 17 == 0 else dep + rng.randint(-12, 12)  # diverted
        bts_flights.append(
            BtsFlight(
                day,
                rng.choice(CARRIERS),
                3000 + number,
                origin,
                dest,
                dep,
                arr,
                scheduled=rng.randint(0, 23) * 100,
                cancellation_code=code,
            )
        )
    bts_lines = [bts_line(flight) for flight in bts_flights]
    # The daily file's DL4242 again (the same carrier, number, route and date): an overlap.
    bts_lines.append(bts_line(BtsFlight("2023-11-20", "DL", 4242, shared[2], shared[3], 95, 90)))
    bad = BtsFlight("2023-11-22", "UA", 3999, airports[4], airports[5], 10, 5)
    bts_lines.append(bts_line(bad, CancellationCode='"E"'))  # not a BTS code
    bts_lines.append(bts_line(bad, ArrDelay=f"{MIN_DELAY - 1}.00"))  # out of bounds
    bts_lines.append(bts_line(bad, FlightDate="1987-09-30"))  # before BTS data
    made.write(BTS, bts_file(bts_lines))

    made.write(EMPTY, b"")
    made.write(HEADER_ONLY, (DAILY_HEADER + "\n").encode())
    for key in NOT_DELIVERIES:
        made.write(key, b"PK\x03\x04 not flights")
    return made


# -- the independent count ------------------------------------------------------------------

ALIASES = {
    "flight_id": ("flightid",),
    "number": ("flight_number_reporting_airline",),
    "carrier": ("carrier", "reporting_airline"),
    "origin": ("originairportid",),
    "dest": ("destairportid",),
    "dep": ("depdelay",),
    "arr": ("arrdelay",),
    "date": ("flightdate",),
    "cancelled": ("cancelled",),
    "code": ("cancellationcode",),
}
MINUTES = re.compile(r"-?\d+(\.0+)?")


@dataclass(frozen=True)
class Flight:
    key: str
    flight_id: str
    carrier: str
    origin: int
    dest: int
    dep: int | None
    arr: int | None
    day: dt.date
    cancelled: bool


def _minutes(text: str) -> int | None:
    return None if text == "" else int(float(text))


def _reason(values: dict[str, str], width: int, header_width: int) -> str | None:
    """The documented reason a row is rejected, or None (each bad row has one problem)."""
    if width != header_width:
        return "wrong_field_count"
    if not values["carrier"]:
        return "missing_carrier"
    if len(values["carrier"]) > 10:
        return "bad_carrier"
    for name in ("origin", "dest"):
        if not values[name]:
            return f"missing_{name}_airport_id"
        if not values[name].isdigit():
            return f"bad_{name}_airport_id"
    for name, column in (("dep", "dep_delay"), ("arr", "arr_delay")):
        if values[name] and not MINUTES.fullmatch(values[name]):
            return f"bad_{column}"
        if values[name] and not MIN_DELAY <= int(float(values[name])) <= MAX_DELAY:
            return f"implausible_{column}"
    try:
        day = dt.date.fromisoformat(values["date"])
    except ValueError:
        return "bad_flight_date"
    if not FIRST_DATE <= day <= dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        return "implausible_flight_date"
    if values.get("code", "") not in ("", "A", "B", "C", "D"):
        return "bad_cancellation_code"
    return None


def count_file(key: str, content: bytes) -> tuple[list[Flight], Counter, int]:
    """(landed flights, rejected rows by reason, rows read) of one file, by csv parsing."""
    text = content.decode("utf-8").removeprefix("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    header = [name.strip().lower() for name in next(csv.reader([lines[0]]))]
    position = {
        name: header.index(alias)
        for name, aliases in ALIASES.items()
        for alias in aliases
        if alias in header
    }
    flights, rejected = [], Counter()
    for line in lines[1:]:
        row = next(csv.reader([line]))
        values = {
            name: row[index].strip() if index < len(row) else "" for name, index in position.items()
        }
        reason = _reason(values, len(row), len(header))
        if reason:
            rejected[reason] += 1
            continue
        dep = _minutes(values["dep"])
        flight_id = values.get("flight_id") or values["carrier"] + values["number"]
        cancelled = float(values["cancelled"]) == 1.0 if "cancelled" in values else dep is None
        flights.append(
            Flight(
                key,
                flight_id,
                values["carrier"],
                int(values["origin"]),
                int(values["dest"]),
                dep,
                _minutes(values["arr"]),
                dt.date.fromisoformat(values["date"]),
                cancelled,
            )
        )
    return flights, rejected, len(lines) - 1


@dataclass
class Expected:
    flights: list[Flight]
    rejected: Counter
    rows_read: int
    known: set[int]

    @classmethod
    def of(cls, files: dict[str, bytes]) -> Expected:
        flights, rejected, read = [], Counter(), 0
        for key, content in files.items():
            file_flights, file_rejected, file_read = count_file(key, content)
            flights += file_flights
            rejected += file_rejected
            read += file_read
        return cls(flights, rejected, read, set(known_airports()))

    def known_route(self, flight: Flight) -> bool:
        return flight.origin in self.known and flight.dest in self.known

    def delayed(self, flight: Flight) -> bool:
        return not flight.cancelled and flight.dep is not None and flight.dep > THRESHOLD

    @property
    def fact(self) -> list[Flight]:
        return [f for f in self.flights if self.delayed(f) and self.known_route(f)]

    def fact_by_date(self) -> dict[str, int]:
        return dict(Counter(f.day.isoformat() for f in self.fact))

    def by_carrier(self) -> list[tuple[str, int, int]]:
        """(carrier, flights scheduled, flights delayed) of flights between known airports."""
        scheduled = Counter(f.carrier for f in self.flights if self.known_route(f))
        delayed = Counter(f.carrier for f in self.fact)
        return sorted((carrier, n, delayed[carrier]) for carrier, n in scheduled.items())


# -- the runs -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory):
    cli = Cli(tmp_path_factory.mktemp("elt-adversarial"))
    yield cli
    cli("warehouse", "stop", timeout=120)


@pytest.fixture(scope="module")
def first_run(cli: Cli, tmp_path_factory: pytest.TempPathFactory):
    made = build_set(tmp_path_factory.mktemp("adversarial") / "landing")
    result = cli("run", str(made.folder), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return made, result, json.loads(result.stdout)


def landed_files(made: AdversarialSet) -> dict[str, bytes]:
    """The files that land rows: not the empty one (failed), the entries that are not
    deliveries, or the daily file: of two keys with the same new bytes the first in key
    order lands ('flights (1).csv' sorts before 'flights.csv'), the other is its duplicate."""
    return {
        key: content
        for key, content in made.files.items()
        if key not in (DAILY, EMPTY, *NOT_DELIVERIES)
    }


def test_files_and_rows_are_counted_as_computed_independently(cli: Cli, first_run) -> None:
    made, _, summary = first_run
    expected = Expected.of(landed_files(made))
    totals = summary["totals"]
    assert totals == {
        "files_landed": 4,  # daily, odd, BTS, header-only
        "files_duplicate": 1,  # flights.csv, the same bytes as flights (1).csv
        "files_failed": 1,  # the empty file
        "rows_read": expected.rows_read,
        "rows_landed": len(expected.flights),
        "rows_rejected": sum(expected.rejected.values()),
    }
    assert expected.rejected == Counter(
        {
            "wrong_field_count": 1,
            "bad_flight_date": 1,
            "implausible_dep_delay": 1,
            "bad_carrier": 1,
            "bad_origin_airport_id": 1,
            "missing_carrier": 1,
            "implausible_flight_date": 2,
            "bad_cancellation_code": 1,
            "implausible_arr_delay": 1,
        }
    )  # the oracle found every planted bad row, and nothing else
    files = {item["key"]: item for item in summary["files"]}
    assert files[DAILY]["status"] == "duplicate"
    ((why,),) = cli.query("select error_text from raw.landed_files where file_key = %s", (DAILY,))
    assert why.startswith(f"same content as {DAILY_COPY} ")
    assert files[EMPTY]["status"] == "failed"
    assert files[HEADER_ONLY]["status"] == "landed" and files[HEADER_ONLY]["rows_read"] == 0
    for key, content in landed_files(made).items():
        flights, rejected, read = count_file(key, content)
        assert (
            files[key]["rows_read"],
            files[key]["rows_landed"],
            files[key]["rows_rejected"],
        ) == (read, len(flights), sum(rejected.values())), key


def test_rejected_rows_and_the_fact_match_the_documented_rules(cli: Cli, first_run) -> None:
    made, _, summary = first_run
    expected = Expected.of(landed_files(made))
    assert (
        Counter(
            dict(cli.query("select reason_code, count(*) from raw.flights_rejected group by 1"))
        )
        == expected.rejected
    )
    # The hostile carrier that fits lands verbatim; the one that does not is a rejected row.
    assert cli.query("select count(*) from raw.flights_landing where carrier = %s", ("';--",)) == [
        (1,)
    ]
    assert cli.query(
        "select count(*) from raw.flights_rejected where raw_line like %s",
        ("%drop table raw.flights_landing%",),
    ) == [(1,)]
    assert cli.query("select count(*) from airlines.daily_flights_fact") == [(len(expected.fact),)]
    reported = {day: rows for day, rows in summary["fact_rows_by_date"].items() if rows}
    assert reported == expected.fact_by_date()
    assert cli.query(
        "select count(*) from airlines.rejected_flights where reason like 'unknown%%'"
    ) == [(1,)]  # B6601 from the unknown airport, delayed


def test_marts_count_per_carrier_and_per_month_as_computed(cli: Cli, first_run) -> None:
    made, _, _ = first_run
    expected = Expected.of(landed_files(made))
    assert (
        sorted(
            cli.query(
                "select carrier, flights_scheduled, flights_delayed from airlines.mv_carrier_delays"
            )
        )
        == expected.by_carrier()
    )
    routed = [f for f in expected.flights if expected.known_route(f)]
    assert cli.query(
        "select flight_month, flights_scheduled, flights_delayed from airlines.mv_delays_by_month"
    ) == [(dt.date(2023, 11, 1), len(routed), len(expected.fact))]


def test_the_overlap_and_the_entries_not_landed_are_named(first_run) -> None:
    _, result, summary = first_run
    overlap = [line for line in summary["warnings"] if "two different files" in line]
    assert len(overlap) == 1, summary["warnings"]
    assert f"{BTS} and {DAILY_COPY} share 1 flight (2023-11-20)" in overlap[0]
    assert "two different files" in result.stderr
    skipped = {entry["key"]: entry["reason"] for entry in summary["skipped_entries"]}
    assert sorted(skipped) == sorted(NOT_DELIVERIES)
    for key in NOT_DELIVERIES:
        assert f"{key}: skipped: " in result.stderr
    assert summary["warning_notification"]["status"] == "WARNING"


def test_a_replaced_file_is_counted_again_from_its_new_content(cli: Cli, first_run) -> None:
    """The odd-named file delivered again with other flights: its old rows go, the new
    ones count; everything else is a duplicate and stays as it was."""
    made, _, _ = first_run
    rng = random.Random(21)
    fresh = random_flights(rng, known_airports()[:12], "2023-11-21", 7, 800)
    made.write(ODD, ("\n".join([DAILY_HEADER, *(daily_row(*f) for f in fresh)]) + "\n").encode())
    result = cli("run", str(made.folder), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["totals"] == {
        "files_landed": 1,
        "files_duplicate": 5,
        "files_failed": 0,
        "rows_read": 7,
        "rows_landed": 7,
        "rows_rejected": 0,
    }
    expected = Expected.of(landed_files(made))
    assert cli.query("select count(*) from raw.flights_landing") == [(len(expected.flights),)]
    assert cli.query("select count(*) from airlines.daily_flights_fact") == [(len(expected.fact),)]
    assert (
        sorted(
            cli.query(
                "select carrier, flights_scheduled, flights_delayed from airlines.mv_carrier_delays"
            )
        )
        == expected.by_carrier()
    )
