"""Every file reaches a final state, on the local path (the Glue job's own tests are in
tests/orchestration/test_glue_job.py): a passing failure is tried again on the next run, up to
MAX_TRIES, then given up with its name and why; a permanent failure is final at once; a given-up
file is put back in line by a redrive; a file re-written between its hashing and Spark's read
fails alone. The faults are injected here, by sources that wrap the product's LocalFile; the
warehouse is the real PostgreSQL and Spark is real."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from landing_helpers import write

from airline_landing.landing import land_files
from airline_landing.local import land_folder
from airline_landing.redrive import UnknownKeyError, redrive, redriven_text
from airline_landing.results import FileStatus
from airline_landing.retries import (
    MAX_TRIES,
    NO_CONTENT_SHA256,
    PastVersion,
    Verdict,
    after_failure,
    final_failure,
    is_passing,
)
from airline_landing.source import LocalFile
from airline_landing.targets import PostgresTarget
from airline_landing.thresholds import OVER_THRESHOLD, RejectLimits

HEADER = "FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate"
KEY = "daily_flights/date=2023-11-15/flights.csv"
OTHER_KEY = "daily_flights/date=2023-11-16/flights.csv"
PASSING = "OSError: [Errno 5] Input/output error [try 1 of 3: tried again on the next run]"


def flights(day: str, count: int) -> str:
    return "\n".join([HEADER, *(f"DL{n},DL,10397,12478,{n},{n},{day}" for n in range(count))])


# -- the policy, on histories as raw.landed_files holds them (newest first) ------------------


def failed(version: int, text: str, sha256: str = "a" * 64) -> PastVersion:
    return PastVersion(version, sha256, "failed", text)


def test_a_passing_failure_is_tried_again_until_the_last_try_gives_it_up() -> None:
    first = after_failure([], "a" * 64, passing=True)
    assert (first.verdict, first.tries, first.final) == (Verdict.TRY_AGAIN, 1, False)
    history = [failed(2, PASSING), failed(1, PASSING)]
    last = after_failure(history, "a" * 64, passing=True)
    assert (last.verdict, last.tries, last.final) == (Verdict.GIVEN_UP, MAX_TRIES, True)
    assert "given up after 3 tries" in last.note(KEY) and f"airline-elt redrive {KEY}" in last.note(
        KEY
    )


def test_a_permanent_failure_is_final_at_once_whatever_came_before() -> None:
    outcome = after_failure([failed(1, PASSING)], "a" * 64, passing=False)
    assert (outcome.verdict, outcome.final, outcome.note(KEY)) == (Verdict.PERMANENT, True, "")


def test_tries_count_only_passing_failures_of_this_content_since_it_last_landed() -> None:
    landed = PastVersion(1, "b" * 64, "landed", "")
    unread = failed(3, PASSING, NO_CONTENT_SHA256)  # failed before its bytes were read
    history = [failed(4, PASSING), unread, failed(2, PASSING, "c" * 64), landed]
    assert after_failure(history, "a" * 64, passing=True).tries == 3  # 4, 3 and this one
    assert final_failure(history, "a" * 64) is None  # two tries so far: try it
    given_up = final_failure([failed(5, PASSING), *history], "a" * 64)
    assert given_up is not None and given_up.verdict == Verdict.GIVEN_UP
    assert given_up.file_version_id == 5 and "given up" in given_up.message()


def test_a_redrive_forgets_the_failures_before_it() -> None:
    given_up = [failed(3, PASSING), failed(2, PASSING), failed(1, PASSING)]
    assert final_failure(given_up, "a" * 64) is not None
    redriven = redriven_text(PASSING, by="ops", now="2023-11-16T00:00:00Z")
    assert redriven.endswith(" [redriven: 2023-11-16T00:00:00Z by ops]")
    history = [failed(3, redriven), failed(2, PASSING), failed(1, PASSING)]
    assert final_failure(history, "a" * 64) is None
    assert after_failure(history, "a" * 64, passing=True).tries == 1
    assert len(redriven_text("x" * 5000, by="ops", now="now")) == 4096  # fits error_text


def test_the_same_bytes_as_a_permanent_failure_repeat_it_unless_the_limits_now_let_it_in() -> None:
    unreadable = [failed(1, "not UTF-8 text: undecodable byte at offset 3")]
    repeat = final_failure(unreadable, "a" * 64)
    assert repeat is not None and repeat.verdict == Verdict.PERMANENT
    assert final_failure(unreadable, "d" * 64) is None  # new bytes: tried
    over = [failed(1, f"rejected whole ({OVER_THRESHOLD}): 60 of 100 rows rejected")]
    assert final_failure(over, "a" * 64, RejectLimits(0.05, 10)) is not None
    assert final_failure(over, "a" * 64, RejectLimits(0.9, 100)) is None


# -- the local path, with faults injected from here ------------------------------------------


@dataclass(frozen=True)
class _LocalFileWithAFault:
    """A LocalFile as the landing sees it, but for `chunks`, where a subclass puts its fault."""

    file: LocalFile

    @property
    def key(self) -> str:
        return self.file.key

    def chunks(self) -> Iterator[bytes]:
        yield from self.file.chunks()

    def spark_path(self) -> str:
        return self.file.spark_path()

    def copy_to_failed(self) -> str:
        return self.file.copy_to_failed()

    def changed_since_read(self) -> str | None:
        return self.file.changed_since_read()


@dataclass(frozen=True)
class UnreadableAtFirst(_LocalFileWithAFault):
    """A LocalFile whose first `failures` reads fail with an I/O error (a flaky disk or
    share): a passing failure."""

    failures: list[int] = field(default_factory=lambda: [0])

    def chunks(self) -> Iterator[bytes]:
        if self.failures[0] > 0:
            self.failures[0] -= 1
            raise OSError(5, "Input/output error")
        yield from self.file.chunks()


@dataclass(frozen=True)
class RewrittenAfterHashing(_LocalFileWithAFault):
    """A LocalFile re-delivered with other rows right after it was hashed, before Spark
    reads it."""

    new_text: str = ""

    def chunks(self) -> Iterator[bytes]:
        yield from self.file.chunks()
        self.file.path.write_text(self.new_text)


@dataclass(frozen=True)
class ExhaustsSparkMemory(_LocalFileWithAFault):
    """A LocalFile on which Spark's JVM throws a real java.lang.OutOfMemoryError (an array
    over the VM's limit: thrown at once, no memory taken, the session lives on)."""

    session: object = None

    def spark_path(self) -> str:
        jvm = self.session._jvm  # type: ignore[attr-defined]
        jvm.java.util.Arrays.copyOf(bytearray(b"x"), 2**31 - 1)
        return self.file.spark_path()


