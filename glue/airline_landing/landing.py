"""Landing one file version, all-or-nothing and exactly once: the decision logic shared
by the local run (PostgreSQL) and the Glue job (Redshift).

Per file, in one warehouse transaction: lock the key; compare (key, sha256) with the
key's current landed version (same content -> a 'duplicate' row, nothing lands);
record the new version; remove the superseded version's rows; COPY the rows and the
rejects; check rows read = landed + rejected; commit. A file that cannot be read is
copied aside, recorded 'failed', and the caller goes on with the next file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pyspark.sql import SparkSession

from airline_landing import transform
from airline_landing.columns import MissingColumnsError, resolve_columns, split_header
from airline_landing.dates import flight_date_from_key
from airline_landing.source import FileFacts, FileSource, inspect_file
from airline_landing.targets import FileRow, LandingTarget

log = logging.getLogger(__name__)

STATUS_LANDED = "landed"
STATUS_DUPLICATE = "duplicate"
STATUS_SUPERSEDED = "superseded"
STATUS_FAILED = "failed"
ERROR_MAX = 4000
KEY_MAX = 1024


@dataclass(frozen=True)
class FileResult:
    key: str
    status: str
    file_version_id: int | None
    rows_read: int
    rows_landed: int
    rows_rejected: int
    error: str | None = None
    flight_dates: list[date] = field(default_factory=list)


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

    @property
    def files_landed(self) -> int:
        return sum(f.status == STATUS_LANDED for f in self.files)

    @property
    def files_duplicate(self) -> int:
        return sum(f.status == STATUS_DUPLICATE for f in self.files)

    @property
    def files_failed(self) -> int:
        return sum(f.status == STATUS_FAILED for f in self.files)


class CountMismatchError(AssertionError):
    """Rows read != rows landed + rows rejected: the transaction is rolled back."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat()


def land_files(
    spark: SparkSession,
    sources: Iterable[FileSource],
    target: LandingTarget,
    run_id: str,
    *,
    on_file: Callable[[FileResult], None] | None = None,
) -> LandingReport:
    """Land each file in turn (one transaction each); a failed file never stops the run."""
    report = LandingReport(run_id)
    for source in sources:
        result = land_file(spark, source, target, run_id)
        report.files.append(result)
        log.info("%s: %s (%s rows landed)", result.key, result.status, result.rows_landed)
        if on_file is not None:
            on_file(result)
    return report


def land_file(
    spark: SparkSession, source: FileSource, target: LandingTarget, run_id: str
) -> FileResult:
    facts = inspect_file(source.chunks())
    try:
        if facts.problem is not None:
            raise UnreadableError(facts.problem)
        result = _land_in_transaction(spark, source, target, run_id, facts)
        target.commit()
        return result
    except Exception as error:
        target.rollback()
        if isinstance(error, CountMismatchError):
            raise
        return _record_failed(source, target, run_id, facts.sha256, facts.size, error)


class UnreadableError(ValueError):
    """The file cannot be landed at all."""


def _land_in_transaction(
    spark: SparkSession,
    source: FileSource,
    target: LandingTarget,
    run_id: str,
    facts: FileFacts,
) -> FileResult:
    key, sha256 = source.key, facts.sha256
    target.lock_key(key)
    current = target.current_version(key)
    landed_at = utc_now()
    if current is not None and current.content_sha256 == sha256:
        version = target.insert_file_row(
            FileRow(
                key, sha256, facts.size, 0, 0, 0, STATUS_DUPLICATE, None, None, run_id, landed_at
            )
        )
        return FileResult(key, STATUS_DUPLICATE, version, 0, 0, 0)
    try:
        columns = resolve_columns(split_header(facts.header_line or ""))
    except MissingColumnsError as error:
        raise UnreadableError(str(error)) from error

    replaces = current.file_version_id if current else None
    version = target.insert_file_row(
        FileRow(key, sha256, facts.size, 0, 0, 0, STATUS_LANDED, None, replaces, run_id, landed_at)
    )
    # Dates the superseded version touched must be rebuilt too: read them before deleting.
    old_dates = target.flight_dates(replaces) if replaces is not None else []
    if replaces is not None:
        target.supersede(replaces)

    lines = transform.read_lines(spark, source.spark_path())
    stats = transform.line_stats(lines)
    rows = transform.data_lines(transform.number_lines(lines, stats))
    parsed = transform.parse_rows(rows, columns, flight_date_from_key(key))
    counts = target.load(transform.copy_lines(parsed, key, version, landed_at), version)

    rows_read = max(stats.nonblank_lines - 1, 0)
    if rows_read != counts.rows_landed + counts.rows_rejected:
        raise CountMismatchError(
            f"{key}: rows read {rows_read} != landed {counts.rows_landed} "
            f"+ rejected {counts.rows_rejected}; nothing committed"
        )
    target.set_counts(version, rows_read, counts.rows_landed, counts.rows_rejected)
    return FileResult(
        key,
        STATUS_LANDED,
        version,
        rows_read,
        counts.rows_landed,
        counts.rows_rejected,
        None,
        sorted({*old_dates, *target.flight_dates(version)}),
    )


def _record_failed(
    source: FileSource,
    target: LandingTarget,
    run_id: str,
    sha256: str,
    size: int,
    error: Exception,
) -> FileResult:
    message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    if not isinstance(error, UnreadableError):
        message = f"{type(error).__name__}: {message}"
    try:
        message += f" (copied to {source.copy_to_failed()})"
    except Exception as copy_error:  # OSError locally, botocore errors on S3
        message += f" (could not copy it aside: {copy_error})"
    message = message[:ERROR_MAX]
    target.lock_key(source.key)
    version = target.insert_file_row(
        FileRow(
            source.key[:KEY_MAX],
            sha256,
            size,
            0,
            0,
            0,
            STATUS_FAILED,
            message,
            None,
            run_id,
            utc_now(),
        )
    )
    target.commit()
    log.warning("%s: failed: %s", source.key, message)
    return FileResult(source.key, STATUS_FAILED, version, 0, 0, 0, message)
