"""A downloaded file is a BTS month only by its own bytes: the zip signature, one CSV with the
landing's columns; its CSV is streamed into a deterministic gzip, hashed and counted."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from bts_site import NOT_PUBLISHED_PAGE, flights_of_month, month_csv, month_zip

from airline_fetch import bts_zip
from airline_fetch.bts_zip import BtsZipError, NotAZipError, write_month_gzip
from airline_landing.file_limits import FileLimits


@pytest.fixture(scope="module")
def csv_bytes() -> bytes:
    return month_csv(flights_of_month(2013, 1, flights_per_day=5))


def _zip_file(folder: Path, data: bytes) -> Path:
    path = folder / "month.zip"
    path.write_bytes(data)
    return path


def test_the_csv_goes_into_a_gzip_with_its_hash_and_rows(tmp_path: Path,
                                                         csv_bytes: bytes) -> None:
    result = write_month_gzip(_zip_file(tmp_path, month_zip(csv_bytes, 2013, 1)),
                              tmp_path / "month.csv.gz")
    assert gzip.decompress(result.gz_path.read_bytes()) == csv_bytes
    assert result.csv_sha256 == hashlib.sha256(csv_bytes).hexdigest()
    expected_rows = len(list(csv.reader(io.StringIO(csv_bytes.decode())))) - 1
    assert result.rows == expected_rows == 31 * 5
    assert result.csv_bytes == len(csv_bytes)
    assert result.gz_bytes == result.gz_path.stat().st_size
    assert result.csv_name.endswith("_2013_1.csv")


def test_the_gzip_is_the_same_bytes_every_time(tmp_path: Path, csv_bytes: bytes) -> None:
    """No file name, mtime 0: the landing's hash of the .gz only changes with the content."""
    zipped = _zip_file(tmp_path, month_zip(csv_bytes, 2013, 1))
    first = write_month_gzip(zipped, tmp_path / "a.csv.gz").gz_path.read_bytes()
    second = write_month_gzip(zipped, tmp_path / "b.csv.gz").gz_path.read_bytes()
    assert first == second
    assert first[4:8] == b"\0\0\0\0"  # MTIME
    assert not first[3] & 0x08  # no FNAME


def test_an_html_page_is_not_a_zip_whatever_the_status(tmp_path: Path) -> None:
    with pytest.raises(NotAZipError) as raised:
        write_month_gzip(_zip_file(tmp_path, NOT_PUBLISHED_PAGE), tmp_path / "m.csv.gz")
    assert raised.value.html
    assert "answered with an HTML page, not a zip: the month is probably not published yet" in (
        str(raised.value))
    assert not (tmp_path / "m.csv.gz").exists()


def test_other_bytes_are_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(NotAZipError) as raised:
        write_month_gzip(_zip_file(tmp_path, b"Year,Month\r\n2013,1\r\n"), tmp_path / "m.gz")
    assert not raised.value.html
    assert "not a zip" in str(raised.value)


def test_two_csv_files_are_refused(tmp_path: Path, csv_bytes: bytes) -> None:
    with pytest.raises(BtsZipError, match=r"the zip holds 2 \.csv files, a BTS month holds one"):
        write_month_gzip(_zip_file(tmp_path, month_zip(csv_bytes, 2013, 1, extra_csv=True)),
                         tmp_path / "m.csv.gz")
    assert not (tmp_path / "m.csv.gz").exists()


def test_a_zip_without_csv_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.html", "<html></html>")
    with pytest.raises(BtsZipError, match=r"holds 0 .csv files, .*readme.html"):
        write_month_gzip(_zip_file(tmp_path, buffer.getvalue()), tmp_path / "m.csv.gz")


def test_a_csv_without_the_landing_columns_is_refused(tmp_path: Path) -> None:
    wrong = b'"Year","Month","Origin","Dest"\r\n2013,1,"ATL","LAX"\r\n'
    with pytest.raises(BtsZipError, match=r"required column\(s\) missing from the header: "
                                          r"Carrier, OriginAirportID"):
        write_month_gzip(_zip_file(tmp_path, month_zip(wrong, 2013, 1)), tmp_path / "m.csv.gz")
    assert not (tmp_path / "m.csv.gz").exists()


def test_a_csv_without_flight_dates_is_refused(tmp_path: Path) -> None:
    no_dates = (b"Reporting_Airline,OriginAirportID,DestAirportID,DepDelay,ArrDelay\r\n"
                b"DL,10397,12892,5,5\r\n")
    with pytest.raises(BtsZipError, match="no FlightDate column"):
        write_month_gzip(_zip_file(tmp_path, month_zip(no_dates, 2013, 1)),
                         tmp_path / "m.csv.gz")


def test_a_cut_zip_is_refused(tmp_path: Path, csv_bytes: bytes) -> None:
    whole = month_zip(csv_bytes, 2013, 1)
    with pytest.raises(BtsZipError, match=r"damaged|cannot be read"):
        write_month_gzip(_zip_file(tmp_path, whole[: len(whole) // 2]), tmp_path / "m.csv.gz")
    assert not (tmp_path / "m.csv.gz").exists()


# A zip bomb or a damaged member: the landing's limits hold on the decompressed CSV, in memory
# bounded by the line limit (small limits here stand for the real 8 GiB / 4 MiB / 65,536).
SMALL = FileLimits(max_file_bytes=3_000_000, max_line_bytes=100_000, max_header_chars=20_000)


@pytest.mark.parametrize(("tail", "said"), [
    (b"x" * 2_000_000, "over the line length limit: a line longer than 100,000 bytes"),
    (b"1,2,3\n" * 600_000, "over the file size limit: more than 3,000,000 bytes once "
                           "decompressed (a zip bomb?)"),
])
def test_a_member_past_a_limit_fails_the_month_and_leaves_nothing(
    tmp_path: Path, csv_bytes: bytes, tail: bytes, said: str,
) -> None:
    header = csv_bytes.split(b"\n", 1)[0] + b"\n"
    zipped = month_zip(header + tail, 2013, 1)
    assert len(zipped) < 100_000  # it expands tens of times over
    target = tmp_path / "m.csv.gz"
    with pytest.raises(BtsZipError, match=re.escape(said)):
        write_month_gzip(_zip_file(tmp_path, zipped), target, SMALL)
    assert not target.exists()


def test_a_header_past_the_width_limit_fails_the_month(tmp_path: Path) -> None:
    zipped = month_zip(b"FlightDate," * 10_000, 2013, 1)  # no line end: one endless header
    with pytest.raises(BtsZipError, match="over the header width limit"):
        write_month_gzip(_zip_file(tmp_path, zipped), tmp_path / "m.csv.gz", SMALL)


def test_rows_are_counted_across_blocks_and_without_a_final_line_end(
    tmp_path: Path, csv_bytes: bytes, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bts_zip, "CHUNK", 7)  # lines cut by every block boundary
    body = csv_bytes.rstrip(b"\n") + b"\n\n\n" + csv_bytes.split(b"\n")[1]  # blanks, no end
    result = write_month_gzip(_zip_file(tmp_path, month_zip(body, 2013, 1)),
                              tmp_path / "m.csv.gz")
    assert result.rows == 31 * 5 + 1
    assert gzip.decompress(result.gz_path.read_bytes()) == body
