"""`airline-elt watch DIR`: files dropped into a watched folder start one run together;
an unreadable one is set aside in DIR/failed/ and the run goes on; nothing already
handled runs again."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from cli_helpers import SAMPLE_LANDING, Cli
from helpers import dbt_process_children, java_children

from airline_elt.watch import ContentCache

pytestmark = pytest.mark.slow

DAYS = ["2023-11-15", "2023-11-16"]
BAD_KEY = "daily_flights/date=2023-11-22/flights.csv"


def wait_for_line(process, text: str, timeout: float = 120) -> list[str]:
    seen = []
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        seen.append(line)
        if text in line:
            return seen
        assert time.monotonic() < deadline, "".join(seen)
    raise AssertionError(f"{text!r} never printed:\n{''.join(seen)}")


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The watched folder (plays the bucket), empty at first."""
    folder = tmp_path_factory.mktemp("bucket")
    (folder / "daily_flights").mkdir()
    return folder


def test_watch_runs_once_for_files_dropped_together(cli: Cli, watched: Path) -> None:
    watcher = cli.start("watch", str(watched), "--interval", "0.3", "--settle", "1.5",
                        "--max-runs", "1", "--timeout", "600")
    try:
        wait_for_line(watcher, "watching")
        for day in DAYS:
            key = f"daily_flights/date={day}/flights.csv"
            (watched / key).parent.mkdir(parents=True)
            shutil.copyfile(SAMPLE_LANDING / key, watched / key)
        (watched / BAD_KEY).parent.mkdir(parents=True)
        (watched / BAD_KEY).write_text("this is not,a flights file\n1,2\n")
        output, _ = watcher.communicate(timeout=600)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 0, output
    assert "3 new files" in output
    assert "stopped watching after 1 run, 0 failed" in output

    warning, payload = [json.loads(line) for line in
                        (cli.home / "notifications.jsonl").read_text().splitlines()]
    # The unreadable file also raises a WARNING notification, sent just before (docs/bad_input.md).
    assert (warning["status"], [f["key"] for f in warning["files"]]) == ("WARNING", [BAD_KEY])
    assert payload["status"] == "SUCCEEDED"
    assert payload["trigger"] == "watch"
    assert payload["totals"]["files_landed"] == 2
    assert payload["totals"]["files_failed"] == 1
    assert {f["key"]: f["status"] for f in payload["files"]} == {
        "daily_flights/date=2023-11-15/flights.csv": "landed",
        "daily_flights/date=2023-11-16/flights.csv": "landed",
        BAD_KEY: "failed",
    }
    assert payload["fact_rows_by_date"]["2023-11-15"] == 5
    assert cli.query(
        "select count(*) from airlines.daily_flights_fact where flight_date = '2023-11-15'"
    ) == [(5,)]
    # The unreadable file is kept aside under failed/<key>, as a run on the folder does.
    assert (watched / "failed" / BAD_KEY).read_text().startswith("this is not")


def test_watch_once_lands_only_the_new_file(cli: Cli, watched: Path) -> None:
    key = "daily_flights/date=2023-11-17/flights.csv"
    (watched / key).parent.mkdir(parents=True)
    shutil.copyfile(SAMPLE_LANDING / key, watched / key)
    # Entries that are not deliveries are named once, with why, and never landed.
    (watched / "daily_flights" / "README.txt").write_text("how files arrive\n")
    (watched / "daily_flights" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    result = cli("watch", str(watched), "--once", "--interval", "0.2", "--settle", "0.5")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 new file: daily_flights/date=2023-11-17/flights.csv" in result.stdout
    lines = result.stdout.splitlines()
    assert lines.count("daily_flights/README.txt: skipped: not a .csv file (text, not a "
                       "delivery); not read") == 1
    assert [line for line in lines if line.startswith("daily_flights/.DS_Store: skipped: a "
                                                      "hidden file")] != []
    payload = json.loads((cli.home / "notifications.jsonl").read_text().splitlines()[-1])
    # Only the new file is landed: the ones already handled are not even seen again.
    assert [(f["key"], f["status"]) for f in payload["files"]] == [(key, "landed")]


def test_watch_once_finds_nothing_new_after_the_runs(cli: Cli, watched: Path) -> None:
    result = cli("watch", str(watched), "--once", "--interval", "0.2", "--settle", "0.5",
                 timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stopped watching after 0 runs" in result.stdout
    # WARNING + SUCCEEDED of the first run, SUCCEEDED of the second
    assert len((cli.home / "notifications.jsonl").read_text().splitlines()) == 3


def test_a_rewrite_keeping_size_and_mtime_is_seen_by_content(tmp_path: Path) -> None:
    """`cp -p` / `rsync -t` / a skewed clock: same size, same mtime, other bytes. The watcher
    must not reuse the old hash (airline_elt/watch.py keys its cache on inode and ctime too)."""
    key = "daily_flights/date=2023-11-15/flights.csv"
    path = tmp_path / key
    path.parent.mkdir(parents=True)
    path.write_text("FlightDate,Carrier\n2023-11-15,AA\n")
    cache = ContentCache()
    first = cache.state(tmp_path, key)
    assert first is not None
    assert cache.state(tmp_path, key) is first  # unchanged: the cached hash, not a rehash
    stamp = path.stat()
    time.sleep(0.01)  # a later ctime on filesystems with coarse clocks
    path.write_text("FlightDate,Carrier\n2023-11-15,DL\n")  # same size
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # what cp -p / rsync -t do
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (first.size, first.mtime_ns)
    second = cache.state(tmp_path, key)
    assert second is not None
    assert second.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() != first.sha256


def test_a_watch_keeps_one_spark_session_and_one_dbt_for_its_runs(
    cli: Cli, tmp_path: Path
) -> None:
    """Spark's JVM starts once per watch (KeptSpark, airline_elt/spark.py): the second run
    lands in the JVM the first used, and no other JVM is started beside it. Before, each
    run launched a JVM that only idled until the watch ended, one more per run. dbt too is
    one process for every build (KeptDbt, airline_elt/dbt.py)."""
    folder = tmp_path / "bucket"
    (folder / "daily_flights").mkdir(parents=True)
    watcher = cli.start("watch", str(folder), "--interval", "0.2", "--settle", "0.5",
                        "--max-runs", "2", "--timeout", "600")
    jvms, dbts = [], []
    try:
        wait_for_line(watcher, "watching")
        # Counted after the first run, and during the second's build (after it, the watch
        # ends: --max-runs 2).
        for day, moment in (("2023-11-19", ": SUCCEEDED in"), ("2023-11-20", "Build the models")):
            key = f"daily_flights/date={day}/flights.csv"
            (folder / key).parent.mkdir(parents=True)
            shutil.copyfile(SAMPLE_LANDING / key, folder / key)
            wait_for_line(watcher, moment)
            jvms.append(java_children(watcher.pid))
            dbts.append(dbt_process_children(watcher.pid))
        output, _ = watcher.communicate(timeout=600)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 0, output
    assert len(jvms[0]) == 1 and jvms[1] == jvms[0], jvms
    assert len(dbts[0]) == 1 and dbts[1] == dbts[0], dbts
    assert "stopped watching after 2 runs, 0 failed" in output
