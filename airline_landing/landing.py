"""Landing a run's file versions, all-or-nothing per batch and exactly once per file
content: the decision logic shared by the local run (PostgreSQL) and the Glue job
(Redshift).

First, per file, cheaply in Python: hash the bytes and read the header (one streaming
pass); a key refused, a file unreadable or the same bytes as a version that failed for
its content is recorded 'failed' / 'duplicate' at once; the same content as the key's
current landed version is a 'duplicate' (nothing lands). The other files are new
versions: they go into a batch (bounded by files and rows, see bounds.py).

Per batch, in one warehouse transaction: lock the keys; record each new version; ONE
Spark job per header layout parses every file of the batch, each row tagged with its
file version, and the rows and rejects go in with COPY; per file: rows read = landed +
rejected is checked, a file over its reject limits contributes no rows and is recorded
failed with its reasons (copied aside), the version it would replace stays; the other
files supersede their earlier versions; commit. A batch that fails as a whole (Spark or
the warehouse went away) is rolled back and its files are landed one by one, so a file
that breaks the job is recorded failed alone and the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from airline_landing import parse
from airline_landing.batch import BatchFile, read_batch, read_conf, split_bytes_for
from airline_landing.bounds import BatchBounds
from airline_landing.columns import ColumnMap, MissingColumnsError, resolve_columns, split_header
from airline_landing.compression import gzip_key_problem, is_gzip_key
from airline_landing.dates import flight_date_from_key
from airline_landing.ddl import varchar_width
from airline_landing.file_limits import OUT_OF_MEMORY, FileLimits, is_out_of_memory
from airline_landing.keys import RefusedSource, key_problem
from airline_landing.plausibility import Plausibility
from airline_landing.results import FileResult, FileStatus, LandingReport
from airline_landing.retries import (
    NO_CONTENT_SHA256,
    EarlierFailure,
    FailureOutcome,
    after_failure,
    final_failure,
)
from airline_landing.source import FileFacts, FileSource, ObjectChangedError, inspect_file
from airline_landing.targets import FileRow, LandedElsewhere, LandingTarget, LoadCounts
from airline_landing.thresholds import (
    OVER_THRESHOLD,
    OverThresholdError,
    ReasonCount,
    RejectLimits,
)

log = logging.getLogger(__name__)

ERROR_MAX = 4000
KEY_MAX = varchar_width("landed_files", "file_key")
# Several splits per core: tasks finish one after another, so COPY can start on the first
# finished parts while Spark still parses the rest.
SPLITS_PER_CORE = 4


class CountMismatchError(AssertionError):
    """Rows read != rows landed + rows rejected: the transaction is rolled back."""


class UnreadableError(ValueError):
    """The file cannot be landed at all."""


class OutOfMemoryError(RuntimeError):
    """Spark's JVM ran out of memory on this file alone: final (the same bytes would again)."""

    def __init__(self, error: BaseException) -> None:
        first = next((line for line in str(error).splitlines() if OUT_OF_MEMORY in line), "")
        super().__init__(
            f"out of memory: Spark's JVM ran out of memory reading this file alone "
            f"({first.strip()[:300] or OUT_OF_MEMORY}); not tried again (see the file "
            "limits in airline_landing/file_limits.py, or give Spark more memory and redrive it)"
        )


def utc_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class NewVersion:
    """A file whose content is new under its key: it goes into a batch."""

    position: int  # in the run's list of sources
    source: FileSource
    facts: FileFacts
    columns: ColumnMap

    @property
    def rows_read(self) -> int:
        return max(self.facts.lines.nonblank_lines - 1, 0)


@dataclass
class _Batch:
    bounds: BatchBounds
    files: list[NewVersion] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows_read for f in self.files)

    def full(self) -> bool:
        return self.bounds.full(len(self.files), self.rows)

    def keys(self) -> set[str]:
        return {f.source.key for f in self.files}


class _AfterBatch:
    """A file to decide again once the batch being gathered has landed."""


AFTER_BATCH = _AfterBatch()


