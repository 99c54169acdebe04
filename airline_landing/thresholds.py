"""When a file's rejected rows mean a broken export rather than a few bad lines.

A file is failed whole when its rejected rows pass BOTH limits: more than
`max_ratio` of its rows AND more than `max_rows` rows (defaults 5 % and 10 rows,
so one bad line in a small file never fails it). Nothing of such a file lands:
its transaction is rolled back, the file is copied to failed/, and its
raw.landed_files row says 'failed' with rows_read = rows_rejected = every row
read (rows read = landed + rejected still holds) and the reasons in error_text.

Limits come from the caller (CLI flags, Glue job arguments) or the environment:
AIRLINE_ELT_MAX_REJECT_RATIO (a fraction, 0..1) and AIRLINE_ELT_MAX_REJECT_ROWS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_RATIO = 0.05
DEFAULT_MAX_ROWS = 10
ENV_MAX_RATIO = "AIRLINE_ELT_MAX_REJECT_RATIO"
ENV_MAX_ROWS = "AIRLINE_ELT_MAX_REJECT_ROWS"
OVER_THRESHOLD = "file_rejected_over_threshold"


class LimitError(ValueError):
    """A reject limit is not a number in range."""


@dataclass(frozen=True)
class RejectLimits:
    max_ratio: float = DEFAULT_MAX_RATIO
    max_rows: int = DEFAULT_MAX_ROWS

    def __post_init__(self) -> None:
        if not 0 <= self.max_ratio <= 1:
            raise LimitError(f"max reject ratio must be between 0 and 1, got {self.max_ratio}")
        if self.max_rows < 0:
            raise LimitError(f"max reject rows must be 0 or more, got {self.max_rows}")

    def exceeded(self, rows_read: int, rows_rejected: int) -> bool:
        return (
            rows_read > 0
            and rows_rejected > self.max_rows
            and rows_rejected / rows_read > self.max_ratio
        )

    def describe(self) -> str:
        percent = f"{self.max_ratio * 100:.4g} %"
        return f"more than {percent} of its rows and more than {self.max_rows} rows"


def parse_ratio(text: str) -> float:
    """'0.05' or '5%' -> 0.05."""
    value = text.strip()
    try:
        ratio = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError as error:
        raise LimitError(f"not a ratio: {text!r} (e.g. 0.05 or 5%)") from error
    if not 0 <= ratio <= 1:
        raise LimitError(f"a reject ratio is between 0 and 1 (0% and 100%), got {text!r}")
    return ratio


def parse_rows(text: str) -> int:
    try:
        rows = int(text.strip())
    except ValueError as error:
        raise LimitError(f"not a whole number of rows: {text!r}") from error
    if rows < 0:
        raise LimitError(f"max reject rows must be 0 or more, got {text!r}")
    return rows


def limits_from(
    max_ratio: str | float | None = None,
    max_rows: str | int | None = None,
    environ: Mapping[str, str] | None = None,
) -> RejectLimits:
    """Explicit values first, then the environment, then the defaults."""
    env = os.environ if environ is None else environ
    ratio_text = max_ratio if max_ratio is not None else env.get(ENV_MAX_RATIO)
    rows_text = max_rows if max_rows is not None else env.get(ENV_MAX_ROWS)
    ratio = DEFAULT_MAX_RATIO if ratio_text in (None, "") else parse_ratio(str(ratio_text))
    rows = DEFAULT_MAX_ROWS if rows_text in (None, "") else parse_rows(str(rows_text))
    return RejectLimits(ratio, rows)


@dataclass(frozen=True)
class ReasonCount:
    reason_code: str
    rows: int
    first_line: int | None


def format_reasons(reasons: list[ReasonCount], limit: int = 5) -> str:
    """'bad_dep_delay 30 (first at line 4), wrong_field_count 7 (first at line 9)'."""
    shown = [
        f"{r.reason_code} {r.rows}" + (f" (first at line {r.first_line})" if r.first_line else "")
        for r in reasons[:limit]
    ]
    if len(reasons) > limit:
        shown.append(f"{len(reasons) - limit} more reason(s)")
    return ", ".join(shown)


class OverThresholdError(ValueError):
    """Too many rows rejected: the file is failed whole (nothing of it lands)."""

    def __init__(
        self,
        key: str,
        rows_read: int,
        rows_rejected: int,
        limits: RejectLimits,
        reasons: list[ReasonCount],
    ) -> None:
        self.rows_read = rows_read
        self.rows_rejected = rows_rejected
        self.reasons = reasons
        share = rows_rejected / rows_read if rows_read else 0.0
        super().__init__(
            f"rejected whole ({OVER_THRESHOLD}): {rows_rejected} of {rows_read} rows "
            f"({share:.1%}) could not be read, over the limit ({limits.describe()}); "
            f"a broken export rather than a few bad lines, nothing of it landed; "
            f"reasons: {format_reasons(reasons)}"
        )
