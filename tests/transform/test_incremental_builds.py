"""The fact's incremental contract, end to end on the real warehouse: which dates a run
rebuilds, re-delivered and moved rows, airports added to the seed, full refreshes."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from mart_reference import MART_KEYS

from airline_elt.seeds import install_airports
from airline_elt.state import project_dir

NOV_1, NOV_2, NOV_3 = date(2023, 11, 1), date(2023, 11, 2), date(2023, 11, 3)
ATL, DEN, SLC, UNKNOWN = 10397, 11292, 14869, 19999


def flight(flight_id: str, day: date, dep: int | None, origin: int = ATL, dest: int = DEN):
    carrier = flight_id[:2]
    return (flight_id, carrier, origin, dest, dep, None if dep is None else dep - 5, day)


@pytest.fixture(scope="module")
def project(dbt_project):
    return dbt_project


def fact_ids(project, day: date | None = None) -> list[str]:
    return [row[0] for row in project.fact(day)]


def enriched_at(project) -> dict[date, object]:
    return dict(
        project.query(
            "select flight_date, max(enriched_at) from intermediate.int_flights_enriched"
            " group by flight_date"
        )
    )


def writers(project, table: str) -> dict[date, set[str]]:
    """The transactions that wrote each date's rows (PostgreSQL's xmin): a rebuilt date
    gets the new run's, a date left alone keeps its old ones."""
    by_date: dict[date, set[str]] = {}
    for day, xmin in project.query(f"select flight_date, xmin::text from {table}"):
        by_date.setdefault(day, set()).add(xmin)
    return by_date


PER_DATE_TABLES = (
    "intermediate.int_flights_enriched",
    "intermediate.int_flight_delays_daily",
    "airlines.daily_flights_fact",
)


def all_writers(project) -> dict[str, dict[date, set[str]]]:
    return {table: writers(project, table) for table in PER_DATE_TABLES}


def test_first_build_takes_every_date(project):
    project.versions = {
        "nov1": project.land("daily_flights/date=2023-11-01/flights.csv", [
            flight("AA101", NOV_1, 90), flight("AA102", NOV_1, 10), flight("AA103", NOV_1, None),
        ]),
        "nov2": project.land("daily_flights/date=2023-11-02/flights.csv", [
            flight("DL201", NOV_2, 61), flight("DL202", NOV_2, 60),
        ]),
    }
    project.run("build")
    assert fact_ids(project) == ["AA101", "DL201"]


def test_a_new_day_rebuilds_that_day_only(project):
    before = enriched_at(project)
    written_before = all_writers(project)
    project.land("daily_flights/date=2023-11-03/flights.csv", [flight("UA301", NOV_3, 75)])
    project.run("build")
    after = enriched_at(project)
    assert after[NOV_1] == before[NOV_1]
    assert after[NOV_2] == before[NOV_2]
    assert after[NOV_3] > before[NOV_1]
    assert fact_ids(project, NOV_3) == ["UA301"]
    written_after = all_writers(project)
    for table in PER_DATE_TABLES:
        for day in written_before[table]:
            assert written_after[table][day] == written_before[table][day], (table, day)
        assert written_after[table][NOV_3], table


def test_correction_removing_a_days_only_delayed_flight_removes_it_from_the_fact(project):
    project.versions["nov2"] = project.land(
        "daily_flights/date=2023-11-02/flights.csv",
        [flight("DL201", NOV_2, 20), flight("DL202", NOV_2, 60)],
        replaces=project.versions["nov2"],
    )
    project.run("build")
    assert fact_ids(project, NOV_2) == []
    assert fact_ids(project) == ["AA101", "UA301"]


def test_correction_moving_a_flight_to_another_date_rebuilds_both_dates(project):
    # The Nov 1 file is re-delivered with AA101 dated Nov 2 (a wrong date fixed).
    project.versions["nov1"] = project.land(
        "daily_flights/date=2023-11-01/flights.csv",
        [flight("AA101", NOV_2, 90), flight("AA102", NOV_1, 10), flight("AA103", NOV_1, None)],
        replaces=project.versions["nov1"],
    )
    project.run("build")
    assert fact_ids(project, NOV_1) == []
    assert fact_ids(project, NOV_2) == ["AA101"]
    assert project.query(
        "select flight_date, flights_scheduled, flights_delayed from airlines.mv_daily_delay_trend"
        " order by flight_date"
    ) == [(NOV_1, 2, 0), (NOV_2, 3, 1), (NOV_3, 1, 1)]


def test_a_date_whose_rows_all_vanish_is_emptied(project):
    project.land(
        "daily_flights/date=2023-11-03/flights.csv",
        [flight("UA301", NOV_2, 75)],
        replaces=project.query(
            "select file_version_id from raw.landed_files"
            " where file_key like '%%2023-11-03%%' and status = 'landed'"
        )[0][0],
    )
    project.run("build")
    assert project.query(
        "select count(*) from intermediate.int_flights_enriched where flight_date = %s", (NOV_3,)
    ) == [(0,)]
    assert fact_ids(project, NOV_3) == []
    assert sorted(fact_ids(project, NOV_2)) == ["AA101", "UA301"]


