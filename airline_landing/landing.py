"""Landing one file version, all-or-nothing and exactly once: the decision logic shared
by the local run (PostgreSQL) and the Glue job (Redshift).

Per file, in one warehouse transaction: lock the key; compare (key, sha256) with the
key's current landed version (same content -> a 'duplicate' row, nothing lands);
record the new version; remove the superseded version's rows; COPY the rows and the
rejects; check rows read = landed + rejected; commit. A file that cannot be read is
copied aside, recorded 'failed', and the caller goes on with the next file.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from pyspark.sql import SparkSession

from airline_landing import transform
from airline_landing.columns import MissingColumnsError, resolve_columns, split_header
from airline_landing.dates import flight_date_from_key
from airline_landing.keys import RefusedSource, key_problem
from airline_landing.lines import split_conf
from airline_landing.repeats import content_failure
from airline_landing.results import FileResult, FileStatus, LandingReport
from airline_landing.source import FileFacts, FileSource, inspect_file
from airline_landing.targets import FileRow, LandingTarget
from airline_landing.thresholds import (
    OVER_THRESHOLD,
    OverThresholdError,
    ReasonCount,
    RejectLimits,
    dates_off_key,
    reject_reasons,
)

log = logging.getLogger(__name__)

STATUS_LANDED = FileStatus.LANDED
STATUS_DUPLICATE = FileStatus.DUPLICATE
STATUS_SUPERSEDED = FileStatus.SUPERSEDED
STATUS_FAILED = FileStatus.FAILED
ERROR_MAX = 4000
KEY_MAX = 1024
# Several splits per core: tasks finish one after another, so COPY can start on the first
# finished parts while Spark still parses the rest.
SPLITS_PER_CORE = 4
NO_CONTENT_SHA256 = hashlib.sha256(b"").hexdigest()  # a refused key: nothing was read


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
    limits: RejectLimits | None = None,
) -> LandingReport:
    """Land each file in turn (one transaction each); a failed file never stops the run."""
    report = LandingReport(run_id)
    for source in sources:
        result = land_file(spark, source, target, run_id, limits)
        report.files.append(result)
        log.info("%s: %s (%s rows landed)", result.key, result.status, result.rows_landed)
        if on_file is not None:
            on_file(result)
    return report


def land_file(
    spark: SparkSession,
    source: FileSource,
    target: LandingTarget,
    run_id: str,
    limits: RejectLimits | None = None,
) -> FileResult:
    refusal = source.reason if isinstance(source, RefusedSource) else key_problem(source.key)
    if refusal is not None:  # never read, never copied
        sha256, size, problem = NO_CONTENT_SHA256, 0, refusal
    else:
        facts = inspect_file(source.chunks())
        sha256, size, problem = facts.sha256, facts.size, facts.problem
    try:
        earlier = content_failure(target, source.key[:KEY_MAX], sha256, limits)
        if earlier is not None:
            result = _duplicate_of_failed(source, target, run_id, sha256, size, earlier)
        elif problem is not None:
            raise UnreadableError(problem)
        else:
            result = _land_in_transaction(
                spark, source, target, run_id, facts, limits or RejectLimits()
            )
        target.commit()
        return result
    except Exception as error:
        target.rollback()
        if isinstance(error, CountMismatchError):
            raise
        return _record_failed(
            source, target, run_id, sha256, size, error, copy_aside=refusal is None
        )


class UnreadableError(ValueError):
    """The file cannot be landed at all."""


def _land_in_transaction(
    spark: SparkSession,
    source: FileSource,
    target: LandingTarget,
    run_id: str,
    facts: FileFacts,
    limits: RejectLimits,
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

    # Lines were counted while hashing: Spark reads the file once, in the planned splits.
    split_bytes = facts.lines.split_bytes(spark.sparkContext.defaultParallelism * SPLITS_PER_CORE)
    with transform.spark_conf(spark, split_conf(split_bytes)):
        lines = transform.read_lines(spark, source.spark_path())
        numbered = transform.number_lines(lines, facts.lines.first_lines(split_bytes))
        parsed = transform.parse_rows(
            transform.data_lines(numbered), columns, flight_date_from_key(key)
        )
        counts = target.load(transform.copy_lines(parsed, key, version, landed_at), version)

    rows_read = max(facts.lines.nonblank_lines - 1, 0)
    if rows_read != counts.rows_landed + counts.rows_rejected:
        raise CountMismatchError(
            f"{key}: rows read {rows_read} != landed {counts.rows_landed} "
            f"+ rejected {counts.rows_rejected}; nothing committed"
        )
    target.set_counts(version, rows_read, counts.rows_landed, counts.rows_rejected)
    reasons = reject_reasons(target, version) if counts.rows_rejected else []
    if limits.exceeded(rows_read, counts.rows_rejected):
        raise OverThresholdError(key, rows_read, counts.rows_rejected, limits, reasons)
    new_dates = target.flight_dates(version)
    key_date = flight_date_from_key(key)
    off_key = (
        dates_off_key(target, version, key_date)
        if key_date is not None and any(day != key_date for day in new_dates)
        else {}
    )
    return FileResult(
        key,
        STATUS_LANDED,
        version,
        rows_read,
        counts.rows_landed,
        counts.rows_rejected,
        None,
        sorted({*old_dates, *new_dates}),
        reasons,
        off_key,
    )


def _duplicate_of_failed(
    source: FileSource,
    target: LandingTarget,
    run_id: str,
    sha256: str,
    size: int,
    earlier: object,
) -> FileResult:
    """Same key, same bytes as a version that failed for its content: fails the same way."""
    message = earlier.message()[:ERROR_MAX]  # type: ignore[attr-defined]
    key = source.key[:KEY_MAX]
    version = target.insert_file_row(
        FileRow(key, sha256, size, 0, 0, 0, STATUS_DUPLICATE, message, None, run_id, utc_now())
    )
    log.info("%s: %s", source.key, message)
    return FileResult(source.key, STATUS_DUPLICATE, version, 0, 0, 0, message)


def _record_failed(
    source: FileSource,
    target: LandingTarget,
    run_id: str,
    sha256: str,
    size: int,
    error: Exception,
    *,
    copy_aside: bool = True,
) -> FileResult:
    message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    if not isinstance(error, UnreadableError | OverThresholdError):
        message = f"{type(error).__name__}: {message}"
    if copy_aside:
        try:
            message += f" (copied to {source.copy_to_failed()})"
        except Exception as copy_error:  # OSError locally, botocore errors on S3
            message += f" (could not copy it aside: {copy_error})"
    # A file rejected whole: every row read counts as rejected (read = landed + rejected).
    rows_read = error.rows_read if isinstance(error, OverThresholdError) else 0
    reasons = _whole_file_reasons(error) if isinstance(error, OverThresholdError) else []
    message = message[:ERROR_MAX]
    target.lock_key(source.key)
    version = target.insert_file_row(
        FileRow(
            source.key[:KEY_MAX],
            sha256,
            size,
            rows_read,
            0,
            rows_read,
            STATUS_FAILED,
            message,
            None,
            run_id,
            utc_now(),
        )
    )
    target.commit()
    log.warning("%s: failed: %s", source.key, message)
    return FileResult(
        source.key, STATUS_FAILED, version, rows_read, 0, rows_read, message, [], reasons
    )


def _whole_file_reasons(error: OverThresholdError) -> list[ReasonCount]:
    """The bad rows' own reasons, plus the good rows that went down with the file."""
    good = error.rows_read - error.rows_rejected
    return [*error.reasons, *([ReasonCount(OVER_THRESHOLD, good, None)] if good else [])]
