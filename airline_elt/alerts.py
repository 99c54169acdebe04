"""What a run says about bad input: console warnings per file, and whether the run sends
a WARNING notification (rows rejected, a file failed, rows dated off their key's date)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airline_elt.wording import plural
from airline_landing.results import FileResult


def file_entry(result: FileResult) -> dict[str, Any]:
    """A landing FileResult as the notification's file entry (with why, where there is one)."""
    reasons = result.reasons
    return {
        "key": result.key,
        "status": str(result.status),
        "rows_read": int(result.rows_read),
        "rows_landed": int(result.rows_landed),
        "rows_rejected": int(result.rows_rejected),
        "error": result.error,
        "reasons": {reason.reason_code: int(reason.rows) for reason in reasons},
        "first_lines": {
            reason.reason_code: reason.first_line for reason in reasons if reason.first_line
        },
        "dates_off_key": dict(result.dates_off_key),
    }


def needs_attention(entry: Mapping[str, Any]) -> bool:
    return bool(
        entry["status"] == "failed" or entry["rows_rejected"] or entry.get("dates_off_key")
    )


def warning_files(files: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [entry for entry in files if needs_attention(entry)]


def _reasons_text(entry: Mapping[str, Any]) -> str:
    first = entry.get("first_lines") or {}
    return ", ".join(
        f"{code} {count}" + (f" (first at line {first[code]})" if code in first else "")
        for code, count in (entry.get("reasons") or {}).items()
    )


def console_warnings(files: Sequence[Mapping[str, Any]], failed_dir: Any) -> list[str]:
    """One line per file that needs a look, naming the file (and the first bad line)."""
    lines = []
    for entry in files:
        key = entry["key"]
        if entry["status"] == "failed":
            lines.append(f"{key} could not be landed: {entry.get('error') or 'see status'}")
            continue
        if entry["rows_rejected"]:
            lines.append(
                f"{key}: {entry['rows_rejected']} of {entry['rows_read']} rows rejected "
                f"({_reasons_text(entry)}); they are in raw.flights_rejected"
            )
        for day, rows in (entry.get("dates_off_key") or {}).items():
            lines.append(
                f"{key}: {plural(rows, 'row')} {'has' if rows == 1 else 'have'} FlightDate {day}, "
                "not the date in the file's "
                "name; they landed under their own FlightDate"
            )
    return lines
