"""What landing a run's files gave, per file and in total: the typed boundary between the
landing (airline_landing) and the runner (airline_elt). No pyspark here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from functools import cached_property

from airline_landing.thresholds import ReasonCount


class FileStatus(StrEnum):
    """A file version's status in raw.landed_files."""

    LANDED = "landed"
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"
    FAILED = "failed"


@dataclass(frozen=True)
class FileResult:
    key: str
    status: FileStatus
    file_version_id: int | None
    rows_read: int = 0
    rows_landed: int = 0
    rows_rejected: int = 0
    error: str | None = None
    flight_dates: list[date] = field(default_factory=list)
    # Why rows were rejected, most frequent first (their counts add up to rows_rejected).
    reasons: list[ReasonCount] = field(default_factory=list)
    # Rows landed with a FlightDate other than the key's date (the row's date wins).
    dates_off_key: dict[str, int] = field(default_factory=dict)
    # False only for a passing failure with tries left (retries.py): the file is listed
    # again on the next run, so the Glue job does not mark it seen.
    final: bool = True


# A file version counts as landed by its run even once a later run supersedes it.
LANDED_BY_ITS_RUN = (FileStatus.LANDED, FileStatus.SUPERSEDED)


@dataclass(frozen=True)
class StatusCount:
    """The file versions of one status, and their rows (a row of landed_counts.BY_STATUS)."""

    status: FileStatus
    files: int
    rows_read: int = 0
    rows_landed: int = 0
    rows_rejected: int = 0


@dataclass(frozen=True)
class RunTotals:
    """A run's six counts, in the order the notification's `totals` lists them."""

    files_landed: int = 0
    files_duplicate: int = 0
    files_failed: int = 0
    rows_read: int = 0
    rows_landed: int = 0
    rows_rejected: int = 0

    @classmethod
    def of_statuses(cls, counts: Iterable[StatusCount]) -> RunTotals:
        """The totals of file versions counted by status (from a run's files or its rows of
        raw.landed_files alike)."""
        counts = list(counts)

        def files(*statuses: FileStatus) -> int:
            return sum(count.files for count in counts if count.status in statuses)

        return cls(
            files_landed=files(*LANDED_BY_ITS_RUN),
            files_duplicate=files(FileStatus.DUPLICATE),
            files_failed=files(FileStatus.FAILED),
            rows_read=sum(count.rows_read for count in counts),
            rows_landed=sum(count.rows_landed for count in counts),
            rows_rejected=sum(count.rows_rejected for count in counts),
        )

    @classmethod
    def of_files(cls, files: Iterable[FileResult]) -> RunTotals:
        return cls.of_statuses(
            StatusCount(f.status, 1, f.rows_read, f.rows_landed, f.rows_rejected) for f in files
        )

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(item.name for item in fields(cls))

    def as_dict(self) -> dict[str, int]:
        """As the notification's `totals` object."""
        return {name: int(getattr(self, name)) for name in self.names()}

    @property
    def files(self) -> int:
        return self.files_landed + self.files_duplicate + self.files_failed

    @property
    def rows_balance(self) -> bool:
        """Whether every row read was landed or rejected."""
        return self.rows_read == self.rows_landed + self.rows_rejected


@dataclass
class LandingReport:
    run_id: str
    files: list[FileResult] = field(default_factory=list)

    @cached_property
    def totals(self) -> RunTotals:
        """Counted once: a report's files are complete when it is made (land_files)."""
        return RunTotals.of_files(self.files)

    # The totals' counts under their own names, for the landing's callers (glue, tests).
    @property
    def rows_read(self) -> int:
        return self.totals.rows_read

    @property
    def rows_landed(self) -> int:
        return self.totals.rows_landed

    @property
    def rows_rejected(self) -> int:
        return self.totals.rows_rejected

    @property
    def files_landed(self) -> int:
        return self.totals.files_landed

    @property
    def files_duplicate(self) -> int:
        return self.totals.files_duplicate

    @property
    def files_failed(self) -> int:
        return self.totals.files_failed

    @property
    def landed_dates(self) -> list[date]:
        """Every date a landed file touched (its own, and its superseded version's), and
        the dates of a version superseded by a duplicate of another key's content."""
        return sorted(
            {
                day
                for f in self.files
                if f.status in (FileStatus.LANDED, FileStatus.DUPLICATE)
                for day in f.flight_dates
            }
        )
