"""Which well-formed values are still impossible: the plausibility window of a flight date and
the bounds of a delay. A row outside them is rejected with its own reason
(`implausible_flight_date`, `implausible_dep_delay`, `implausible_arr_delay`), counted like
every other reject (rows read = landed + rejected).

- flight date: from FIRST_FLIGHT_DATE (1987-10-01, the first month of BTS on-time data)
  to the landing day (UTC) plus FUTURE_DAYS (default 1: a file of tomorrow's schedule is
  fine, one of 9999-12-31 is not);
- delay (departure and arrival, minutes): from -1440 (a day early; BTS's earliest real
  departures are about an hour early) to +4320 (three days; BTS's largest real delays are
  about 2,800 minutes, ~47 hours), so a real record never trips them and an
  overflow-looking 2,147,483,647 always does.

Settings of their own, from the environment at the edge (CLI, Glue shell), like the batch
bounds: AIRLINE_ELT_FIRST_FLIGHT_DATE (YYYY-MM-DD), AIRLINE_ELT_FUTURE_DAYS (0 or more),
AIRLINE_ELT_MIN_DELAY and AIRLINE_ELT_MAX_DELAY (minutes, min <= max).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

DEFAULT_FIRST_FLIGHT_DATE = date(1987, 10, 1)
DEFAULT_FUTURE_DAYS = 1
DEFAULT_MIN_DELAY = -1440
DEFAULT_MAX_DELAY = 4320
ENV_FIRST_FLIGHT_DATE = "AIRLINE_ELT_FIRST_FLIGHT_DATE"
ENV_FUTURE_DAYS = "AIRLINE_ELT_FUTURE_DAYS"
ENV_MIN_DELAY = "AIRLINE_ELT_MIN_DELAY"
ENV_MAX_DELAY = "AIRLINE_ELT_MAX_DELAY"


class PlausibilityError(ValueError):
    """A plausibility setting is not a valid value."""


@dataclass(frozen=True)
class Plausibility:
    first_flight_date: date = DEFAULT_FIRST_FLIGHT_DATE
    future_days: int = DEFAULT_FUTURE_DAYS
    min_delay: int = DEFAULT_MIN_DELAY
    max_delay: int = DEFAULT_MAX_DELAY

    def __post_init__(self) -> None:
        if self.future_days < 0:
            raise PlausibilityError(f"future days must be 0 or more, got {self.future_days}")
        if self.min_delay > self.max_delay:
            raise PlausibilityError(
                f"the delay bounds are reversed: min {self.min_delay} > max {self.max_delay}"
            )

    def last_flight_date(self, today: date | None = None) -> date:
        """The latest plausible flight date when landing on `today` (UTC today by default)."""
        return (today or datetime.now(UTC).date()) + timedelta(days=self.future_days)


def _int(name: str, text: str | None, default: int) -> int:
    if text is None or not text.strip():
        return default
    try:
        return int(text.strip())
    except ValueError as error:
        raise PlausibilityError(f"{name}={text!r} is not a whole number") from error


def _date(name: str, text: str | None, default: date) -> date:
    if text is None or not text.strip():
        return default
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise PlausibilityError(f"{name}={text!r} is not a date (YYYY-MM-DD)") from error


def plausibility_from(environ: Mapping[str, str] | None = None) -> Plausibility:
    """The settings from the environment, else the documented defaults."""
    env = os.environ if environ is None else environ
    return Plausibility(
        _date(ENV_FIRST_FLIGHT_DATE, env.get(ENV_FIRST_FLIGHT_DATE), DEFAULT_FIRST_FLIGHT_DATE),
        _int(ENV_FUTURE_DAYS, env.get(ENV_FUTURE_DAYS), DEFAULT_FUTURE_DAYS),
        _int(ENV_MIN_DELAY, env.get(ENV_MIN_DELAY), DEFAULT_MIN_DELAY),
        _int(ENV_MAX_DELAY, env.get(ENV_MAX_DELAY), DEFAULT_MAX_DELAY),
    )
