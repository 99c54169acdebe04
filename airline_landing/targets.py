"""The warehouse side of landing one file version, behind one small interface.

`LandingTarget` is what the decision logic (airline_landing.landing) talks to; it
holds one open transaction. Two implementations:
- `PostgresTarget` (local): psycopg 3; rows go in with `COPY ... FROM STDIN`, fed from
  the CSV text parts Spark writes to a local staging folder, each part as soon as its
  Spark task has committed it.
- `RedshiftTarget` (AWS): redshift_connector; Spark writes the CSV parts to the S3
  temp dir and Redshift runs `COPY ... FROM 's3://...' IAM_ROLE ... CSV`.
Every value from a file or key is a bound parameter, never SQL text.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from pyspark.sql import DataFrame

from airline_landing.glue_args import IAM_ROLE_ARN
from airline_landing.parse import (
    KIND_LANDED,
    KIND_REJECTED,
    LANDING_COLUMNS,
    REJECTED_COLUMNS,
    spark_conf,
)
from airline_landing.retries import PastVersion
from airline_landing.thresholds import ReasonCount

COPY_CHUNK_BYTES = 1 << 20
STAGE_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class CurrentVersion:
    file_version_id: int
    content_sha256: str


@dataclass(frozen=True)
class LandedElsewhere:
    """A landed version of the same content under another key."""

    file_key: str
    file_version_id: int


@dataclass(frozen=True)
class FileRow:
    """A raw.landed_files row."""

    file_key: str
    content_sha256: str
    file_bytes: int
    rows_read: int
    rows_landed: int
    rows_rejected: int
    status: str
    error_text: str | None
    replaces_file_version_id: int | None
    run_id: str | None
    landed_at: str


@dataclass(frozen=True)
class LoadCounts:
    rows_landed: int
    rows_rejected: int


class LandingTarget(Protocol):
    """One transaction on the warehouse, for one batch of file versions. Every raw.* query
    of the landing is a named method here; the SQL is in this module."""

    def lock_key(self, key: str) -> None: ...

    def current_version(self, key: str) -> CurrentVersion | None: ...

    def key_history(self, key: str) -> list[PastVersion]:
        """The key's versions newest first, duplicates left out."""
        ...

    def landed_elsewhere(self, key: str, sha256: str) -> LandedElsewhere | None:
        """The oldest current ('landed') version of this content under another key."""
        ...

    def insert_file_row(self, row: FileRow) -> int: ...

    def supersede(self, file_version_id: int) -> None: ...

    def load(self, lines: DataFrame, file_version_id: int) -> LoadCounts: ...

    def version_counts(self, versions: Sequence[int]) -> dict[int, LoadCounts]:
        """Rows landed and rejected per file version (versions without rows are absent)."""
        ...

    def reject_reasons(self, versions: Sequence[int]) -> dict[int, list[ReasonCount]]:
        """Why each version's rows were rejected, most frequent first."""
        ...

    def flight_dates(self, versions: Sequence[int]) -> dict[int, list[date]]:
        """The dates each version's rows (landed or rejected with a date) touch."""
        ...

    def dates_off_key(self, key_dates: dict[int, date]) -> dict[int, dict[str, int]]:
        """Per version: rows landed with a flight date other than its key's, date -> rows."""
        ...

    def discard(self, file_version_id: int) -> None:
        """Remove a version's rows (it is failed whole)."""
        ...

    def set_counts(
        self, file_version_id: int, rows_read: int, rows_landed: int, rows_rejected: int
    ) -> None: ...

    def mark_failed(self, file_version_id: int, rows_read: int, error_text: str) -> None:
        """A version failed whole: every row read counts as rejected, none landed."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


FILE_ROW_COLUMNS = (
    "file_key",
    "content_sha256",
    "file_bytes",
    "rows_read",
    "rows_landed",
    "rows_rejected",
    "status",
    "error_text",
    "replaces_file_version_id",
    "run_id",
    "landed_at",
)
_INSERT_FILE_ROW = (
    f"insert into \"raw\".landed_files ({', '.join(FILE_ROW_COLUMNS)}) "
    f"values ({', '.join(['%s'] * len(FILE_ROW_COLUMNS))})"
)
_CURRENT_VERSION = (
    "select file_version_id, content_sha256 from \"raw\".landed_files "
    "where file_key = %s and status = 'landed' order by file_version_id desc limit 1"
)
_SET_COUNTS = (
    "update \"raw\".landed_files set rows_read = %s, rows_landed = %s, rows_rejected = %s "
    "where file_version_id = %s"
)
_DISCARD = (
    "delete from \"raw\".flights_landing where file_version_id = %s",
    "delete from \"raw\".flights_rejected where file_version_id = %s",
)
_SUPERSEDE = (
    *_DISCARD,
    "update \"raw\".landed_files set status = 'superseded' where file_version_id = %s",
)
_MARK_FAILED = (
    "update \"raw\".landed_files set status = 'failed', rows_read = %s, rows_landed = 0, "
    "rows_rejected = %s, error_text = %s, replaces_file_version_id = null "
    "where file_version_id = %s"
)
# A key's history as retries.py reads it: newest first (a duplicate records nothing the policy
# needs; retries.py cuts it at the latest redrive).
_KEY_HISTORY = (
    "select file_version_id, content_sha256, status, error_text from \"raw\".landed_files "
    "where file_key = %s and status <> 'duplicate' order by file_version_id desc limit 100"
)
_LANDED_ELSEWHERE = (
    "select file_key, file_version_id from \"raw\".landed_files "
    "where content_sha256 = %s and status = 'landed' and file_key <> %s "
    "order by file_version_id limit 1"
)
# Per-batch questions: `{versions}` becomes one placeholder per version (bound values).
_VERSION_COUNTS = (
    "select file_version_id, sum(landed), sum(rejected) from ("
    "select file_version_id, count(*) as landed, 0 as rejected from \"raw\".flights_landing "
    "where file_version_id in {versions} group by 1 "
    "union all select file_version_id, 0, count(*) from \"raw\".flights_rejected "
    "where file_version_id in {versions} group by 1) as counts group by 1"
)
_REASONS = (
    "select file_version_id, reason_code, count(*), min(source_line_number) "
    "from \"raw\".flights_rejected where file_version_id in {versions} "
    "group by 1, 2 order by 1, 3 desc, 2"
)
_VERSION_DATES = (
    "select file_version_id, flight_date from \"raw\".flights_landing "
    "where file_version_id in {versions} "
    "union select file_version_id, flight_date from \"raw\".flights_rejected "
    "where file_version_id in {versions} and flight_date is not null order by 1, 2"
)
_DATES_OFF_KEY = (
    "select file_version_id, flight_date, count(*) from \"raw\".flights_landing "
    "where file_version_id = %s and flight_date <> %s group by 1, 2 order by 2"
)


def _in(sql: str, versions: Sequence[int]) -> tuple[str, tuple[int, ...]]:
    """`sql` with `{versions}` as a list of placeholders, and the values bound to them
    (each `{versions}` occurrence binds the list again)."""
    placeholders = "(" + ", ".join(["%s"] * len(versions)) + ")"
    occurrences = sql.count("{versions}")
    return sql.format(versions=placeholders), tuple(versions) * occurrences


def _file_row_values(row: FileRow) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in FILE_ROW_COLUMNS)


def key_lock_id(key: str) -> int:
    """A signed 64-bit advisory-lock id for a file key."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


