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
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from airline_landing.columns import MissingColumnsError, resolve_columns, split_header
from airline_landing.file_limits import FileLimits

ZIP_SIGNATURE = b"PK\x03\x04"
GZIP_LEVEL = 6
CHUNK = 1024 * 1024
LIMITS = FileLimits()


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


def write_month_gzip(zip_path: Path, gz_path: Path, limits: FileLimits = LIMITS) -> MonthCsv:
    """Check the downloaded zip and stream its CSV into `gz_path` (hashing the CSV's bytes
    and counting its data rows). Raises BtsZipError, with nothing left at `gz_path`.

    The landing's limits (airline_landing.file_limits) hold here too, on the decompressed
    CSV: a zip whose member expands past the file size, or holds a line or header longer
    than a BTS month ever has (a zip bomb, a damaged file), fails at that limit, in memory
    bounded by the line limit, instead of filling the disk or the function's memory."""
    check_signature(zip_path)
    try:
        return _write(zip_path, gz_path, limits)
    except BaseException:
        gz_path.unlink(missing_ok=True)
        raise


def _write(zip_path: Path, gz_path: Path, limits: FileLimits) -> MonthCsv:
    try:
        with zipfile.ZipFile(zip_path) as archive:
            member = csv_member(archive)
            digest = hashlib.sha256()
            rows = RowCounter(limits, member.filename)
            with archive.open(member) as source, gz_path.open("wb") as raw, gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0
            ) as target:
                header = _header_line(source, limits, member.filename)
                check_header(header, member.filename)
                digest.update(header)
                target.write(header)
                size = len(header)
                while block := source.read(CHUNK):
                    size += len(block)
                    if size > limits.max_file_bytes:
                        raise BtsZipError(
                            f"{member.filename}: over the file size limit: more than "
                            f"{limits.max_file_bytes:,} bytes once decompressed (a zip bomb?); "
                            "not a BTS month")
                    rows.feed(block)
                    digest.update(block)
                    target.write(block)
    except zipfile.BadZipFile as error:
        raise BtsZipError(f"the zip is damaged: {error}") from error
    except (OSError, EOFError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise BtsZipError(f"the zip cannot be read: {error}") from error
    return MonthCsv(member.filename, digest.hexdigest(), size, rows.finish(), gz_path,
                    gz_path.stat().st_size)


def _header_line(source: IO[bytes], limits: FileLimits, member: str) -> bytes:
    """The header line, read no further than the header limit allows (UTF-8: up to 4 bytes a
    character)."""
    header = source.readline(limits.max_header_chars * 4 + 2)
    if not header.endswith(b"\n") and len(header) > limits.max_header_chars:
        raise BtsZipError(f"{member}: over the header width limit: the header line is longer "
                          f"than {limits.max_header_chars:,} characters; not a BTS month")
    return header


class RowCounter:
    """Data rows (non-blank lines) of a stream fed in blocks; a line longer than the line
    limit fails the month (so what is held between blocks stays bounded)."""

    def __init__(self, limits: FileLimits, member: str) -> None:
        self.limits = limits
        self.member = member
        self.rows = 0
        self.carry = b""

    def feed(self, block: bytes) -> None:
        lines = (self.carry + block).split(b"\n")
        self.carry = lines.pop()
        if len(self.carry) > self.limits.max_line_bytes:
            raise BtsZipError(f"{self.member}: over the line length limit: a line longer than "
                              f"{self.limits.max_line_bytes:,} bytes; not a BTS month")
        self.rows += sum(1 for line in lines if line.strip())

    def finish(self) -> int:
        return self.rows + (1 if self.carry.strip() else 0)
