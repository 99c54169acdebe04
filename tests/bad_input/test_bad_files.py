"""Files that cannot be landed at all: each is failed whole with a message naming the
file and what is wrong, copied to failed/<key>, and the good file beside it still lands.
One folder holds every case and is landed once for the module."""

from __future__ import annotations

import gzip
import json

import psycopg
import pytest
from bad_input_helpers import DAY, HEADER, csv_bytes, empty_raw, file_row, good_rows, write

from airline_landing.local import land_folder
from airline_landing.retries import is_passing

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
LATIN1 = (HEADER + f"\n{DAY},AA,AA1,10397,12478,5,6\n{DAY},AA,Zürich,10397,12478,5,6\n").encode(
    "latin-1"
)
JSON = json.dumps([{"Carrier": "AA", "OriginAirportID": 10397}]).encode()
# (case id, file name, bytes, words of the failure message)
CASES = [
    ("zero_bytes", "zero.csv", b"", "no header line: the file is empty"),
    ("blank_first_line", "blank.csv", b"\n" + csv_bytes(good_rows(1)), "first line is blank"),
    ("missing_required_column", "nodelay.csv",
     csv_bytes(["AA,AA1,10397,12478,5"], header="Carrier,FlightID,OriginAirportID,DestAirportID,"
               "DepDelay"), "required column(s) missing from the header: ArrDelay"),
    ("json_not_csv", "export.csv", JSON, "required column(s) missing"),
    ("png_bytes", "picture.csv", PNG, "not a text file: NUL byte at offset 8"),
    ("latin1_not_utf8", "latin1.csv", LATIN1, "not UTF-8 text: undecodable byte at offset"),
    ("utf16", "utf16.csv", csv_bytes(good_rows(1)).decode().encode("utf-16"), "NUL byte"),
    ("gzip_named_csv", "packed.csv", gzip.compress(csv_bytes(good_rows(3)), mtime=0),
     "not a text file: NUL byte at offset 3"),
    ("huge_header_line", "wide.csv", csv_bytes(good_rows(1), header="x" * (1 << 20)),
     "over the header width limit: the header line is longer than 65,536 characters"),
    # 1,001 short columns fit in the header's characters but not in its width in columns.
    ("header_1001_columns", "columns.csv",
     csv_bytes(["1," * 1000 + "1"], header=HEADER + "".join(f",c{i}" for i in range(994))),
     "over the header width limit: 1,001 columns, the limit is 1,000"),
    ("line_over_4_mib", "longline.csv",
     csv_bytes([*good_rows(2), f"{DAY},AA,{'x' * (4 << 20)},10397,12478,5,6"]),
     "over the line length limit: a line longer than 4,194,304 bytes"),
    ("semicolon_separated", "semicolons.csv", csv_bytes(good_rows(2)).replace(b",", b";"),
     "the file is separated by ';', not ','"),
    ("tab_separated", "tabs.csv", csv_bytes(good_rows(2)).replace(b",", b"\t"),
     "the file is separated by tabs, not ','"),
    ("pipe_separated", "pipes.csv", csv_bytes(good_rows(2)).replace(b",", b"|"),
     "the file is separated by '|', not ','"),
]
GOOD_KEY = f"daily_flights/date={DAY}/flights.csv"


def key_of(name: str) -> str:
    return f"daily_flights/bad/{name}"