# Write both kinds in one pass without sorting each task's rows by kind first (Spark's
# planned write would add that sort; concurrent writers keep one open file per kind).
# The parse-and-format stage is one long expression chain: fused into a single
# whole-stage-codegen method it exceeds the 8,000-byte bytecode limit above which the
# JVM never JIT-compiles a method (DontCompileHugeMethods), so every row ran
# interpreted. At that limit Spark falls back to per-expression code instead, which
# the JIT compiles: measured 2x less CPU for the stage.
_WRITE_CONF = {
    "spark.sql.optimizer.plannedWrite.enabled": "false",
    "spark.sql.maxConcurrentOutputFileWriters": "2",
    "spark.sql.codegen.hugeMethodLimit": "8000",
}


def stage_text(lines: DataFrame, folder: str) -> None:
    """Write (kind, line) as text parts: <folder>/kind=landed/part-*, kind=rejected/..."""
    with spark_conf(lines.sparkSession, _WRITE_CONF):
        lines.write.mode("overwrite").partitionBy("kind").text(folder)


class _NamedQueries:
    """The raw.* questions both targets ask, through `_rows` and `_run`."""

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        raise NotImplementedError

    def key_history(self, key: str) -> list[PastVersion]:
        return [
            PastVersion(int(version), sha256, status, error_text or "")
            for version, sha256, status, error_text in self._rows(_KEY_HISTORY, (key,))
        ]

    def landed_elsewhere(self, key: str, sha256: str) -> LandedElsewhere | None:
        rows = self._rows(_LANDED_ELSEWHERE, (sha256, key))
        return LandedElsewhere(rows[0][0], int(rows[0][1])) if rows else None

    def supersede(self, file_version_id: int) -> None:
        for statement in _SUPERSEDE:
            self._run(statement, (file_version_id,))

    def discard(self, file_version_id: int) -> None:
        for statement in _DISCARD:
            self._run(statement, (file_version_id,))

    def set_counts(
        self, file_version_id: int, rows_read: int, rows_landed: int, rows_rejected: int
    ) -> None:
        self._run(_SET_COUNTS, (rows_read, rows_landed, rows_rejected, file_version_id))

    def mark_failed(self, file_version_id: int, rows_read: int, error_text: str) -> None:
        self._run(_MARK_FAILED, (rows_read, rows_read, error_text, file_version_id))

    def version_counts(self, versions: Sequence[int]) -> dict[int, LoadCounts]:
        if not versions:
            return {}
        rows = self._rows(*_in(_VERSION_COUNTS, versions))
        return {int(v): LoadCounts(int(landed), int(rejected)) for v, landed, rejected in rows}

    def reject_reasons(self, versions: Sequence[int]) -> dict[int, list[ReasonCount]]:
        found: dict[int, list[ReasonCount]] = {}
        if versions:
            for version, code, count, first in self._rows(*_in(_REASONS, versions)):
                found.setdefault(int(version), []).append(
                    ReasonCount(str(code), int(count), first)
                )
        return found

    def flight_dates(self, versions: Sequence[int]) -> dict[int, list[date]]:
        found: dict[int, list[date]] = {}
        if versions:
            for version, day in self._rows(*_in(_VERSION_DATES, versions)):
                found.setdefault(int(version), []).append(day)
        return found

    def dates_off_key(self, key_dates: dict[int, date]) -> dict[int, dict[str, int]]:
        found: dict[int, dict[str, int]] = {}
        for version, key_date in key_dates.items():
            for _, day, count in self._rows(_DATES_OFF_KEY, (version, key_date)):
                found.setdefault(version, {})[day.isoformat()] = int(count)
        return found


