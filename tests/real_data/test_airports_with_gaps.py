"""A real airport list has gaps: foreign airports without a state, small fields without
a city or name. Gaps are warnings, never a reason for an empty warehouse; a flight
between known airports reaches the fact whatever their descriptive columns hold.
Airports the flights use but the list lacks are listed for the data steward
(`airlines.unknown_airports`), and their flights self-heal once the BTS lookup
`L_AIRPORT_ID.csv`, as downloaded, becomes the list."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from bts_files import US_AIRPORTS, Airport, Flight, month_of_flights, write_airport_lookup
from cli_helpers import Cli

from airline_elt.queries import top_delayed_routes

pytestmark = pytest.mark.slow

THRESHOLD = 60
DAY = dt.date(2024, 3, 5)

KNOWN = [
    *US_AIRPORTS,
    # Gaps: foreign airports (no state), a field with no city or state, one with no name.
    Airport(16133, "YYZ", "Toronto", "", "Toronto Pearson International", "Canada"),
    Airport(16271, "YVR", "Vancouver", "", "Vancouver International", "Canada"),
    Airport(13762, "MEX", "Mexico City", "", "Benito Juarez International", "Mexico"),
    Airport(10001, "1AK", "", "", "Afognak Lake Airport"),
    Airport(10003, "2AK", "", "", "Bear Creek Mining Strip"),
    Airport(15016, "STL", "St. Louis", "MO", ""),
]
# Used by the flights, missing from the first list.
UNKNOWN = [
    Airport(16440, "LHR", "London", "", "London Heathrow", "United Kingdom"),
    Airport(10005, "3AK", "Ketchikan", "AK", "Ketchikan Harbor Seaplane Base"),
]


def write_seed_form(path: Path, airports: list[Airport]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["airport_id", "city", "state", "name"])
        for airport in airports:
            writer.writerow([airport.airport_id, airport.city, airport.state, airport.name])
    return path


def write_day(landing: Path, flights: list[Flight]) -> Path:
    path = landing / "daily_flights" / f"date={DAY.isoformat()}" / "flights.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["FlightID", "Carrier", "OriginAirportID", "DestAirportID",
                         "DepDelay", "ArrDelay", "FlightDate"])
        for flight in flights:
            writer.writerow([flight.flight_id, flight.carrier, flight.origin.airport_id,
                             flight.dest.airport_id, flight.dep_delay, flight.arr_delay,
                             flight.flight_date.isoformat()])
    return path


def delayed(flight: Flight) -> bool:
    return flight.dep_delay is not None and flight.dep_delay > THRESHOLD


def expected_fact(flights: list[Flight], known: list[Airport]) -> dict[str, tuple]:
    ids = {airport.airport_id for airport in known}
    return {
        flight.flight_id: (flight.origin.city or None, flight.origin.state or None,
                           flight.dest.city or None, flight.dest.state or None)
        for flight in flights
        if delayed(flight) and flight.origin.airport_id in ids and flight.dest.airport_id in ids
    }


def fact(cli: Cli) -> dict[str, tuple]:
    rows = cli.query("select flight_id, dep_city, dep_state, arr_city, arr_state "
                     "from airlines.daily_flights_fact")
    return {row[0]: tuple(row[1:]) for row in rows}


def carrier_delays(cli: Cli) -> dict[str, tuple[int, int]]:
    rows = cli.query("select carrier, flights_scheduled, flights_delayed "
                     "from airlines.mv_carrier_delays")
    return {carrier: (int(scheduled), int(delayed)) for carrier, scheduled, delayed in rows}


def expected_carrier_delays(flights: list[Flight], known: list[Airport]) -> dict[str, tuple]:
    ids = {airport.airport_id for airport in known}
    between_known = [f for f in flights if f.origin.airport_id in ids and f.dest.airport_id in ids]
    scheduled = Counter(f.carrier for f in between_known)
    late = Counter(f.carrier for f in between_known if delayed(f))
    return {carrier: (scheduled[carrier], late[carrier]) for carrier in scheduled}


@pytest.fixture(scope="module")
def flights() -> list[Flight]:
    return month_of_flights(KNOWN + UNKNOWN, DAY, days=1, flights_per_day=400, seed=11)


@pytest.fixture(scope="module")
def first_run(cli: Cli, flights: list[Flight], tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("gaps")
    write_day(folder / "landing", flights)
    airports = write_seed_form(folder / "my_airports.csv", KNOWN)
    return cli("run", "--landing", str(folder / "landing"), "--airports", str(airports))


def test_the_list_has_real_gaps() -> None:
    gaps = [airport for airport in KNOWN if not airport.city or not airport.state]
    assert len(gaps) / len(KNOWN) >= 0.10
    assert any(airport.country for airport in gaps)


def test_a_list_with_gaps_builds_with_warnings(first_run) -> None:
    assert first_run.returncode == 0, first_run.stdout + first_run.stderr
    out = first_run.stdout
    assert "warn 0" not in out and "error 0" in out, out
    # One line says what warned, with counts, and where to look.
    warned = [line for line in out.splitlines() if "dbt warned on" in line]
    assert len(warned) >= 1, out
    assert "airports_dim: city 2, name 1, state 5" in warned[-1]
    assert "daily_flights_fact: " in warned[-1] and "dep_state " in warned[-1]
    assert "airline-elt dbt test --select" in warned[-1]


def test_gaps_load_as_null(cli: Cli, first_run) -> None:
    rows = dict((airport_id, (city, state, name)) for airport_id, city, state, name in cli.query(
        "select airport_id, city, state, name from airlines.airports_dim"))
    assert len(rows) == len(KNOWN)
    assert rows[16133] == ("Toronto", None, "Toronto Pearson International")
    assert rows[10001] == (None, None, "Afognak Lake Airport")
    assert rows[15016] == ("St. Louis", "MO", None)


def test_the_fact_holds_every_delayed_flight_between_known_airports(
    cli: Cli, flights: list[Flight], first_run
) -> None:
    expected = expected_fact(flights, KNOWN)
    to_gaps = [fid for fid, places in expected.items() if None in places]
    assert len(to_gaps) >= 10  # the scenario really puts delayed flights on the gaps
    assert fact(cli) == expected


def test_the_marts_count_flights_at_airports_with_gaps(
    cli: Cli, flights: list[Flight], first_run
) -> None:
    assert carrier_delays(cli) == expected_carrier_delays(flights, KNOWN)
    by_origin = cli.query("select origin_city, flights_scheduled from airlines.mv_delays_by_origin "
                          "where origin_state is null and origin_city = 'Toronto'")
    from_toronto = sum(1 for f in flights if f.origin.airport_id == 16133
                       and f.dest.airport_id in {a.airport_id for a in KNOWN})
    assert by_origin == [("Toronto", from_toronto)]


def test_unknown_airports_are_listed_for_the_steward(
    cli: Cli, flights: list[Flight], first_run
) -> None:
    unknown_ids = {airport.airport_id for airport in UNKNOWN}
    expected = {}
    for airport_id in unknown_ids:
        using = [f for f in flights if airport_id in (f.origin.airport_id, f.dest.airport_id)]
        expected[airport_id] = (len(using), sum(1 for f in using if delayed(f)), DAY, DAY)
    rows = cli.query("select airport_id, flights, flights_delayed, first_flight_date, "
                     "last_flight_date from airlines.unknown_airports")
    assert {row[0]: tuple(row[1:]) for row in rows} == expected
    lines = [line for line in first_run.stdout.splitlines() if "airlines.unknown_airports" in line]
    assert len(lines) == 1, first_run.stdout
    assert "2 airport ids used by landed flights are not in airports_dim" in lines[0]
    for airport_id, (count, late, *_) in expected.items():
        assert f"{airport_id}: {count:,} flights, {late:,} delayed" in lines[0]


def test_the_summary_names_routes_whose_airports_have_no_city(cli: Cli, first_run) -> None:
    # The day's routes are short of the delay-prone minimum: every route counts here.
    every_route = cli("transform", "--", "--vars", "{min_sample_flights: 1}")
    assert every_route.returncode == 0, every_route.stdout + every_route.stderr
    try:
        with psycopg.connect(cli.url(), autocommit=True) as conn:
            labels = [rank.label for rank in top_delayed_routes(conn, limit=10_000)]
    finally:
        assert cli("dbt", "build").returncode == 0  # back to the default minimum
    assert labels and not [label for label in labels if "None" in label]
    # A daily file has no airport codes: the airport reads as its id, as in the report, and its
    # name stands for the place it has no city or state for.
    afognak = "airport 10001 · Afognak Lake Airport -> "
    assert any(label.startswith(afognak) for label in labels), labels


def test_the_bts_lookup_as_downloaded_self_heals_the_unknown_airports(
    cli: Cli, flights: list[Flight], first_run, tmp_path: Path
) -> None:
    everything = KNOWN[:15] + KNOWN[17:] + UNKNOWN  # the lookup has no city-less rows
    lookup = write_airport_lookup(tmp_path / "L_AIRPORT_ID.csv", everything)
    assert lookup.read_bytes().startswith(b'"Code","Description"\r\n10397,"Atlanta, GA: Hartsfield')
    # The lookup drops two airports that landed flights use: refused unless forced.
    refused = cli("transform", "--airports", str(lookup))
    assert refused.returncode != 0
    assert "ids it lacks: 10003 (41 flights), 10001 (40 flights)" in refused.stdout + refused.stderr
    result = cli("transform", "--airports", str(lookup), "--force")
    assert result.returncode == 0, result.stdout + result.stderr

    rows = {row[0]: tuple(row[1:]) for row in cli.query(
        "select airport_id, city, state, name from airlines.airports_dim")}
    assert rows == {a.airport_id: (a.city or None, a.state or None, a.name or None)
                    for a in everything}
    assert rows[16440] == ("London", None, "London Heathrow")  # a country is no state
    assert rows[11298][:2] == ("Dallas/Fort Worth", "TX")
    # Flights from and to the formerly unknown airports now reach the fact.
    assert fact(cli) == expected_fact(flights, everything)
    # ... and the two city-less fields the lookup leaves out are the steward's list now.
    assert cli.query("select airport_id from airlines.unknown_airports order by 1") == [
        (10001,), (10003,)]

