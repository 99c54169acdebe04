"""Which keys are landed: the one scanner of landing keys, for the local folder, the
runner (run, land, watch) and the Glue shell alike.

A key is landed when it ends in `.csv` or `.csv.gz` (any case: a gzip-compressed CSV,
compression.py), lies under the landing prefix
(default `daily_flights/`, the prefix the AWS rule listens to) and not under `failed/`
(where unreadable files are set aside). Anything else in the landing folder or bucket
(an airports file, a README beside `daily_flights/`) is left alone: not landed, not
failed, not copied. Locally, a symlink under the prefix whose target lies outside the
landing folder is not followed: it is listed as refused, with the reason.

Nothing under the prefix that looks like a delivery is skipped in silence: a `.csv` (or
`.csv.gz`) entry
that cannot be landed is listed as refused with why — a dangling symlink, a symlink loop,
something that is not a regular file (a FIFO, a socket, a device) — and so is
a symlink to a folder inside the landing folder (folders behind links are never walked, so
its files would otherwise be missed without a word). A refused entry is recorded 'failed'
(final: the same entry again is a 'duplicate' of that failure) and named in the run's
output and its JSON like any failed file.

Nor is anything else under the prefix skipped without a word: an entry that is not a
delivery — a file not named `*.csv` or `*.csv.gz` (a README.txt, a .zip, an .xlsx, a
`.txt.gz`), or a hidden one (a
name starting with '.': .DS_Store, an editor's `.~lock.flights.csv#`, a macOS
`._flights.csv`) — is listed as skipped with why (`FolderScan.skipped`), and the run
names it in its output and its JSON. Skipped entries are never read, never recorded in
raw.landed_files and never fail anything: they are not deliveries. Hidden names are not
landed even when they end in `.csv` (on S3 as locally): they are tools' own files, and a
macOS `._x.csv` holds binary metadata, not flights. Hidden folders are not walked.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from airline_landing.compression import CSV_GZIP_SUFFIX
from airline_landing.keys import REFUSED

DEFAULT_PREFIX = "daily_flights/"
FAILED_PREFIX = "failed/"
LAYOUT = (
    "daily_flights/date=YYYY-MM-DD/flights.csv "
    "(also daily_flights/flights_YYYYMMDD.csv or daily_flights/YYYY-MM-DD.csv; "
    "each may be gzip-compressed as .csv.gz)"
)
DELIVERY_SUFFIXES = (".csv", CSV_GZIP_SUFFIX)


class PrefixError(ValueError):
    """A landing prefix that would leave the landing folder or bucket."""


def normalise_prefix(prefix: str | None) -> str:
    """'daily_flights', '/daily_flights/' or './daily_flights' -> 'daily_flights/';
    '' or '/' -> '' (the whole folder)."""
    text = (DEFAULT_PREFIX if prefix is None else prefix).strip().replace("\\", "/")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise PrefixError(f"the landing prefix {prefix!r} climbs out of the landing folder")
    return "".join(f"{part}/" for part in parts)


def is_hidden(key: str, prefix: str = DEFAULT_PREFIX) -> bool:
    """Whether a name below the prefix starts with '.' (.DS_Store, `._x.csv`, `.~lock...#`)."""
    below = key[len(prefix):] if key.startswith(prefix) else key
    return any(part.startswith(".") for part in below.split("/") if part)


def is_landing_key(
    key: str, prefix: str = DEFAULT_PREFIX, failed_prefix: str = FAILED_PREFIX
) -> bool:
    """Whether a key (relative to the landing folder or bucket) is one to land."""
    return (
        key.startswith(prefix)
        and key.lower().endswith(DELIVERY_SUFFIXES)
        and not is_hidden(key, prefix)
        and not (failed_prefix and key.startswith(failed_prefix))
    )


# What to do with a file that is not a CSV, by its last suffix.
NOT_CSV_HINTS = {
    ".zip": "a zip archive: unzip it and put the CSV under the prefix",
    ".gz": "compressed, but not a CSV: only a gzip-compressed CSV named *.csv.gz lands",
    ".xlsx": "a spreadsheet: save or export it as comma-separated CSV",
    ".xls": "a spreadsheet: save or export it as comma-separated CSV",
    ".txt": "text, not a delivery",
    ".md": "text, not a delivery",
    ".json": "JSON, not a delivery",
}


def skip_reason(key: str, prefix: str = DEFAULT_PREFIX, is_folder: bool = False) -> str:
    """Why an entry under the prefix is not a delivery (it is not read, landed or failed)."""
    if is_folder:
        return "skipped: a hidden folder (its name starts with '.'): not walked"
    if is_hidden(key, prefix):
        return ("skipped: a hidden file (its name starts with '.', e.g. .DS_Store, an "
                "editor's lock file, a macOS ._ file): not a delivery, not read")
    hint = NOT_CSV_HINTS.get(Path(key).suffix.lower())
    return "skipped: not a .csv file" + (f" ({hint})" if hint else "") + "; not read"


@dataclass(frozen=True)
class FolderScan:
    """The keys under a local landing folder's prefix: to land, and refused (key -> why)."""

    landing_dir: Path
    prefix: str
    keys: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    # Entries under the prefix that are not deliveries (key -> why): named, never landed.
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.keys and not self.refused

    def nothing_to_land(self) -> str:
        """The one line a run says when it finds no CSV under the prefix."""
        return (
            f"no CSV files under {self.landing_dir / self.prefix}"
            f"{'/' if self.prefix else ''} — the layout is {LAYOUT}"
            + ("" if self.prefix == DEFAULT_PREFIX else f" under the prefix {self.prefix!r}")
        )


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return path != root


