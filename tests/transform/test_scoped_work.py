"""A run does the work its new data needs: materialized views refresh only when their inputs
changed and are replaced when their SQL changed; data tests look at the dates the run rebuilt
(every date with test_all_dates); each error-severity singular test fails on data that
breaks its rule."""

from __future__ import annotations

from datetime import date

import pytest
from mart_reference import MART_KEYS

NOV_1, NOV_2, NOV_3 = date(2023, 11, 1), date(2023, 11, 2), date(2023, 11, 3)
ATL, DEN, SLC = 10397, 11292, 14869
ALL_DATES = ("--vars", "{test_all_dates: true}")
MARTS = (*MART_KEYS, "rejected_flights", "unknown_airports")


def flight(flight_id: str, day: date, dep: int | None, origin: int = ATL, dest: int = DEN):
    return (flight_id, flight_id[:2], origin, dest, dep, None if dep is None else dep - 5, day)


@pytest.fixture(scope="module")
def project(dbt_project):
    dbt_project.land("daily_flights/date=2023-11-01/flights.csv", [
        flight("AA101", NOV_1, 90), flight("AA102", NOV_1, 10), flight("AA103", NOV_1, None),
    ])
    dbt_project.land("daily_flights/date=2023-11-02/flights.csv", [
        flight("DL201", NOV_2, 61), flight("DL202", NOV_2, 75, dest=SLC),
    ])
    dbt_project.run("build")
    return dbt_project


def storage(project) -> dict[str, int]:
    """Each materialized view's file: REFRESH (and a new definition) writes a new one."""
    return dict(project.query(
        "select relname, relfilenode from pg_class"
        " where relkind = 'm' and relnamespace = 'airlines'::regnamespace"
    ))


def test_nothing_new_refreshes_no_materialized_view(project):
    before = storage(project)
    assert sorted(before) == sorted(MARTS)
    output = project.run("build")
    assert storage(project) == before
    assert "ERROR=0" in output


def test_a_new_day_refreshes_the_marts(project):
    before = storage(project)
    project.land("daily_flights/date=2023-11-03/flights.csv", [flight("UA301", NOV_3, 75)])
    project.run("build")
    after = storage(project)
    assert all(after[mart] != before[mart] for mart in MARTS)
    assert project.query(
        "select flights_delayed from airlines.mv_daily_delay_trend where flight_date = %s",
        (NOV_3,),
    ) == [(1,)]


def test_a_changed_definition_replaces_the_view_on_a_plain_build(project):
    """dbt alone only refreshes an existing view whose SQL changed (dbt-core#8862)."""
    project.execute(
        "drop materialized view airlines.mv_carrier_delays;"
        " create materialized view airlines.mv_carrier_delays as select 'stale' as carrier;"
        " update intermediate.relation_definitions set definition_md5 = md5('older sql')"
        " where relation_name = 'mv_carrier_delays'"
    )
    project.run("build")
    assert project.query(
        "select carrier, flights_delayed from airlines.mv_carrier_delays order by carrier"
    ) == [("AA", 1), ("DL", 2), ("UA", 1)]


def test_per_run_tests_look_at_the_rebuilt_dates_and_all_dates_when_asked(project):
    # A duplicate planted on Nov 1, a date the next run does not rebuild.
    project.execute(
        "insert into airlines.daily_flights_fact select * from airlines.daily_flights_fact"
        " where flight_date = %s",
        (NOV_1,),
    )
    project.land("daily_flights/date=2023-11-04/flights.csv", [
        flight("WN401", date(2023, 11, 4), 95)
    ])
    project.run("build")  # scoped: Nov 4 only, passes
    output = project.run("test", "--select", "daily_flights_fact", *ALL_DATES,
                         expect_success=False)
    assert "Failure in test unique_combination_of_columns_daily_flights_fact" in output
    assert "ERROR=1" in output
    project.run("build", "--full-refresh", "--select", "daily_flights_fact")
    project.run("test", *ALL_DATES)