def land(spark, conninfo: str, sources, run_id: str):  # type: ignore[no-untyped-def]
    with psycopg.connect(conninfo) as conn:
        return land_files(spark, sources, PostgresTarget(conn), run_id, limits=RejectLimits())


def test_a_file_unreadable_once_is_tried_again_on_the_next_run_and_lands(
    spark, raw, connection, landing: Path
) -> None:
    write(landing / KEY, flights("2023-11-15", 3))
    flaky = UnreadableAtFirst(LocalFile(landing, KEY, landing / "failed"), [1])
    [first] = land(spark, connection.url(), [flaky], "run-1").files
    assert (first.status, first.final) == (FileStatus.FAILED, False)
    assert first.error is not None and first.error.startswith("OSError: [Errno 5]")
    assert "try 1 of 3: tried again on the next run" in first.error
    assert not (landing / "failed").exists()  # not set aside while it is still to be tried

    [second] = land(spark, connection.url(), [flaky], "run-2").files
    assert (second.status, second.rows_landed, second.final) == (FileStatus.LANDED, 3, True)


def test_a_file_that_keeps_failing_is_given_up_named_then_redriven(
    spark, raw, connection, landing: Path
) -> None:
    write(landing / KEY, flights("2023-11-15", 2))
    flaky = UnreadableAtFirst(LocalFile(landing, KEY, landing / "failed"), [MAX_TRIES])
    results = [
        land(spark, connection.url(), [flaky], f"run-{n}").files[0]
        for n in range(1, MAX_TRIES + 1)
    ]
    assert [r.final for r in results] == [False] * (MAX_TRIES - 1) + [True]
    given_up = results[-1]
    assert given_up.status == FileStatus.FAILED and given_up.key == KEY
    assert f"given up after {MAX_TRIES} tries" in (given_up.error or "")
    assert f"(copied to {landing / 'failed' / KEY})" in (given_up.error or "")

    # The disk is fine again, but the file stays given up: the same bytes repeat the failure.
    report = land_folder(spark, landing, connection.url(), "r4")
    [repeat] = report.files
    assert repeat.status == FileStatus.DUPLICATE and "given up" in (repeat.error or "")

    with psycopg.connect(connection.url()) as conn, conn.cursor() as cur:
        with pytest.raises(UnknownKeyError, match=r"nothing to redrive: 'daily_flights/typo\.csv'"):
            redrive(cur, ["daily_flights/typo.csv"], by="test", now="2023-11-16T00:00:00Z")
        assert redrive(cur, [KEY], by="test", now="2023-11-16T00:00:00Z") == [KEY]
    [back] = land_folder(spark, landing, connection.url(), "r5").files
    assert (back.status, back.rows_landed) == (FileStatus.LANDED, 2)


