"""The done-when of issue 22: `airline-elt fetch 2013-01 --landing DIR --source URL`, then
`airline-elt run DIR`, lands the month exactly; the month revised on the site is fetched again
(REPLACED) and the next run rebuilds its dates with the new counts. The expected numbers are
computed from the CSV the site served, with the csv module and the documented rules (a flight
is delayed when its departure delay is over 60 minutes), not with the product's code. The
airports and carriers are the BTS lookups fetched with --lookups, the airports in
Windows-1252 as BTS ships them."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bts_files import US_AIRPORTS
from bts_site import BtsSite, flights_of_month, month_csv
from cli_helpers import Cli

pytestmark = pytest.mark.slow

THRESHOLD = 60
KEY = "daily_flights/bts_ontime_2013_01.csv.gz"
CARRIER_NAMES = {"DL": "Delta Air Lines Inc.", "AA": "American Airlines Inc.",
                 "UA": "United Air Lines Inc.", "WN": "Southwest Airlines Co.",
                 "B6": "JetBlue Airways"}
DROPPED_DAYS = {"2013-01-29", "2013-01-30", "2013-01-31"}


def airport_lookup() -> bytes:
    """L_AIRPORT_ID as BTS ships it: "Code","Description", Windows-1252."""
    lines = ['"Code","Description"']
    lines += [f'{a.airport_id},"{a.city}, {a.state}: {a.name}"' for a in US_AIRPORTS]
    lines.append('16271,"Montréal, Canada: Montréal-Trudeau International"')
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def carrier_lookup() -> bytes:
    lines = ['"Code","Description"', *(f'"{code}","{name}"' for code, name
                                       in CARRIER_NAMES.items())]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@dataclass(frozen=True)
class Expected:
    """What the served CSV says, read with the csv module."""

    rows: int
    flights_by_date: dict[str, int]
    delayed_by_date: dict[str, int]
    flights_by_carrier: dict[str, int]


def expected_from(csv_bytes: bytes) -> Expected:
    reader = csv.DictReader(io.StringIO(csv_bytes.decode("utf-8")))
    flights: Counter[str] = Counter()
    delayed: Counter[str] = Counter()
    carriers: Counter[str] = Counter()
    rows = 0
    for row in reader:
        rows += 1
        flights[row["FlightDate"]] += 1
        carriers[row["Reporting_Airline"]] += 1
        if row["DepDelay"] and float(row["DepDelay"]) > THRESHOLD:
            delayed[row["FlightDate"]] += 1
    return Expected(rows, dict(flights), {day: delayed[day] for day in flights}, dict(carriers))


class DirectCli(Cli):
    """`airline-elt` reaching the local site directly: the module's fixtures fetch before the
    conftest's per-test fixture clears the machine's proxy variables."""

    def env(self) -> dict[str, str]:
        return {name: value for name, value in super().env().items()
                if name.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """One warehouse for the module (starting one is slow)."""
    cli = DirectCli(tmp_path_factory.mktemp("elt-fetch-then-run"))
    yield cli
    cli("warehouse", "stop", timeout=120)


@pytest.fixture(scope="module")
def site() -> Iterator[BtsSite]:
    with BtsSite() as served:
        served.lookup("Y_NVecbeg_VQ", airport_lookup())
        served.lookup("Y_haVdhR_PNeeVRef", carrier_lookup())
        yield served


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fetched") / "flights"


@pytest.fixture(scope="module")
def first_month(site: BtsSite) -> bytes:
    served = month_csv(flights_of_month(2013, 1, flights_per_day=40, seed=5))
    site.publish(2013, 1, served)
    return served


def _fetch(cli: Cli, site: BtsSite, landing: Path, *args: str) -> dict:
    result = cli("fetch", "2013-01", "--landing", str(landing), "--source", site.prezip,
                 "--lookup-source", site.lookup_source, "--json", *args, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _run(cli: Cli, landing: Path) -> tuple[dict, str]:
    lookups = landing / "lookups"
    result = cli("run", str(landing), "--json", "--airports", str(lookups / "L_AIRPORT_ID.csv"),
                 "--carriers", str(lookups / "L_UNIQUE_CARRIERS.csv"))
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout), result.stderr


def _warehouse_counts(cli: Cli) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    fact = {day.isoformat(): int(n) for day, n in cli.query(
        "select flight_date, count(*) from airlines.daily_flights_fact group by flight_date")}
    trend = {day.isoformat(): int(n) for day, n in cli.query(
        "select flight_date, flights_scheduled from airlines.mv_daily_delay_trend")}
    carriers = {name: int(n) for name, n in cli.query(
        "select carrier_name, flights_scheduled from airlines.mv_carrier_delays")}
    return fact, trend, carriers


@pytest.fixture(scope="module")
def first_run(cli: Cli, site: BtsSite, landing: Path, first_month: bytes) -> tuple[dict, dict,
                                                                                   str]:
    fetched = _fetch(cli, site, landing, "--lookups")
    run, console = _run(cli, landing)
    return fetched, run, console


def test_fetch_writes_the_month_and_the_lookups(first_run: tuple[dict, dict, str],
                                                first_month: bytes, landing: Path) -> None:
    fetched, _, _ = first_run
    expected = expected_from(first_month)
    assert [(m["month"], m["status"], m["key"], m["csv_rows"]) for m in fetched["months"]] == [
        ("2013-01", "written", KEY, expected.rows)]
    assert [(item["name"], item["status"]) for item in fetched["lookups"]] == [
        ("L_AIRPORT_ID", "written"), ("L_UNIQUE_CARRIERS", "written")]
    assert (landing / "lookups" / "L_AIRPORT_ID.csv").read_bytes() == airport_lookup()


def test_run_lands_the_month_exactly(cli: Cli, first_run: tuple[dict, dict, str],
                                     first_month: bytes) -> None:
    _, run, console = first_run
    expected = expected_from(first_month)
    assert [(f["key"], f["status"], f["rows_read"], f["rows_landed"], f["rows_rejected"])
            for f in run["files"]] == [(KEY, "landed", expected.rows, expected.rows, 0)]
    assert run["totals"]["rows_landed"] == expected.rows
    assert run["totals"]["rows_rejected"] == 0
    assert run["fact_rows_by_date"] == expected.delayed_by_date
    assert sum(expected.delayed_by_date.values()) > 0
    fact, trend, carriers = _warehouse_counts(cli)
    assert fact == {day: n for day, n in expected.delayed_by_date.items() if n}
    assert trend == expected.flights_by_date
    assert carriers == {CARRIER_NAMES[code]: n for code, n in expected.flights_by_carrier.items()}
    assert "read as Windows-1252" in console
    assert cli.query("select city from airlines.airports_dim where airport_id = 16271") == [
        ("Montréal",)]


def test_a_revised_month_is_replaced_and_its_dates_rebuilt(
        cli: Cli, site: BtsSite, landing: Path, first_run: tuple[dict, dict, str]) -> None:
    revised_flights = [f for f in flights_of_month(2013, 1, flights_per_day=40, seed=6)
                       if f.flight_date.isoformat() not in DROPPED_DAYS]
    revised = month_csv(revised_flights)
    site.publish(2013, 1, revised)
    fetched = _fetch(cli, site, landing)
    expected = expected_from(revised)
    assert [(m["status"], m["csv_rows"]) for m in fetched["months"]] == [
        ("replaced", expected.rows)]

    run, _ = _run(cli, landing)
    assert [(f["key"], f["status"], f["rows_landed"]) for f in run["files"]] == [
        (KEY, "landed", expected.rows)]
    fact, trend, carriers = _warehouse_counts(cli)
    assert fact == {day: n for day, n in expected.delayed_by_date.items() if n}
    assert trend == expected.flights_by_date
    assert not DROPPED_DAYS & set(trend)
    assert carriers == {CARRIER_NAMES[code]: n for code, n in expected.flights_by_carrier.items()}
    assert cli.query("select count(*) from raw.flights_landing") == [(expected.rows,)]


def test_the_same_month_fetched_again_lands_nothing_new(
        cli: Cli, site: BtsSite, landing: Path, first_run: tuple[dict, dict, str]) -> None:
    fetched = _fetch(cli, site, landing)
    assert [m["status"] for m in fetched["months"]] == ["unchanged"]
    run, _ = _run(cli, landing)
    assert run["totals"]["files_landed"] == 0
