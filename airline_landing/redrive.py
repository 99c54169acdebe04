"""Putting a given-up file back in line (retries.py): its earlier failures stop counting and
the next run tries it again.

The key's latest failed version in raw.landed_files gets retries.REDRIVEN_MARK (when, by whom)
appended to its error text; retries.py counts only the versions after it. On AWS the key's
rows in raw.s3_objects_seen go too, so the next Glue run lists it again (`forget_seen=True`;
the same statements are written out for a SQL client in orchestration/DEPLOY.md). Every value
is a bound parameter. Run by `airline-elt redrive KEY...` locally.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airline_landing.ddl import varchar_width
from airline_landing.retries import REDRIVEN_MARK
from airline_landing.s3_listing import SEEN_TABLE

ERROR_TEXT_MAX = varchar_width("landed_files", "error_text")
LATEST_FAILED = (
    'select file_version_id, error_text from "raw".landed_files'
    " where file_key = %s and status = 'failed' order by file_version_id desc limit 1"
)
MARK_REDRIVEN = 'update "raw".landed_files set error_text = %s where file_version_id = %s'
FORGET_SEEN = f"delete from {SEEN_TABLE} where file_key = %s"


class UnknownKeyError(ValueError):
    """A key with no failed version: nothing to redrive (a typo, or it never failed)."""


def redriven_text(error_text: str, *, by: str, now: str) -> str:
    mark = f"{REDRIVEN_MARK} {now} by {by}]"
    return error_text[: ERROR_TEXT_MAX - len(mark)] + mark


def redrive(
    cursor: Any, keys: Iterable[str], *, by: str, now: str, forget_seen: bool = False
) -> list[str]:
    """Redrive each key (a DB-API cursor; the caller commits). Raises UnknownKeyError, before
    changing anything, when a key has no failed version in raw.landed_files."""
    keys = list(dict.fromkeys(keys))
    latest: dict[str, tuple[int, str]] = {}
    for key in keys:
        cursor.execute(LATEST_FAILED, (key,))
        row = cursor.fetchone()
        if row is not None:
            latest[key] = (int(row[0]), row[1] or "")
    unknown = [key for key in keys if key not in latest]
    if unknown:
        raise UnknownKeyError(
            "no failed version in raw.landed_files, nothing to redrive: "
            + ", ".join(map(repr, unknown))
        )
    for key in keys:
        version, text = latest[key]
        cursor.execute(MARK_REDRIVEN, (redriven_text(text, by=by, now=now), version))
        if forget_seen:
            cursor.execute(FORGET_SEEN, (key,))
    return keys
