"""Which BTS months to fetch: `2013-01`, ranges `2013-03..2013-05`, and where each one lives.

BTS names its prezipped on-time months with the month NOT zero-padded
(`..._1987_present_2013_1.zip`), as every public download loop over
`https://transtats.bts.gov/PREZIP/` writes them (e.g. the ClickHouse "ontime" example
dataset's download loop, `seq 1 12`). The data starts with October 1987.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

BTS_PREZIP = "https://transtats.bts.gov/PREZIP/"
ZIP_NAME = "On_Time_Reporting_Carrier_On_Time_Performance_1987_present_{year}_{month}.zip"
DEFAULT_PREFIX = "daily_flights/"
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


class MonthError(ValueError):
    """A month argument that cannot be read; the message names it and says why."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def zip_url(self, source: str = BTS_PREZIP) -> str:
        """The month's zip under `source` (a folder URL; a missing final slash is added)."""
        folder = source if source.endswith("/") else source + "/"
        return folder + ZIP_NAME.format(year=self.year, month=self.month)

    def landing_key(self, prefix: str = DEFAULT_PREFIX) -> str:
        """The month's stable key in the landing: the landing takes the flights' dates from
        the file's FlightDate column, so the name only has to be one per month."""
        return f"{prefix}bts_ontime_{self.year:04d}_{self.month:02d}.csv.gz"

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def next(self) -> Month:
        return self.plus(1)

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)


FIRST_MONTH = Month(1987, 10)


def parse_month(text: str) -> Month:
    match = _MONTH.fullmatch(text.strip())
    if not match:
        raise MonthError(f"{text!r} is not a month: give YYYY-MM, e.g. 2013-01")
    month = Month(int(match.group(1)), int(match.group(2)))
    if not 1 <= month.month <= 12:
        raise MonthError(f"{text!r} is not a month: the month must be 01 to 12")
    if month < FIRST_MONTH:
        raise MonthError(f"{text!r} is before {FIRST_MONTH}: BTS on-time data starts with "
                         f"October 1987")
    return month


def parse_months(arguments: Iterable[str]) -> list[Month]:
    """Months and ranges (`FIRST..LAST`, both included) as a sorted list without repeats."""
    months: set[Month] = set()
    for argument in arguments:
        first_text, dots, last_text = argument.partition("..")
        if not dots:
            months.add(parse_month(argument))
            continue
        first, last = parse_month(first_text), parse_month(last_text)
        if last < first:
            raise MonthError(f"{argument!r} runs backwards: give the earlier month first "
                             f"({last}..{first})")
        month = first
        while month <= last:
            months.add(month)
            month = month.next()
    if not months:
        raise MonthError("give at least one month, e.g. 2013-01 or 2013-01..2013-12")
    return sorted(months)
