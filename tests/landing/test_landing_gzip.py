"""Gzip deliveries (`*.csv.gz`) land through the same code as CSVs: the stream reader and the
first look without Spark, then real Spark and the real warehouse (issue 22).

The hash and the duplicate/replacement rules work on the stored (compressed) bytes; the UTF-8
check, the header, the file limits and the line count on the decompressed CSV; Spark reads a
gzip file as one split, and every line number (in reject reasons too) is the CSV's own.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from datetime import date
from pathlib import Path

import pytest
from bts_shaped import BtsFlight, bts_file, bts_line
from landing_helpers import HEADER, counts, file_rows, write

from airline_landing.batch import BatchFile, plan_partitions
from airline_landing.compression import GzipError, gunzip, gzip_key_problem, is_gzip_key
from airline_landing.dates import flight_date_from_key
from airline_landing.file_limits import FileLimits
from airline_landing.lines import LineCounter
from airline_landing.local import land_folder
from airline_landing.scan import is_landing_key, scan_folder, skip_reason
from airline_landing.source import inspect_file

DAY_KEY = "daily_flights/date=2023-11-15/flights.csv"


def day_rows(n: int, day: str = "2023-11-15", start: int = 0) -> list[str]:
    return [f"{day},AA,AA{i},10397,12478,{i % 120},{i % 90}" for i in range(start, start + n)]


def csv_bytes(rows: list[str], header: str = HEADER, end: str = "\n") -> bytes:
    return (end.join([header, *rows]) + end).encode("utf-8")


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def land(spark, landing: Path, connection, run_id: str = "run-1"):
    return land_folder(spark, landing, connection.url(), run_id)


# --- the stream reader ---------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 2, 5, 64, 1 << 20])
@pytest.mark.parametrize("piece", [1, 3, 1 << 20])
def test_gunzip_reads_every_member_whatever_the_chunking(chunk: int, piece: int) -> None:
    first = csv_bytes(day_rows(40))
    second = b"".join(f"{row}\n".encode() for row in day_rows(7, start=40))
    stored = gzip.compress(first) + gzip.compress(second)  # `cat a.gz b.gz`
    pieces = list(gunzip(chunked(stored, chunk), piece))
    assert b"".join(pieces) == first + second
    assert max(map(len, pieces)) <= piece


def test_gunzip_hands_a_bomb_back_in_bounded_pieces() -> None:
    bomb = gzip.compress(b"a" * (64 << 20))
    assert len(bomb) < (128 << 10)  # ~500:1
    pieces = gunzip([bomb], 1 << 20)
    assert len(next(pieces)) <= 1 << 20  # memory stays at one piece, not 64 MiB


GOOD = gzip.compress(csv_bytes(day_rows(30)), mtime=0)  # the same bytes in every xdist worker


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        (GOOD[:-6], "truncated gzip: the file ends before the end of its compressed data"),
        (GOOD[:12], "truncated gzip"),
        (GOOD[:-8] + b"\0\0\0\0" + GOOD[-4:], "corrupt gzip: Error -3 while decompressing data: "
         "incorrect data check"),
        (GOOD[:-4] + b"\xff\xff\xff\x7f", "corrupt gzip"),  # the length check
        (GOOD + b"junk", "then bytes at offset"),
        (csv_bytes(day_rows(3)), "not a gzip file: it does not start with the gzip magic"),
        (b"", "not a gzip file: it is empty"),
    ],
)
def test_gunzip_names_what_is_wrong_with_a_stream(stored: bytes, message: str) -> None:
    with pytest.raises(GzipError) as error:
        b"".join(gunzip(chunked(stored, 7)))
    assert message in str(error.value)


# --- the first look ---------------------------------------------------------------------------


def test_the_first_look_hashes_the_stored_bytes_and_counts_the_csv_lines() -> None:
    text = "\ufeff".encode() + csv_bytes(day_rows(9), end="\r\n") + b"\r\n  \r\n"
    stored = gzip.compress(text)
    facts = inspect_file(iter(chunked(stored, 10)), grain=16, gzip=True)
    plain = inspect_file(iter([text]), grain=16)
    assert facts.problem is None and facts.header_line == HEADER
    assert (facts.sha256, facts.size) == (hashlib.sha256(stored).hexdigest(), len(stored))
    assert facts.lines == plain.lines  # lines of the decompressed CSV, as Spark reads them
    assert (facts.lines.lines, facts.lines.nonblank_lines) == (12, 10)


LIMITS = FileLimits(max_file_bytes=40, max_line_bytes=8, max_header_chars=5)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (b"Carr\n" + b"1234\n" * 7, None),  # exactly 40 decompressed bytes: at the limit
        (b"Carr\n" + b"1234\n" * 8, "more than 40 bytes once decompressed (a gzip bomb?)"),
        (b"Carr\n1\n123456789\n", "a line longer than 8 bytes (it starts at byte offset 7)"),
        (b"Carrier\n1\n", "the header line is longer than 5 characters"),
        (b"Carr\n\x00\x01", "not a text file: NUL byte at offset 5"),
        (b"Carr\n\xff\n", "not UTF-8 text: undecodable byte at offset 5"),
    ],
)
def test_the_file_limits_apply_to_the_decompressed_bytes(text: bytes, problem: str | None) -> None:
    stored = gzip.compress(text)
    assert len(stored) <= LIMITS.max_file_bytes or problem is None or "bomb" not in problem
    facts = inspect_file(iter(chunked(stored, 3)), limits=LIMITS, gzip=True)
    if problem is None:
        assert facts.problem is None
    else:
        assert facts.problem is not None and problem in facts.problem
        assert facts.sha256 == hashlib.sha256(stored).hexdigest()  # hashed whole all the same


def test_a_bomb_stops_at_the_first_limit_it_passes() -> None:
    """~8 MB stored, 12.5 GiB of one line decompressed (200 members of 64 MiB each): the look
    stops at the 4 MiB line limit instead of inflating it all (minutes, and the disk's worth)."""
    member = gzip.compress(b"7" * (64 << 20))
    stored = gzip.compress(b"FlightDate\n") + member * 200
    started = time.monotonic()
    facts = inspect_file(iter(chunked(stored, 1 << 20)), gzip=True)
    assert facts.problem is not None and "over the line length limit" in facts.problem
    assert facts.size == len(stored) and facts.sha256 == hashlib.sha256(stored).hexdigest()
    assert time.monotonic() - started < 20


# --- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "lands"),
    [
        ("daily_flights/date=2023-11-15/flights.csv.gz", True),
        ("daily_flights/flights_20231115.CSV.gz", True),
        ("daily_flights/2023-11-15.csv.GZ", True),  # a delivery, failed with why (not garbage)
        ("daily_flights/notes.txt.gz", False),
        ("daily_flights/flights.gz", False),
        ("daily_flights/.flights.csv.gz", False),
        ("failed/daily_flights/flights.csv.gz", False),
    ],
)
def test_which_gzip_keys_are_deliveries(key: str, lands: bool) -> None:
    assert is_landing_key(key) is lands


