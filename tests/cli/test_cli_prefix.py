"""The landing prefix, end to end through `airline-elt`: only *.csv keys under it
(default daily_flights/, the prefix the AWS rule listens to) are landed; other files in
the landing folder are left alone; a folder with no CSV under it says so in one line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cli_helpers import Cli, copy_days

pytestmark = pytest.mark.slow

DAYS = ["2023-11-14", "2023-11-15"]
BESIDE = {
    "airports.csv": "airport_id,city,state,name\n10397,Atlanta,GA,Hartsfield-Jackson\n",
    "README.md": "# landing folder\nDaily files go under daily_flights/.\n",
    "reference/carriers.csv": "code,name\nDL,Delta\n",
}


def digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def one_line(output: str, start: str) -> str:
    (line,) = [line for line in output.splitlines() if start in line]
    return line


def test_an_empty_landing_folder_says_so_in_one_line(cli: Cli, tmp_path: Path) -> None:
    result = cli("land", "--landing", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    line = one_line(result.stdout, "no CSV files under")
    assert f"no CSV files under {tmp_path.resolve()}/daily_flights/ — the layout is " \
           "daily_flights/date=YYYY-MM-DD/flights.csv" in line
    # Nothing was landed or recorded (`warehouse start` made the raw tables, as the landing
    # user: they stay empty).
    assert cli.query("select count(*) from raw.landed_files") == [(0,)]
    assert cli.query("select count(*) from raw.flights_landing") == [(0,)]


def test_files_beside_the_prefix_are_left_alone(cli: Cli, tmp_path: Path) -> None:
    landing = copy_days(DAYS, tmp_path / "landing")
    for name, text in BESIDE.items():
        (landing / name).parent.mkdir(parents=True, exist_ok=True)
        (landing / name).write_text(text)
    before = digests(landing)
    result = cli("run", "--landing", str(landing))
    assert result.returncode == 0, result.stdout + result.stderr
    assert digests(landing) == before  # nothing changed, nothing copied to failed/
    assert not (landing / "failed").exists()
    assert cli.query("select file_key, status from raw.landed_files order by 1") == [
        (f"daily_flights/date={day}/flights.csv", "landed") for day in DAYS
    ]
    for name in BESIDE:
        assert name not in result.stdout


def test_prefix_names_another_folder_on_land(cli: Cli, tmp_path: Path) -> None:
    landing = copy_days(["2023-11-16"], tmp_path / "landing")
    moved = landing / "flights_in" / "2023-11-16.csv"
    moved.parent.mkdir()
    (landing / "daily_flights/date=2023-11-16/flights.csv").rename(moved)
    result = cli("land", "--landing", str(landing), "--prefix", "flights_in")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "flights_in/2023-11-16.csv: landed" in result.stdout
    missing = cli("land", "--landing", str(landing))
    assert "no CSV files under" in missing.stdout


def test_entries_under_the_prefix_that_do_not_land_are_named(cli: Cli, tmp_path: Path) -> None:
    """A README, an archive, a spreadsheet and hidden files under the prefix: each named with
    why in the console and in --json (`skipped_entries`); none fails, none is recorded."""
    landing = tmp_path / "landing"
    names = {
        "daily_flights/README.txt": "not a .csv file (text, not a delivery)",
        "daily_flights/2023-12.zip": "not a .csv file (a zip archive",
        "daily_flights/december.xlsx": "not a .csv file (a spreadsheet",
        "daily_flights/.DS_Store": "a hidden file",
        "daily_flights/date=2023-12-01/.~lock.flights.csv#": "a hidden file",
    }
    for key in names:
        (landing / key).parent.mkdir(parents=True, exist_ok=True)
        (landing / key).write_bytes(b"PK\x03\x04 not flights")
    result = cli("run", "--landing", str(landing), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    for key, words in names.items():
        line = one_line(result.stderr, f"{key}: skipped: ")
        assert words in line, line
    assert "no CSV files under" in result.stderr
    summary = json.loads(result.stdout)
    skipped = {entry["key"]: entry["reason"] for entry in summary["skipped_entries"]}
    assert sorted(skipped) == sorted(names)
    assert all(words in skipped[key] for key, words in names.items())
    assert summary["status"] == "SUCCEEDED" and summary["warning_notification"] is None
    assert cli.query(
        "select count(*) from raw.landed_files where file_key like %s", ("%2023-12%",)
    ) == [(0,)]
