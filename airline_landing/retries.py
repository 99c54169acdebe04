"""Every file reaches a final state: the one policy for a failed file, locally and on Glue.

A failure is either
- **permanent**: caused by the file's content (not CSV, not UTF-8, a required column
  missing, a refused key, over a documented limit, rejected whole over the thresholds).
  Final at once: the same bytes under the same key are not tried again (a 'duplicate' of
  the failed version is recorded instead), except a file rejected over the thresholds once
  the limits are raised enough to let it through;
- **passing**: anything else (an S3 read error, an executor lost, the warehouse gone). Its
  stored message starts with the exception's name (`OSError: ...`). The file is tried again
  on the next run, up to MAX_TRIES tries of the same content in a row; the last one is
  recorded as given up, its message saying so and how to redrive it.

The count is read from raw.landed_files (the key's failed versions since its last landed
version and since its last redrive), so the same decision is made whichever side runs:
`airline-elt run`/`land` on a folder, or the Glue job. On AWS a file is marked seen
(raw.s3_objects_seen) only when it reached a final state: landed, duplicate, a permanent
failure, or given up.

A redrive (`airline-elt redrive KEY...` locally, airline_landing.redrive; on Redshift the SQL
in orchestration/DEPLOY.md) appends REDRIVEN_MARK to the error text of the key's latest failed
version: that version and every older one no longer count, and the next run tries it again.
No table or status is added: raw.landed_files keeps its contract.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from airline_landing.thresholds import OVER_THRESHOLD, RejectLimits

MAX_TRIES = 3
NO_CONTENT_SHA256 = hashlib.sha256(b"").hexdigest()  # nothing was read (refused, unreadable)
REDRIVE_HINT = "airline-elt redrive {key}"

_OVER = re.compile(rf"^rejected whole \({OVER_THRESHOLD}\): (\d+) of (\d+) rows")
_ERROR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*(Error|Exception|Exit|Interrupt)\b")
_GIVEN_UP = "given up after"
REDRIVEN_MARK = " [redriven:"  # then ' <when> by <who>]'


def is_passing(error_text: str) -> bool:
    """Whether a stored failure message is a passing one (it names an exception)."""
    return bool(_ERROR_NAME.match(error_text.strip()))


class Verdict(StrEnum):
    """What a failure means for the file."""

    TRY_AGAIN = "try again"  # passing, tries left: not final, listed again next run
    GIVEN_UP = "given up"  # passing, no tries left: final until redriven
    PERMANENT = "permanent"  # the content: final at once


@dataclass(frozen=True)
class PastVersion:
    """A raw.landed_files row of one key, as the policy reads it."""

    file_version_id: int
    content_sha256: str
    status: str
    error_text: str


@dataclass(frozen=True)
class FailureOutcome:
    verdict: Verdict
    tries: int  # passing failures of this content in a row, this one included
    max_tries: int = MAX_TRIES

    @property
    def final(self) -> bool:
        return self.verdict != Verdict.TRY_AGAIN

    def note(self, key: str) -> str:
        """What to append to the failure's message ('' for a permanent failure)."""
        if self.verdict == Verdict.TRY_AGAIN:
            return f" [try {self.tries} of {self.max_tries}: tried again on the next run]"
        if self.verdict == Verdict.GIVEN_UP:
            return (
                f" [{_GIVEN_UP} {self.tries} tries: not tried again until redriven "
                f"({REDRIVE_HINT.format(key=key)})]"
            )
        return ""


def since_redrive(history: Sequence[PastVersion]) -> list[PastVersion]:
    """The versions newer than the key's latest redrive (history is newest first)."""
    for position, version in enumerate(history):
        if REDRIVEN_MARK in version.error_text:
            return list(history[:position])
    return list(history)


def passing_tries(history: Sequence[PastVersion], sha256: str) -> int:
    """Passing failures of this content in a row, newest first, before any landed version or
    permanent failure (a failure before the bytes were read counts for any content)."""
    tries = 0
    for version in since_redrive(history):
        if version.status != "failed" or not is_passing(version.error_text):
            break
        if version.content_sha256 not in (sha256, NO_CONTENT_SHA256):
            break
        tries += 1
    return tries


def after_failure(
    history: Sequence[PastVersion], sha256: str, *, passing: bool, max_tries: int = MAX_TRIES
) -> FailureOutcome:
    """The verdict on a failure that just happened, given the key's history before it."""
    if not passing:
        return FailureOutcome(Verdict.PERMANENT, 0, max_tries)
    tries = passing_tries(history, sha256) + 1
    verdict = Verdict.GIVEN_UP if tries >= max_tries else Verdict.TRY_AGAIN
    return FailureOutcome(verdict, tries, max_tries)


@dataclass(frozen=True)
class EarlierFailure:
    """The failed version a repeat of the same bytes stands for."""

    file_version_id: int
    error_text: str
    verdict: Verdict

    def message(self) -> str:
        if self.verdict == Verdict.GIVEN_UP:
            return (
                f"same content as failed version {self.file_version_id}, given up: "
                f"{self.error_text}"
            )
        return (
            f"same content as failed version {self.file_version_id}, not tried again "
            f"(deliver a corrected file to retry): {self.error_text}"
        )


def final_failure(
    history: Sequence[PastVersion],
    sha256: str,
    limits: RejectLimits | None = None,
    max_tries: int = MAX_TRIES,
) -> EarlierFailure | None:
    """The version whose final failure these bytes repeat, or None when they are to be tried:
    a permanent failure of the same bytes (one rejected over the thresholds only while the
    limits still reject it), or MAX_TRIES passing failures of them in a row; a redrive forgets
    both."""
    history = since_redrive(history)
    for version in history:
        if version.status == "failed" and version.content_sha256 == sha256:
            text = version.error_text.strip()
            if is_passing(text):
                break
            over = _OVER.match(text)
            if over and not (limits or RejectLimits()).exceeded(int(over[2]), int(over[1])):
                return None  # the limits were raised since: land it now
            return EarlierFailure(version.file_version_id, text, Verdict.PERMANENT)
    tries = passing_tries(history, sha256)
    if tries >= max_tries:
        latest = history[0]
        return EarlierFailure(latest.file_version_id, latest.error_text.strip(), Verdict.GIVEN_UP)
    return None
