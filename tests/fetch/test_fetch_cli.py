"""`airline-elt fetch` driven as a user would (a subprocess against the local BTS site): what it
says, its exit status, --json, the lookups, a fetch killed halfway, and that it needs no
warehouse."""

from __future__ import annotations

import gzip
import json
import signal
import time
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from bts_site import BtsSite, flights_of_month, month_csv
from cli_helpers import Cli, assert_short_error

from airline_elt.warehouse import Warehouse

AIRPORTS_CP1252 = ('"Code","Description"\r\n'
                   '10397,"Atlanta, GA: Hartsfield-Jackson Atlanta International"\r\n'
                   '16271,"Montréal, Canada: Montréal-Trudeau International"\r\n'
                   ).encode("cp1252")
CARRIERS = (b'"Code","Description"\r\n"DL","Delta Air Lines Inc."\r\n'
            b'"WN","Southwest Airlines Co."\r\n')


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(tmp_path_factory.mktemp("fetch-home"))


def _fetch(cli: Cli, site: BtsSite, landing: Path, *args: str) -> CompletedProcess[str]:
    return cli("fetch", *args, "--landing", str(landing), "--source", site.prezip,
               "--lookup-source", site.lookup_source, timeout=120)


def test_months_come_with_a_line_each_and_exit_0(cli: Cli, site: BtsSite,
                                                  tmp_path: Path) -> None:
    site.publish(2013, 1, month_csv(flights_of_month(2013, 1, 2)))
    site.publish(2013, 2, month_csv(flights_of_month(2013, 2, 2)))
    result = _fetch(cli, site, tmp_path / "landing", "2013-01..2013-02")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "written   2013-01 -> daily_flights/bts_ontime_2013_01.csv.gz (62 rows," in (
        result.stdout)
    assert "written   2013-02 -> daily_flights/bts_ontime_2013_02.csv.gz (56 rows," in (
        result.stdout)
    assert "Fetched 2 months: 2 written" in lines
    assert f"next: airline-elt run {tmp_path / 'landing'}" in lines

    again = _fetch(cli, site, tmp_path / "landing", "2013-01..2013-02")
    assert again.returncode == 0
    assert "Fetched 2 months: 2 unchanged" in again.stdout
    assert "next:" not in again.stdout  # nothing new to land


def test_a_month_not_found_gives_exit_1_and_the_rest_still_come(
        cli: Cli, site: BtsSite, tmp_path: Path) -> None:
    site.publish(2013, 1, month_csv(flights_of_month(2013, 1, 2)))
    site.html_page(2013, 3)
    result = _fetch(cli, site, tmp_path / "landing", "2013-01..2013-03")
    assert result.returncode == 1
    assert "written   2013-01" in result.stdout
    assert "not found 2013-02" in result.stdout and "404" in result.stdout
    assert "not found 2013-03" in result.stdout
    assert "answered with an HTML page, not a zip" in result.stdout
    assert "Fetched 3 months: 1 written, 2 not found" in result.stdout
    assert [p.name for p in (tmp_path / "landing" / "daily_flights").iterdir()] == [
        "bts_ontime_2013_01.csv.gz"]


