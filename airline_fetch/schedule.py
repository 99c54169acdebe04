"""Which months a scheduled fetch checks, and what a month's outcome means for the run (pure).

A run checks, from the first month kept to the month before `today`:
- every month the bucket does not hold yet (new data: each costs a download);
- the last `revision_months` months it does hold, because BTS revises recent files: the fetch
  compares them by HEAD first, so an unchanged month costs one request, not a download. A run's
  cost grows with new data, not with the history.

BTS publishes a month some six to eight weeks after it ends, so a month that ended less than
`NOT_PUBLISHED_GRACE_MONTHS` months ago and is answered NOT_FOUND is "not published yet", not
a failure; an older NOT_FOUND, and every FAILED, is a failure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from airline_fetch.months import Month, MonthError, parse_month, parse_months

DEFAULT_REVISION_MONTHS = 12
NOT_PUBLISHED_GRACE_MONTHS = 3


class ScheduleError(ValueError):
    """A schedule setting that cannot be used (a malformed month, a negative window)."""


def parse(text: str) -> Month:
    """A month setting (YYYY-MM), by the fetch's own month rule (airline_fetch.months)."""
    try:
        return parse_month(text if isinstance(text, str) else "")
    except MonthError as error:
        raise ScheduleError(str(error)) from None


@dataclass(frozen=True)
class FetchPlan:
    """The months one run checks (oldest first): the missing ones and the revision window."""

    missing: tuple[str, ...]
    revisions: tuple[str, ...]

    @property
    def months(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.missing) | set(self.revisions)))


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from `first` to `last`, both included (empty when `first` is later)."""
    months = []
    current = first
    while current <= last:
        months.append(current)
        current = current.next()
    return months


def plan_months(
    first_kept: str,
    today: dt.date,
    stored: Iterable[str],
    revision_months: int = DEFAULT_REVISION_MONTHS,
) -> FetchPlan:
    """The months to check on a run on `today`, given the months the bucket holds (`stored`,
    as YYYY-MM). Months after the month before `today` are never checked: they cannot be
    complete yet."""
    if revision_months < 0:
        raise ScheduleError(f"the revision window must be 0 or more months: got {revision_months}")
    first = parse(first_kept)
    last = Month.of(today).plus(-1)
    held = {parse(label) for label in stored}
    window = months_between(first, last)
    missing = [m for m in window if m not in held]
    recent_start = last.plus(-(revision_months - 1)) if revision_months else last.plus(1)
    revisions = [m for m in window if m in held and m >= recent_start]
    return FetchPlan(tuple(map(str, missing)), tuple(map(str, revisions)))


def expanded(requests: Iterable[str]) -> list[str]:
    """Months asked for by hand: YYYY-MM or a range YYYY-MM..YYYY-MM, oldest first, once each
    (the rule of `airline-elt fetch MONTH...`)."""
    try:
        return [str(month) for month in parse_months([str(r) for r in requests])]
    except MonthError as error:
        raise ScheduleError(str(error)) from None


def not_published_yet(month: str, today: dt.date) -> bool:
    """True when `month` ended less than NOT_PUBLISHED_GRACE_MONTHS months before `today`, so a
    missing file is BTS's publication delay, not a failure."""
    month_end = parse(month).plus(1)
    return today < month_end.plus(NOT_PUBLISHED_GRACE_MONTHS).first_day()
