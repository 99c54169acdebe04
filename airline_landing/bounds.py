"""How many files and rows one landing batch (one Spark job, one transaction) may hold.

A run's new files are landed in batches bounded by files and by rows, so a year's
catch-up is a few transactions, not one giant one:

- rows (default 2,000,000, about 100 MB of COPY input at BTS width): a crash or a
  rollback throws away at most one batch's work (seconds), PostgreSQL and Redshift hold
  one batch of uncommitted rows, and the staged COPY input on disk stays small; a year
  of BTS daily files (7.3 M rows) is four batches.
- files (default 500): every file of a batch is a locked key, a control row and an
  entry in the Spark job's split plan; 500 keeps a year of small daily files (the real
  year shape: 365 files of ~900 rows) in one batch.

A file larger than the row bound is a batch of its own. Set from the environment
(AIRLINE_ELT_BATCH_FILES, AIRLINE_ELT_BATCH_ROWS) at the edge (CLI, Glue shell).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_FILES = 500
DEFAULT_MAX_ROWS = 2_000_000
ENV_MAX_FILES = "AIRLINE_ELT_BATCH_FILES"
ENV_MAX_ROWS = "AIRLINE_ELT_BATCH_ROWS"


class BoundsError(ValueError):
    """A batch bound is not a positive whole number."""


@dataclass(frozen=True)
class BatchBounds:
    max_files: int = DEFAULT_MAX_FILES
    max_rows: int = DEFAULT_MAX_ROWS

    def __post_init__(self) -> None:
        if self.max_files < 1 or self.max_rows < 1:
            raise BoundsError(f"batch bounds must be 1 or more, got {self}")

    def fits(self, files: int, rows: int) -> bool:
        """Whether a batch of `files` files holding `rows` rows is within the bounds."""
        return files <= self.max_files and rows <= self.max_rows

    def full(self, files: int, rows: int) -> bool:
        """Whether a batch of `files` holding `rows` takes no more files."""
        return files >= self.max_files or rows >= self.max_rows


def _positive(name: str, text: str | None, default: int) -> int:
    if text is None or not text.strip():
        return default
    try:
        value = int(text.strip())
    except ValueError as error:
        raise BoundsError(f"{name}={text!r} is not a whole number") from error
    if value < 1:
        raise BoundsError(f"{name}={text!r} must be 1 or more")
    return value


def bounds_from(environ: Mapping[str, str] | None = None) -> BatchBounds:
    env = os.environ if environ is None else environ
    return BatchBounds(
        _positive(ENV_MAX_FILES, env.get(ENV_MAX_FILES), DEFAULT_MAX_FILES),
        _positive(ENV_MAX_ROWS, env.get(ENV_MAX_ROWS), DEFAULT_MAX_ROWS),
    )