def test_unknown_airport_is_rejected_then_reaches_the_fact_once_in_the_seed(project, tmp_path):
    project.land("daily_flights/date=2023-11-04/flights.csv", [
        flight("WN401", date(2023, 11, 4), 130, origin=UNKNOWN, dest=SLC),
        flight("WN402", date(2023, 11, 4), 5, origin=UNKNOWN, dest=SLC),
    ])
    output = project.run("build")
    # The warn-severity test counts the flights with unknown airports; the build still passes.
    assert "WARN=1" in output
    assert "WN401" not in fact_ids(project)
    assert project.query(
        "select flight_id, reason, reason_detail from airlines.rejected_flights"
        " where reason like 'unknown%%'"
    ) == [("WN401", "unknown_origin_airport", f"airport id not in airports_dim: {UNKNOWN}")]

    airports = tmp_path / "airports.csv"
    shutil.copyfile(project_dir() / "seeds" / "airports_dim.csv", airports)
    with airports.open("a", encoding="utf-8") as out:
        out.write(f"{UNKNOWN},Springfield,IL,Abraham Lincoln Capital\n")
    install_airports(airports, project.home)
    before = enriched_at(project)
    written_before = all_writers(project)

    project.run("build")
    assert project.fact(date(2023, 11, 4)) == [
        ("WN401", date(2023, 11, 4), "WN", "Abraham Lincoln Capital",
         "Salt Lake City International", "Springfield", "Salt Lake City", "IL", "UT", 130, 125),
    ]
    assert project.query("select count(*) from airlines.rejected_flights") == [(0,)]
    after = enriched_at(project)
    assert after[NOV_1] == before[NOV_1], "dates without the new airport are not rebuilt"
    written_after = all_writers(project)
    for table in PER_DATE_TABLES:
        for day in (NOV_1, NOV_2):
            if day in written_before[table]:
                assert written_after[table][day] == written_before[table][day], (table, day)
    assert written_after["intermediate.int_flight_delays_daily"][date(2023, 11, 4)] != (
        written_before["intermediate.int_flight_delays_daily"][date(2023, 11, 4)]
    )


@pytest.mark.parametrize(
    "selection",
    [["--select", "daily_flights_fact"], ["--select", "int_flights_enriched+"], []],
    ids=["fact-only", "enriched-and-downstream", "everything"],
)
def test_full_refresh_rebuilds_in_place_and_keeps_the_marts(project, selection):
    expected = sorted(project.fact())
    xmin = "select distinct xmin::text from airlines.daily_flights_fact"
    writers_before = set(project.query(xmin))
    project.run("build", "--full-refresh", *selection)
    assert sorted(project.fact()) == expected
    marts = project.query(
        "select matviewname from pg_matviews where schemaname = 'airlines' order by 1"
    )
    assert marts == [(name,) for name in sorted(MART_KEYS)] + [
        ("rejected_flights",), ("unknown_airports",),
    ]
    # Every fact row was rewritten, all by this run's one transaction.
    writers_after = set(project.query(xmin))
    assert len(writers_after) == 1
    assert writers_after.isdisjoint(writers_before)


def test_a_changed_threshold_rebuilds_every_date_by_itself(project):
    """60 -> 90 -> a plain build (60 again) -> 60: each build's fact and marts are right,
    with no --full-refresh anywhere."""
    default = sorted(project.fact())
    enriched = project.query(
        "select flight_id, dep_delay from intermediate.int_flights_enriched"
        " where has_known_origin and has_known_destination and dep_delay is not null"
    )

    def expected(threshold: int) -> list[tuple]:
        return sorted(row for row in default if row[9] > threshold)

    def delayed_in_marts() -> int:
        return project.query("select sum(flights_delayed) from airlines.mv_daily_delay_trend")[0][0]

    project.run("build", "--vars", "{delay_threshold_minutes: 90}")
    assert sorted(project.fact()) == expected(90)
    assert delayed_in_marts() == len([1 for _, dep in enriched if dep > 90])
    project.run("build")
    assert sorted(project.fact()) == default
    assert delayed_in_marts() == len([1 for _, dep in enriched if dep > 60])
    project.run("build", "--vars", "{delay_threshold_minutes: 60}")
    assert sorted(project.fact()) == default
    project.run("build", "--vars", "{delay_threshold_minutes: 120}")
    assert sorted(project.fact()) == expected(120)
    assert delayed_in_marts() == len([1 for _, dep in enriched if dep > 120])
    project.run("build")
    assert sorted(project.fact()) == default


def test_a_new_threshold_applies_with_a_full_refresh(project):
    default = sorted(project.fact())
    project.run("build", "--full-refresh", "--vars", "{delay_threshold_minutes: 100}")
    assert sorted(project.fact()) == [row for row in default if row[9] > 100]
    assert project.query(
        "select sum(flights_delayed) from airlines.mv_daily_delay_trend"
    ) == [(len([row for row in default if row[9] > 100]),)]
    project.run("build", "--full-refresh")
    assert sorted(project.fact()) == default
