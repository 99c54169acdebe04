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

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


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
