"""Where a delivered file comes from (a local folder or S3), and the streaming first look
at its bytes: content hash, size, UTF-8 text check, header line."""

from __future__ import annotations

import codecs
import hashlib
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from airline_landing import lines as line_index
from airline_landing.compression import GzipError, gunzip
from airline_landing.file_limits import FileLimits
from airline_landing.lines import LineCounter, LineIndex

CHUNK_BYTES = 1 << 20
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTE = re.compile(rb"[\r\n]")
_HADOOP_GLOB_CHARS = re.compile(r"([\\*?\[\]{}])")


class FileSource(Protocol):
    """One delivered file: its key, its bytes as a stream, and a path Spark can read."""

    @property
    def key(self) -> str: ...

    def chunks(self) -> Iterator[bytes]: ...

    def spark_path(self) -> str: ...

    def copy_to_failed(self) -> str:
        """Copy the file aside (failed/ folder or prefix); return where it went."""
        ...

    def changed_since_read(self) -> str | None:
        """How the file changed since `chunks()` read (and hashed) it, or None: asked after
        Spark read it, so rows from another version than the hashed one are never kept."""
        ...


class ObjectChangedError(RuntimeError):
    """The file changed between its hashing and Spark's read: this version is not landed
    (a passing failure: the new version is looked at on the next run)."""


def hadoop_path(path: str) -> str:
    """A path with Hadoop glob characters escaped, so Spark reads exactly this file."""
    return _HADOOP_GLOB_CHARS.sub(r"\\\1", path)


@dataclass(frozen=True)
class LocalFile:
    root: Path
    key: str
    failed_root: Path
    # (size, mtime_ns) when chunks() opened the file: what changed_since_read compares.
    _stamp: list[tuple[int, int]] = field(
        default_factory=list, init=False, compare=False, hash=False, repr=False
    )

    @property
    def path(self) -> Path:
        return self.root / self.key

    def _stat(self) -> tuple[int, int]:
        status = self.path.stat()
        return status.st_size, status.st_mtime_ns

    def chunks(self) -> Iterator[bytes]:
        with self.path.open("rb") as stream:
            self._stamp[:] = [self._stat()]
            while chunk := stream.read(CHUNK_BYTES):
                yield chunk

    def changed_since_read(self) -> str | None:
        try:
            now = self._stat()
        except OSError as error:
            return f"{self.key} is gone since it was read ({error.strerror})"
        if self._stamp and now != self._stamp[0]:
            return (
                f"{self.key} changed while it was landed (size {self._stamp[0][0]} -> {now[0]} "
                "bytes or a new modification time)"
            )
        return None

    def spark_path(self) -> str:
        return "file://" + hadoop_path(str(self.path.resolve()))

    def copy_to_failed(self) -> str:
        target = self.failed_root / self.key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, target)
        return str(target)


@dataclass(frozen=True)
class ObjectVersion:
    """Which version of an object was read: its ETag, and its VersionId on a versioned
    bucket (None when versioning is off)."""

    etag: str
    version_id: str | None


@dataclass(frozen=True)
class S3File:
    """An object under s3://bucket/; `failed_uri` is where unreadable files are copied.

    `etag` (the listing's) pins the read: GetObject with If-Match fails (412) when the object
    was replaced since it was listed, so the hash is of the listed version. Spark reads the
    key through EMRFS, which takes no VersionId; `changed_since_read` asks S3 again after that
    read (HeadObject) and names any other ETag or VersionId, so a re-upload fails this file
    alone instead of landing rows of unhashed bytes."""

    bucket: str
    key: str
    failed_uri: str
    s3_client: Any
    etag: str | None = None
    _read: list[ObjectVersion] = field(
        default_factory=list, init=False, compare=False, hash=False, repr=False
    )

    def chunks(self) -> Iterator[bytes]:
        pin = {"IfMatch": f'"{self.etag}"'} if self.etag else {}
        answer = self.s3_client.get_object(Bucket=self.bucket, Key=self.key, **pin)
        self._read[:] = [_object_version(answer)]
        yield from answer["Body"].iter_chunks(CHUNK_BYTES)

    def changed_since_read(self) -> str | None:
        if not self._read:
            return None
        try:
            now = _object_version(self.s3_client.head_object(Bucket=self.bucket, Key=self.key))
        except Exception as error:  # botocore ClientError (404: deleted), or the network
            return f"s3://{self.bucket}/{self.key} cannot be looked at again: {error}"
        read = self._read[0]
        if now != read:
            return (
                f"s3://{self.bucket}/{self.key} changed while it was landed (read ETag "
                f"{read.etag} version {read.version_id}, now ETag {now.etag} version "
                f"{now.version_id})"
            )
        return None

    def spark_path(self) -> str:
        return hadoop_path(f"s3://{self.bucket}/{self.key}")

    def copy_to_failed(self) -> str:
        failed_bucket, failed_prefix = split_s3_uri(self.failed_uri)
        target_key = failed_prefix + self.key
        self.s3_client.copy_object(
            Bucket=failed_bucket,
            Key=target_key,
            CopySource={"Bucket": self.bucket, "Key": self.key},
        )
        return f"s3://{failed_bucket}/{target_key}"


