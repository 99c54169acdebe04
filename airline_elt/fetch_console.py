"""What `airline-elt fetch` shows: a download bar on a terminal (rich), plain lines otherwise,
one line per month and lookup, and a summary with the next step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from airline_elt.wording import plural
from airline_fetch.fetch import FetchResult, MonthOutcome, Status
from airline_fetch.lookups import LookupOutcome

STATUS_WORDS = {
    Status.WRITTEN: "written",
    Status.REPLACED: "replaced",
    Status.UNCHANGED: "unchanged",
    Status.NOT_FOUND: "not found",
    Status.FAILED: "failed",
}
STATUS_STYLES = {
    Status.WRITTEN: "green",
    Status.REPLACED: "green",
    Status.UNCHANGED: "dim",
    Status.NOT_FOUND: "yellow",
    Status.FAILED: "red",
}


@dataclass
class DownloadDisplay:
    """The http layer's Progress for one download: a rich bar on a terminal, else a line
    when it starts (what and how big)."""

    console: Console
    label: str
    _progress: Progress | None = None
    _task: TaskID | None = field(default=None)

    def start(self, url: str, total_bytes: int | None) -> None:
        if not self.console.is_terminal:
            size = "" if total_bytes is None else f" ({megabytes(total_bytes)})"
            self.console.print(f"  {self.label}: downloading {url}{size}")
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn(f"  {self.label}"), BarColumn(), DownloadColumn(),
                TransferSpeedColumn(), TimeRemainingColumn(), console=self.console,
                transient=True)
            self._progress.start()
            self._task = self._progress.add_task("", total=total_bytes)
        else:  # a retry starts again: the bar goes back to what the new attempt resumes
            assert self._task is not None
            self._progress.reset(self._task, total=total_bytes)

    def advance(self, n_bytes: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n_bytes)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def megabytes(size: int) -> str:
    """A size as a person reads it: 21.3 MB, 57.0 kB."""
    if size < 1_000_000:
        return f"{size / 1000:,.1f} kB"
    return f"{size / 1_000_000:,.1f} MB"


def month_line(outcome: MonthOutcome) -> str:
    style = STATUS_STYLES[outcome.status]
    details = []
    if outcome.csv_rows is not None:
        details.append(plural(outcome.csv_rows, "row"))
    if outcome.stored_bytes is not None:
        details.append(f"{megabytes(outcome.stored_bytes)} gzip")
    counts = f" ({', '.join(details)})" if details else ""
    why = f": {outcome.message}" if outcome.message and not outcome.succeeded else (
        f"  [dim]{outcome.message}[/]" if outcome.message else "")
    return (f"[{style}]{STATUS_WORDS[outcome.status]:<9}[/] {outcome.month} -> "
            f"{outcome.key}{counts}{why}")


def lookup_line(outcome: LookupOutcome) -> str:
    style = STATUS_STYLES[outcome.status]
    if not outcome.succeeded:
        return f"[{style}]{STATUS_WORDS[outcome.status]:<9}[/] {outcome.name}: {outcome.message}"
    size = f" ({megabytes(outcome.size)})" if outcome.size is not None else ""
    return f"[{style}]{STATUS_WORDS[outcome.status]:<9}[/] {outcome.name} -> {outcome.path}{size}"


def summary_line(result: FetchResult | None, lookups: list[LookupOutcome]) -> str:
    parts = []
    if result is not None:
        counts = [f"{result.count(status):,} {word}" for status, word in STATUS_WORDS.items()
                  if result.count(status)]
        parts.append(f"{plural(len(result.outcomes), 'month')}: {', '.join(counts)}")
    if lookups:
        failed = sum(1 for outcome in lookups if not outcome.succeeded)
        parts.append(f"{plural(len(lookups), 'lookup')}"
                     + (f": {failed:,} failed" if failed else ": fetched"))
    return "Fetched " + "; ".join(parts)


def json_report(landing: str, result: FetchResult | None,
                lookups: list[LookupOutcome]) -> dict[str, Any]:
    months = [] if result is None else [
        {"month": str(outcome.month), "status": outcome.status.value, "key": outcome.key,
         "csv_rows": outcome.csv_rows, "stored_bytes": outcome.stored_bytes,
         "message": outcome.message}
        for outcome in result.outcomes
    ]
    return {
        "landing": landing,
        "succeeded": (result is None or result.succeeded)
        and all(outcome.succeeded for outcome in lookups),
        "months": months,
        "lookups": [{"name": outcome.name, "status": outcome.status.value,
                     "path": str(outcome.path), "bytes": outcome.size,
                     "message": outcome.message} for outcome in lookups],
    }
