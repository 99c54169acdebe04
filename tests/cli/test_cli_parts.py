"""The runner's small parts, each on its own (fast): argument splitting, the airports
file check, reading dbt's output, notification payloads, the run lock (on the real
session warehouse)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest

from airline_elt.build_record import results_of_build
from airline_elt.cli import split_passthrough
from airline_elt.dbt_step import (
    RESOURCE_TYPE_ENV,
    parse_dbt_output,
    status_counts,
    without_unit_tests,
)
from airline_elt.errors import AirlineEltError
from airline_elt.lock import RunLock, current_holder
from airline_elt.notify import Outbox, failure_payload, success_payload
from airline_elt.pipeline import SHOWN_SKIPPED, Run
from airline_elt.seeds import install_airports, read_airports, seed_dir_override
from airline_elt.state import project_dir
from airline_landing.results import FileResult, FileStatus, RunTotals, StatusCount
from airline_landing.scan import PrefixError, is_landing_key, normalise_prefix, scan_folder
from airline_landing.thresholds import RejectLimits


def test_arguments_after_double_dash_go_to_dbt() -> None:
    assert split_passthrough(["transform", "--", "--select", "x", "--", "y"]) == (
        ["transform"], ["--select", "x", "--", "y"]
    )
    assert split_passthrough(["status"]) == (["status"], [])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_airports_file_columns_are_found_by_name(tmp_path: Path) -> None:
    text = "\ufeffName,STATE,airport_id,city\nAtlanta Intl,GA,10397,Atlanta\n\n"
    path = write(tmp_path / "a.csv", text)
    assert read_airports(path) == [["10397", "Atlanta", "GA", "Atlanta Intl"]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("airport_id,city,state\n1,a,b\n", "missing column(s) name"),
        ("airport_id,city,state,name\nATL,a,b,c\n", "line 2: airport_id 'ATL' is not a number"),
        ("airport_id,city,state,name\n1,a,b,c\n1,d,e,f\n", "line 3: airport_id 1 repeats line 2"),
        ("airport_id,city,state,name\n", "holds no airports"),
        ("airport_id,city,state,name\n1,a\n", "line 2: 2 fields, the header has 4"),
    ],
)
def test_bad_airports_files_get_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(AirlineEltError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_airports(write(tmp_path / "a.csv", text))


def test_missing_airports_file(tmp_path: Path) -> None:
    with pytest.raises(AirlineEltError, match="airports file not found"):
        read_airports(tmp_path / "nope.csv")


DBT_FAILED = """\
\x1b[0m10:01:36  1 of 2 OK created seed airports_dim [\x1b[32mINSERT 65\x1b[0m in 0.1s]
\x1b[0m10:01:36  Completed with 1 error, 0 partial successes, and 0 warnings:
\x1b[0m10:01:36
\x1b[0m10:01:36  \x1b[31mFailure in test not_null_x (models/x.yml)\x1b[0m
\x1b[0m10:01:36    Got 3 results, configured to fail if != 0
\x1b[0m10:01:36
\x1b[0m10:01:36  Done. PASS=1 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=2
"""


def test_dbt_output_gives_the_failures_and_run_results_the_counts(tmp_path: Path) -> None:
    started = dt.datetime(2026, 12, 4, 10, 1, 30, tzinfo=dt.UTC)
    write(tmp_path / "run_results.json", json.dumps({
        "metadata": {"generated_at": "2026-12-04T10:01:36.5Z"},
        "results": [{"unique_id": "seed.airline_elt.airports_dim", "status": "success"},
                    {"unique_id": "test.airline_elt.not_null_x.cf6c17daed", "status": "fail"}],
    }))
    result = subprocess.CompletedProcess(["dbt"], 1, stdout=DBT_FAILED, stderr="")
    outcome = parse_dbt_output(["build"], result, tmp_path / "dbt.log")
    assert outcome.counts == {}  # the console's "Done." line is not read
    outcome.counts = status_counts(results_of_build(tmp_path, started))
    assert not outcome.succeeded
    assert outcome.counts == {"PASS": 1, "WARN": 0, "ERROR": 1, "SKIP": 0, "NO-OP": 0,
                              "TOTAL": 2}
    assert outcome.problems == ["Failure in test not_null_x (models/x.yml)",
                                "Got 3 results, configured to fail if != 0"]
    assert outcome.describe() == "pass 1, warn 0, error 1, skip 0, no-op 0, total 2"
    assert outcome.headline() == "Failure in test not_null_x (models/x.yml)"


def test_dbt_output_without_a_summary_keeps_its_error_lines(tmp_path: Path) -> None:
    result = subprocess.CompletedProcess(
        ["dbt"], 2, stdout="10:00:00  Running with dbt\n10:00:01  Encountered an error:\n"
        "Runtime Error\n  The profile does not have a target named 'x'\n", stderr="")
    outcome = parse_dbt_output(["build"], result, tmp_path / "dbt.log")
    assert outcome.counts == {}
    assert outcome.problems == ["Runtime Error", "The profile does not have a target named 'x'"]
    assert outcome.headline() == "Runtime Error: The profile does not have a target named 'x'"
    assert outcome.describe() == "exit 2"


def test_success_payload_has_the_contract_fields() -> None:
    started = dt.datetime(2023, 11, 15, 12, 0, 0, tzinfo=dt.UTC)
    payload = success_payload(
        run_id="r1", trigger="manual", started_at=started,
        finished_at=started + dt.timedelta(seconds=42.5),
        files=[FileResult(key="k", status=FileStatus.LANDED, file_version_id=1, rows_read=3,
                          rows_landed=2, rows_rejected=1)],
        totals=RunTotals(files_landed=1, rows_read=3, rows_landed=2, rows_rejected=1),
        fact_rows_by_date={"2023-11-16": 0, "2023-11-15": 5},
    )
    assert payload == {
        "pipeline": "airline-elt", "status": "SUCCEEDED", "run_id": "r1", "trigger": "manual",
        "started_at": "2023-11-15T12:00:00Z", "finished_at": "2023-11-15T12:00:42Z",
        "duration_seconds": 42.5,
        "files": [{"key": "k", "status": "landed", "rows_read": 3, "rows_landed": 2,
                   "rows_rejected": 1}],
        "totals": {"files_landed": 1, "files_duplicate": 0, "files_failed": 0, "rows_read": 3,
                   "rows_landed": 2, "rows_rejected": 1},
        "fact_rows_by_date": {"2023-11-15": 5, "2023-11-16": 0},
    }
    assert list(payload["fact_rows_by_date"]) == ["2023-11-15", "2023-11-16"]


def test_outbox_appends_one_json_object_a_line(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    now = dt.datetime.now(dt.UTC)
    first = failure_payload(run_id="a", trigger="watch", step="Land", error="e", cause="c",
                            started_at=now, finished_at=now)
    outbox.send(first)
    outbox.send({**first, "run_id": "b"})
    assert [p["run_id"] for p in outbox.read()] == ["a", "b"]
    assert len(outbox.path.read_text().splitlines()) == 2


def test_landing_files_skip_the_failed_folder(tmp_path: Path) -> None:
    for key in ("daily_flights/a.csv", "daily_flights/b.CSV", "failed/daily_flights/c.csv",
                "daily_flights/notes.txt"):
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_text("x")
    assert scan_folder(tmp_path, "").keys == ["daily_flights/a.csv", "daily_flights/b.CSV"]
    assert scan_folder(tmp_path).keys == ["daily_flights/a.csv", "daily_flights/b.CSV"]


def test_only_csv_keys_under_the_prefix_are_landing_keys(tmp_path: Path) -> None:
    for key in ("daily_flights/date=2023-11-15/flights.csv", "airports.csv", "README.md",
                "other/x.csv", "daily_flights_old/y.csv", "failed/daily_flights/z.csv"):
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_text("x")
    assert scan_folder(tmp_path).keys == ["daily_flights/date=2023-11-15/flights.csv"]
    assert scan_folder(tmp_path, "other").keys == ["other/x.csv"]
    assert scan_folder(tmp_path, "/other/").keys == ["other/x.csv"]
    assert scan_folder(tmp_path, "nowhere/").empty
    assert scan_folder(tmp_path, "").keys == [
        "airports.csv", "daily_flights/date=2023-11-15/flights.csv",
        "daily_flights_old/y.csv", "other/x.csv",
    ]
    assert scan_folder(tmp_path).skipped == {}  # files beside the prefix are not named
    message = scan_folder(tmp_path, "nowhere").nothing_to_land()
    assert message.startswith(f"no CSV files under {tmp_path}/nowhere/ — the layout is ")
    with pytest.raises(PrefixError, match="climbs out"):
        normalise_prefix("../elsewhere")


def test_run_lock_makes_a_second_holder_wait(connection) -> None:
    url = connection.url()
    first = RunLock(url, "first-run")
    first.acquire()
    waited_for: list[str | None] = []
    acquired = threading.Event()
    second = RunLock(url, "second-run")

    def take_second() -> None:
        second.acquire(on_wait=lambda holder: waited_for.append(holder and holder.run_id))
        acquired.set()

    thread = threading.Thread(target=take_second)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not waited_for and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waited_for == ["first-run"]
        assert not acquired.wait(0.5)  # still waiting while the first holds it
        first.release()
        assert acquired.wait(10)
        with psycopg.connect(url, autocommit=True) as conn:
            holder = current_holder(conn)
        assert holder is not None and holder.run_id == "second-run"
    finally:
        first.release()
        thread.join(10)
        second.release()
    with psycopg.connect(url, autocommit=True) as conn:
        assert current_holder(conn) is None


def test_own_airports_folder_is_reached_through_a_relative_path(tmp_path: Path) -> None:
    """dbt writes a copy of each seed under <target>/run/<project>/<seed path>: an absolute
    seed path would make that copy overwrite the seed itself."""
    assert seed_dir_override(tmp_path) is None
    bundled = project_dir() / "seeds"
    mine = write(tmp_path / "mine.csv", (bundled / "airports_dim.csv").read_text())
    install_airports(mine, tmp_path)
    relative = seed_dir_override(tmp_path)
    assert relative is not None and not Path(relative).is_absolute()
    assert (project_dir() / relative).resolve() == (tmp_path / "seeds").resolve()
    for source in bundled.iterdir():  # the YAML with the column types comes along
        if source.name == "airports_dim.csv":
            continue
        assert (tmp_path / "seeds" / source.name).read_bytes() == source.read_bytes()


def test_the_bundled_airports_file_means_back_to_the_bundled_seed(tmp_path: Path) -> None:
    mine = write(tmp_path / "mine.csv", "airport_id,city,state,name\n1,A,B,C\n")
    install_airports(mine, tmp_path)
    assert seed_dir_override(tmp_path) is not None
    install_airports(project_dir() / "seeds" / "airports_dim.csv", tmp_path)
    assert seed_dir_override(tmp_path) is None
    assert not (tmp_path / "seeds").exists()


NOT_DELIVERIES = {
    "daily_flights/README.txt": "not a .csv file (text, not a delivery)",
    "daily_flights/2023-11.zip": "not a .csv file (a zip archive: unzip it",
    "daily_flights/november.xlsx": "not a .csv file (a spreadsheet: save or export it",
    "daily_flights/notes.txt.gz": "not a .csv file (compressed, but not a CSV",
    "daily_flights/date=2023-11-15/flights": "skipped: not a .csv file; not read",
    "daily_flights/.DS_Store": "a hidden file",
    "daily_flights/date=2023-11-15/.~lock.flights.csv#": "a hidden file",
    "daily_flights/date=2023-11-15/._flights.csv": "a hidden file",
    "daily_flights/.Trash": "a hidden folder",
}


def test_entries_that_are_not_deliveries_are_skipped_with_why(tmp_path: Path) -> None:
    """Every entry under the prefix that does not land is named: not a CSV, or hidden
    (hidden names do not land even as *.csv; hidden folders are not walked)."""
    for key in [*NOT_DELIVERIES, "daily_flights/date=2023-11-15/flights.csv",
                "daily_flights/.Trash/old.csv", "daily_flights/.Trash/notes.txt",
                "beside/README.txt"]:
        if key != "daily_flights/.Trash":
            (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / key).write_text("x")
    scan = scan_folder(tmp_path)
    assert scan.keys == ["daily_flights/date=2023-11-15/flights.csv"]
    assert scan.refused == {}
    assert sorted(scan.skipped) == sorted(NOT_DELIVERIES)
    for key, words in NOT_DELIVERIES.items():
        assert scan.skipped[key].startswith("skipped: ") and words in scan.skipped[key]
    assert not is_landing_key("daily_flights/._flights.csv")  # on S3 as locally
    assert is_landing_key(".hidden_prefix/flights.csv", ".hidden_prefix/")
    # Outside the prefix nothing is named; with the whole folder as prefix, it is.
    assert "beside/README.txt" in scan_folder(tmp_path, "").skipped


class _Lines:
    """A run UI that keeps the info lines (only what naming skipped entries uses)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)


def test_many_skipped_entries_are_named_up_to_a_limit_then_counted(tmp_path: Path) -> None:
    skipped = {f"daily_flights/note{n:02d}.txt": "skipped: not a .csv file" for n in range(13)}
    ui = _Lines()
    Run(tmp_path, ui, limits=RejectLimits())._name_skipped(skipped)  # type: ignore[arg-type]
    assert ui.lines[:SHOWN_SKIPPED] == [
        f"{key}: skipped: not a .csv file" for key in list(skipped)[:SHOWN_SKIPPED]
    ]
    assert ui.lines[SHOWN_SKIPPED:] == [
        "... and 3 more entries skipped (not *.csv or *.csv.gz, or hidden): "
        "`airline-elt run --json` lists them all"
    ]


def test_run_totals_count_a_version_superseded_later_as_landed_by_its_run() -> None:
    totals = RunTotals.of_statuses([
        StatusCount(FileStatus.LANDED, 2, rows_read=10, rows_landed=9, rows_rejected=1),
        StatusCount(FileStatus.SUPERSEDED, 1, rows_read=4, rows_landed=4),
        StatusCount(FileStatus.DUPLICATE, 3),
        StatusCount(FileStatus.FAILED, 1),
    ])
    assert totals == RunTotals(files_landed=3, files_duplicate=3, files_failed=1,
                               rows_read=14, rows_landed=13, rows_rejected=1)
    assert list(totals.as_dict()) == ["files_landed", "files_duplicate", "files_failed",
                                      "rows_read", "rows_landed", "rows_rejected"]
    assert totals.files == 7 and totals.rows_balance


@pytest.mark.parametrize(("extra_args", "environment", "left_out"), [
    ([], {}, True),
    (["--full-refresh", "--vars", "{x: 1}"], {}, True),
    (["--select", "test_type:unit"], {}, False),
    (["-s", "daily_flights_fact+"], {}, False),
    (["--resource-type=unit_test"], {}, False),
    ([], {"DBT_EXCLUDE_RESOURCE_TYPES": "seed"}, False),
    ([], {"DBT_ENGINE_RESOURCE_TYPES": "model"}, False),
])
def test_a_pipeline_build_leaves_unit_tests_out_unless_told_what_to_build(
        extra_args: list[str], environment: dict[str, str], left_out: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in RESOURCE_TYPE_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    added = without_unit_tests(extra_args)
    assert added == (["--exclude-resource-type", "unit_test"] if left_out else [])
