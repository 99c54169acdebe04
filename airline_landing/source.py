"""Where a delivered file comes from (a local folder or S3), and the streaming first look
at its bytes: content hash, size, UTF-8 text check, header line."""

from __future__ import annotations

import codecs
import hashlib
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from airline_landing import lines as line_index
from airline_landing.lines import LineCounter, LineIndex

CHUNK_BYTES = 1 << 20
MAX_HEADER_CHARS = 1 << 16
_LINE_END = re.compile(r"\r\n|\r|\n")
_HADOOP_GLOB_CHARS = re.compile(r"([\\*?\[\]{}])")


class FileSource(Protocol):
    """One delivered file: its key, its bytes as a stream, and a path Spark can read."""

    key: str

    def chunks(self) -> Iterator[bytes]: ...

    def spark_path(self) -> str: ...

    def copy_to_failed(self) -> str:
        """Copy the file aside (failed/ folder or prefix); return where it went."""
        ...


def hadoop_path(path: str) -> str:
    """A path with Hadoop glob characters escaped, so Spark reads exactly this file."""
    return _HADOOP_GLOB_CHARS.sub(r"\\\1", path)


@dataclass(frozen=True)
class LocalFile:
    root: Path
    key: str
    failed_root: Path

    @property
    def path(self) -> Path:
        return self.root / self.key

    def chunks(self) -> Iterator[bytes]:
        with self.path.open("rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                yield chunk

    def spark_path(self) -> str:
        return "file://" + hadoop_path(str(self.path.resolve()))

    def copy_to_failed(self) -> str:
        target = self.failed_root / self.key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, target)
        return str(target)


@dataclass(frozen=True)
class S3File:
    """An object under s3://bucket/; `failed_uri` is where unreadable files are copied."""

    bucket: str
    key: str
    failed_uri: str
    s3_client: object

    def chunks(self) -> Iterator[bytes]:
        body = self.s3_client.get_object(Bucket=self.bucket, Key=self.key)["Body"]  # type: ignore[attr-defined]
        yield from body.iter_chunks(CHUNK_BYTES)

    def spark_path(self) -> str:
        return hadoop_path(f"s3://{self.bucket}/{self.key}")

    def copy_to_failed(self) -> str:
        failed_bucket, failed_prefix = split_s3_uri(self.failed_uri)
        target_key = failed_prefix + self.key
        self.s3_client.copy_object(  # type: ignore[attr-defined]
            Bucket=failed_bucket,
            Key=target_key,
            CopySource={"Bucket": self.bucket, "Key": self.key},
        )
        return f"s3://{failed_bucket}/{target_key}"


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


def inspect_file(chunks: Iterator[bytes], grain: int | None = None) -> FileFacts:
    """Hash the bytes, check they are UTF-8 text and count where lines start, streaming
    (memory stays flat)."""
    digest = hashlib.sha256()
    counter = LineCounter(grain or line_index.GRAIN_BYTES)
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    head: list[str] = []
    head_chars = 0
    header_done = False
    problem: str | None = None
    for chunk in chunks:
        digest.update(chunk)
        counter.update(chunk)
        if problem is None:
            nul = chunk.find(b"\x00")
            if nul >= 0:
                problem = (
                    f"not a text file: NUL byte at offset {size + nul} (binary or UTF-16 content)"
                )
            else:
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    problem = f"not UTF-8 text: undecodable byte at offset {size + error.start}"
                    text = ""
                if not header_done and text:
                    head.append(text)
                    head_chars += len(text)
                    header_done = bool(_LINE_END.search(text)) or head_chars > MAX_HEADER_CHARS
        size += len(chunk)
    if problem is None:
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            problem = "not UTF-8 text: the file ends inside a multi-byte character"
            tail = ""
        if not header_done:
            head.append(tail)
    header_line = _LINE_END.split("".join(head), maxsplit=1)[0].lstrip("\ufeff") if head else ""
    if problem is None and not header_line.strip():
        problem = "no header line: the file is empty or its first line is blank"
    return FileFacts(
        digest.hexdigest(),
        size,
        header_line if problem is None else None,
        problem,
        counter.finish(),
    )
