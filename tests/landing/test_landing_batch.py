"""Batch landing: one Spark job over many files, real Spark and PostgreSQL.

Every row of every file lands exactly once, under its own file version, with its exact
physical line number, whatever the split plan (files cut into many splits, many files
packed into one partition, odd keys, two header layouts in one batch); per file: counts,
reject limits (a file over them lands nothing, the version it would replace stays) and
supersedes; a batch that fails as a whole is landed file by file; bounds cut a run into
batches."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
import pytest
from landing_helpers import HEADER, write

from airline_landing.bounds import BatchBounds, BoundsError, bounds_from
from airline_landing.landing import land_files
from airline_landing.local import land_folder, landing_sources
from airline_landing.scan import scan_folder
from airline_landing.targets import PostgresTarget
from airline_landing.thresholds import RejectLimits

ODD = "daily_flights/date=2023-11-16/100%25 [x] {y} #1 vols été.csv"
OTHER_LAYOUT = "ArrDelay,DepDelay,DestAirportID,OriginAirportID,Carrier,FlightID,FlightDate"


def rows_of(day: str, n: int, tag: str) -> list[str]:
    return [f"{day},AA,{tag}{i},10397,12478,{i % 150},{i % 90}" for i in range(n)]


def expected_lines(path: Path, header: str = HEADER) -> dict[int, str]:
    """line number -> flight id of every data line (the physical numbering)."""
    at = header.split(",").index("FlightID")
    return {
        number: line.split(",")[at]
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if number > 1 and line.strip()
    }


@pytest.fixture
def no_fallback(caplog):
    caplog.set_level(logging.WARNING, logger="airline_landing.landing")
    yield
    assert "one by one" not in caplog.text, "the batch fell back to file-by-file landing"


def test_a_batch_numbers_every_line_of_every_file_exactly(
    spark, raw, landing, connection, monkeypatch, no_fallback
):
    monkeypatch.setattr("airline_landing.lines.GRAIN_BYTES", 4096)  # many splits
    paths = {}
    for number in range(12):  # small files, packed several to a partition
        # Names with glob characters are listed first by Spark: the plan must follow.
        name = "flights [copy] {1}.csv" if number % 5 == 3 else "flights.csv"
        key = f"daily_flights/date=2023-11-{number + 1:02d}/{name}"
        rows = rows_of(f"2023-11-{number + 1:02d}", 3 + number * 7, f"S{number}_")
        paths[key] = write(landing / key, "\r\n".join([HEADER, *rows]) + "\r\n")
    big = "daily_flights/date=2023-11-20/flights.csv"
    big_rows = rows_of("2023-11-20", 3000, "B")
    big_rows[1500] = ""  # a blank line in the middle
    paths[big] = write(landing / big, "\ufeff" + "\n".join([HEADER, *big_rows]) + "\n")
    odd_rows = [",".join(reversed(r.split(","))) for r in rows_of("2023-11-16", 40, "O")]
    paths[ODD] = write(landing / ODD, "\n".join([OTHER_LAYOUT, *odd_rows]) + "\n")

    report = land_folder(spark, landing, connection.url(), "batch-1")
    assert report.files_landed == len(paths) and report.files_failed == 0
    for key, path in paths.items():
        (result,) = [f for f in report.files if f.key == key]
        stored = dict(raw.execute(
            "select source_line_number, flight_id from raw.flights_landing "
            "where file_version_id = %s", (result.file_version_id,)
        ).fetchall())
        assert stored == expected_lines(path, OTHER_LAYOUT if key == ODD else HEADER), key
        assert result.rows_read == result.rows_landed == len(stored)
    assert raw.execute(
        "select count(*) from raw.flights_landing l join raw.landed_files f "
        "using (file_version_id) where l.source_key <> f.file_key"
    ).fetchone() == (0,)


def test_reject_limits_and_supersedes_apply_per_file_in_a_batch(
    spark, raw, landing, connection, no_fallback
):
    keys = [f"daily_flights/date=2023-11-0{day}/flights.csv" for day in (1, 2, 3)]
    write(landing / keys[0], "\n".join([HEADER, *rows_of("2023-11-01", 5, "A")]) + "\n")
    write(landing / keys[1], "\n".join([HEADER, *rows_of("2023-11-02", 5, "B")]) + "\n")
    first = land_folder(spark, landing, connection.url(), "r1")
    assert first.files_landed == 2
    # Run 2: key 0 corrected, key 1 broken (all rows bad), key 2 new; one batch.
    write(landing / keys[0], "\n".join([HEADER, *rows_of("2023-11-04", 3, "A2")]) + "\n")
    bad = [f"2023-11-02,AA,X{i},10397,12478,late,1" for i in range(20)]
    write(landing / keys[1], "\n".join([HEADER, *bad]) + "\n")
    write(landing / keys[2], "\n".join([HEADER, *rows_of("2023-11-03", 4, "C")]) + "\n")
    second = land_folder(spark, landing, connection.url(), "r2")
    by_key = {f.key: f for f in second.files}
    assert (by_key[keys[0]].status, by_key[keys[0]].rows_landed) == ("landed", 3)
    assert [str(d) for d in by_key[keys[0]].flight_dates] == ["2023-11-01", "2023-11-04"]
    failed = by_key[keys[1]]
    assert (failed.status, failed.rows_read, failed.rows_rejected) == ("failed", 20, 20)
    assert "rejected whole" in failed.error and (landing / "failed" / keys[1]).exists()
    assert (by_key[keys[2]].status, by_key[keys[2]].rows_landed) == ("landed", 4)
    statuses = raw.execute(
        "select file_key, status, rows_read, rows_landed, rows_rejected, "
        "replaces_file_version_id is null from raw.landed_files order by file_version_id"
    ).fetchall()
    assert statuses == [
        (keys[0], "superseded", 5, 5, 0, True),
        (keys[1], "landed", 5, 5, 0, True),  # the broken delivery replaced nothing
        (keys[0], "landed", 3, 3, 0, False),
        (keys[1], "failed", 20, 0, 20, True),
        (keys[2], "landed", 4, 4, 0, True),
    ]
    assert raw.execute(
        "select source_key, count(*) from raw.flights_landing group by 1 order by 1"
    ).fetchall() == [(keys[0], 3), (keys[1], 5), (keys[2], 4)]
    assert raw.execute("select count(*) from raw.flights_rejected").fetchone() == (0,)


class CountingTarget(PostgresTarget):
    commits = 0

    def commit(self) -> None:
        type(self).commits += 1
        super().commit()


def test_bounds_cut_a_run_into_batches(spark, raw, landing, connection, no_fallback):
    for day in range(1, 6):
        key = f"daily_flights/date=2023-11-0{day}/flights.csv"
        write(landing / key, "\n".join([HEADER, *rows_of(f"2023-11-0{day}", 4, f"D{day}")]))
    sources = landing_sources(scan_folder(landing))
    with psycopg.connect(connection.url()) as conn:
        CountingTarget.commits = 0
        report = land_files(spark, sources, CountingTarget(conn), "r", limits=RejectLimits(),
                            bounds=BatchBounds(max_files=2))
    assert report.files_landed == 5 and report.rows_landed == 20
    assert CountingTarget.commits == 3  # 2 + 2 + 1 files
    with psycopg.connect(connection.url()) as conn:
        CountingTarget.commits = 0
        land_files(spark, sources[:3], CountingTarget(conn), "r", limits=RejectLimits(),
                   bounds=BatchBounds(max_rows=9))
    # All three are duplicates now: each recorded on its own, nothing batched.
    assert CountingTarget.commits == 3
    assert bounds_from({}) == BatchBounds()
    assert bounds_from({"AIRLINE_ELT_BATCH_FILES": "1"}).max_files == 1
    with pytest.raises(BoundsError):
        bounds_from({"AIRLINE_ELT_BATCH_ROWS": "0"})


class BreaksOnBigBatches(PostgresTarget):
    """A COPY that fails whenever a batch holds more than one file."""

    def load(self, lines, file_version_id):
        if self._batch_files > 1:
            raise RuntimeError("the warehouse went away")
        return super().load(lines, file_version_id)

    def insert_file_row(self, row):
        self._batch_files = getattr(self, "_batch_files", 0) + 1
        return super().insert_file_row(row)

    def rollback(self):
        self._batch_files = 0
        super().rollback()

    def commit(self):
        self._batch_files = 0
        super().commit()


def test_a_failed_batch_lands_its_files_one_by_one(spark, raw, landing, connection, caplog):
    for day in (1, 2, 3):
        key = f"daily_flights/date=2023-11-0{day}/flights.csv"
        write(landing / key, "\n".join([HEADER, *rows_of(f"2023-11-0{day}", 3, f"F{day}")]))
    sources = landing_sources(scan_folder(landing))
    with psycopg.connect(connection.url()) as conn:
        report = land_files(spark, sources, BreaksOnBigBatches(conn), "r",
                            limits=RejectLimits())
    assert "one by one" in caplog.text
    assert [(f.status, f.rows_landed) for f in report.files] == [("landed", 3)] * 3
    assert raw.execute("select count(*) from raw.landed_files").fetchone() == (3,)
    assert raw.execute("select count(*) from raw.flights_landing").fetchone() == (9,)