def _not_landable(path: Path, key: str, root: Path, is_folder: bool) -> str | None:
    """Why an entry under the prefix is refused (never read), or None to land it."""
    if path.is_symlink():
        target = os.readlink(path)
        try:
            path.stat()
        except OSError as error:
            if error.errno == errno.ELOOP:
                return (
                    f"{REFUSED}: {key} is a symlink loop (via {target}); nothing to read"
                )
            return (
                f"{REFUSED}: {key} is a dangling symlink: its target {target} does not "
                "exist; nothing to read (fix the link or copy the file in)"
            )
        resolved = os.path.realpath(path)
        if not _inside(Path(resolved), root):
            return (
                f"{REFUSED}: {key} is a symlink to {resolved}, outside the landing "
                "folder; landing does not follow it (not read, not copied)"
            )
        if is_folder:
            return (
                f"{REFUSED}: {key} is a symlink to the folder {resolved}; landing does not "
                "walk folders behind links (copy or link the files themselves)"
            )
    if not is_folder and not path.is_file():
        return (
            f"{REFUSED}: {key} is not a regular file (a FIFO, socket or device "
            "named like a CSV); nothing to read"
        )
    return None


def scan_folder(landing_dir: Path, prefix: str | None = DEFAULT_PREFIX) -> FolderScan:
    """The *.csv and *.csv.gz keys under landing_dir/prefix (sorted), outside failed/;
    symlinks (files or folders) under it whose target lies outside landing_dir are refused,
    never followed; folders behind symlinks are never walked (refused, named); dangling
    links, link loops and non-regular files named like a delivery are refused, named."""
    prefix = normalise_prefix(prefix)
    landing_dir = Path(landing_dir)
    root = landing_dir.resolve()
    start = landing_dir / prefix
    keys: list[str] = []
    refused: dict[str, str] = {}
    skipped: dict[str, str] = {}
    if start.is_dir():
        for dirpath, dirnames, filenames in os.walk(start):
            here = Path(dirpath)
            if here == landing_dir:
                dirnames[:] = [d for d in dirnames if f"{d}/" != FAILED_PREFIX]
            for name in [d for d in dirnames if d.startswith(".")]:
                key = (here / name).relative_to(landing_dir).as_posix()
                skipped[key] = skip_reason(key, prefix, is_folder=True)
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in [*dirnames, *filenames]:
                path = here / name
                key = path.relative_to(landing_dir).as_posix()
                is_folder = name in dirnames
                if not is_folder and not is_landing_key(key, prefix):
                    skipped[key] = skip_reason(key, prefix)
                    continue
                if is_folder and not path.is_symlink():
                    continue
                reason = _not_landable(path, key, root, is_folder)
                if reason is not None:
                    refused[key] = reason
                else:
                    keys.append(key)
    return FolderScan(landing_dir, prefix, sorted(keys), dict(sorted(refused.items())),
                      dict(sorted(skipped.items())))
