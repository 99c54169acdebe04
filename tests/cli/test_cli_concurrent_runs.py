"""Runs never overlap: a second `airline-elt run` waits for the first (a lock in the
warehouse), and its writes all come after the first run's."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from cli_helpers import Cli, copy_days

pytestmark = pytest.mark.slow


def lock_holders(cli: Cli) -> list[str]:
    """application_name of the sessions holding the run lock (advisory lock 1970010/1)."""
    return [row[0] for row in cli.query(
        "select a.application_name from pg_locks l join pg_stat_activity a using (pid) "
        "where l.locktype = 'advisory' and l.granted and l.classid = 1970010 and l.objid = 1"
    )]


def lock_waiters(cli: Cli) -> list[str]:
    """application_name of the sessions waiting for the run lock."""
    return [row[0] for row in cli.query(
        "select a.application_name from pg_locks l join pg_stat_activity a using (pid) "
        "where l.locktype = 'advisory' and not l.granted and l.classid = 1970010 and l.objid = 1"
    )]


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_second_run_waits_for_the_first(cli: Cli, tmp_path: Path) -> None:
    landing = copy_days(["2023-11-14", "2023-11-15"], tmp_path / "landing")
    assert cli("warehouse", "start").returncode == 0

    first = cli.start("run", "--landing", str(landing))
    deadline = time.monotonic() + 120
    while not lock_holders(cli):
        assert first.poll() is None, first.communicate()[0]
        assert time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.2)
    (holder,) = lock_holders(cli)
    first_run_id = holder.removeprefix("airline-elt run ")

    second = cli.start("run", "--landing", str(landing))
    while not lock_waiters(cli):
        assert second.poll() is None, second.communicate()[0]
        assert time.monotonic() < deadline + 120, "the second run never asked for the lock"
        time.sleep(0.2)
    # A file arriving while the second run waits is landed by it: it lists the folder again
    # once it holds the lock (the first run may have landed, moved or removed files).
    copy_days(["2023-11-16"], landing)
    first_out, _ = first.communicate(timeout=600)
    second_out, _ = second.communicate(timeout=600)
    assert first.returncode == 0, first_out
    assert second.returncode == 0, second_out
    assert f"waiting for run {first_run_id}" in second_out

    payloads = [json.loads(line) for line in
                (cli.home / "notifications.jsonl").read_text().splitlines()]
    assert [p["status"] for p in payloads] == ["SUCCEEDED", "SUCCEEDED"]
    first_payload, second_payload = payloads
    assert first_payload["run_id"] == first_run_id
    assert first_payload["totals"]["files_landed"] == 2
    assert second_payload["totals"]["files_landed"] == 1
    assert second_payload["totals"]["files_duplicate"] == 2

    # The second run's landing began only after the first run had notified.
    (second_landed_from,) = cli.query(
        "select min(landed_at) from raw.landed_files where run_id = %s",
        (second_payload["run_id"],),
    )[0]
    first_finished = parse_iso(first_payload["finished_at"])
    assert second_landed_from >= first_finished
    assert parse_iso(second_payload["finished_at"]) >= first_finished
