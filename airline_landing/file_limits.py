"""The documented limits on one delivered file, checked while its bytes stream past for the
hash (before Spark reads a byte of it), so a file over a limit fails in seconds with a
message naming the limit, instead of running the JVM out of memory minutes later.

- file size: 8 GiB (a BTS month is ~250 MB, a year ~3 GB);
- line length: 4 MiB (a BTS row is ~1 KB; a 1 MiB line is still one rejected row);
- header: 65,536 characters and 1,000 columns (BTS's widest export has 110 columns).

A gzip file (`*.csv.gz`) is held to the same limits on its DECOMPRESSED bytes too (and to the
file size limit on its stored bytes): decompression stops at the first limit passed, so a small
file that expands to terabytes (a gzip bomb) fails as fast as an oversized CSV.

A file over a limit is failed whole with `over the ... limit` in its error text; the failure
is about its content, so it is final at once (retries.py: not tried again; the same bytes
again are a 'duplicate' of the failure). A JVM OutOfMemoryError while Spark reads a file is
reported as such (OUT_OF_MEMORY) and is final for that file too: the same bytes would
exhaust the same memory again.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_FILE_BYTES = 8 << 30
MAX_LINE_BYTES = 4 << 20
MAX_HEADER_CHARS = 1 << 16
MAX_HEADER_COLUMNS = 1000
OUT_OF_MEMORY = "java.lang.OutOfMemoryError"


@dataclass(frozen=True)
class FileLimits:
    max_file_bytes: int = MAX_FILE_BYTES
    max_line_bytes: int = MAX_LINE_BYTES
    max_header_chars: int = MAX_HEADER_CHARS
    max_header_columns: int = MAX_HEADER_COLUMNS

    def file_size_problem(self, size: int, decompressed: bool = False) -> str | None:
        if size <= self.max_file_bytes:
            return None
        return (
            f"over the file size limit: more than {self.max_file_bytes:,} bytes "
            + ("once decompressed (a gzip bomb?) " if decompressed else "")
            + "(airline_landing/file_limits.py); split it (by day or month) and deliver the parts"
        )

    def line_problem(self, offset: int) -> str:
        return (
            f"over the line length limit: a line longer than {self.max_line_bytes:,} bytes "
            f"(it starts at byte offset {offset:,}); not a CSV of flights"
        )

    def header_chars_problem(self) -> str:
        return (
            f"over the header width limit: the header line is longer than "
            f"{self.max_header_chars:,} characters"
        )

    def header_columns_problem(self, columns: int) -> str | None:
        if columns <= self.max_header_columns:
            return None
        return (
            f"over the header width limit: {columns:,} columns, the limit is "
            f"{self.max_header_columns:,}"
        )


def is_out_of_memory(error: BaseException) -> bool:
    """Whether an error (a Py4JJavaError, or a Spark error wrapping one) is the JVM running
    out of memory."""
    return OUT_OF_MEMORY in str(error) or OUT_OF_MEMORY in repr(error)
