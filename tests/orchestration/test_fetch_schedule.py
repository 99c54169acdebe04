"""The monthly feed's planner (airline_fetch/schedule.py): pure, no AWS."""

from __future__ import annotations

import datetime as dt

import pytest

from airline_fetch.schedule import (
    ScheduleError,
    expanded,
    not_published_yet,
    plan_months,
)

TODAY = dt.date(2026, 12, 4)


def test_an_empty_bucket_gets_every_month_from_the_first_kept_to_last_month() -> None:
    plan = plan_months("2025-10", TODAY, stored=[])
    assert plan.missing == ("2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
                            "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09",
                            "2026-10", "2026-11")
    assert plan.revisions == ()
    assert plan.months == plan.missing  # never the current month: it is not over


def test_held_months_outside_the_revision_window_cost_nothing() -> None:
    held = [f"{year}-{month:02d}" for year in (2020, 2021, 2022, 2023, 2024, 2025)
            for month in range(1, 13)] + [f"2026-{month:02d}" for month in range(1, 10)]
    plan = plan_months("2020-01", TODAY, held, revision_months=3)
    assert plan.missing == ("2026-10", "2026-11")
    assert plan.revisions == ("2026-09",)  # the window is the last 3 months: 09, 10, 11
    assert plan.months == ("2026-09", "2026-10", "2026-11")


def test_a_hole_in_the_history_is_filled_whatever_its_age() -> None:
    held = [f"2024-{month:02d}" for month in range(1, 13) if month != 4]
    plan = plan_months("2024-01", dt.date(2025, 1, 20), held, revision_months=2)
    assert plan.missing == ("2024-04",)
    assert plan.revisions == ("2024-11", "2024-12")


def test_no_revision_window_checks_only_missing_months() -> None:
    plan = plan_months("2026-01", TODAY, [f"2026-{m:02d}" for m in range(1, 12)], 0)
    assert plan.months == ()


def test_a_first_month_after_last_month_plans_nothing() -> None:
    assert plan_months("2026-12", TODAY, []).months == ()


def test_the_runs_cost_grows_with_new_data_not_with_history() -> None:
    ten_years = [f"{y}-{m:02d}" for y in range(2016, 2026) for m in range(1, 13)]
    one_year = [f"2025-{m:02d}" for m in range(1, 13)]
    assert (len(plan_months("2016-01", TODAY, ten_years).months)
            == len(plan_months("2025-01", TODAY, one_year).months))


@pytest.mark.parametrize("bad", ["2026-13", "26-01", "2026/01", "", "2026-1x"])
def test_a_malformed_first_month_is_refused_with_its_value(bad: str) -> None:
    with pytest.raises(ScheduleError, match="not a month"):
        plan_months(bad, TODAY, [])


def test_a_negative_revision_window_is_refused() -> None:
    with pytest.raises(ScheduleError, match="0 or more"):
        plan_months("2026-01", TODAY, [], revision_months=-1)


def test_months_by_hand_take_ranges_once_each_oldest_first() -> None:
    assert expanded(["2013-11..2014-02", "2013-12", "2012-05"]) == [
        "2012-05", "2013-11", "2013-12", "2014-01", "2014-02"]
    with pytest.raises(ScheduleError, match="runs backwards"):
        expanded(["2014-02..2013-11"])


@pytest.mark.parametrize(("month", "today", "expected"), [
    ("2026-11", TODAY, True),   # ended days ago
    ("2026-09", TODAY, True),   # ended 2 months ago: BTS publishes 6-8 weeks after
    ("2026-08", TODAY, False),  # ended more than 3 months ago: a real failure
    ("2026-08", dt.date(2026, 11, 30), True),
    ("2026-08", dt.date(2026, 12, 1), False),
])
def test_a_recent_month_missing_on_the_site_is_not_published_yet(
        month: str, today: dt.date, expected: bool) -> None:
    assert not_published_yet(month, today) is expected


def test_only_the_feeds_own_keys_count_as_months_held() -> None:
    """A look-alike in a sub-folder, an unpadded or impossible month, or any other upload under
    daily_flights/ is not a fetched month: the plan neither skips nor chokes on it."""
    from airline_fetch.lambda_handler import stored_months
    from airline_fetch.months import Month

    keys = [Month(2013, 1).landing_key(), "daily_flights/old/bts_ontime_2013_02.csv.gz",
            "daily_flights/bts_ontime_2013_3.csv.gz", "daily_flights/bts_ontime_2013_13.csv.gz",
            "daily_flights/date=2013-04-01/flights.csv", "daily_flights/bts_ontime_2013_05.csv"]
    assert stored_months(keys) == {"2013-01"}
    assert plan_months("2013-01", dt.date(2013, 4, 10), stored_months(keys), 0).missing == (
        "2013-02", "2013-03")
