"""Keys the landing refuses to read: ones that try to leave the landing folder or bucket.

A key is a path relative to the landing root. Refused, before a byte is read:
an absolute key, a `..` segment, a NUL or other control character, and (locally) a
symlink whose target lies outside the landing folder. A refused key is recorded
'failed' with a message saying why; the file is neither read nor copied aside.
Spaces, unicode and other odd but legal characters are fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

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

    def changed_since_read(self) -> str | None:
        return None