def test_a_gz_that_is_not_a_csv_keeps_a_hint_and_csv_gz_is_listed(tmp_path: Path) -> None:
    write(tmp_path / "daily_flights/notes.txt.gz", gzip.compress(b"hello"))
    write(tmp_path / "daily_flights/date=2023-11-15/flights.csv.gz", GOOD)
    scan = scan_folder(tmp_path)
    assert scan.keys == ["daily_flights/date=2023-11-15/flights.csv.gz"]
    assert scan.skipped == {"daily_flights/notes.txt.gz": skip_reason("daily_flights/notes.txt.gz")}
    assert "only a gzip-compressed CSV named *.csv.gz lands" in scan.skipped[
        "daily_flights/notes.txt.gz"
    ]


@pytest.mark.parametrize(
    ("key", "day"),
    [
        ("daily_flights/date=2023-11-15/flights.csv.gz", date(2023, 11, 15)),
        ("daily_flights/flights_20231116.csv.gz", date(2023, 11, 16)),
        ("daily_flights/FLIGHTS_20231116.CSV.GZ", date(2023, 11, 16)),
        ("daily_flights/2023-11-17.csv.gz", date(2023, 11, 17)),
        ("daily_flights/bts_ontime_2013_01.csv.gz", None),
        ("daily_flights/2023-11-17.txt.gz", None),
    ],
)
def test_gzip_keys_name_their_date_like_csv_keys(key: str, day: date | None) -> None:
    assert flight_date_from_key(key) == day


