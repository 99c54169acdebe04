"""Which failures are worth another try, how long to wait before it, and the one-line message
when the tries run out ("the server answered 503 five times over 62 s")."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from airline_fetch.http_errors import FetchError, HttpStatusError, NetworkError

# The wait doubles from the first backoff up to this cap, then "equal jitter" keeps half of it
# and draws the other half at random, so that many clients do not retry in step (the AWS SDK's
# strategy of that name: https://sdk.amazonaws.com/java/api/latest/software/amazon/awssdk/core/
# retry/backoff/EqualJitterBackoffStrategy.html). Equal rather than full jitter: a retry never
# comes at once after a failure.
BACKOFF_CAP_SECONDS = 60.0
# A Retry-After up to this long is waited out; a longer one ends the tries at once (the server
# says it will not be ready in a useful time; the next scheduled fetch will try again).
RETRY_AFTER_LIMIT_SECONDS = 120.0
# 408 Request Timeout and 429 Too Many Requests are the 4xx answers a later try can fix; of the
# 5xx, 501 Not Implemented and 505 HTTP Version Not Supported say the request itself will never do.
RETRYABLE_4XX = {408, 429}
FINAL_5XX = {501, 505}

T = TypeVar("T")


class RetryableFailure(Exception):
    """One try failed in a way another try may not: `kind` groups failures in the final message
    (the status code, "cut", "timeout", ...), `description` says it in plain words."""

    def __init__(
        self,
        kind: str,
        description: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(description)
        self.kind = kind
        self.description = description
        self.status = status
        self.retry_after = retry_after


def is_retryable_status(status: int) -> bool:
    return (status >= 500 and status not in FINAL_5XX) or status in RETRYABLE_4XX


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_seconds(first: float, attempt: int) -> float:
    """The wait after the given failed attempt (1-based): first * 2^(attempt-1), capped, of
    which half is kept and half drawn at random (equal jitter)."""
    ceiling = min(BACKOFF_CAP_SECONDS, first * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def with_retries(
    failed: str,
    attempts: int,
    first_backoff: float,
    attempt_once: Callable[[], T],
    give_up_at: float | None = None,
) -> tuple[T, int]:
    """Calls attempt_once until it returns, at most `attempts` times, waiting between tries.
    RetryableFailure is tried again; any other exception ends it at once. Returns the value and
    the number of tries; raises HttpStatusError or NetworkError when the tries run out, its
    message beginning with `failed` ("Could not download URL")."""
    started = time.monotonic()
    failures: list[RetryableFailure] = []
    for attempt in range(1, attempts + 1):
        try:
            return attempt_once(), attempt
        except RetryableFailure as failure:
            failures.append(failure)
            if failure.retry_after is not None and failure.retry_after > RETRY_AFTER_LIMIT_SECONDS:
                raise _gave_up(failed, failures, time.monotonic() - started, failure) from None
            if attempt == attempts:
                break
            wait = backoff_seconds(first_backoff, attempt)
            if failure.retry_after is not None:
                wait = max(wait, failure.retry_after)
            if give_up_at is not None and time.monotonic() + wait >= give_up_at:
                raise _gave_up(failed, failures, time.monotonic() - started, None,
                               out_of_time=True) from None
            time.sleep(wait)
    raise _gave_up(failed, failures, time.monotonic() - started, None) from None


def _gave_up(
    failed: str,
    failures: list[RetryableFailure],
    elapsed: float,
    asked_to_wait: RetryableFailure | None,
    out_of_time: bool = False,
) -> FetchError:
    last = failures[-1]
    if asked_to_wait is not None:
        text = (
            f"{failed}: {last.description} and asked to wait "
            f"{asked_to_wait.retry_after:.0f} s (more than {RETRY_AFTER_LIMIT_SECONDS:.0f} s); "
            "try again later"
        )
    else:
        text = f"{failed}: {summarize(failures)} over {_seconds(elapsed)}"
        if out_of_time:
            text += "; no time left for another try"
    if last.status is not None:
        return HttpStatusError(text, last.status)
    return NetworkError(text)


def summarize(failures: list[RetryableFailure]) -> str:
    """Each kind of failure with its count, in the order first seen, each described as its
    latest occurrence: 'the server answered 503 five times'."""
    counts: dict[str, int] = {}
    latest: dict[str, RetryableFailure] = {}
    for failure in failures:
        counts[failure.kind] = counts.get(failure.kind, 0) + 1
        latest[failure.kind] = failure
    parts = [_with_count(latest[kind], count) for kind, count in counts.items()]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _with_count(failure: RetryableFailure, count: int) -> str:
    separator = " " if failure.status is not None else ", "
    return f"{failure.description}{separator}{times(count)}"


_WORDS = [
    "once",
    "twice",
    "three times",
    "four times",
    "five times",
    "six times",
    "seven times",
    "eight times",
    "nine times",
    "ten times",
]


def times(count: int) -> str:
    return _WORDS[count - 1] if 1 <= count <= len(_WORDS) else f"{count} times"


def _seconds(elapsed: float) -> str:
    return f"{elapsed:.0f} s" if elapsed >= 10 else f"{elapsed:.1f} s"


def size_text(n_bytes: int) -> str:
    """12.5 MB for large sizes, exact bytes below a megabyte (the tests' small files)."""
    if n_bytes >= 1_000_000:
        return f"{n_bytes / 1_000_000:.1f} MB"
    return f"{n_bytes:,} bytes"
