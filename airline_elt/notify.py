"""Run notifications: the same payloads as the SNS messages on AWS.

Locally a notification goes to the console and is appended, one JSON object a
line, to `<state folder>/notifications.jsonl` (the outbox).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from airline_landing.results import FileResult, RunTotals

PIPELINE = "airline-elt"
OUTBOX_NAME = "notifications.jsonl"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def file_json(result: FileResult) -> dict[str, Any]:
    """A file as a notification lists it."""
    return {
        "key": result.key,
        "status": str(result.status),
        "rows_read": int(result.rows_read),
        "rows_landed": int(result.rows_landed),
        "rows_rejected": int(result.rows_rejected),
    }


def warning_file_json(result: FileResult) -> dict[str, Any]:
    """A file as a WARNING lists it: with why (its error, its reasons and their first
    lines, its rows dated off its key)."""
    reasons = result.reasons
    return {
        **file_json(result),
        "error": result.error,
        "reasons": {reason.reason_code: int(reason.rows) for reason in reasons},
        "first_lines": {
            reason.reason_code: reason.first_line for reason in reasons if reason.first_line
        },
        "dates_off_key": dict(result.dates_off_key),
    }


def _envelope(
    status: str, run_id: str, trigger: str, started_at: dt.datetime, finished_at: dt.datetime
) -> dict[str, Any]:
    """The fields every notification starts with."""
    return {
        "pipeline": PIPELINE,
        "status": status,
        "run_id": run_id,
        "trigger": trigger,
        "started_at": iso(started_at),
        "finished_at": iso(finished_at),
    }


def success_payload(
    *,
    run_id: str,
    trigger: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    files: Sequence[FileResult],
    totals: RunTotals,
    fact_rows_by_date: Mapping[str, int],
) -> dict[str, Any]:
    return {
        **_envelope("SUCCEEDED", run_id, trigger, started_at, finished_at),
        "duration_seconds": round((finished_at - started_at).total_seconds(), 3),
        "files": [file_json(item) for item in files],
        "totals": totals.as_dict(),
        "fact_rows_by_date": dict(sorted(fact_rows_by_date.items())),
    }


def warning_payload(
    *,
    run_id: str,
    trigger: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    files: Sequence[FileResult],
    totals: RunTotals,
    limits: Mapping[str, float],
) -> dict[str, Any]:
    """Bad input in a run that otherwise went on: the files with rejected rows, failed
    files (and why), rows dated off their key; sent before the run's SUCCEEDED/FAILED."""
    return {
        **_envelope("WARNING", run_id, trigger, started_at, finished_at),
        "files": [warning_file_json(item) for item in files],
        "totals": totals.as_dict(),
        "limits": dict(limits),
    }


def failure_payload(
    *,
    run_id: str,
    trigger: str,
    step: str,
    error: str,
    cause: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
) -> dict[str, Any]:
    return {
        **_envelope("FAILED", run_id, trigger, started_at, finished_at),
        "step": step,
        "error": error,
        "cause": cause,
    }


class Outbox:
    """The JSON-lines notification outbox; safe to append from several processes."""

    def __init__(self, home: Path) -> None:
        self.path = home / OUTBOX_NAME

    def send(self, payload: Mapping[str, Any]) -> None:
        line = json.dumps(payload, separators=(",", ":")) + "\n"
        with open(self.path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.write(line)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        payloads = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                payloads.append(json.loads(line))
        return payloads
