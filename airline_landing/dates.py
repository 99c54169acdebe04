"""The flight date a file's key names.

Key forms: `date=YYYY-MM-DD/…`, `flights_YYYYMMDD.csv`, `YYYY-MM-DD.csv` (each also as
`.csv.gz`, any case).
"""

from __future__ import annotations

import re
from datetime import date

_PATTERNS = (
    re.compile(r"(?:^|/)date=(\d{4})-(\d{2})-(\d{2})(?:/|$)"),
    re.compile(r"(?:^|/)flights_(\d{4})(\d{2})(\d{2})\.csv(?:\.gz)?$", re.IGNORECASE),
    re.compile(r"(?:^|/)(\d{4})-(\d{2})-(\d{2})\.csv(?:\.gz)?$", re.IGNORECASE),
)


def flight_date_from_key(key: str) -> date | None:
    """The date in the key, or None when the key names none (or an impossible one)."""
    for pattern in _PATTERNS:
        match = pattern.search(key)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None