def test_only_a_lowercase_gz_extension_is_read_as_gzip_by_spark() -> None:
    assert is_gzip_key("a.csv.GZ") and is_gzip_key("a.csv.gz")
    assert gzip_key_problem("daily_flights/a.CSV.gz") is None
    problem = gzip_key_problem("daily_flights/x/a.csv.GZ")
    assert problem is not None and "rename it to a.csv.gz" in problem


def test_a_gzip_file_is_planned_as_one_split_of_its_stored_size() -> None:
    """Spark does not split a gzip file: one split from 0, all its lines, however big."""
    counter = LineCounter(grain=16)
    counter.update(b"h\n" + b"1234567\n" * 40)  # 322 decompressed bytes: 20 grains
    lines = counter.finish()
    gz = BatchFile("a.csv.gz", "file:///a.csv.gz", 1, 100, lines, None, splittable=False)
    plain = BatchFile("b.csv", "file:///b.csv", 2, lines.size, lines, None)
    plan = plan_partitions([gz, plain], 64)
    gz_splits = [s for s in plan if s.file == 0]
    assert [(s.start, s.rows, s.first_line) for s in gz_splits] == [(0, 41, 0)]
    assert sum(s.rows for s in plan if s.file == 1) == 41 and len(plan) == 1 + 6


# --- landing with Spark into the warehouse --------------------------------------------------


def _landed_rows(db, key: str) -> list[tuple]:
    return db.execute(
        "select source_line_number, flight_id, flight_date, dep_delay, arr_delay "
        "from raw.flights_landing where source_key = %s order by 1",
        (key,),
    ).fetchall()


def _rejects(db, key: str) -> list[tuple]:
    return db.execute(
        "select source_line_number, reason_code, raw_line from raw.flights_rejected "
        "where source_key = %s order by 1",
        (key,),
    ).fetchall()


def test_a_gz_and_its_csv_land_the_same_rows_with_the_true_line_numbers(
    spark, raw, landing, connection
) -> None:
    """A CSV of ~1.3 MiB (two 1 MiB splits) and the same CSV gzipped (one split, its stored
    size a fraction of one) in one batch: the same rows, the same rejects at the same CSV lines
    (deep into the file, past where a split of the compressed bytes would end)."""
    rows = day_rows(30_000)
    for line in (2, 25_001, 29_999):  # data row i is CSV line i + 2
        rows[line - 2] = rows[line - 2].replace(",10397,", ",not-an-id,")
    text = csv_bytes(rows, end="\r\n")
    csv_key, gz_key = "daily_flights/flights_20231115.csv", "daily_flights/2023-11-15.csv.gz"
    write(landing / csv_key, text)
    write(landing / gz_key, gzip.compress(text))
    report = land(spark, landing, connection)
    assert [(f.key, f.status, f.rows_read, f.rows_landed, f.rows_rejected) for f in report.files] \
        == [(gz_key, "landed", 30_000, 29_997, 3), (csv_key, "landed", 30_000, 29_997, 3)]
    assert _landed_rows(raw, gz_key) == _landed_rows(raw, csv_key)
    assert len(text) > 1 << 20  # more than one split of the CSV
    assert [r[0] for r in _rejects(raw, gz_key)] == [2, 25_001, 29_999]
    assert _rejects(raw, gz_key) == _rejects(raw, csv_key)
    stored = raw.execute(
        "select file_bytes, content_sha256 from raw.landed_files where file_key = %s", (gz_key,)
    ).fetchone()
    gz_bytes = (landing / gz_key).read_bytes()
    assert stored == (len(gz_bytes), hashlib.sha256(gz_bytes).hexdigest())