def test_json_is_the_only_thing_on_stdout(cli: Cli, site: BtsSite, tmp_path: Path) -> None:
    site.publish(2013, 1, month_csv(flights_of_month(2013, 1, 3)))
    result = _fetch(cli, site, tmp_path / "landing", "2013-01", "2013-02", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["succeeded"] is False
    assert report["landing"] == str((tmp_path / "landing").resolve())
    assert [(m["month"], m["status"], m["csv_rows"]) for m in report["months"]] == [
        ("2013-01", "written", 93), ("2013-02", "not_found", None)]
    january = report["months"][0]
    assert january["key"] == "daily_flights/bts_ontime_2013_01.csv.gz"
    assert january["stored_bytes"] == (tmp_path / "landing" / january["key"]).stat().st_size
    assert "Fetched 2 months" in result.stderr  # the console went to stderr


@pytest.mark.parametrize(("months", "says"), [
    ("2013-13", "the month must be 01 to 12"),
    ("2013-05..2013-03", "runs backwards"),
    ("1987-09", "BTS on-time data starts with October 1987"),
])
def test_a_bad_month_is_a_usage_error(cli: Cli, site: BtsSite, tmp_path: Path, months: str,
                                      says: str) -> None:
    result = _fetch(cli, site, tmp_path / "landing", months)
    assert result.returncode == 2
    assert says in result.stderr
    assert not (tmp_path / "landing").exists()
    assert site.requests == []


def test_nothing_to_fetch_is_refused(cli: Cli, site: BtsSite, tmp_path: Path) -> None:
    result = _fetch(cli, site, tmp_path / "landing")
    assert_short_error(result)
    assert "give the months to fetch" in result.stderr


def test_help_documents_the_exit_codes(cli: Cli) -> None:
    result = cli("fetch", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "Exit status: 0 when every month (and lookup) was written, replaced or unchanged; 1" in (
        text)
    assert "2 on a usage error" in text
    assert "Certificate checks are never turned off" in text


def test_lookups_come_as_shipped_after_a_500(cli: Cli, site: BtsSite, tmp_path: Path) -> None:
    site.lookup("Y_NVecbeg_VQ", AIRPORTS_CP1252, failures_first=1)  # the endpoint's 500s
    site.lookup("Y_haVdhR_PNeeVRef", CARRIERS)
    result = _fetch(cli, site, tmp_path / "landing", "--lookups")
    assert result.returncode == 0, result.stdout + result.stderr
    lookups = tmp_path / "landing" / "lookups"
    assert (lookups / "L_AIRPORT_ID.csv").read_bytes() == AIRPORTS_CP1252  # bytes untouched
    assert (lookups / "L_UNIQUE_CARRIERS.csv").read_bytes() == CARRIERS
    assert "Fetched 2 lookups: fetched" in result.stdout
    assert "--airports" in result.stdout and "L_AIRPORT_ID.csv" in result.stdout
    assert site.gets("/Download_Lookup.asp?Y11x72=Y_NVecbeg_VQ") == 2


def test_a_lookup_answered_with_html_fails_and_writes_nothing(
        cli: Cli, site: BtsSite, tmp_path: Path) -> None:
    site.lookup("Y_NVecbeg_VQ", b"<html><body>TranStats home</body></html>")
    site.lookup("Y_haVdhR_PNeeVRef", CARRIERS)
    result = _fetch(cli, site, tmp_path / "landing", "--lookups")
    assert result.returncode == 1
    assert "L_AIRPORT_ID: the download is not a BTS lookup table" in result.stdout
    assert "HTML page" in result.stdout
    assert sorted(p.name for p in (tmp_path / "landing" / "lookups").iterdir()) == [
        "L_UNIQUE_CARRIERS.csv"]


def test_a_fetch_killed_halfway_leaves_the_landing_as_it_was(
        cli: Cli, site: BtsSite, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    first = month_csv(flights_of_month(2013, 1, 150))
    site.publish(2013, 1, first)
    assert _fetch(cli, site, landing, "2013-01").returncode == 0
    site.publish(2013, 1, month_csv(flights_of_month(2013, 1, 150, seed=11)))  # a revision
    site.slow_seconds = 0.1
    process = cli.start("fetch", "2013-01", "--landing", str(landing), "--source", site.prezip)
    partial = landing / ".airline-elt-fetch" / "bts_2013_01.zip.download"
    deadline = time.monotonic() + 60
    while not (partial.exists() and partial.stat().st_size > 0):
        assert time.monotonic() < deadline, "the download never started"
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    # The landing sees the month as it was, whole; the partial download is hidden outside it.
    assert [p.name for p in (landing / "daily_flights").iterdir()] == [
        "bts_ontime_2013_01.csv.gz"]
    assert gzip.decompress((landing / "daily_flights" / "bts_ontime_2013_01.csv.gz")
                           .read_bytes()) == first
    site.slow_seconds = 0
    rerun = _fetch(cli, site, landing, "2013-01")
    assert rerun.returncode == 0
    assert "replaced  2013-01" in rerun.stdout


def test_fetch_starts_no_warehouse(cli: Cli) -> None:
    """Every fetch above ran in this module's state folder: no warehouse was made there."""
    assert not Warehouse(cli.home).exists()


def test_a_missing_ca_bundle_is_a_short_error(cli: Cli, site: BtsSite, tmp_path: Path) -> None:
    result = _fetch(cli, site, tmp_path / "landing", "2013-01", "--ca-bundle",
                    str(tmp_path / "absent.pem"))
    assert_short_error(result)
    assert "CA bundle not found" in result.stderr
    assert site.requests == []
