"""Hostile `*.csv.gz` deliveries: each fails whole with a reason saying what is wrong with the
gzip or the CSV inside it, is copied to failed/<key> byte for byte, and the good files beside
them (a plain CSV and a gzip one) still land. One folder holds every case, landed once for the
module; a second run finds every failure final (the same bytes are its duplicate)."""

from __future__ import annotations

import gzip

import psycopg
import pytest
from bad_input_helpers import DAY, HEADER, csv_bytes, empty_raw, file_row, good_rows, write

from airline_landing.local import land_folder
from airline_landing.retries import is_passing

GOOD = gzip.compress(csv_bytes(good_rows(30)), mtime=0)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
# One member of 64 MiB of a single character, 100 times: ~6.5 MB stored, 6.25 GiB inflated.
BOMB = gzip.compress(f"{HEADER}\n".encode(), mtime=0) + gzip.compress(
    b"7" * (64 << 20), mtime=0
) * 100
# (case id, file name, bytes, words of the failure message)
CASES = [
    ("truncated", "cut.csv.gz", GOOD[: len(GOOD) // 2],
     "truncated gzip: the file ends before the end of its compressed data"),
    ("bad_crc", "crc.csv.gz", GOOD[:-8] + b"\0\0\0\0" + GOOD[-4:],
     "corrupt gzip: Error -3 while decompressing data: incorrect data check"),
    ("corrupt_deflate", "scrambled.csv.gz", GOOD[:12] + bytes(range(200, 250)) + GOOD[62:],
     "corrupt gzip: Error -3 while decompressing data"),
    ("trailing_garbage", "tail.csv.gz", GOOD + b"not gzip",
     "corrupt gzip: 1 gzip member(s), then bytes at offset"),
    ("plain_csv_named_gz", "plain.csv.gz", csv_bytes(good_rows(3)),
     "not a gzip file: it does not start with the gzip magic bytes 1f 8b"),
    ("empty", "empty.csv.gz", b"", "not a gzip file: it is empty"),
    ("gzip_of_empty", "nothing.csv.gz", gzip.compress(b"", mtime=0),
     "no header line: the file is empty"),
    ("gzip_of_a_png", "picture.csv.gz", gzip.compress(PNG, mtime=0),
     "not a text file: NUL byte at offset 8"),
    ("gzip_of_json", "export.csv.gz", gzip.compress(b'[{"Carrier": "AA"}]\n', mtime=0),
     "required column(s) missing from the header"),
    ("gzip_of_latin1", "latin1.csv.gz",
     gzip.compress((HEADER + f"\n{DAY},AA,Zürich,10397,12478,5,6\n").encode("latin-1"), mtime=0),
     "not UTF-8 text: undecodable byte at offset"),
    ("gzip_bomb", "bomb.csv.gz", BOMB,
     "over the line length limit: a line longer than 4,194,304 bytes"),
    ("upper_case_gz", "shouting.csv.GZ", GOOD,
     "must end in lowercase '.gz', not '.GZ'"),
]
GOOD_GZ_KEY = f"daily_flights/date={DAY}/flights.csv.gz"
GOOD_CSV_KEY = "daily_flights/date=2023-11-16/flights.csv"


def key_of(name: str) -> str:
    return f"daily_flights/bad/{name}"


@pytest.fixture(scope="module")
def landed(spark, connection, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-gzip")
    for _, name, content, _ in CASES:
        write(folder, key_of(name), content)
    write(folder, GOOD_GZ_KEY, GOOD)
    write(folder, GOOD_CSV_KEY, csv_bytes(good_rows(4, "2023-11-16")))
    with psycopg.connect(connection.url(), autocommit=True) as conn:
        empty_raw(conn)
        first = land_folder(spark, folder, connection.url(), "bad-gzip")
        stored = {f.key: file_row(conn, f.file_version_id) for f in first.files}
        again = land_folder(spark, folder, connection.url(), "bad-gzip-again")
        landed_rows = conn.execute("select count(*) from raw.flights_landing").fetchone()[0]
    return folder, {f.key: f for f in first.files}, stored, again, landed_rows


@pytest.mark.parametrize(("name", "content", "message"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_hostile_gzip_is_failed_with_a_clear_reason_and_kept_aside(
    landed, name, content, message
):
    folder, results, stored, _, _ = landed
    key = key_of(name)
    result = results[key]
    assert result.status == "failed"
    assert message in result.error
    assert f"copied to {folder / 'failed' / key}" in result.error
    assert (folder / "failed" / key).read_bytes() == content  # kept aside, byte for byte
    assert stored[key][:5] == (key, "failed", 0, 0, 0)
    assert result.final and not is_passing(result.error)  # about the bytes: not tried again


def test_the_good_files_beside_them_land_and_the_counts_add_up(landed):
    _, results, _, _, landed_rows = landed
    assert len(results) == len(CASES) + 2
    gz, plain = results[GOOD_GZ_KEY], results[GOOD_CSV_KEY]
    assert (gz.status, gz.rows_read, gz.rows_landed, gz.rows_rejected) == ("landed", 30, 30, 0)
    assert (plain.status, plain.rows_read, plain.rows_landed) == ("landed", 4, 4)
    assert landed_rows == 34  # nothing from a failed file, nothing twice


def test_the_same_hostile_bytes_again_are_duplicates_of_their_failures(landed):
    _, results, _, again, landed_rows = landed
    statuses = {f.key: f.status for f in again.files}
    assert statuses == dict.fromkeys(results, "duplicate")
    for _, name, _, message in CASES:
        assert message in next(f.error for f in again.files if f.key == key_of(name))
    assert landed_rows == 34
