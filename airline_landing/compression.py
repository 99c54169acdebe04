"""Gzip deliveries (`*.csv.gz`, any case): which keys are compressed, and their CSV bytes as a
stream, decompressed in bounded pieces so that a gzip bomb never fills memory.

Spark reads such a file through Hadoop's gzip codec, chosen by the `.gz` extension, as one
split (gzip is not splittable). Hadoop matches that extension case-sensitively (Spark 3.5
reads `x.csv.GZ` as its raw compressed bytes), so a key ending in `.GZ`, `.Gz` or `.gZ` is
failed with a reason asking for the lowercase name (`gzip_key_problem`) rather than landed
as garbage; the `.csv` before it may be in any case.

The first look (source.inspect_file) hashes the stored, compressed bytes and checks the
decompressed ones. Concatenated gzip members (`cat a.gz b.gz`, which `gzip -d` reads whole)
are read whole, here and by Hadoop. A stream that is not gzip, is corrupt (bad deflate data,
a bad CRC or length check), is cut short before its end, or carries trailing bytes that are
not another gzip member raises GzipError saying why.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

GZIP_SUFFIX = ".gz"
CSV_GZIP_SUFFIX = ".csv.gz"
GZIP_MAGIC = b"\x1f\x8b"
# zlib's wbits for a gzip wrapper (header and CRC-32/length trailer checked).
_GZIP_WBITS = 16 + zlib.MAX_WBITS


class GzipError(ValueError):
    """The stored bytes are not a whole, valid gzip stream."""


def is_gzip_key(key: str) -> bool:
    """Whether a key names a gzip file (Hadoop picks its codec by this extension)."""
    return key.lower().endswith(GZIP_SUFFIX)


def gzip_key_problem(key: str) -> str | None:
    """Why a gzip key cannot be read by Spark as gzip, or None."""
    if not is_gzip_key(key) or key.endswith(GZIP_SUFFIX):
        return None
    suffix = key[-len(GZIP_SUFFIX):]
    return (
        f"a gzip file's name must end in lowercase {GZIP_SUFFIX!r}, not {suffix!r}: Spark "
        "(Hadoop) picks the gzip codec by that extension, case-sensitively; rename it to "
        f"{key[: -len(GZIP_SUFFIX)].rsplit('/', 1)[-1]}{GZIP_SUFFIX} and deliver it again"
    )


def gunzip(chunks: Iterable[bytes], piece_bytes: int = 1 << 20) -> Iterator[bytes]:
    """The decompressed bytes of a gzip stream (every member, in order), in pieces of at
    most `piece_bytes`, however well the input compresses."""
    members = _Members(piece_bytes)
    for chunk in chunks:
        yield from members.feed(chunk)
    members.finish()


class _Members:
    """Decompresses gzip members one after another as their bytes arrive."""

    def __init__(self, piece_bytes: int) -> None:
        self.piece_bytes = piece_bytes
        self.decompressor: zlib._Decompress | None = None
        self.pending = b""
        self.offset = 0  # where `pending` starts in the stored bytes
        self.member_start = 0
        self.members = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        self.pending += data
        while True:
            if self.decompressor is None:
                if len(self.pending) < len(GZIP_MAGIC):
                    return  # the next member's magic bytes are still to come
                if self.pending[: len(GZIP_MAGIC)] != GZIP_MAGIC:
                    raise GzipError(_not_a_member(self.offset, self.members))
                self.decompressor = zlib.decompressobj(_GZIP_WBITS)
                self.member_start = self.offset
            before = len(self.pending)
            try:
                piece = self.decompressor.decompress(self.pending, self.piece_bytes)
            except zlib.error as error:
                raise GzipError(
                    f"corrupt gzip: {error} (in the member starting at byte "
                    f"{self.member_start:,})"
                ) from error
            if self.decompressor.eof:
                self.pending = self.decompressor.unused_data
                self.decompressor = None
                self.members += 1
            else:
                self.pending = self.decompressor.unconsumed_tail
            self.offset += before - len(self.pending)
            if piece:
                yield piece
            if self.decompressor is not None and not self.pending and (
                len(piece) < self.piece_bytes
            ):
                return  # all input taken in and no output held back: wait for more

    def finish(self) -> None:
        if self.decompressor is not None:
            raise GzipError(
                "truncated gzip: the file ends before the end of its compressed data "
                f"(the member starting at byte {self.member_start:,}); deliver it whole again"
            )
        if self.pending:
            raise GzipError(_not_a_member(self.offset, self.members))
        if self.members == 0:
            raise GzipError("not a gzip file: it is empty")


def _not_a_member(offset: int, members: int) -> str:
    if members == 0:
        return (
            "not a gzip file: it does not start with the gzip magic bytes 1f 8b "
            "(a .gz name on a file that is not gzip-compressed?)"
        )
    return (
        f"corrupt gzip: {members} gzip member(s), then bytes at offset {offset:,} that are "
        "not another gzip member (trailing garbage)"
    )