def test_staging_tests_in_a_build_look_at_the_newly_landed_versions(project):
    """stg_raw__flights' tests run before int_flights_enriched is built: they test the file
    versions it has not taken in yet, not the dates of the previous build."""
    nov_5, nov_6 = date(2023, 11, 5), date(2023, 11, 6)
    project.land("daily_flights/date=2023-11-05/flights.csv", [flight("B6501", nov_5, 80)])
    project.run("build")
    # A duplicate (file version, line) planted in raw on Nov 5, the previous build's date.
    project.execute(
        "insert into raw.flights_landing select * from raw.flights_landing"
        " where flight_date = %s",
        (nov_5,),
    )
    project.land("daily_flights/date=2023-11-06/flights.csv", [flight("B6601", nov_6, 85)])
    output = project.run("build")  # stg tests look at the Nov 6 version only: pass
    assert "ERROR=0" in output
    output = project.run("test", "--select", "stg_raw__flights", *ALL_DATES,
                         expect_success=False)
    assert "Failure in test unique_combination_of_columns_stg_raw__flights" in output
    project.execute(
        "delete from raw.flights_landing where ctid in (select max(ctid)"
        " from raw.flights_landing where flight_date = %s)",
        (nov_5,),
    )
    # With nothing new landed, a `dbt test` looks at the dates of the last build.
    project.run("test", "--select", "stg_raw__flights")


@pytest.mark.parametrize(
    ("test_name", "breakage"),
    [
        ("assert_fact_holds_every_delayed_flight",
         "delete from airlines.daily_flights_fact where flight_id = 'UA301'"),
        ("assert_fact_holds_every_delayed_flight",
         "update airlines.daily_flights_fact set dep_airport = 'Elsewhere'"
         " where flight_id = 'UA301'"),
        ("assert_fact_holds_every_delayed_flight",
         "insert into airlines.daily_flights_fact (flight_id, flight_date, carrier, dep_delay,"
         " origin_airport_id, dest_airport_id, source_line_number, file_version_id)"
         " values ('XX999', '2023-11-03', 'XX', 200, 10397, 11292, 999, 1)"),
        ("assert_every_landed_flight_is_enriched",
         "delete from intermediate.int_flights_enriched where flight_id = 'AA102'"),
        ("int_flights_enriched_holds_each_landed_row_once",
         "insert into intermediate.int_flights_enriched select * from"
         " intermediate.int_flights_enriched where flight_id = 'AA102'"),
        ("int_flight_delays_daily_totals_sums_the_daily_rows",
         "update intermediate.int_flight_delays_daily_totals set flights_delayed ="
         " flights_delayed + 1 where flight_date = '2023-11-03'"),
        ("int_flight_delays_daily_totals_sums_the_daily_rows",
         "delete from intermediate.int_flight_delays_daily_totals"
         " where flight_date = '2023-11-03'"),
        ("int_flight_delays_monthly_sums_the_daily_rows",
         "update intermediate.int_flight_delays_monthly set max_dep_delay = max_dep_delay + 1"
         " where carrier = 'UA'"),
    ],
    ids=["fact-row-missing", "fact-row-stale", "fact-row-extra", "enriched-row-missing",
         "enriched-row-doubled", "daily-total-stale", "daily-total-missing",
         "monthly-row-stale"],
)
def test_each_row_test_fails_on_data_breaking_its_rule(project, test_name, breakage):
    project.run("test", "--select", test_name, *ALL_DATES)  # passes on good data
    with _broken(project, breakage):
        output = project.run("test", "--select", test_name, *ALL_DATES, expect_success=False)
        assert f"Failure in test {test_name}" in output
        assert "ERROR=1" in output


class _broken:
    """Break the data, then repair it with a full refresh."""

    def __init__(self, project, breakage: str) -> None:
        self.project = project
        self.breakage = breakage

    def __enter__(self) -> None:
        self.project.execute(self.breakage)

    def __exit__(self, *exc: object) -> None:
        self.project.run("build", "--full-refresh", "--select", "int_flights_enriched",
                         "daily_flights_fact", "int_flight_delays_daily_totals",
                         "int_flight_delays_monthly")
