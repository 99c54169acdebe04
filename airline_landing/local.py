"""Landing on one machine: a folder laid out like the bucket, into the local warehouse.

    land_folder(spark, landing_dir, conninfo, run_id, *, on_file=None) -> LandingReport
    land_scanned(spark, scan, conninfo, run_id, *, on_file=None) -> LandingReport

`landing_dir` plays the bucket root: keys are paths relative to it
('daily_flights/date=2023-11-15/flights.csv'); only *.csv and *.csv.gz keys under `prefix`
(default daily_flights/, see scan.py) are landed; unreadable files are copied to
landing_dir/failed/<key>; the failed/ folder itself is never landed. A symlink (file or
folder) leading outside landing_dir is never followed: it is recorded 'failed' with a
message saying so. `limits` (default: the documented defaults, thresholds.py; the
environment is read at the edge, the CLI or the Glue shell, never here) is when a file's
rejected rows fail it whole. A run walks the folder once (`scan_folder`) and lands that
listing with `land_scanned`; `land_folder` walks it and lands what it found.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
from pyspark.sql import SparkSession

from airline_landing.bounds import BatchBounds
from airline_landing.ddl import RAW_SCHEMA_EXISTS_SQL, raw_tables_ddl
from airline_landing.keys import RefusedSource
from airline_landing.landing import FileResult, LandingReport, land_files
from airline_landing.plausibility import Plausibility
from airline_landing.scan import DEFAULT_PREFIX, FolderScan, scan_folder
from airline_landing.source import FileSource, LocalFile
from airline_landing.targets import PostgresTarget
from airline_landing.thresholds import RejectLimits

DEFAULT_LIMITS = RejectLimits()

FAILED_FOLDER = "failed"

__all__ = [
    "FileResult", "LandingReport", "create_raw_tables", "land_folder", "land_scanned",
    "landing_keys",
]


def landing_keys(landing_dir: Path, prefix: str | None = DEFAULT_PREFIX) -> list[str]:
    """The *.csv and *.csv.gz keys under landing_dir/prefix (outside failed/), sorted."""
    return scan_folder(landing_dir, prefix).keys


def landing_sources(scan: FolderScan) -> list[FileSource]:
    """The files to land, in key order, symlinks after the files (a symlink means its
    target's content: when the target is landed too, the link is its duplicate, never the
    other way round); entries that cannot be landed as refused sources."""
    landing_dir = scan.landing_dir.resolve()
    failed_root = landing_dir / FAILED_FOLDER
    sources: list[FileSource] = [LocalFile(landing_dir, key, failed_root) for key in scan.keys]
    sources += [RefusedSource(key, reason) for key, reason in scan.refused.items()]
    return sorted(
        sources,
        key=lambda source: (isinstance(source, LocalFile) and source.path.is_symlink(),
                            source.key),
    )


def create_raw_tables(connection: psycopg.Connection) -> None:
    """The raw schema and tables (idempotent), from the DDL dbt also runs."""
    with connection.transaction():
        [(schema_exists,)] = connection.execute(RAW_SCHEMA_EXISTS_SQL).fetchall()
        for statement in raw_tables_ddl("postgres", schema_exists=bool(schema_exists)):
            connection.execute(statement)


def land_folder(
    spark: SparkSession | Callable[[], SparkSession],
    landing_dir: Path,
    conninfo: str,
    run_id: str,
    *,
    on_file: Callable[[FileResult], None] | None = None,
    stage_root: Path | None = None,
    limits: RejectLimits = DEFAULT_LIMITS,
    prefix: str | None = DEFAULT_PREFIX,
    bounds: BatchBounds | None = None,
    plausible: Plausibility | None = None,
) -> LandingReport:
    """Land every *.csv and *.csv.gz under landing_dir/prefix into the warehouse at conninfo
    (libpq URL)."""
    landing_dir = Path(landing_dir).resolve()
    if not landing_dir.is_dir():
        raise FileNotFoundError(f"landing folder not found: {landing_dir}")
    return land_scanned(
        spark, scan_folder(landing_dir, prefix), conninfo, run_id, on_file=on_file,
        stage_root=stage_root, limits=limits, bounds=bounds, plausible=plausible,
    )


def land_scanned(
    spark: SparkSession | Callable[[], SparkSession],
    scan: FolderScan,
    conninfo: str,
    run_id: str,
    *,
    on_file: Callable[[FileResult], None] | None = None,
    stage_root: Path | None = None,
    limits: RejectLimits = DEFAULT_LIMITS,
    bounds: BatchBounds | None = None,
    plausible: Plausibility | None = None,
) -> LandingReport:
    """Land the files a scan of the landing folder listed (`scan_folder`: a run's one walk
    of it) into the warehouse at conninfo (libpq URL)."""
    sources = landing_sources(scan)
    with psycopg.connect(conninfo, autocommit=True) as ddl_connection:
        create_raw_tables(ddl_connection)
    with psycopg.connect(conninfo) as connection:
        target = PostgresTarget(connection, stage_root=stage_root)
        return land_files(
            spark,
            sources,
            target,
            run_id,
            on_file=on_file,
            limits=limits,
            bounds=bounds,
            plausible=plausible,
        )

