"""Which months a fetch asks for, and where each one is fetched from and landed."""

from __future__ import annotations

import pytest

from airline_fetch.months import Month, MonthError, parse_months


def test_months_and_ranges_come_sorted_without_repeats() -> None:
    months = parse_months(["2013-05", "2013-01", "2013-03..2013-05", "2012-12..2013-01"])
    assert months == [Month(2012, 12), Month(2013, 1), Month(2013, 3), Month(2013, 4),
                      Month(2013, 5)]


def test_a_range_crosses_the_year() -> None:
    assert [str(m) for m in parse_months(["2022-11..2023-02"])] == [
        "2022-11", "2022-12", "2023-01", "2023-02"]


def test_a_whole_year() -> None:
    assert len(parse_months(["2023-01..2023-12"])) == 12


@pytest.mark.parametrize(("argument", "says"), [
    ("2013-13", "the month must be 01 to 12"),
    ("2013-00", "the month must be 01 to 12"),
    ("2013-05..2013-03", "runs backwards: give the earlier month first (2013-03..2013-05)"),
    ("1987-09", "before 1987-10: BTS on-time data starts with October 1987"),
    ("1987-01..1987-12", "before 1987-10"),
    ("2013/01", "is not a month: give YYYY-MM"),
    ("january", "is not a month: give YYYY-MM"),
    ("2013-01..", "is not a month"),
])
def test_bad_months_are_refused_with_why(argument: str, says: str) -> None:
    with pytest.raises(MonthError) as raised:
        parse_months([argument])
    assert says in str(raised.value)


def test_the_first_month_bts_has_is_accepted() -> None:
    assert parse_months(["1987-10"]) == [Month(1987, 10)]


def test_the_zip_url_has_the_month_without_a_leading_zero() -> None:
    """BTS names them ..._2013_1.zip, not ..._2013_01.zip."""
    assert Month(2013, 1).zip_url("https://transtats.bts.gov/PREZIP/") == (
        "https://transtats.bts.gov/PREZIP/"
        "On_Time_Reporting_Carrier_On_Time_Performance_1987_present_2013_1.zip")
    assert Month(2013, 11).zip_url("http://127.0.0.1:8000/mirror").endswith(
        "/mirror/On_Time_Reporting_Carrier_On_Time_Performance_1987_present_2013_11.zip")


def test_the_landing_key_is_stable_per_month() -> None:
    assert Month(2013, 1).landing_key() == "daily_flights/bts_ontime_2013_01.csv.gz"
    assert Month(2023, 12).landing_key("other/") == "other/bts_ontime_2023_12.csv.gz"
