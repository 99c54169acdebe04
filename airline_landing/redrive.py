"""Putting a given-up file back in line (retries.py): its earlier failures stop counting and
the next run tries it again.

One row per key in raw.landing_redrives marks the key's latest version at the time of the
redrive; retries.py reads only the versions after it. On AWS the key's rows in
raw.s3_objects_seen go too, so the next Glue run lists it again (`forget_seen=True`; the
same statements are written out for a SQL client in orchestration/DEPLOY.md). Every key is a
bound parameter. Run by `airline-elt redrive KEY...` locally.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airline_landing.s3_listing import SEEN_TABLE

REDRIVE_INSERT = (
    'insert into "raw".landing_redrives (file_key, after_file_version_id, redriven_at,'
    " redriven_by) select %s, coalesce(max(file_version_id), 0), %s, %s"
    ' from "raw".landed_files where file_key = %s'
)
KNOWN_KEY = 'select count(*) from "raw".landed_files where file_key = %s'
FORGET_SEEN = f"delete from {SEEN_TABLE} where file_key = %s"


class UnknownKeyError(ValueError):
    """A key the landing never recorded: nothing to redrive (a typo, or not landed yet)."""


def redrive(
    cursor: Any, keys: Iterable[str], *, by: str, now: str, forget_seen: bool = False
) -> list[str]:
    """Redrive each key (a DB-API cursor; the caller commits). Raises UnknownKeyError, before
    changing anything, when a key has no row in raw.landed_files."""
    keys = list(dict.fromkeys(keys))
    unknown = []
    for key in keys:
        cursor.execute(KNOWN_KEY, (key,))
        if not cursor.fetchone()[0]:
            unknown.append(key)
    if unknown:
        raise UnknownKeyError(
            f"not in raw.landed_files, nothing to redrive: {', '.join(map(repr, unknown))}"
        )
    for key in keys:
        cursor.execute(REDRIVE_INSERT, (key, now, by, key))
        if forget_seen:
            cursor.execute(FORGET_SEEN, (key,))
    return keys
