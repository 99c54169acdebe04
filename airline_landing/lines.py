"""Where a file's physical lines start, counted while its bytes stream past for the hash,
so Spark needs no counting pass of its own to number lines exactly.

Spark (Hadoop's LineRecordReader) reads a split [s, e) of a text file as the lines that
start at an offset p with s < p <= e (0 <= p <= e for the first split); a line ends at
LF, CR or CRLF. So the lines before split s are 1 + the line ends in bytes [0, s) (a line
end at the file's last byte starts no line). `LineCounter` counts line ends per grain of
`grain` bytes; the landing asks Spark for splits that are whole grains
(`split_conf`), so every split's first line number is known before Spark runs.
"""

from __future__ import annotations

from dataclasses import dataclass

GRAIN_BYTES = 1 << 20
MAX_SPLIT_BYTES = 128 << 20
_LF, _CR = 10, 13
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class LineIndex:
    grain: int
    size: int
    ends_before_grain: list[int]  # line ends in bytes [0, g * grain), for g = 0..grains
    lines: int
    nonblank_lines: int  # lines with something other than spaces (Spark's trim)

    def split_bytes(self, parallelism: int) -> int:
        """A split size in whole grains: about one split per core, at most 128 MiB."""
        grains = -(-self.size // max(parallelism, 1) // self.grain) or 1
        return max(min(grains * self.grain, MAX_SPLIT_BYTES // self.grain * self.grain), self.grain)

    def first_lines(self, split_bytes: int) -> dict[int, int]:
        """Split start offset -> 0-based index of the first line Spark reads in that split."""
        if split_bytes % self.grain:
            raise ValueError(f"split size {split_bytes} is not a multiple of {self.grain}")
        if self.lines == 0:
            return {}
        step = split_bytes // self.grain
        return {
            grain * self.grain: (1 + self.ends_before_grain[grain] if grain else 0)
            for grain in range(0, len(self.ends_before_grain) - 1, step)
        }


def split_conf(split_bytes: int) -> dict[str, str]:
    """Spark settings under which a file is read in splits of exactly `split_bytes` bytes
    (one split per partition): the split size is min(maxPartitionBytes, bytes per
    minPartitionNum), so with minPartitionNum 1 it is maxPartitionBytes, or the whole
    file when that is smaller."""
    return {
        "spark.sql.files.maxPartitionBytes": str(split_bytes),
        "spark.sql.files.minPartitionNum": "1",
    }


class LineCounter:
    """Fed a file's bytes in order, chunk by chunk; memory stays flat (one int per grain)."""

    def __init__(self, grain: int = GRAIN_BYTES) -> None:
        self.grain = grain
        self.size = 0
        self.ends: list[int] = []  # line ends per grain
        self.blank_lines = 0
        self._line_has_text = False
        self._last_byte = -1
        self._cr_grain = -1  # grain of a CR that ended the previous chunk
        self._head = b""
        self._first_line_chars = 0  # non-space bytes of line 1 (a BOM is 3 of them)
        self._first_line_open = True

    def update(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self._cr_grain >= 0 and chunk[0] == _LF:
            self.ends[self._cr_grain] -= 1  # that CR was half of a CRLF
        self._count_ends(chunk)
        self._count_blank(chunk)
        self._last_byte = chunk[-1]
        if len(self._head) < len(_BOM):
            self._head += chunk[: len(_BOM) - len(self._head)]
        self.size += len(chunk)

    def _count_ends(self, chunk: bytes) -> None:
        start = 0
        while start < len(chunk):
            grain = (self.size + start) // self.grain
            while len(self.ends) <= grain:
                self.ends.append(0)
            end = min(len(chunk), (grain + 1) * self.grain - self.size)
            ends = (
                chunk.count(b"\n", start, end)
                + chunk.count(b"\r", start, end)
                - chunk.count(b"\r\n", start, end)
            )
            self._cr_grain = -1
            if chunk[end - 1] == _CR:
                if end < len(chunk):
                    ends -= chunk[end] == _LF
                else:
                    self._cr_grain = grain
            self.ends[grain] += ends
            start = end

    def _count_blank(self, chunk: bytes) -> None:
        if self._last_byte == _CR and chunk[0] == _LF:
            chunk = chunk[1:]
        text = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n").translate(None, b" ")
        if not text:
            return
        if self._first_line_open:
            first_end = text.find(b"\n")
            self._first_line_chars += len(text) if first_end < 0 else first_end
            self._first_line_open = first_end < 0
        if b"\n\n" not in text:
            first_end = text.find(b"\n")
            if first_end < 0:
                self._line_has_text = True
                return
            if first_end == 0 and not self._line_has_text:
                self.blank_lines += 1
            self._line_has_text = not text.endswith(b"\n")
            return
        parts = text.split(b"\n")
        self.blank_lines += (parts[0] == b"" and not self._line_has_text) + parts[1:-1].count(b"")
        self._line_has_text = parts[-1] != b""

    def finish(self) -> LineIndex:
        ends = list(self.ends)
        blank = self.blank_lines
        if self.size and self._last_byte in (_LF, _CR):
            ends[-1] -= 1  # the file's last line end starts no line
        elif self.size and not self._line_has_text:
            blank += 1  # a last line of spaces with no line end
        before = [0]
        for count in ends:
            before.append(before[-1] + count)
        # Hadoop reads a file that is only a UTF-8 BOM as no line at all.
        if not self.size or (self.size == len(_BOM) and self._head == _BOM):
            # Hadoop reads a file that is only a UTF-8 BOM as no line at all.
            return LineIndex(self.grain, self.size, before, 0, 0)
        if self._head == _BOM and self._first_line_chars == len(_BOM):
            blank += 1  # Hadoop skips the BOM: line 1 is blank for Spark
        lines = before[-1] + 1
        return LineIndex(self.grain, self.size, before, lines, lines - blank)
