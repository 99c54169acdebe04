"""A BTS on-time month exactly as the BTS site ships it lands whole, and the fact and
marts are right; the same key shipped again with three days missing takes those days
out of raw, fact and marts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from bts_files import US_AIRPORTS, Flight, month_of_flights, write_ontime_month
from cli_helpers import Cli

pytestmark = pytest.mark.slow

THRESHOLD = 60
FIRST_DAY = dt.date(2023, 11, 1)
DAYS = 30
KEY = "daily_flights/On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2023_11.csv"
MISSING = {dt.date(2023, 11, 7), dt.date(2023, 11, 8), dt.date(2023, 11, 23)}
AIRPORTS = list(US_AIRPORTS[:8])


def delayed(flight: Flight) -> bool:
    return flight.dep_delay is not None and flight.dep_delay > THRESHOLD


def fact_rows(cli: Cli) -> set[tuple]:
    return set(cli.query(
        "select flight_id, flight_date, dep_delay, arr_delay, dep_city, arr_state "
        "from airlines.daily_flights_fact"))


def expected_fact(flights: list[Flight]) -> set[tuple]:
    return {(f.flight_id, f.flight_date, f.dep_delay, f.arr_delay, f.origin.city, f.dest.state)
            for f in flights if delayed(f)}


def marts(cli: Cli) -> tuple[dict, dict]:
    trend = {day: (int(scheduled), int(late)) for day, scheduled, late in cli.query(
        "select flight_date, flights_scheduled, flights_delayed "
        "from airlines.mv_daily_delay_trend")}
    carriers = {carrier: (int(scheduled), int(cancelled), int(late))
                for carrier, scheduled, cancelled, late in cli.query(
                    "select carrier, flights_scheduled, flights_cancelled, flights_delayed "
                    "from airlines.mv_carrier_delays")}
    return trend, carriers


def expected_marts(flights: list[Flight]) -> tuple[dict, dict]:
    days = sorted({f.flight_date for f in flights})
    trend = {day: (sum(1 for f in flights if f.flight_date == day),
                   sum(1 for f in flights if f.flight_date == day and delayed(f))) for day in days}
    scheduled = Counter(f.carrier for f in flights)
    cancelled = Counter(f.carrier for f in flights if f.dep_delay is None)
    late = Counter(f.carrier for f in flights if delayed(f))
    carriers = {c: (scheduled[c], cancelled[c], late[c]) for c in scheduled}
    return trend, carriers


@pytest.fixture(scope="module")
def month() -> list[Flight]:
    return month_of_flights(AIRPORTS, FIRST_DAY, days=DAYS, flights_per_day=60, seed=3)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bts-month")


@pytest.fixture(scope="module")
def first_run(cli: Cli, month: list[Flight], landing: Path):
    write_ontime_month(landing / KEY, month)
    airports = landing.parent / "bts_airports.csv"
    airports.write_text("airport_id,city,state,name\n" + "".join(
        f'{a.airport_id},{a.city},{a.state},"{a.name}"\n' for a in AIRPORTS))
    return cli("run", "--landing", str(landing), "--airports", str(airports))


def test_the_file_is_shaped_as_bts_ships_it(landing: Path, first_run) -> None:
    lines = (landing / KEY).read_bytes().split(b"\r\n")
    assert lines[0].startswith(b'"Year","Quarter","Month","DayofMonth"')
    assert lines[0].endswith(b'"Div5TailNum",')
    assert b'"Newark, NJ"' in (landing / KEY).read_bytes()
    assert b",-5.00," in (landing / KEY).read_bytes()
    cancelled = [line for line in lines if b',1.00,"B",' in line]
    assert cancelled and all(b',"0600-0659",,,,,' in line for line in cancelled)


def test_the_month_lands_whole(cli: Cli, month: list[Flight], first_run) -> None:
    assert first_run.returncode == 0, first_run.stdout + first_run.stderr
    assert cli.query(
        "select status, rows_read, rows_landed, rows_rejected from raw.landed_files "
        "where file_key = %s", (KEY,)) == [("landed", len(month), len(month), 0)]
    by_date = dict(cli.query("select flight_date, count(*) from raw.flights_landing "
                             "group by flight_date"))
    assert by_date == Counter(f.flight_date for f in month)
    assert len(by_date) == DAYS


def test_the_fact_and_marts_are_right(cli: Cli, month: list[Flight], first_run) -> None:
    expected = expected_fact(month)
    assert any(f.dep_delay == 61 for f in month) and any(f.dep_delay == 60 for f in month)
    assert fact_rows(cli) == expected
    assert marts(cli) == expected_marts(month)


def test_the_month_shipped_again_without_three_days_takes_them_out(
    cli: Cli, month: list[Flight], landing: Path, first_run
) -> None:
    shorter = [f for f in month if f.flight_date not in MISSING]
    write_ontime_month(landing / KEY, shorter)
    result = cli("run", "--landing", str(landing))
    assert result.returncode == 0, result.stdout + result.stderr

    landed_dates = {day for (day,) in cli.query(
        "select distinct flight_date from raw.flights_landing")}
    assert landed_dates == {f.flight_date for f in shorter}
    assert not landed_dates & MISSING
    assert cli.query(
        "select count(*) from raw.landed_files where file_key = %s and status = 'landed'",
        (KEY,)) == [(1,)]
    assert fact_rows(cli) == expected_fact(shorter)
    assert marts(cli) == expected_marts(shorter)
