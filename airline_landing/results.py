"""What landing a run's files gave, per file and in total: the typed boundary between the
landing (airline_landing) and the runner (airline_elt). No pyspark here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

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


@dataclass
class LandingReport:
    run_id: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_landed(self) -> int:
        return sum(f.rows_landed for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    def count(self, status: FileStatus) -> int:
        return sum(f.status == status for f in self.files)

    @property
    def files_landed(self) -> int:
        return self.count(FileStatus.LANDED)

    @property
    def files_duplicate(self) -> int:
        return self.count(FileStatus.DUPLICATE)

    @property
    def files_failed(self) -> int:
        return self.count(FileStatus.FAILED)

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
