"""Helpers shared by the landing tests: run the pure pipeline on a text, count warehouse rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from airline_landing import parse
from airline_landing.columns import resolve_columns, split_header
from airline_landing.landing import land_files
from airline_landing.lines import split_conf
from airline_landing.results import FileResult
from airline_landing.source import FileSource, LocalFile, inspect_file
from airline_landing.targets import LandingTarget
from airline_landing.thresholds import RejectLimits

HEADER = "FlightDate,Carrier,FlightID,OriginAirportID,DestAirportID,DepDelay,ArrDelay"


def numbered_lines(
    spark, path: Path, grain: int | None = None, split_bytes: int | None = None
) -> list[tuple[int, str]]:
    """(line_number, line) of every physical line, numbered as landing numbers them."""
    source = LocalFile(path.parent, path.name, path.parent / "failed")
    facts = inspect_file(source.chunks(), grain)
    split_bytes = split_bytes or facts.lines.split_bytes(spark.sparkContext.defaultParallelism)
    with parse.spark_conf(spark, split_conf(split_bytes)):
        lines = parse.read_lines(spark, source.spark_path())
        numbered = parse.number_lines(lines, facts.lines.first_lines(split_bytes))
        return sorted((row.line_number, row.line) for row in numbered.collect())


def land_file(
    spark,
    source: FileSource,
    target: LandingTarget,
    run_id: str,
    limits: RejectLimits | None = None,
) -> FileResult:
    """One file as a batch of its own."""
    return land_files(spark, [source], target, run_id, limits=limits or RejectLimits()).files[0]


def parse_file(
    spark,
    path: Path,
    key_date: date | None = None,
    grain: int | None = None,
    **rules,
) -> list[dict]:
    """The parsed rows of a file (line_number order), through the same functions landing uses."""
    source = LocalFile(path.parent, path.name, path.parent / "failed")
    facts = inspect_file(source.chunks(), grain)
    assert facts.problem is None, facts.problem
    columns = resolve_columns(split_header(facts.header_line or ""))
    split_bytes = facts.lines.split_bytes(spark.sparkContext.defaultParallelism)
    with parse.spark_conf(spark, split_conf(split_bytes)):
        lines = parse.read_lines(spark, source.spark_path())
        numbered = parse.number_lines(lines, facts.lines.first_lines(split_bytes))
        parsed = parse.parse_rows(
            parse.data_lines(numbered), columns, key_date, **rules
        )
        rows = [row.asDict() for row in parsed.orderBy("line_number").collect()]
    assert len(rows) == max(facts.lines.nonblank_lines - 1, 0)
    return rows


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def counts(db, key: str) -> dict[str, int]:
    """Rows in the three raw tables for one key (landing/rejects: current versions only)."""
    landed = db.execute(
        "select count(*) from raw.flights_landing where source_key = %s", (key,)
    ).fetchone()[0]
    rejected = db.execute(
        "select count(*) from raw.flights_rejected where source_key = %s", (key,)
    ).fetchone()[0]
    files = db.execute(
        "select count(*) from raw.landed_files where file_key = %s", (key,)
    ).fetchone()[0]
    return {"landed": landed, "rejected": rejected, "files": files}


def file_rows(db, key: str) -> list[tuple]:
    """(status, rows_read, rows_landed, rows_rejected) of a key's landed_files rows, in order."""
    return db.execute(
        "select status, rows_read, rows_landed, rows_rejected from raw.landed_files "
        "where file_key = %s order by file_version_id",
        (key,),
    ).fetchall()