class PostgresTarget(_NamedQueries):
    """A psycopg 3 connection in one transaction (autocommit off)."""

    def __init__(
        self,
        connection: Any,
        *,
        stage_root: Path | None = None,
    ) -> None:
        self.connection = connection
        self.stage_root = stage_root

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(sql, params).fetchall())

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.connection.execute(sql, params)

    def lock_key(self, key: str) -> None:
        self.connection.execute("select pg_advisory_xact_lock(%s)", (key_lock_id(key),))

    def current_version(self, key: str) -> CurrentVersion | None:
        row = self.connection.execute(_CURRENT_VERSION, (key,)).fetchone()
        return CurrentVersion(int(row[0]), row[1]) if row else None

    def insert_file_row(self, row: FileRow) -> int:
        inserted = self.connection.execute(
            _INSERT_FILE_ROW + " returning file_version_id", _file_row_values(row)
        ).fetchone()
        return int(inserted[0])

    def load(self, lines: DataFrame, file_version_id: int) -> LoadCounts:
        folder = Path(tempfile.mkdtemp(prefix=f"landing-{file_version_id}-", dir=self.stage_root))
        try:
            landed = self._copy_while_staging(lines, folder)
            rejected = self._copy(
                '"raw".flights_rejected', REJECTED_COLUMNS, _parts(folder, KIND_REJECTED)
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return LoadCounts(landed, rejected)

    def _copy_while_staging(self, lines: DataFrame, folder: Path) -> int:
        """Spark writes the parts in a background thread; each Spark task's landed part
        goes into COPY as soon as the task has committed it (Hadoop's committer renames a
        finished task's folder into _temporary/<attempt>/task_*), so PostgreSQL loads while
        Spark still parses. Parts are sent once each, by name; after the job, any part not
        yet sent (another committer layout) is sent from the final folder. Nothing is read
        from an uncommitted task attempt. On any error the transaction is rolled back."""
        outcome: list[BaseException | None] = []

        def write() -> None:
            try:
                stage_text(lines, str(folder))
                outcome.append(None)
            except BaseException as error:  # re-raised in the calling thread
                outcome.append(error)

        writer = threading.Thread(target=write, name="landing-stage-text", daemon=True)
        writer.start()
        sent: set[str] = set()
        statement = (
            f"copy \"raw\".flights_landing ({', '.join(LANDING_COLUMNS)}) from stdin (format csv)"
        )
        try:
            with self.connection.cursor() as cursor:
                with cursor.copy(statement) as copy:
                    while writer.is_alive():
                        writer.join(STAGE_POLL_SECONDS)
                        if not outcome:
                            _send_parts(copy, _committed_task_parts(folder, KIND_LANDED), sent)
                    if outcome[0] is not None:
                        # Ends the COPY with a short message: the Spark error (its whole
                        # Java stack trace) would be too long for the server's CopyFail.
                        raise StagingFailedError("Spark failed while staging the rows")
                    _send_parts(copy, _parts(folder, KIND_LANDED), sent)
                return int(cursor.rowcount)
        except StagingFailedError:
            raise outcome[0] from None  # type: ignore[misc]
        finally:
            writer.join()  # a failed COPY must not leave Spark writing into a removed folder

    def _copy(self, table: str, columns: Iterable[str], parts: list[Path]) -> int:
        if not parts:
            return 0
        statement = f"copy {table} ({', '.join(columns)}) from stdin (format csv)"
        with self.connection.cursor() as cursor:
            with cursor.copy(statement) as copy:
                for part in parts:
                    with part.open("rb") as stream:
                        while chunk := stream.read(COPY_CHUNK_BYTES):
                            copy.write(chunk)
            return int(cursor.rowcount)


    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()


class StagingFailedError(RuntimeError):
    """Spark's staging write failed: the COPY is ended, the Spark error re-raised."""


def _parts(folder: Path, kind: str) -> list[Path]:
    return sorted((folder / f"kind={kind}").glob("part-*"))


def _committed_task_parts(folder: Path, kind: str) -> list[Path]:
    try:
        return sorted(folder.glob(f"_temporary/*/task_*/kind={kind}/part-*"))
    except FileNotFoundError:  # the job commit removed _temporary while we looked: the
        return []  # parts not sent yet are sent from the final folder after the job


def _send_parts(copy: Any, parts: list[Path], sent: set[str]) -> None:
    for part in parts:
        if part.name in sent:
            continue
        try:
            stream = part.open("rb")
        except FileNotFoundError:  # moved by the job commit: sent from the final folder
            continue
        with stream:
            while chunk := stream.read(COPY_CHUNK_BYTES):
                copy.write(chunk)
        sent.add(part.name)


_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*()/=\-]*)?$")


