"""Keys the landing refuses to read: ones that try to leave the landing folder or bucket.

A key is a path relative to the landing root. Refused, before a byte is read:
an absolute key, a `..` segment, a NUL or other control character, and (locally) a
symlink whose target lies outside the landing folder. A refused key is recorded
'failed' with a message saying why; the file is neither read nor copied aside.
Spaces, unicode and other odd but legal characters are fine.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REFUSED = "refused"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def key_problem(key: str) -> str | None:
    """Why a key may not be landed, or None."""
    if not key:
        return f"{REFUSED}: empty key"
    if _CONTROL.search(key):
        return f"{REFUSED}: the key holds a control character ({key!r})"
    if key.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", key):
        return f"{REFUSED}: absolute key {key!r} (keys are relative to the landing folder)"
    if ".." in re.split(r"[\\/]", key):
        return f"{REFUSED}: the key {key!r} climbs out of the landing folder ('..')"
    return None


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return path != root


@dataclass(frozen=True)
class RefusedSource:
    """A key landing will not read: recorded 'failed' with `reason`, nothing copied."""

    key: str
    reason: str

    def chunks(self) -> Iterator[bytes]:
        return iter(())

    def spark_path(self) -> str:
        raise PermissionError(self.reason)

    def copy_to_failed(self) -> str:
        raise PermissionError(self.reason)


def outside_symlinks(landing_dir: Path, skip_top: str) -> list[str]:
    """Keys of symlinks under landing_dir (*.csv files or folders, outside `skip_top`/)
    whose target lies outside it. Folders behind symlinks are never walked."""
    root = landing_dir.resolve()
    found = []
    for dirpath, dirnames, filenames in os.walk(landing_dir):
        here = Path(dirpath)
        if here == landing_dir:
            dirnames[:] = [d for d in dirnames if d != skip_top]
        for name in [*dirnames, *filenames]:
            path = here / name
            candidate = name in dirnames or path.suffix.lower() == ".csv"
            if candidate and path.is_symlink() and not _inside(Path(os.path.realpath(path)), root):
                found.append(path.relative_to(landing_dir).as_posix())
    return sorted(found)
