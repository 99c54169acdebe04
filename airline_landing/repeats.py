"""The same bytes under the same key already failed: record a 'duplicate' of that failed
version instead of failing (and copying aside) again on every run.

Only failures caused by the file's content count (unreadable, refused key, rejected over
the threshold while the limits still reject it): their error text never starts with an
exception's name. A failure from
an error (the warehouse or Spark went away: 'OperationalError: ...') is tried again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airline_landing.thresholds import OVER_THRESHOLD, RejectLimits

if TYPE_CHECKING:
    from airline_landing.targets import LandingTarget

_OVER = re.compile(rf"^rejected whole \({OVER_THRESHOLD}\): (\d+) of (\d+) rows")
_ERROR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*(Error|Exception|Exit|Interrupt)\b")


@dataclass(frozen=True)
class EarlierFailure:
    file_version_id: int
    error_text: str

    def message(self) -> str:
        return (
            f"same content as failed version {self.file_version_id}, not tried again "
            f"(deliver a corrected file to retry): {self.error_text}"
        )


def content_failure(
    target: LandingTarget, key: str, sha256: str, limits: RejectLimits | None = None
) -> EarlierFailure | None:
    """The latest failed version of (key, sha256) if its content made it fail (a file
    rejected whole only while it would still fail under `limits`)."""
    last = target.last_failure(key, sha256)
    if last is None:
        return None
    version, error_text = last
    text = (error_text or "").strip()
    if _ERROR_NAME.match(text):
        return None
    over = _OVER.match(text)
    if over and not (limits or RejectLimits()).exceeded(int(over[2]), int(over[1])):
        return None  # the limits were raised since: land it now
    return EarlierFailure(int(version), text)