def test_a_permanent_failure_is_final_at_once_and_not_tried_again(
    spark, raw, connection, landing
) -> None:
    write(landing / KEY, "Carrier,Origin\nDL,ATL\n")  # required columns missing
    [first] = land_folder(spark, landing, connection.url(), "run-1").files
    assert (first.status, first.final) == (FileStatus.FAILED, True)
    assert "try" not in (first.error or "") and "required column(s) missing" in (first.error or "")
    [again] = land_folder(spark, landing, connection.url(), "run-2").files
    assert again.status == FileStatus.DUPLICATE and "not tried again" in (again.error or "")


def test_a_file_rewritten_between_hashing_and_sparks_read_fails_alone(
    spark, raw, connection, landing: Path
) -> None:
    write(landing / KEY, flights("2023-11-15", 2))
    write(landing / OTHER_KEY, flights("2023-11-16", 4))
    rewritten = RewrittenAfterHashing(
        LocalFile(landing, KEY, landing / "failed"), flights("2023-11-15", 9)
    )
    other_file = LocalFile(landing, OTHER_KEY, landing / "failed")
    report = land(spark, connection.url(), [rewritten, other_file], "r1")
    changed, other = report.files
    assert (other.status, other.rows_landed) == (FileStatus.LANDED, 4)  # its batch went on
    assert (changed.status, changed.final) == (FileStatus.FAILED, False)
    assert (changed.error or "").startswith(f"ObjectChangedError: {KEY} changed while")
    assert raw.execute(
        "select count(*) from raw.flights_landing where source_key = %s", (KEY,)
    ).fetchone() == (0,)  # no row of bytes that were not hashed

    # The next run hashes the new bytes and lands them.
    again = LocalFile(landing, KEY, landing / "failed")
    [landed] = land(spark, connection.url(), [again], "r2").files
    assert (landed.status, landed.rows_landed) == (FileStatus.LANDED, 9)


def test_out_of_memory_on_a_file_is_reported_as_such_and_final(
    spark, raw, connection, landing: Path
) -> None:
    write(landing / KEY, flights("2023-11-15", 3))
    local = LocalFile(landing, KEY, landing / "failed")
    (result,) = land(spark, connection.url(), [ExhaustsSparkMemory(local, spark)], "r1").files
    assert result.status == FileStatus.FAILED and result.final
    assert result.error.startswith("out of memory: Spark's JVM ran out of memory")
    assert "java.lang.OutOfMemoryError" in result.error
    assert not is_passing(result.error)  # not tried again on every run
    assert (landing / "failed" / KEY).exists()  # final: set aside at once
    (again,) = land(spark, connection.url(), [local], "r2").files
    assert again.status == FileStatus.DUPLICATE
    assert f"same content as failed version {result.file_version_id}" in again.error
