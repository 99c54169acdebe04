"""A header split on the wrong separator: say which one the file uses.

A file exported with `;` (spreadsheets in many locales), tabs or `|` parses as one
long comma-separated name; listing "missing" columns that are visibly there would
send the user looking in the wrong place.
"""

from __future__ import annotations

import csv

OTHER_SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'"}


def wrong_separator(header_fields: list[str]) -> str | None:
    """The separator a header uses instead of ',' (as a person would name it), or None.

    `header_fields` is the header as split on commas. Another separator is blamed only
    when splitting on it gives more columns than commas did.
    """
    line = ",".join(header_fields)
    best: tuple[int, str] | None = None
    for separator, shown in OTHER_SEPARATORS.items():
        fields = next(csv.reader([line], delimiter=separator), [])
        if len(fields) > max(len(header_fields), 1) and (best is None or len(fields) > best[0]):
            best = (len(fields), shown)
    return best[1] if best else None


def wrong_separator_message(header_fields: list[str]) -> str | None:
    """'the file is separated by ';', not ','' with a hint, or None when commas fit."""
    shown = wrong_separator(header_fields)
    if shown is None:
        return None
    return (
        f"the file is separated by {shown}, not ',': save or export it as comma-separated "
        f"CSV (the header reads {','.join(header_fields)[:120]!r})"
    )