def redshift_copy_sql(table: str, columns: Iterable[str], s3_prefix: str, iam_role: str) -> str:
    """Redshift's COPY takes no bind parameters: the S3 prefix (made by this job, never
    from a file or key) and the role are validated against strict patterns first."""
    if not _S3_URI.match(s3_prefix):
        raise ValueError(f"unsafe S3 prefix for COPY: {s3_prefix!r}")
    if not IAM_ROLE_ARN.match(iam_role):
        raise ValueError(f"not an IAM role ARN: {iam_role!r}")
    return (
        f"copy {table} ({', '.join(columns)}) from '{s3_prefix}' iam_role '{iam_role}' "
        "format as csv emptyasnull timeformat 'auto' dateformat 'auto'"
    )


class RedshiftTarget(_NamedQueries):
    """A redshift_connector connection in one transaction; COPY from the S3 temp dir.

    Not exercised against a real Redshift here (no AWS): its SQL text is unit-tested,
    and the decision logic it serves is the same one the PostgreSQL tests run.
    """

    def __init__(
        self,
        connection: Any,
        *,
        temp_uri: str,
        iam_role: str,
        list_prefix: Callable[[str], bool],
    ) -> None:
        self.connection = connection
        self.cursor = connection.cursor()
        self.temp_uri = temp_uri.rstrip("/") + "/"
        self.iam_role = iam_role
        self.prefix_has_objects = list_prefix

    def _execute(self, statement: str, params: tuple[Any, ...] = ()) -> Any:
        self.cursor.execute(statement, params if params else None)
        return self.cursor

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self._execute(sql, params).fetchall())

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._execute(sql, params)

    def lock_key(self, key: str) -> None:
        # Redshift has no advisory locks: the table lock serialises landings.
        self._execute("lock \"raw\".landed_files")

    def current_version(self, key: str) -> CurrentVersion | None:
        row = self._execute(_CURRENT_VERSION, (key,)).fetchone()
        return CurrentVersion(int(row[0]), row[1].strip()) if row else None

    def insert_file_row(self, row: FileRow) -> int:
        self._execute(_INSERT_FILE_ROW, _file_row_values(row))
        found = self._execute(
            "select max(file_version_id) from \"raw\".landed_files "
            "where file_key = %s and content_sha256 = %s",
            (row.file_key, row.content_sha256),
        ).fetchone()
        return int(found[0])

    def load(self, lines: DataFrame, file_version_id: int) -> LoadCounts:
        folder = f"{self.temp_uri}landing/{file_version_id}-{uuid.uuid4().hex}"
        stage_text(lines, folder)
        counts = []
        for table, columns, kind in (
            ('"raw".flights_landing', LANDING_COLUMNS, KIND_LANDED),
            ('"raw".flights_rejected', REJECTED_COLUMNS, KIND_REJECTED),
        ):
            prefix = f"{folder}/kind={kind}/part-"
            if not self.prefix_has_objects(prefix):
                counts.append(0)
                continue
            self._execute(redshift_copy_sql(table, columns, prefix, self.iam_role))
            counts.append(int(self._execute("select pg_last_copy_count()").fetchone()[0]))
        return LoadCounts(counts[0], counts[1])

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()