def _object_version(answer: dict[str, Any]) -> ObjectVersion:
    version = answer.get("VersionId")
    return ObjectVersion(
        answer["ETag"].strip('"'), None if version in (None, "null") else str(version)
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/some/prefix/ -> ('bucket', 'some/prefix/')."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    return bucket, prefix


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    size: int
    header_line: str | None
    problem: str | None  # why the file is unreadable, or None
    lines: LineIndex


class _LongestLine:
    """Finds the first line longer than a limit in a stream of chunks (flat memory)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.over_at: int | None = None  # byte offset where the first long line starts
        self._open = 0  # bytes of the line still open at the end of the last chunk

    def update(self, chunk: bytes, offset: int) -> None:
        if self.over_at is not None:
            return
        first = _LINE_END_BYTE.search(chunk)
        if first is None:
            self._open += len(chunk)
            if self._open > self.limit:
                self.over_at = offset + len(chunk) - self._open
            return
        if self._open + first.start() > self.limit:
            self.over_at = offset - self._open
            return
        if len(chunk) > self.limit:  # whole lines inside one chunk bigger than the limit
            inner = re.compile(rb"[^\r\n]{%d}" % (self.limit + 1)).search(chunk)
            if inner is not None:
                self.over_at = offset + inner.start()
                return
        last = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        self._open = len(chunk) - last - 1


class _StoredBytes:
    """The stored bytes as they stream past: hashed and counted (a gzip file's compressed
    bytes: what the duplicate and replacement rules compare)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.digest.update(chunk)
            self.size += len(chunk)
            yield chunk

    def drain(self) -> None:
        """Hash the rest without looking at it (once a problem is found)."""
        for _ in self:
            pass


class _Header:
    """The text of the first line as the chunks stream past (until its line end)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.chars = 0
        self.done = False

    def add(self, text: str) -> None:
        if not self.done and text:
            self.parts.append(text)
            self.chars += len(text)
            self.done = bool(_LINE_END.search(text))

    def finish(self, tail: str) -> None:
        """The decoder's last characters, when the file ends inside the first line."""
        if not self.done:
            self.parts.append(tail)

    def line(self) -> str:
        if not self.parts:
            return ""
        return _LINE_END.split("".join(self.parts), maxsplit=1)[0].lstrip("\ufeff")


def inspect_file(
    chunks: Iterator[bytes],
    grain: int | None = None,
    limits: FileLimits | None = None,
    *,
    gzip: bool = False,
) -> FileFacts:
    """Hash the bytes, check they are UTF-8 text within the file limits (file_limits.py) and
    count where lines start, streaming (memory stays flat). For a gzip file (`gzip`) the hash
    and size are of the stored, compressed bytes; the text checks, the limits, the header and
    the line count are of the decompressed CSV (compression.py), read only as far as the
    first problem, so a gzip bomb stops at the first limit it passes."""
    limits = limits or FileLimits()
    stored = _StoredBytes(chunks)
    content: Iterator[bytes] = gunzip(stored, CHUNK_BYTES) if gzip else iter(stored)
    counter = LineCounter(grain or line_index.GRAIN_BYTES)
    decoder = codecs.getincrementaldecoder("utf-8")()
    header = _Header()
    problem = _first_problem(content, counter, decoder, header, limits, gzip=gzip)
    stored.drain()
    if problem is None:
        try:
            header.finish(decoder.decode(b"", final=True))
        except UnicodeDecodeError:
            problem = "not UTF-8 text: the file ends inside a multi-byte character"
            header.finish("")
    header_line = header.line()
    if problem is None and len(header_line) > limits.max_header_chars:
        problem = limits.header_chars_problem()
    problem = limits.file_size_problem(stored.size) or problem
    if problem is None and not header_line.strip():
        problem = "no header line: the file is empty or its first line is blank"
    return FileFacts(
        stored.digest.hexdigest(),
        stored.size,
        header_line if problem is None else None,
        problem,
        counter.finish(),
    )


def _first_problem(
    content: Iterator[bytes],
    counter: LineCounter,
    decoder: codecs.IncrementalDecoder,
    header: _Header,
    limits: FileLimits,
    *,
    gzip: bool,
) -> str | None:
    """Read the content (decompressed) chunk by chunk, counting lines and taking the header,
    up to the first problem: a NUL byte, bytes that are not UTF-8, a first line, any line
    or the whole file over its limit, or a broken gzip stream."""
    longest = _LongestLine(limits.max_line_bytes)
    size = 0  # of the content (decompressed) read so far
    try:
        for chunk in content:
            counter.update(chunk)
            nul = chunk.find(b"\x00")
            if nul >= 0:
                return (
                    f"not a text file: NUL byte at offset {size + nul} (binary or UTF-16 content)"
                )
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return f"not UTF-8 text: undecodable byte at offset {size + error.start}"
            header.add(text)
            if not header.done and header.chars > limits.max_header_chars:
                return limits.header_chars_problem()
            longest.update(chunk, size)
            if longest.over_at is not None:
                return limits.line_problem(longest.over_at)
            size += len(chunk)
            if size > limits.max_file_bytes:
                return limits.file_size_problem(size, decompressed=gzip)
    except GzipError as error:
        return str(error)
    return None