def land_files(
    spark: SparkSession | Callable[[], SparkSession],
    sources: Iterable[FileSource],
    target: LandingTarget,
    run_id: str,
    *,
    limits: RejectLimits,
    bounds: BatchBounds | None = None,
    plausible: Plausibility | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> LandingReport:
    """Land the files in batches; a failed file never stops the run. The report lists
    the files in the order of `sources`; `on_file` hears of each as it is decided.
    `spark` may be a callable giving the session: it is called when the first batch is
    ready (so a JVM can start while the files are hashed) and not at all when nothing
    new is to be landed. `plausible` (default: the documented defaults) is the window of
    flight dates and the delay bounds a row must fall in (airline_landing.plausibility)."""
    results: dict[int, FileResult] = {}
    rules = plausible or Plausibility()

    def report(position: int, result: FileResult) -> None:
        results[position] = result
        log.info("%s: %s (%s rows landed)", result.key, result.status, result.rows_landed)
        if on_file is not None:
            on_file(result)

    batch = _Batch(bounds or BatchBounds())
    queued: dict[str, NewVersion] = {}  # contents in the batch, not landed yet

    def flush() -> None:
        session = spark if isinstance(spark, SparkSession) else spark()
        for position, result in _land_batch_or_each(
            session, batch.files, target, run_id, limits, rules
        ).items():
            report(position, result)
        batch.files.clear()
        queued.clear()

    for position, source in enumerate(sources):
        decided = _decide(source, target, run_id, limits, position, batch.keys())
        if _waits_for_batch(decided, queued):
            flush()
            decided = _decide(source, target, run_id, limits, position, set())
        assert not isinstance(decided, _AfterBatch)  # no batch is gathered now
        if isinstance(decided, FileResult):
            report(position, decided)
            continue
        if batch.files and not batch.bounds.fits(
            len(batch.files) + 1, batch.rows + decided.rows_read
        ):
            flush()
        batch.files.append(decided)
        queued.setdefault(decided.facts.sha256, decided)
        if batch.full():
            flush()
    if batch.files:
        flush()
    return LandingReport(run_id, [results[position] for position in sorted(results)])


def _waits_for_batch(
    decided: FileResult | NewVersion | _AfterBatch, queued: dict[str, NewVersion]
) -> bool:
    """Whether a file is decided again once the batch being gathered has landed: the same
    bytes as a file of the batch under another key (the same flights), or a duplicate of a
    key the batch replaces."""
    if isinstance(decided, _AfterBatch):
        return True
    if not isinstance(decided, NewVersion) or decided.facts.sha256 not in queued:
        return False
    return same_flights(
        decided.source.key, queued[decided.facts.sha256].source.key, decided.columns
    )


def _decide(
    source: FileSource,
    target: LandingTarget,
    run_id: str,
    limits: RejectLimits,
    position: int,
    batch_keys: set[str],
) -> FileResult | NewVersion | _AfterBatch:
    """What to do with one file, decided before any Spark work: a result recorded now
    (refused, unreadable, duplicate), a new version for the batch, or AFTER_BATCH when its
    content is landed under a key of the batch being gathered (which may replace it)."""
    refusal = source.reason if isinstance(source, RefusedSource) else key_problem(source.key)
    facts: FileFacts | None = None
    problem: str | None
    if refusal is not None:  # never read, never copied
        sha256, size, problem = NO_CONTENT_SHA256, 0, refusal
    else:
        try:
            facts = inspect_file(source.chunks(), gzip=is_gzip_key(source.key))
        except Exception as error:  # gone since it was listed, or unreadable: this file only
            return _record_failed(source, target, run_id, NO_CONTENT_SHA256, 0, error)
        sha256, size, problem = facts.sha256, facts.size, facts.problem
    try:
        earlier = final_failure(target.key_history(source.key[:KEY_MAX]), sha256, limits)
        if earlier is not None:
            result = _duplicate_of_failed(source, target, run_id, sha256, size, earlier)
            target.commit()
            return result
        problem = gzip_key_problem(source.key) or problem
        if problem is not None or facts is None:
            raise UnreadableError(problem)
        columns = _header_columns(facts)
        landed = _landed_already(source.key, facts, columns, target, run_id, batch_keys)
        return landed if landed is not None else NewVersion(position, source, facts, columns)
    except Exception as error:
        target.rollback()
        return _record_failed(
            source, target, run_id, sha256, size, error, copy_aside=refusal is None
        )


def _header_columns(facts: FileFacts) -> ColumnMap:
    """The header's columns; a header too wide or missing a column makes the file
    unreadable."""
    try:
        header = split_header(facts.header_line or "")
        too_wide = FileLimits().header_columns_problem(len(header))
        if too_wide is not None:
            raise UnreadableError(too_wide)
        return resolve_columns(header)
    except MissingColumnsError as error:
        raise UnreadableError(str(error)) from error


def _landed_already(
    key: str,
    facts: FileFacts,
    columns: ColumnMap,
    target: LandingTarget,
    run_id: str,
    batch_keys: set[str],
) -> FileResult | _AfterBatch | None:
    """A duplicate recorded now when these bytes are the key's current version, or are
    landed with the same flights under another key (each confirmed under the key's lock);
    AFTER_BATCH when that other key is in the batch being gathered; None: a new version."""
    sha256 = facts.sha256
    # A look without the key's lock (the batch looks again under it): one round trip
    # per file, not four, when most files are new.
    current = target.current_version(key)
    if current is not None and current.content_sha256 == sha256:
        target.lock_key(key)
        current = target.current_version(key)
        if current is not None and current.content_sha256 == sha256:
            result = _record_duplicate(key, facts, target, run_id)
            target.commit()
            return result
        target.rollback()
    elsewhere = target.landed_elsewhere(key, sha256)
    if elsewhere is not None and not same_flights(key, elsewhere.file_key, columns):
        elsewhere = None
    if elsewhere is not None and elsewhere.file_key in batch_keys:
        return AFTER_BATCH
    if elsewhere is not None:
        target.lock_key(key)
        other = target.landed_elsewhere(key, sha256)
        if other is not None and same_flights(key, other.file_key, columns):
            result = _record_duplicate_of_other_key(key, facts, other, target, run_id)
            target.commit()
            return result
        target.rollback()
    return None


def same_flights(key: str, other_key: str, columns: ColumnMap) -> bool:
    """Whether the same bytes under two keys carry the same flights: when the rows hold their
    FlightDate, or both keys name the same date (or none). Rows without a FlightDate take the
    key's date, so identical bytes under `date=2023-11-15/` and `date=2023-11-16/` are two
    days of flights, not one delivery twice."""
    return columns.position("flight_date") is not None or (
        flight_date_from_key(key) == flight_date_from_key(other_key)
    )


def _file_row(
    key: str,
    sha256: str,
    size: int,
    status: FileStatus,
    run_id: str,
    *,
    error_text: str | None = None,
    replaces: int | None = None,
    landed_at: str | None = None,
) -> FileRow:
    """A raw.landed_files row with no rows counted yet."""
    return FileRow(
        file_key=key[:KEY_MAX],
        content_sha256=sha256,
        file_bytes=size,
        rows_read=0,
        rows_landed=0,
        rows_rejected=0,
        status=status,
        error_text=error_text,
        replaces_file_version_id=replaces,
        run_id=run_id,
        landed_at=landed_at or utc_now(),
    )


def _record_duplicate(
    key: str, facts: FileFacts, target: LandingTarget, run_id: str
) -> FileResult:
    version = target.insert_file_row(
        _file_row(key, facts.sha256, facts.size, FileStatus.DUPLICATE, run_id)
    )
    return FileResult(key=key, status=FileStatus.DUPLICATE, file_version_id=version)


def _record_duplicate_of_other_key(
    key: str, facts: FileFacts, other: LandedElsewhere, target: LandingTarget, run_id: str
) -> FileResult:
    """Exactly once per content, whatever the name: these bytes are landed under another key
    (a browser's `flights (1).csv`, a symlink to a landed file), so nothing lands under this
    one. A version this key held before is superseded (its rows go, its dates are rebuilt),
    as any replacement is: the key's content is now the other key's."""
    current = target.current_version(key)
    replaces = current.file_version_id if current is not None else None
    old_dates = target.flight_dates([replaces]) if replaces is not None else {}
    if replaces is not None:
        target.supersede(replaces)
    message = (
        f"same content as {other.file_key} (version {other.file_version_id}), landed there "
        "already: nothing landed under this key"
    )
    version = target.insert_file_row(
        _file_row(
            key, facts.sha256, facts.size, FileStatus.DUPLICATE, run_id,
            error_text=message, replaces=replaces,
        )
    )
    log.info("%s: %s", key, message)
    return FileResult(
        key=key,
        status=FileStatus.DUPLICATE,
        file_version_id=version,
        error=message,
        flight_dates=sorted(old_dates.get(replaces or -1, [])),
    )


def _land_batch_or_each(
    spark: SparkSession,
    files: Sequence[NewVersion],
    target: LandingTarget,
    run_id: str,
    limits: RejectLimits,
    plausible: Plausibility,
) -> dict[int, FileResult]:
    """The batch in one transaction; if it fails as a whole, each file on its own."""
    try:
        results = _land_batch(spark, files, target, run_id, limits, plausible)
        target.commit()
        return results
    except Exception as error:
        target.rollback()
        if isinstance(error, CountMismatchError):
            raise
        if spark_is_gone(spark):
            raise SparkGoneError(
                f"Spark's JVM went away during a batch of {len(files)} file(s), none of it "
                f"committed: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
            ) from error
        if len(files) > 1:
            log.warning("a batch of %d files failed (%s); landing them one by one",
                        len(files), error)
            return {
                position: result
                for single in files
                for position, result in _land_batch_or_each(
                    spark, [single], target, run_id, limits, plausible
                ).items()
            }
        (single,) = files
        if is_out_of_memory(error):
            error = OutOfMemoryError(error)
        changed = _changed(single.source)
        return {
            single.position: _record_failed(
                single.source,
                target,
                run_id,
                single.facts.sha256,
                single.facts.size,
                ObjectChangedError(changed) if changed else error,
            )
        }


class SparkGoneError(RuntimeError):
    """Spark's JVM died under a batch: the run fails (its files are not failed one by one on
    a JVM that is not there); the batch was rolled back, a later run lands it."""


def spark_is_gone(spark: SparkSession) -> bool:
    """Whether `spark`'s JVM no longer answers (killed, out of memory, a worker stopped)."""
    try:
        return bool(spark.sparkContext._jsc.sc().isStopped())
    except Exception:  # py4j's network errors: nothing at the other end
        return True


def _changed(source: FileSource) -> str | None:
    """Whether a file changed since it was hashed (Spark may have failed on the new bytes)."""
    try:
        return source.changed_since_read()
    except Exception as error:  # asking failed: the original error says more
        log.warning("%s: could not check whether it changed: %s", source.key, error)
        return None


@dataclass(frozen=True)
class _Landing:
    """A new version recorded in the batch's transaction."""

    file: NewVersion
    file_version_id: int
    replaces: int | None
    key_date: date | None


def _land_batch(
    spark: SparkSession,
    files: Sequence[NewVersion],
    target: LandingTarget,
    run_id: str,
    limits: RejectLimits,
    plausible: Plausibility,
) -> dict[int, FileResult]:
    """The batch in the open transaction: its new versions recorded, their rows parsed and
    COPYed (one Spark job per header layout), the counts checked, the files over their
    reject limits failed, the others counted and superseding their earlier versions."""
    landed_at = utc_now()
    results, landing = _record_versions(files, target, run_id, landed_at)
    if not landing:
        return results
    for group in _by_layout(landing):
        _load_group(spark, group, target, landed_at, plausible)
    counts = _checked_counts(landing, target)
    reasons = target.reject_reasons(
        [item.file_version_id for item in landing if counts[item.file_version_id].rows_rejected]
    )
    kept: list[_Landing] = []
    for item in landing:
        failed = _fail_over_limits(item, counts[item.file_version_id], reasons, target, limits)
        if failed is None:
            kept.append(item)
        else:
            results[item.file.position] = failed
    results.update(_supersede_and_count(kept, counts, reasons, target))
    return results


def _record_versions(
    files: Sequence[NewVersion], target: LandingTarget, run_id: str, landed_at: str
) -> tuple[dict[int, FileResult], list[_Landing]]:
    """Under the batch's key locks: a file landed by another run since it was looked at is a
    duplicate (its result), every other one a new version recorded 'landed'."""
    results: dict[int, FileResult] = {}
    for key in sorted({f.source.key for f in files}):  # one order: no lock cycles
        target.lock_key(key)
    landing: list[_Landing] = []
    for file in files:
        key = file.source.key
        current = target.current_version(key)
        if current is not None and current.content_sha256 == file.facts.sha256:
            # Landed by another run since it was looked at.
            results[file.position] = _record_duplicate(key, file.facts, target, run_id)
            continue
        replaces = current.file_version_id if current else None
        version = target.insert_file_row(
            _file_row(
                key,
                file.facts.sha256,
                file.facts.size,
                FileStatus.LANDED,
                run_id,
                replaces=replaces,
                landed_at=landed_at,
            )
        )
        landing.append(_Landing(file, version, replaces, flight_date_from_key(key)))
    return results, landing


def _checked_counts(landing: Sequence[_Landing], target: LandingTarget) -> dict[int, LoadCounts]:
    """The rows each version landed and rejected (by version id), once no file changed
    since it was hashed and every file's rows read = landed + rejected."""
    changed = [m for m in (item.file.source.changed_since_read() for item in landing) if m]
    if changed:  # rows of bytes that were not hashed: the batch is rolled back
        raise ObjectChangedError("; ".join(changed))
    loaded = target.version_counts([item.file_version_id for item in landing])
    counts = {
        item.file_version_id: loaded.get(item.file_version_id, LoadCounts(0, 0))
        for item in landing
    }
    for item in landing:
        got = counts[item.file_version_id]
        if item.file.rows_read != got.rows_landed + got.rows_rejected:
            raise CountMismatchError(
                f"{item.file.source.key}: rows read {item.file.rows_read} != landed "
                f"{got.rows_landed} + rejected {got.rows_rejected}; nothing committed"
            )
    return counts


def _fail_over_limits(
    item: _Landing,
    got: LoadCounts,
    reasons: dict[int, list[ReasonCount]],
    target: LandingTarget,
    limits: RejectLimits,
) -> FileResult | None:
    """A file over its reject limits: its rows discarded, its version marked failed (the
    file copied aside), its result; None for a file within them."""
    if not limits.exceeded(item.file.rows_read, got.rows_rejected):
        return None
    error = OverThresholdError(
        item.file.source.key,
        item.file.rows_read,
        got.rows_rejected,
        limits,
        reasons.get(item.file_version_id, []),
    )
    target.discard(item.file_version_id)
    message = _failure_message(item.file.source, error, copy_aside=True)
    target.mark_failed(item.file_version_id, item.file.rows_read, message)
    log.warning("%s: failed: %s", item.file.source.key, message)
    return FileResult(
        key=item.file.source.key,
        status=FileStatus.FAILED,
        file_version_id=item.file_version_id,
        rows_read=item.file.rows_read,
        rows_rejected=item.file.rows_read,
        error=message,
        reasons=_whole_file_reasons(error),
    )


def _supersede_and_count(
    kept: Sequence[_Landing],
    counts: dict[int, LoadCounts],
    reasons: dict[int, list[ReasonCount]],
    target: LandingTarget,
) -> dict[int, FileResult]:
    """The landed files: their earlier versions superseded, their counts set, and their
    results with the dates to rebuild (the old versions' and the new ones')."""
    # Dates the superseded versions touched must be rebuilt too: read them before deleting.
    old_dates = target.flight_dates([i.replaces for i in kept if i.replaces is not None])
    for item in kept:
        if item.replaces is not None:
            target.supersede(item.replaces)
        got = counts[item.file_version_id]
        target.set_counts(
            item.file_version_id, item.file.rows_read, got.rows_landed, got.rows_rejected
        )
    new_dates = target.flight_dates([item.file_version_id for item in kept])
    off_key = target.dates_off_key(
        {
            item.file_version_id: item.key_date
            for item in kept
            if item.key_date is not None
            and any(day != item.key_date for day in new_dates.get(item.file_version_id, []))
        }
    )
    results: dict[int, FileResult] = {}
    for item in kept:
        got = counts[item.file_version_id]
        version = item.file_version_id
        results[item.file.position] = FileResult(
            key=item.file.source.key,
            status=FileStatus.LANDED,
            file_version_id=version,
            rows_read=item.file.rows_read,
            rows_landed=got.rows_landed,
            rows_rejected=got.rows_rejected,
            flight_dates=sorted(
                {*old_dates.get(item.replaces or -1, []), *new_dates.get(version, [])}
            ),
            reasons=reasons.get(version, []),
            dates_off_key=off_key.get(version, {}),
        )
    return results


def _by_layout(landing: Sequence[_Landing]) -> list[list[_Landing]]:
    """The batch's files grouped by header layout (one Spark parse per layout)."""
    groups: dict[tuple[object, ...], list[_Landing]] = {}
    for item in landing:
        columns = item.file.columns
        layout = (
            columns.field_count,
            tuple(sorted(columns.positions.items())),
            tuple(sorted(columns.header_names.items())),
        )
        groups.setdefault(layout, []).append(item)
    return list(groups.values())


def _load_group(
    spark: SparkSession,
    group: Sequence[_Landing],
    target: LandingTarget,
    landed_at: str,
    plausible: Plausibility,
) -> None:
    """One Spark job over files of one header layout, COPYed into the open transaction."""
    files = [
        BatchFile(
            key=item.file.source.key,
            spark_path=item.file.source.spark_path(),
            file_version_id=item.file_version_id,
            size=item.file.facts.size,
            lines=item.file.facts.lines,
            key_date=item.key_date,
            splittable=not is_gzip_key(item.file.source.key),
        )
        for item in group
    ]
    with copy_lines_of(spark, files, group[0].file.columns, landed_at, plausible) as lines:
        target.load(lines, group[0].file_version_id)


@contextmanager
def copy_lines_of(
    spark: SparkSession,
    files: Sequence[BatchFile],
    columns: ColumnMap,
    landed_at: str,
    plausible: Plausibility,
) -> Iterator[DataFrame]:
    """The COPY lines (parse.copy_lines) of files of one header layout `columns`, planned
    and, inside the block, run under the batch's read settings."""
    split_bytes = split_bytes_for(files, spark.sparkContext.defaultParallelism, SPLITS_PER_CORE)
    with parse.spark_conf(spark, read_conf(split_bytes)):
        lines = read_batch(spark, files, split_bytes)
        parsed = parse.parse_rows(
            parse.data_lines(lines),
            columns,
            F.col("key_date"),
            "file_version_id",
            "source_key",
            "key_date",
            plausible=plausible,
        )
        yield parse.copy_lines(
            parsed,
            F.col("source_key"),
            F.col("file_version_id"),
            landed_at,
            with_bts=parse.has_bts_columns(columns),
        )


def _duplicate_of_failed(
    source: FileSource,
    target: LandingTarget,
    run_id: str,
    sha256: str,
    size: int,
    earlier: EarlierFailure,
) -> FileResult:
    """Same key, same bytes as a version that failed for its content: fails the same way."""
    message = earlier.message()[:ERROR_MAX]
    version = target.insert_file_row(
        _file_row(source.key, sha256, size, FileStatus.DUPLICATE, run_id, error_text=message)
    )
    log.info("%s: %s", source.key, message)
    return FileResult(
        key=source.key, status=FileStatus.DUPLICATE, file_version_id=version, error=message
    )


def is_permanent(error: Exception) -> bool:
    """A failure caused by the file's content (retries.py: final at once)."""
    return isinstance(error, UnreadableError | OverThresholdError | OutOfMemoryError)


def _failure_message(
    source: FileSource,
    error: Exception,
    *,
    copy_aside: bool,
    outcome: FailureOutcome | None = None,
) -> str:
    """The error's first line (with its type when it is not about the file's content: a
    passing failure), what the retry policy made of it, and where the file was copied aside
    (only once the failure is final: a file tried again is not set aside yet)."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    if not is_permanent(error):
        message = f"{type(error).__name__}: {message}"
    if outcome is not None:
        message += outcome.note(source.key)
        copy_aside = copy_aside and outcome.final
    if copy_aside:
        try:
            message += f" (copied to {source.copy_to_failed()})"
        except Exception as copy_error:  # OSError locally, botocore errors on S3
            message += f" (could not copy it aside: {copy_error})"
    return message[:ERROR_MAX]


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
    target.lock_key(source.key)
    outcome = after_failure(
        target.key_history(source.key[:KEY_MAX]), sha256, passing=not is_permanent(error)
    )
    message = _failure_message(source, error, copy_aside=copy_aside, outcome=outcome)
    version = target.insert_file_row(
        _file_row(source.key, sha256, size, FileStatus.FAILED, run_id, error_text=message)
    )
    target.commit()
    log.warning("%s: failed: %s", source.key, message)
    return FileResult(
        key=source.key,
        status=FileStatus.FAILED,
        file_version_id=version,
        error=message,
        final=outcome.final,
    )


def _whole_file_reasons(error: OverThresholdError) -> list[ReasonCount]:
    """The bad rows' own reasons, plus the good rows that went down with the file."""
    good = error.rows_read - error.rows_rejected
    return [*error.reasons, *([ReasonCount(OVER_THRESHOLD, good, None)] if good else [])]
