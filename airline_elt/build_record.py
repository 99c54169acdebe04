"""The outcome of the last dbt build against this warehouse, kept in the state folder
($AIRLINE_ELT_HOME/dbt/last_build_outcome.json): `status` and the report show it, so a
failed build stays visible after the command that ran it has ended.

Written by every Transform step (`transform`, `run`, `watch`) that starts dbt; a build
skipped because nothing is new leaves the record as it was. The failing node comes from
dbt's run_results.json when dbt wrote one for this build, else from dbt's output.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RECORD_FILE = "last_build_outcome.json"
FAILED_STATUSES = ("error", "fail")


@dataclass(frozen=True)
class BuildRecord:
    succeeded: bool
    finished_at: str  # ISO 8601, UTC
    summary: str  # dbt's counts ("pass 350, error 1, ..."), as the console shows them
    failing_nodes: tuple[str, ...] = ()  # the models, seeds or tests that failed
    error: str = ""  # the first problem dbt reported
    log_file: str = ""

    @property
    def status(self) -> str:
        return "succeeded" if self.succeeded else "failed"

    @property
    def finished(self) -> str:
        """When, for people: `2026-12-03 11:54 UTC`."""
        try:
            return dt.datetime.fromisoformat(self.finished_at).strftime("%Y-%m-%d %H:%M UTC")
        except ValueError:
            return self.finished_at

    def line(self) -> str:
        """One line for `status`."""
        text = f"last build: {self.status} {self.finished} ({self.summary})"
        if not self.succeeded:
            nodes = ", ".join(self.failing_nodes) or "unknown node"
            text += f"; failing: {nodes}" + (f": {self.error}" if self.error else "")
            text += f"; dbt's output: {self.log_file}" if self.log_file else ""
        return text


def failing_nodes(target_dir: Path, started_at: dt.datetime) -> tuple[str, ...]:
    """The nodes dbt's run_results.json names as failed, when it was written for a build
    that started at `started_at` (an older file says nothing about this build)."""
    return tuple(
        node_name(item.get("unique_id", "")) for item in results_of_build(target_dir, started_at)
        if item.get("status") in FAILED_STATUSES
    )


def results_of_build(target_dir: Path, started_at: dt.datetime) -> list[dict[str, Any]]:
    """The `results` of dbt's run_results.json, when it was written for the dbt command that
    started at `started_at`; empty otherwise (no file, or an older command's)."""
    try:
        results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
        generated = dt.datetime.fromisoformat(
            results["metadata"]["generated_at"].replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError):
        return []
    found = results.get("results") if generated >= started_at else None
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def node_name(unique_id: str) -> str:
    """A node's name from its unique_id: `model.airline_elt.daily_flights_fact` ->
    `daily_flights_fact`; a data test's id ends in a hash dbt adds
    (`test.airline_elt.not_null_x_id.cf6c17daed`), which names nothing a person can look up."""
    resource_type, _, rest = unique_id.partition(".")
    _package, _, name = rest.partition(".")
    if resource_type == "test":
        name = name.split(".")[0]
    return name or unique_id


def record_build(home: Path, record: BuildRecord) -> None:
    target = home / "dbt" / RECORD_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps(asdict(record), indent=2), encoding="utf-8")
    temporary.replace(target)


def last_build(home: Path) -> BuildRecord | None:
    try:
        data: dict[str, Any] = json.loads((home / "dbt" / RECORD_FILE).read_text("utf-8"))
        data["failing_nodes"] = tuple(data.get("failing_nodes", ()))
        return BuildRecord(**data)
    except (OSError, ValueError, TypeError):
        return None
