"""What a person sees: `airline-elt run` on a folder of good and bad files (a subprocess,
a warehouse of this module's own). The run goes on and succeeds; the console names each
bad file (and its first bad line); a WARNING notification with counts and reasons per
file goes out before the SUCCEEDED one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bad_input_helpers import DAY, HEADER, csv_bytes, good_rows, write

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("airline-elt"))
BROKEN = "daily_flights/date=2023-11-16/flights.csv"
ONE_BAD = f"daily_flights/date={DAY}/flights.csv"
LATIN1 = "daily_flights/date=2023-11-17/flights.csv"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    folder = tmp_path_factory.mktemp("elt-bad-input")
    yield folder
    cli(folder, "warehouse", "stop")


def cli(home: Path, *args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIRLINE_ELT_HOME": str(home), "COLUMNS": "200"}
    for name in ("AIRLINE_ELT_SEED_DIR", "AIRLINE_ELT_MAX_REJECT_RATIO",
                 "AIRLINE_ELT_MAX_REJECT_ROWS"):
        env.pop(name, None)
    env.update(environment)
    return subprocess.run([CLI, *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=900, check=False)


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    folder = tmp_path_factory.mktemp("landing")
    bad = [f"2023-11-16,AA,B{i},10397,12478,late,6" for i in range(11)]
    write(folder, BROKEN, csv_bytes([*good_rows(89, "2023-11-16"), *bad]))
    write(folder, ONE_BAD, csv_bytes([*good_rows(3), f"{DAY},AA,X1,ATL,12478,90,80"]))
    write(folder, LATIN1, (HEADER + "\n2023-11-17,AA,Zürich,10397,12478,5,6\n").encode("latin-1"))
    outside = tmp_path_factory.mktemp("outside")
    write(outside, "secret.csv", csv_bytes(good_rows(1)))
    os.symlink(outside / "secret.csv", folder / "daily_flights" / "link.csv")
    return folder


def notifications(home: Path) -> list[dict]:
    return [json.loads(line) for line in (home / "notifications.jsonl").read_text().splitlines()]


def test_a_run_with_bad_input_goes_on_and_says_what_was_wrong(home, landing):
    result = cli(home, "run", "--landing", str(landing))
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert f"{ONE_BAD}: 1 of 4 rows rejected (bad_origin_airport_id 1 (first at line 5))" in out
    assert f"{BROKEN} could not be landed: rejected whole (file_rejected_over_threshold): " \
           "11 of 100 rows (11.0%)" in out
    assert f"{LATIN1} could not be landed: not UTF-8 text" in out
    assert "daily_flights/link.csv could not be landed: refused: daily_flights/link.csv is a " \
           "symlink to" in out
    *_, warning, success = notifications(home)
    assert (warning["status"], success["status"]) == ("WARNING", "SUCCEEDED")
    assert warning["run_id"] == success["run_id"]
    files = {f["key"]: f for f in warning["files"]}
    assert set(files) == {BROKEN, ONE_BAD, LATIN1, "daily_flights/link.csv"}
    assert files[ONE_BAD]["reasons"] == {"bad_origin_airport_id": 1}
    assert files[ONE_BAD]["first_lines"] == {"bad_origin_airport_id": 5}
    assert files[BROKEN]["status"] == "failed"
    assert (files[BROKEN]["rows_read"], files[BROKEN]["rows_rejected"]) == (100, 100)
    assert files[BROKEN]["reasons"] == {"file_rejected_over_threshold": 89, "bad_dep_delay": 11}
    assert "over the limit" in files[BROKEN]["error"]
    assert warning["limits"] == {"max_reject_ratio": 0.05, "max_reject_rows": 10}
    totals = success["totals"]
    assert totals["rows_read"] == totals["rows_landed"] + totals["rows_rejected"]
    assert (totals["files_landed"], totals["files_failed"]) == (1, 3)
    assert success["fact_rows_by_date"] == {DAY: 0}  # no delay over 60 in the good rows


def test_the_same_bad_files_again_are_duplicates_and_raised_limits_land_the_broken_one(
    home, landing
):
    result = cli(home, "run", "--landing", str(landing), "--max-reject-ratio", "20%")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{LATIN1}: same content as failed version" in result.stdout
    *_, warning, success = notifications(home)
    assert warning["status"] == "WARNING"
    files = {f["key"]: f for f in warning["files"]}
    assert set(files) == {BROKEN}  # the unreadable ones are duplicates now: no new alert
    assert (files[BROKEN]["status"], files[BROKEN]["rows_landed"]) == ("landed", 89)
    assert warning["limits"]["max_reject_ratio"] == 0.2
    assert success["totals"]["files_duplicate"] == 3


def test_a_bad_limit_is_a_usage_error(home, landing):
    result = cli(home, "run", "--landing", str(landing), "--max-reject-ratio", "lots")
    assert result.returncode == 2
    assert "not a ratio: 'lots'" in result.stderr


def test_the_environment_sets_the_limits_and_a_flag_beats_it(home, tmp_path):
    """AIRLINE_ELT_MAX_REJECT_RATIO/ROWS are read by the CLI (the edge), and a flag given
    too wins: one bad row in 21 fails the file under limits of 0 from the environment."""
    key = "daily_flights/date=2023-11-18/flights.csv"
    bad = "2023-11-18,AA,B1,10397,12478,late,6"
    write(tmp_path / "strict", key, csv_bytes([*good_rows(20, "2023-11-18"), bad]))
    write(tmp_path / "flag", key.replace("11-18", "11-19"),
          csv_bytes([*good_rows(20, "2023-11-19"), bad.replace("11-18", "11-19")]))
    zero = {"AIRLINE_ELT_MAX_REJECT_RATIO": "0", "AIRLINE_ELT_MAX_REJECT_ROWS": "0"}

    strict = cli(home, "land", str(tmp_path / "strict"), **zero)
    assert strict.returncode == 0, strict.stdout + strict.stderr
    assert f"{key}: failed" in strict.stdout, strict.stdout

    flag = cli(home, "land", str(tmp_path / "flag"), "--max-reject-rows", "5", **zero)
    assert flag.returncode == 0, flag.stdout + flag.stderr
    assert f"{key.replace('11-18', '11-19')}: landed" in flag.stdout, flag.stdout
