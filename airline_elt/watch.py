"""The poller behind `airline-elt watch DIR` (watch_command.py), the local stand-in for
S3 -> EventBridge -> Step Functions.

The folder is polled: the *.csv and *.csv.gz keys under the landing prefix (default
daily_flights/, the one scanner of airline_landing.scan); an entry under it that is not a
delivery (a README, a .zip, a hidden file) is named once, with why, through `on_skipped`.
A file whose content the warehouse has not seen under its key is pending; once the pending
files stop changing for a settle window, they go into one run together (files copied in at
the same time make one run, as a burst of S3 events does). A run lands only the pending
files: they are staged, under their own keys, in a folder of the run's own, and a file the
landing job could not read is moved to DIR/failed/<key> as a run on DIR would leave it.

Pending is decided by content (sha256), but a file is not rehashed on every poll: its hash
is reused only while its whole stat signature is unchanged — size, mtime, inode AND ctime.
Size and mtime alone are not enough: `cp -p`, `rsync -t`, `touch -r` or a skewed clock
rewrite a file keeping both. ctime (the inode's change time) cannot be set from user
space: every write, rename-over or metadata change moves it to the kernel's clock, so a
rewrite that keeps size and mtime still changes ctime (and a rename-over changes the inode).
A file that only had its metadata touched (chmod) is rehashed once, cheaply; an untouched
file is never rehashed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from airline_elt.queries import latest_hash_by_key
from airline_elt.warehouse import Warehouse
from airline_elt.warehouse_users import LANDING
from airline_landing.scan import DEFAULT_PREFIX, scan_folder


@dataclass
class FileState:
    size: int
    mtime_ns: int
    sha256: str
    inode: int = 0
    ctime_ns: int = 0

    def same_stat(self, stat: os.stat_result) -> bool:
        """Whether `stat` is the stat this hash was taken under (see the module's note)."""
        return (self.size, self.mtime_ns, self.inode, self.ctime_ns) == (
            stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns
        )


@dataclass
class ContentCache:
    """The content hash of each watched file, rehashed only when its stat changed."""

    _states: dict[str, FileState] = field(default_factory=dict)

    def state(self, root: Path, key: str) -> FileState | None:
        """The file's state now (None: it is gone)."""
        path = root / key
        try:
            stat = path.stat()
            cached = self._states.get(key)
            if cached and cached.same_stat(stat):
                return cached
            digest = _sha256(path)
        except FileNotFoundError:
            self._states.pop(key, None)
            return None
        state = FileState(stat.st_size, stat.st_mtime_ns, digest, stat.st_ino, stat.st_ctime_ns)
        self._states[key] = state
        return state


@dataclass
class Watcher:
    """Finds the pending files of a landing folder; `run_batch` lands a batch of them."""

    landing_dir: Path
    warehouse: Warehouse
    settle_seconds: float = 3.0
    interval_seconds: float = 1.0
    prefix: str = DEFAULT_PREFIX  # only *.csv and *.csv.gz keys under it are watched (scan.py)
    on_skipped: Callable[[str, str], None] | None = None  # (key, why): once per entry
    _hashes: ContentCache = field(default_factory=ContentCache)
    _named_skipped: set[str] = field(default_factory=set)
    _handled: dict[str, str] = field(default_factory=dict)  # key -> sha this watcher ran

    def pending(self) -> dict[str, FileState]:
        """Files whose content is neither in the warehouse nor handled by this watcher."""
        current = self._scan()
        # The landing user's: the control table is its own, and it reads nothing else.
        with psycopg.connect(self.warehouse.connection(LANDING).url(), autocommit=True) as conn:
            known = latest_hash_by_key(conn)
        return {
            key: state
            for key, state in current.items()
            if known.get(key) != state.sha256 and self._handled.get(key) != state.sha256
        }

    def wait_for_batch(self, deadline: float | None) -> dict[str, FileState] | None:
        """Block until pending files have been still for the settle window (None: timed out)."""
        batch: dict[str, FileState] = {}
        still_since = time.monotonic()
        while True:
            now = time.monotonic()
            found = self.pending()
            if not found and deadline is not None and now >= deadline:
                return None
            signature = {key: s.sha256 for key, s in found.items()}
            if signature != {key: s.sha256 for key, s in batch.items()}:
                batch, still_since = found, now
            elif batch and now - still_since >= self.settle_seconds:
                return batch
            time.sleep(self.interval_seconds)

    def stage(self, batch: dict[str, FileState], staging_dir: Path) -> None:
        """Copy the batch under its keys into `staging_dir` (the run's landing folder)."""
        for key in batch:
            target = staging_dir / key
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.landing_dir / key, target)

    def finish(self, batch: dict[str, FileState], staging_dir: Path) -> None:
        """Remember the batch as handled; move failed files back beside the watched folder."""
        for key, state in batch.items():
            self._handled[key] = state.sha256
        failed = staging_dir / "failed"
        if failed.is_dir():
            for path in failed.rglob("*"):
                if path.is_file():
                    target = self.landing_dir / "failed" / path.relative_to(failed)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(str(path), target)
        shutil.rmtree(staging_dir, ignore_errors=True)

    def _scan(self) -> dict[str, FileState]:
        states: dict[str, FileState] = {}
        scan = scan_folder(self.landing_dir, self.prefix)
        for key, reason in scan.skipped.items():
            if self.on_skipped is not None and key not in self._named_skipped:
                self._named_skipped.add(key)
                self.on_skipped(key, reason)
        for key in scan.keys:
            state = self._hashes.state(self.landing_dir, key)
            if state is not None:
                states[key] = state
        return states


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
