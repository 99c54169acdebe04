"""The monthly feed's AWS Lambda entry point: `handle(event, context)`.

One function, two steps, chosen by the event's "step" (orchestration/fetch_state_machine.asl.json):

- `{"step": "plan", "request": <the execution's input>}`: which months this run checks
  (airline_fetch/schedule.py). Without "months", the schedule's: from FIRST_MONTH to last month,
  the ones the bucket lacks, plus the last REVISION_MONTHS it holds. With the input's
  "months" (YYYY-MM or YYYY-MM..YYYY-MM, a backfill by hand), exactly those. Answers a `Plan`.
- `{"step": "fetch", "month": "YYYY-MM"}`: fetch that one month into the data bucket
  (airline_fetch/fetch.py, S3Store). Answers a `MonthResult`; a month that ended recently and is
  not on the site yet is NOT_PUBLISHED (BTS's delay), not a failure. Any failure raises
  `MonthFetchFailed` naming the month and the reason: Lambda reports it as the function's error
  (errorType, errorMessage), the state machine's Catch turns it into a FAILED notice.

Settings come from the function's environment (the template sets them): DATA_BUCKET,
FIRST_MONTH, REVISION_MONTHS, SOURCE_URL. Inputs and outputs are plain JSON.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from airline_fetch.fetch import Status, fetch_months
from airline_fetch.http import HttpSettings
from airline_fetch.months import BTS_PREZIP, DEFAULT_PREFIX, parse_months
from airline_fetch.s3_store import S3Store
from airline_fetch.schedule import (
    DEFAULT_REVISION_MONTHS,
    expanded,
    not_published_yet,
    plan_months,
)
from airline_fetch.schedule import parse as parse_first_month

NOT_PUBLISHED = "not_published"
# The key of a fetched month (Month.landing_key).
_FEED_KEY = re.compile(re.escape(DEFAULT_PREFIX) + r"bts_ontime_(\d{4})_(\d{2})\.csv\.gz")


class FeedRequestError(ValueError):
    """An event or a setting the function cannot use; nothing was fetched."""


class MonthFetchFailed(RuntimeError):
    """One month could not be fetched: the message names the month and the reason."""


@dataclass(frozen=True)
class FeedSettings:
    bucket: str
    first_month: str
    revision_months: int
    source: str

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> FeedSettings:
        env = os.environ if environ is None else environ
        bucket = env.get("DATA_BUCKET", "")
        if not bucket:
            raise FeedRequestError("DATA_BUCKET is not set: the function has no bucket to fill")
        first_month = env.get("FIRST_MONTH", "")
        parse_first_month(first_month)  # a clear error now rather than on the first month
        revisions = env.get("REVISION_MONTHS", str(DEFAULT_REVISION_MONTHS))
        if not revisions.isdigit():
            raise FeedRequestError(f"REVISION_MONTHS must be a whole number: got {revisions!r}")
        return cls(bucket, first_month, int(revisions), env.get("SOURCE_URL") or BTS_PREZIP)


@dataclass(frozen=True)
class Plan:
    months: list[str]
    missing: list[str]
    revisions: list[str]


@dataclass(frozen=True)
class MonthResult:
    month: str
    status: str
    key: str
    csv_rows: int | None
    stored_bytes: int | None
    message: str


def handle(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda's handler (airline_fetch.lambda_handler.handle)."""
    if not isinstance(event, dict):
        raise FeedRequestError(f"the event must be a JSON object: got {type(event).__name__}")
    settings = FeedSettings.from_environment()
    store = S3Store(settings.bucket, "", _s3_client())
    today = dt.datetime.now(dt.UTC).date()
    step = event.get("step")
    if step == "plan":
        return asdict(plan(event, settings, store, today))
    if step == "fetch":
        return asdict(fetch_one(event, settings, store, today, context))
    raise FeedRequestError(f"unknown step {step!r}: expected 'plan' or 'fetch'")


def plan(event: dict[str, Any], settings: FeedSettings, store: S3Store, today: dt.date) -> Plan:
    request = event.get("request") or {}
    requested = request.get("months") if isinstance(request, dict) else None
    if requested is not None:
        if not isinstance(requested, list) or not requested:
            raise FeedRequestError(
                "'months' must be a non-empty list of YYYY-MM or YYYY-MM..YYYY-MM")
        months = expanded(str(item) for item in requested)
        return Plan(months, [], [])
    stored = stored_months(store.keys(DEFAULT_PREFIX))
    scheduled = plan_months(settings.first_month, today, stored, settings.revision_months)
    return Plan(list(scheduled.months), list(scheduled.missing), list(scheduled.revisions))


def stored_months(keys: Iterable[str]) -> set[str]:
    """The months (YYYY-MM) whose feed key (Month.landing_key: daily_flights/ itself, not a
    sub-folder) the bucket holds; any other file there is not a fetched month."""
    months = set()
    for key in keys:
        match = _FEED_KEY.fullmatch(key)
        if match and 1 <= int(match.group(2)) <= 12:
            months.add(f"{match.group(1)}-{match.group(2)}")
    return months


def fetch_one(event: dict[str, Any], settings: FeedSettings, store: S3Store,
              today: dt.date, context: Any = None) -> MonthResult:
    label = event.get("month")
    if not isinstance(label, str):
        raise FeedRequestError(f"'month' must be YYYY-MM: got {label!r}")
    (month,) = parse_months([label])
    workdir = Path(tempfile.mkdtemp(prefix="airline-fetch-"))  # /tmp: Lambda's only writable place
    try:
        (outcome,) = fetch_months([month], store, source=settings.source, workdir=workdir,
                                  settings=http_settings(context), check_remote=True).outcomes
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    status = str(outcome.status.value)
    if outcome.status is Status.NOT_FOUND and not_published_yet(str(month), today):
        status = NOT_PUBLISHED
    elif not outcome.succeeded:
        raise MonthFetchFailed(f"{month}: {outcome.status.value}: {outcome.message}")
    return MonthResult(str(month), status, outcome.key, outcome.csv_rows, outcome.stored_bytes,
                       outcome.message)


# Left for gzip and upload after the last try may start: a month's ~250 MB CSV compresses in
# well under a minute (scripts/benchmark_fetch.py), and its ~25 MB upload is S3 in-region.
AFTER_DOWNLOAD_SECONDS = 120.0


def http_settings(context: Any) -> HttpSettings:
    """Shorter patience than a terminal's (a stalled site is retried, not waited on), and no
    try or wait that could not finish before the function's own timeout: a month that runs
    out of time fails with what went wrong (the notice names it) rather than being killed."""
    give_up_at = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        remaining = context.get_remaining_time_in_millis() / 1000
        give_up_at = time.monotonic() + max(remaining - AFTER_DOWNLOAD_SECONDS, 0.0)
    return HttpSettings(connect_timeout=15.0, read_timeout=60.0, attempts=4,
                        give_up_at=give_up_at)


def _s3_client() -> Any:
    import boto3  # the Lambda runtime's own boto3 (not shipped in the function's zip)

    return boto3.client("s3")