def test_concatenated_members_land_whole_and_blank_lines_keep_their_numbers(
    spark, raw, landing, connection
) -> None:
    first = csv_bytes(day_rows(3))
    second = b"\n" + "\n".join([*day_rows(2, start=3), "2023-11-15,AA,AA9,x,12478,1,1"]).encode()
    key = "daily_flights/date=2023-11-15/flights.csv.gz"
    write(landing / key, gzip.compress(first) + gzip.compress(second))
    (result,) = land(spark, landing, connection).files
    assert (result.status, result.rows_read, result.rows_landed, result.rows_rejected) == (
        "landed", 6, 5, 1
    )
    assert [r[0] for r in _landed_rows(raw, key)] == [2, 3, 4, 6, 7]  # line 5 is blank
    assert [r[:2] for r in _rejects(raw, key)] == [(8, "bad_origin_airport_id")]


def test_the_same_gz_bytes_under_two_names_count_once(spark, raw, landing, connection) -> None:
    stored = gzip.compress(csv_bytes(day_rows(4)))
    one, two = "daily_flights/flights_20231115.csv.gz", "daily_flights/2023-11-15.csv.gz"
    write(landing / one, stored)
    write(landing / two, stored)
    statuses = {f.key: f.status for f in land(spark, landing, connection).files}
    assert statuses == {two: "landed", one: "duplicate"}
    assert counts(raw, two) == {"landed": 4, "rejected": 0, "files": 1}
    assert counts(raw, one) == {"landed": 0, "rejected": 0, "files": 1}
    # Landed again: both are duplicates, nothing lands twice.
    again = land(spark, landing, connection, run_id="run-2")
    assert {f.status for f in again.files} == {"duplicate"}
    assert raw.execute("select count(*) from raw.flights_landing").fetchone()[0] == 4


def test_a_revised_gz_under_the_same_key_replaces_its_dates(
    spark, raw, landing, connection
) -> None:
    key = "daily_flights/date=2023-11-15/flights.csv.gz"
    write(landing / key, gzip.compress(csv_bytes(day_rows(3, "2023-11-14"))))
    land(spark, landing, connection)
    write(landing / key, gzip.compress(csv_bytes(day_rows(5, "2023-11-15"))))
    (result,) = land(spark, landing, connection, run_id="run-2").files
    assert [str(d) for d in result.flight_dates] == ["2023-11-14", "2023-11-15"]
    assert file_rows(raw, key) == [("superseded", 3, 3, 0), ("landed", 5, 5, 0)]
    assert {r[2] for r in _landed_rows(raw, key)} == {date(2023, 11, 15)}


def test_key_forms_without_a_flightdate_column_take_the_date_of_the_key(
    spark, raw, landing, connection
) -> None:
    header = "Carrier,FlightID,OriginAirportID,DestAirportID,DepDelay,ArrDelay"
    text = ("\n".join([header, "AA,AA1,10397,12478,70,65", "DL,DL2,10397,12478,3,4"]) + "\n")
    keys = {
        "daily_flights/date=2023-11-15/flights.csv.gz": date(2023, 11, 15),
        "daily_flights/flights_20231116.csv.gz": date(2023, 11, 16),
        "daily_flights/2023-11-17.csv.gz": date(2023, 11, 17),
    }
    for key in keys:
        write(landing / key, gzip.compress(text.encode()))
    report = land(spark, landing, connection)
    assert {f.key: f.status for f in report.files} == dict.fromkeys(keys, "landed")
    for key, day in keys.items():
        assert {r[2] for r in _landed_rows(raw, key)} == {day}


def test_a_bts_month_gz_under_any_name_takes_its_dates_from_its_rows(
    spark, raw, landing, connection
) -> None:
    flights = [
        BtsFlight(f"2013-01-{day:02d}", "AA", day, 10397, 12478, day * 10, day * 9)
        for day in range(1, 6)
    ]
    key = "daily_flights/bts_ontime_2013_01.csv.gz"
    write(landing / key, gzip.compress(bts_file([bts_line(f) for f in flights])))
    (result,) = land(spark, landing, connection).files
    assert (result.status, result.rows_landed, result.rows_rejected) == ("landed", 5, 0)
    assert [str(d) for d in result.flight_dates] == [f"2013-01-0{d}" for d in range(1, 6)]
    causes = raw.execute(
        "select count(carrier_delay) from raw.flights_landing where source_key = %s", (key,)
    ).fetchone()[0]
    assert causes == 4  # BTS causes land from a gz as from its CSV (flights 15+ min late)
