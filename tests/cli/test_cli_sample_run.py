"""`airline-elt run` on the bundled sample data, then what a user does next: status, the
docs site, stopping and starting the warehouse, running again. The expected numbers are
computed from the sample CSV files here, independently of the pipeline."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from cli_helpers import SAMPLE_LANDING, Cli, assert_short_error

from airline_elt.min_sample import min_sample_flights
from airline_elt.state import project_dir

pytestmark = pytest.mark.slow

GOLDEN = {
    # flight_id: (dep_city, arr_city, dep_delay, arr_delay)
    "BA7890": ("Denver", "Tucson", 120, 115),
    "EK4567": ("Salt Lake City", "Detroit", 88, 92),
    "AA5678": ("Atlanta", "Salt Lake City", 75, 82),
    "LH7890": ("Los Angeles", "Salt Lake City", 63, 60),
    "UA9012": ("Phoenix", "Minneapolis", 62, 58),
}


def sample_rows() -> list[dict[str, str]]:
    """Every sample flight in the daily files' shape; the BTS month's rows are read by its
    own names, and a flight it flags cancelled has no departure delay (it did not operate)."""
    rows = []
    for path in sorted(SAMPLE_LANDING.rglob("*.csv")):
        with path.open(newline="") as handle:
            rows.extend(_daily_shape(row) for row in csv.DictReader(handle))
    return rows


def _daily_shape(row: dict[str, str]) -> dict[str, str]:
    if "Reporting_Airline" not in row:
        return row
    cancelled = row["Cancelled"] not in ("", "0", "0.00")
    return {
        "FlightDate": row["FlightDate"],
        "Carrier": row["Reporting_Airline"],
        "FlightID": row["Reporting_Airline"] + row["Flight_Number_Reporting_Airline"],
        "OriginAirportID": row["OriginAirportID"],
        "DestAirportID": row["DestAirportID"],
        "DepDelay": "" if cancelled else row["DepDelay"],
        "ArrDelay": "" if cancelled else row["ArrDelay"],
    }


def delayed(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    # float: the BTS month writes minutes as "75.00"
    return [row for row in rows if row["DepDelay"] and float(row["DepDelay"]) > 60]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample landing folder (a run may add a failed/ folder to it)."""
    folder = tmp_path_factory.mktemp("landing")
    shutil.copytree(SAMPLE_LANDING, folder, dirs_exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def first_run(cli: Cli, landing: Path) -> subprocess.CompletedProcess:
    return cli("run", "--landing", str(landing), "--json")


@pytest.fixture(scope="module")
def summary(first_run: subprocess.CompletedProcess) -> dict:
    assert first_run.returncode == 0, first_run.stdout + first_run.stderr
    return json.loads(first_run.stdout)


def test_run_lands_every_sample_file_and_counts_every_row(summary: dict) -> None:
    rows = sample_rows()
    files = sorted(SAMPLE_LANDING.rglob("*.csv"))
    assert summary["status"] == "SUCCEEDED"
    assert summary["trigger"] == "manual"
    assert summary["totals"] == {
        "files_landed": len(files),
        "files_duplicate": 0,
        "files_failed": 0,
        "rows_read": len(rows),
        "rows_landed": len(rows),
        "rows_rejected": 0,
    }
    assert len(summary["files"]) == len(files)
    assert {item["key"] for item in summary["files"]} == {
        path.relative_to(SAMPLE_LANDING).as_posix() for path in files
    }
    assert summary["dbt"]["error"] == 0


def test_the_run_builds_without_unit_tests_and_they_run_on_demand(summary: dict,
                                                                  cli: Cli) -> None:
    """A run's build leaves dbt's unit tests out (fixed rows, not the data: dbt Labs
    recommend them in development and CI only); `airline-elt dbt test` runs them, and
    passes."""
    target = cli.home / "dbt" / "target"
    built = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    kinds = {item["unique_id"].split(".")[0] for item in built}
    assert "unit_test" not in kinds and {"model", "test"} <= kinds, kinds
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    defined = set(manifest["unit_tests"])
    assert defined, "the project has no unit tests left to leave out"

    result = cli("dbt", "test", "--select", "test_type:unit")
    assert result.returncode == 0, result.stdout + result.stderr
    ran = [item for item in
           json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
           if not item["unique_id"].startswith("operation.")]  # the on-run-start hooks
    assert {item["unique_id"] for item in ran} == defined
    assert {item["status"] for item in ran} == {"pass"}


def test_fact_rows_by_date_match_the_delayed_flights_of_each_day(summary: dict) -> None:
    expected: dict[str, int] = {}
    for row in sample_rows():
        expected.setdefault(row["FlightDate"], 0)
    for row in delayed(sample_rows()):
        expected[row["FlightDate"]] += 1
    assert summary["fact_rows_by_date"] == expected
    assert summary["fact_rows_by_date"]["2023-11-15"] == 5


def test_notification_outbox_holds_the_success_payload(cli: Cli, summary: dict) -> None:
    lines = (cli.home / "notifications.jsonl").read_text().splitlines()
    payload = json.loads(lines[-1])
    assert set(payload) == {
        "pipeline", "status", "run_id", "trigger", "started_at", "finished_at",
        "duration_seconds", "files", "totals", "fact_rows_by_date",
    }
    assert payload["pipeline"] == "airline-elt"
    for key in payload:
        assert payload[key] == summary[key], key
    assert set(payload["files"][0]) == {"key", "status", "rows_read", "rows_landed",
                                        "rows_rejected"}


def test_console_shows_steps_in_state_machine_order_and_a_summary(
    first_run: subprocess.CompletedProcess, summary: dict
) -> None:
    console = first_run.stderr  # with --json the console output goes to stderr
    steps = re.findall(r"^✓ (.+?) \(\d+\.\d s\)", console, flags=re.MULTILINE)
    assert steps == ["Take the run lock", "Land new files", "Build the models with dbt",
                     "Summarize", "Send the success notification", "Release the run lock"]
    # 21 daily files (4,066 flights) and the BTS month of October 2023 (1,489 flights)
    assert re.search(r"files landed\s*│\s*22 │", console)
    assert re.search(r"rows read\s*│\s*5,555 │", console)
    assert len(sample_rows()) == 5555
    fact_rows = sum(summary["fact_rows_by_date"].values())
    assert re.search(rf"fact rows \(delayed flights\)\s*│\s*{fact_rows:,} fact rows on 52 dates",
                     console)
    assert "Top delayed carriers" in console
    assert "Top delayed routes" in console
    assert 'psql "$(airline-elt warehouse url)"' in console


def test_fact_holds_the_golden_day(cli: Cli, summary: dict) -> None:
    rows = cli.query(
        "select flight_id, dep_city, arr_city, dep_delay, arr_delay "
        "from airlines.daily_flights_fact where flight_date = '2023-11-15'"
    )
    assert {row[0]: tuple(row[1:]) for row in rows} == GOLDEN


def test_fact_and_marts_agree_with_the_sample_files(cli: Cli, summary: dict) -> None:
    rows = sample_rows()
    late = delayed(rows)
    assert cli.query("select count(*) from airlines.daily_flights_fact") == [(len(late),)]

    by_carrier = dict(cli.query(
        "select carrier, flights_delayed from airlines.mv_carrier_delays"
    ))
    expected_carriers: dict[str, int] = {}
    for row in rows:
        expected_carriers.setdefault(row["Carrier"], 0)
    for row in late:
        expected_carriers[row["Carrier"]] += 1
    assert by_carrier == expected_carriers

    # The route most often late: its rate is delayed over operated (not cancelled) flights.
    (origin, dest, operated, flights_delayed, rate), = cli.query(
        "select origin_airport_id, dest_airport_id, flights_operated, flights_delayed, "
        "delay_rate_pct from airlines.mv_route_delays "
        "order by flights_delayed desc, origin_airport_id, dest_airport_id limit 1"
    )
    on_route = [r for r in rows if (int(r["OriginAirportID"]), int(r["DestAirportID"]))
                == (origin, dest)]
    assert operated == len([r for r in on_route if r["DepDelay"]])
    assert flights_delayed == len([r for r in on_route if r in late])
    assert rate == round(rate, 1)  # a percentage, rounded to 1 decimal
    assert abs(float(rate) - 100 * flights_delayed / operated) <= 0.05


def test_the_summary_ranks_carriers_by_rate_with_enough_flights(cli: Cli, summary: dict) -> None:
    """Carriers by delay rate among those with at least the dbt var min_sample_flights of
    flights (the sample's one-flight foreign carriers stay out), named, with their volume;
    routes from mv_delay_prone_routes by rank."""
    min_flights = min_sample_flights(project_dir())
    rows = sample_rows()
    late = delayed(rows)
    operated: dict[str, int] = {}
    for row in rows:
        if row["DepDelay"]:
            operated[row["Carrier"]] = operated.get(row["Carrier"], 0) + 1
    eligible = {c for c, n in operated.items()
                if n >= min_flights and any(r["Carrier"] == c for r in late)}
    rates = {c: round(100 * sum(1 for r in late if r["Carrier"] == c) / operated[c], 1)
             for c in eligible}
    expected = sorted(eligible, key=lambda c: -rates[c])[:5]
    carriers = summary["top_delayed_carriers"]
    assert [item["label"].rsplit("(", 1)[-1].rstrip(")") for item in carriers] == expected
    with (project_dir() / "seeds" / "carriers.csv").open(newline="") as handle:
        names = {row["carrier"]: row["carrier_name"] for row in csv.DictReader(handle)}
    assert carriers[0]["label"] == f"{names[expected[0]]} ({expected[0]})"
    for item in carriers:
        code = item["label"].rsplit("(", 1)[-1].rstrip(")")
        assert item["flights_operated"] == operated[code] >= min_flights
        assert item["delay_rate_pct"] == pytest.approx(rates[code])
        assert item["delay_rate"] == pytest.approx(rates[code] / 100)
    ranks = cli.query("select delay_rank from airlines.mv_delay_prone_routes"
                      " order by delay_rank limit 5")
    assert len(summary["top_delayed_routes"]) == len(ranks) > 0


def test_a_carriers_list_of_ones_own_names_the_carriers(cli: Cli, summary: dict,
                                                      tmp_path: Path) -> None:
    lookup = tmp_path / "L_UNIQUE_CARRIERS.csv"
    lookup.write_text('"Code","Description"\r\n"WN","Southwest (ours)"\r\n'
                      '"BA","British (ours)"\r\n', encoding="utf-8")
    # It leaves most landed flights without their carrier's name: refused unless forced.
    refused = cli("transform", "--carriers", str(lookup))
    assert refused.returncode != 0
    assert "without their carrier's name; the ids it lacks: AA" in refused.stdout + refused.stderr
    assert "show its code instead" in refused.stdout + refused.stderr
    result = cli("transform", "--carriers", str(lookup), "--force")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "carriers: 2 from" in result.stdout + result.stderr
    names = dict(cli.query("select carrier, carrier_name from airlines.mv_carrier_delays"))
    assert names["WN"] == "Southwest (ours)" and names["BA"] == "British (ours)"
    assert names["DL"] == "DL"  # not in the list: its code
    back = cli("transform", "--carriers", str(project_dir() / "seeds" / "carriers.csv"))
    assert back.returncode == 0, back.stdout + back.stderr
    names = dict(cli.query("select carrier, carrier_name from airlines.mv_carrier_delays"))
    assert names["DL"] == "Delta Air Lines Inc."


def test_status_lists_landed_files_newest_first(cli: Cli, summary: dict) -> None:
    result = cli("status")
    assert result.returncode == 0, result.stderr
    assert "daily_flights/date=2023-11-15/flights.csv" in result.stdout
    assert f"last run: {summary['run_id']} SUCCEEDED" in result.stdout
    assert "landed 22" in result.stdout

    as_json = json.loads(cli("status", "--json").stdout)
    files = as_json["landed_files"]
    assert len(files) == 22
    assert all(item["status"] == "landed" for item in files)
    landed_at = [item["landed_at"] for item in files]
    assert landed_at == sorted(landed_at, reverse=True)
    assert as_json["last_run"]["run_id"] == summary["run_id"]


def test_docs_site_is_generated_and_served(cli: Cli, summary: dict) -> None:
    server = cli.start("docs", "--port", "0")
    try:
        assert server.stdout is not None
        url = None
        for line in server.stdout:
            found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if found:
                url = found.group(1)
                break
        assert url, "docs never said where it serves"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert b"dbt" in response.read()
        with urllib.request.urlopen(url + "catalog.json", timeout=10) as response:
            catalog = json.load(response)
        assert "model.airline_elt.daily_flights_fact" in catalog["nodes"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_warehouse_stop_and_start_keep_the_data(cli: Cli, summary: dict) -> None:
    before = cli.query("select count(*) from airlines.daily_flights_fact")
    stopped = cli("warehouse", "stop")
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    assert "stopped" in cli("warehouse", "status").stdout
    started = cli("warehouse", "start")
    assert started.returncode == 0, started.stderr
    assert "running" in cli("warehouse", "status").stdout
    assert cli.query("select count(*) from airlines.daily_flights_fact") == before


def test_second_run_lands_nothing_new_and_changes_nothing(
    cli: Cli, landing: Path, summary: dict
) -> None:
    fact_before = cli.query(
        "select flight_date, count(*) from airlines.daily_flights_fact group by 1 order by 1"
    )
    result = cli("run", "--landing", str(landing))
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"files duplicate\s*│\s*22 │", result.stdout)
    assert re.search(r"files landed\s*│\s*0 │", result.stdout)
    # Every file was a duplicate: the console says no new data, not "0 fact rows".
    assert re.search(r"fact rows \(delayed flights\)\s*│\s*no new data", result.stdout)
    assert "No new data: 22 files already landed (duplicates)" in result.stdout
    assert "0 fact rows" not in result.stdout
    assert cli.query(
        "select flight_date, count(*) from airlines.daily_flights_fact group by 1 order by 1"
    ) == fact_before
    assert cli.query(
        "select status, count(*) from raw.landed_files group by 1 order by 1"
    ) == [("duplicate", 22), ("landed", 22)]


def test_bad_landing_folder_is_a_short_error(cli: Cli) -> None:
    result = cli("run", "--landing", "/nonexistent/landing")
    assert_short_error(result)
    assert "landing folder not found: /nonexistent/landing" in result.stderr


def test_bad_carriers_file_is_a_short_error(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "L_UNIQUE_CARRIERS.csv"
    bad.write_text('"Code","Description"\n"DL","Delta"\n"DL","Delta again"\n')
    result = cli("transform", "--carriers", str(bad))
    assert_short_error(result)
    assert "line 3: carrier DL repeats line 2" in result.stderr


def test_bad_airports_file_is_a_short_error(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "airports.csv"
    bad.write_text("id,town\n1,Nowhere\n")
    result = cli("transform", "--airports", str(bad))
    assert_short_error(result)
    assert "missing column(s) airport_id, city, state, name" in result.stderr
