"""Where fetched months are kept: the store protocol, and the landing folder's store.

A store holds one gzip-compressed CSV per month under a key relative to its root (the
landing folder locally, the bucket on AWS), e.g. ``daily_flights/bts_ontime_2013_01.csv.gz``:
the key the landing sees. Beside each month it remembers a `StoredMonth`: the sha256 of the
CSV inside (what decides UNCHANGED / REPLACED) and the remote validators the file came with
(what lets a fetch skip a download when the site still serves the same file).

Two stores implement `MonthStore`: `LocalStore` here, and the S3 store used on AWS
(airline_fetch/s3_store.py). Both publish atomically: the landing never sees half a file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredMonth:
    """What a store knows of one month it holds."""

    csv_sha256: str
    source_etag: str | None = None
    source_last_modified: str | None = None
    source_size: int | None = None


class MonthStore(Protocol):
    """A place that holds fetched months; keys are relative to the store's root."""

    def describe(self) -> str:
        """Where the months go, for messages (a folder, an s3:// URL)."""
        ...

    def stored(self, key: str) -> StoredMonth | None:
        """What the store holds under `key`, or None when it holds nothing there."""
        ...

    def put(self, key: str, gz_path: Path, month: StoredMonth) -> None:
        """Publish the gzip file at `gz_path` under `key`, atomically, with `month`."""
        ...


WORK_FOLDER = ".airline-elt-fetch"
MANIFEST = "manifest.json"


class StoreError(ValueError):
    """A key the store will not write (outside its landing prefix)."""


class LocalStore:
    """Months in a landing folder: `DIR/<prefix>bts_ontime_YYYY_MM.csv.gz`.

    Files are written first under `DIR/.airline-elt-fetch/` (hidden, outside the landing
    prefix, on the same filesystem), then renamed into place with os.replace: the landing
    sees a whole month or none. What the store knows of each month is kept in
    `DIR/.airline-elt-fetch/manifest.json`; without it (deleted, or a file put there by
    hand) `stored` decompresses the file and hashes its CSV.
    """

    def __init__(self, landing_dir: Path, prefix: str = "daily_flights/") -> None:
        self.landing_dir = landing_dir
        self.prefix = prefix
        self.work_dir = landing_dir / WORK_FOLDER

    def describe(self) -> str:
        return str(self.landing_dir / self.prefix)

    def path_of(self, key: str) -> Path:
        parts = Path(key).parts
        if not key.startswith(self.prefix) or ".." in parts or Path(key).is_absolute():
            raise StoreError(f"{key!r} is not a key under the landing prefix {self.prefix!r}")
        return self.landing_dir / key

    def stored(self, key: str) -> StoredMonth | None:
        path = self.path_of(key)
        if not path.is_file():
            return None
        entry = self._manifest().get(key)
        stat = path.stat()
        if entry and entry.get("gz_size") == stat.st_size and entry.get(
                "gz_mtime_ns") == stat.st_mtime_ns:
            return StoredMonth(entry["csv_sha256"], entry.get("source_etag"),
                               entry.get("source_last_modified"), entry.get("source_size"))
        try:
            return StoredMonth(csv_sha256_of_gzip(path))
        except (OSError, EOFError, zlib.error):  # a damaged file: the next fetch replaces it
            return StoredMonth(csv_sha256="unreadable")

    def put(self, key: str, gz_path: Path, month: StoredMonth) -> None:
        target = self.path_of(key)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        staged = self.work_dir / f"{target.name}.{os.getpid()}.publish"
        try:
            shutil.copyfile(gz_path, staged)
            _fsync(staged)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
        finally:
            staged.unlink(missing_ok=True)
        stat = target.stat()
        manifest = self._manifest()
        manifest[key] = {**asdict(month), "gz_size": stat.st_size,
                         "gz_mtime_ns": stat.st_mtime_ns}
        self._write_manifest(manifest)

    def _manifest(self) -> dict[str, dict[str, Any]]:
        try:
            loaded = json.loads((self.work_dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _write_manifest(self, manifest: dict[str, dict[str, Any]]) -> None:
        staged = self.work_dir / f"{MANIFEST}.{os.getpid()}.tmp"
        staged.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(staged, self.work_dir / MANIFEST)


def csv_sha256_of_gzip(path: Path) -> str:
    """The sha256 of the CSV inside a gzip file (what a month's content is compared by)."""
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