@pytest.fixture(scope="module")
def landed(spark, connection, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-files")
    for _, name, content, _ in CASES:
        write(folder, key_of(name), content)
    write(folder, GOOD_KEY, csv_bytes(good_rows(4)))
    with psycopg.connect(connection.url(), autocommit=True) as conn:
        empty_raw(conn)
        report = land_folder(spark, folder, connection.url(), "bad-files")
        stored = {f.key: file_row(conn, f.file_version_id) for f in report.files}
    return folder, {f.key: f for f in report.files}, stored


@pytest.mark.parametrize(("name", "content", "message"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_unreadable_file_is_failed_with_a_clear_message_and_kept_aside(
    landed, name, content, message
):
    folder, results, stored = landed
    key = key_of(name)
    result = results[key]
    assert result.status == "failed"
    assert message in result.error
    assert f"copied to {folder / 'failed' / key}" in result.error
    assert (folder / "failed" / key).read_bytes() == content  # kept aside, byte for byte
    assert stored[key][:5] == (key, "failed", 0, 0, 0)
    assert stored[key][5] == result.error


def test_the_good_file_beside_them_lands(landed):
    _, results, _ = landed
    good = results[GOOD_KEY]
    assert (good.status, good.rows_read, good.rows_landed) == ("landed", 4, 4)
    assert len(results) == len(CASES) + 1


def test_header_only_file_is_no_failure(spark, raw, landing, connection):
    write(landing, GOOD_KEY, HEADER.encode())
    (result,) = land_folder(spark, landing, connection.url(), "r").files
    assert (result.status, result.rows_read) == ("landed", 0)


def test_files_not_named_csv_are_not_deliveries(spark, raw, landing, connection):
    write(landing, "daily_flights/notes.json", JSON)
    write(landing, "daily_flights/readme.txt", b"hello")
    write(landing, "daily_flights/UPPER.CSV", csv_bytes(good_rows(1)))
    report = land_folder(spark, landing, connection.url(), "r")
    assert [(f.key, f.status) for f in report.files] == [("daily_flights/UPPER.CSV", "landed")]


def test_the_same_failed_bytes_are_a_duplicate_of_the_failed_version(
    spark, raw, landing, connection
):
    key = key_of("latin1.csv")
    write(landing, key, LATIN1)
    (first,) = land_folder(spark, landing, connection.url(), "r1").files
    (landing / "failed" / key).unlink()
    (second,) = land_folder(spark, landing, connection.url(), "r2").files
    assert (first.status, second.status) == ("failed", "duplicate")
    assert f"same content as failed version {first.file_version_id}" in second.error
    assert "not UTF-8 text" in second.error
    assert not (landing / "failed" / key).exists()  # not copied aside again
    statuses = raw.execute(
        "select status, rows_read from raw.landed_files where file_key = %s "
        "order by file_version_id", (key,)
    ).fetchall()
    assert statuses == [("failed", 0), ("duplicate", 0)]
    write(landing, key, LATIN1.decode("latin-1").encode("utf-8"))  # the corrected file
    (third,) = land_folder(spark, landing, connection.url(), "r3").files
    assert (third.status, third.rows_landed) == ("landed", 2)


def test_a_failure_from_an_error_is_tried_again(spark, raw, landing, connection):
    """A failed row whose text names an exception (the warehouse went away, Spark died)
    says nothing about the bytes: the same file is landed on the next run."""
    import hashlib

    content = csv_bytes(good_rows(2))
    write(landing, GOOD_KEY, content)
    raw.execute(
        "insert into raw.landed_files (file_key, content_sha256, file_bytes, rows_read, "
        "rows_landed, rows_rejected, status, error_text, run_id, landed_at) values "
        "(%s, %s, %s, 0, 0, 0, 'failed', 'OperationalError: server closed the connection', "
        "'r0', now())",
        (GOOD_KEY, hashlib.sha256(content).hexdigest(), len(content)),
    )
    (result,) = land_folder(spark, landing, connection.url(), "r1").files
    assert (result.status, result.rows_landed) == ("landed", 2)


@pytest.mark.parametrize("name", ["wide.csv", "columns.csv", "longline.csv"])
def test_a_file_over_a_limit_is_final_at_once(landed, name):
    """Over a documented limit (airline_landing/file_limits.py) is about the content: final,
    not a passing failure to try again (retries.py)."""
    _, results, _ = landed
    result = results[key_of(name)]
    assert result.final and "over the " in result.error and " limit" in result.error
    assert not is_passing(result.error)
