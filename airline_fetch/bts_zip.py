"""A downloaded BTS month, checked and turned into the gzip file the landing reads.

The check trusts the bytes, not the HTTP status: BTS answers a month it has not published
with an HTML page and status 200, so a file is a zip only when it starts with the zip
signature `PK\\x03\\x04`. Inside, exactly one `.csv` member (BTS adds a `readme.html`), whose
header has the columns the landing needs, found by the landing's own alias rule
(airline_landing.columns: one rule, one home; it imports no Spark).

The CSV is streamed into a DETERMINISTIC gzip (no file name, mtime 0, a fixed level): the
same CSV always gives the same bytes, so the landing's hash of the compressed file only
changes when the month's content does.
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from airline_landing.columns import MissingColumnsError, resolve_columns, split_header

ZIP_SIGNATURE = b"PK\x03\x04"
GZIP_LEVEL = 6
CHUNK = 1024 * 1024


class BtsZipError(ValueError):
    """The file is not a usable BTS month; the message says why in one line."""


class NotAZipError(BtsZipError):
    """The file does not start with the zip signature; `html` when it is a web page."""

    def __init__(self, message: str, html: bool) -> None:
        super().__init__(message)
        self.html = html


@dataclass(frozen=True)
class MonthCsv:
    """The month's CSV as written into `gz_path`."""

    csv_name: str
    csv_sha256: str
    csv_bytes: int
    rows: int  # data rows: non-blank lines after the header
    gz_path: Path
    gz_bytes: int


def check_signature(path: Path) -> None:
    """Raise NotAZipError unless `path` starts with the zip signature."""
    with path.open("rb") as handle:
        start = handle.read(512)
    if start.startswith(ZIP_SIGNATURE):
        return
    text = start.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml", b"<")):
        raise NotAZipError("answered with an HTML page, not a zip: the month is probably not "
                           "published yet (BTS publishes a month six to eight weeks after "
                           "it ends)", html=True)
    if not start:
        raise NotAZipError("answered with an empty file, not a zip", html=False)
    raise NotAZipError(f"answered with a file that is not a zip (it starts {start[:16]!r})",
                       html=False)


def csv_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [info for info in archive.infolist()
               if not info.is_dir() and info.filename.lower().endswith(".csv")]
    if len(members) != 1:
        names = ", ".join(info.filename for info in archive.infolist()) or "nothing"
        raise BtsZipError(f"the zip holds {len(members)} .csv files, a BTS month holds one "
                          f"(it holds: {names})")
    return members[0]


def check_header(header_line: bytes, member: str) -> None:
    """The header must name the columns the landing needs, FlightDate included (a month's
    dates come from it, not from the file's name)."""
    try:
        text = header_line.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BtsZipError(f"{member}: the header is not UTF-8 text ({error})") from error
    try:
        columns = resolve_columns(split_header(text.rstrip("\r\n")))
    except MissingColumnsError as error:
        raise BtsZipError(f"{member}: {error}") from error
    if columns.position("flight_date") is None:
        raise BtsZipError(f"{member}: the header has no FlightDate column: a BTS month's "
                          "dates come from it")


def write_month_gzip(zip_path: Path, gz_path: Path) -> MonthCsv:
    """Check the downloaded zip and stream its CSV into `gz_path` (hashing the CSV's bytes
    and counting its data rows). Raises BtsZipError, with nothing left at `gz_path`."""
    check_signature(zip_path)
    try:
        return _write(zip_path, gz_path)
    except BaseException:
        gz_path.unlink(missing_ok=True)
        raise


def _write(zip_path: Path, gz_path: Path) -> MonthCsv:
    try:
        with zipfile.ZipFile(zip_path) as archive:
            member = csv_member(archive)
            digest = hashlib.sha256()
            size = rows = 0
            with archive.open(member) as source, gz_path.open("wb") as raw, gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0
            ) as target:
                header = source.readline()
                check_header(header, member.filename)
                digest.update(header)
                target.write(header)
                size = len(header)
                for line in _lines(source):
                    digest.update(line)
                    target.write(line)
                    size += len(line)
                    if line.strip():
                        rows += 1
    except zipfile.BadZipFile as error:
        raise BtsZipError(f"the zip is damaged: {error}") from error
    except (OSError, EOFError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise BtsZipError(f"the zip cannot be read: {error}") from error
    return MonthCsv(member.filename, digest.hexdigest(), size, rows, gz_path,
                    gz_path.stat().st_size)


def _lines(source: IO[bytes]) -> Iterator[bytes]:
    """The member's remaining lines, read in large blocks."""
    carry = b""
    while block := source.read(CHUNK):
        lines = (carry + block).split(b"\n")
        carry = lines.pop()
        for line in lines:
            yield line + b"\n"
    if carry:
        yield carry
