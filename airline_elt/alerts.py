"""What a run says about bad input: console warnings per file, and whether the run sends
a WARNING notification (rows rejected, a file failed, rows dated off their key's date)."""

from __future__ import annotations

from collections.abc import Sequence

from airline_elt.wording import plural
from airline_landing.results import FileResult, FileStatus
from airline_landing.thresholds import format_reasons


def needs_attention(result: FileResult) -> bool:
    return bool(
        result.status == FileStatus.FAILED or result.rows_rejected or result.dates_off_key
    )


def warning_files(files: Sequence[FileResult]) -> list[FileResult]:
    return [result for result in files if needs_attention(result)]


def console_warnings(files: Sequence[FileResult]) -> list[str]:
    """One line per file that needs a look, naming the file (and the first bad line)."""
    lines = []
    for result in files:
        key = result.key
        if result.status == FileStatus.FAILED:
            lines.append(f"{key} could not be landed: {result.error or 'see status'}")
            continue
        if result.rows_rejected:
            every_reason = format_reasons(result.reasons, limit=len(result.reasons))
            lines.append(
                f"{key}: {result.rows_rejected} of {result.rows_read} rows rejected "
                f"({every_reason}); they are in raw.flights_rejected"
            )
        for day, rows in result.dates_off_key.items():
            lines.append(
                f"{key}: {plural(rows, 'row')} {'has' if rows == 1 else 'have'} FlightDate {day}, "
                "not the date in the file's "
                "name; they landed under their own FlightDate"
            )
    return lines
