"""The seed example of 2023-11-15 as a golden test: real PostgreSQL, real dbt builds."""

from __future__ import annotations

from datetime import date

import pytest

DAY = date(2023, 11, 15)

GOLDEN_LANDING = """
FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate
DL1234,DL,11433,13303,-3,1,2023-11-15
AA5678,AA,10397,14869,75,82,2023-11-15
UA9012,UA,14107,13487,62,58,2023-11-15
WN2345,WN,11298,12892,45,39,2023-11-15
BA7890,BA,11292,15376,120,115,2023-11-15
QF3456,QF,10397,14107,5,-2,2023-11-15
EK4567,EK,14869,11433,88,92,2023-11-15
SQ6789,SQ,13487,11298,0,-5,2023-11-15
LH7890,LH,12892,14869,63,60,2023-11-15
TK8901,TK,15376,10397,15,12,2023-11-15
"""

GOLDEN_FACT = [
    ("BA7890", DAY, "BA", "Denver International", "Tucson International",
     "Denver", "Tucson", "CO", "AZ", 120, 115),
    ("EK4567", DAY, "EK", "Salt Lake City International", "Detroit Metro Wayne County",
     "Salt Lake City", "Detroit", "UT", "MI", 88, 92),
    ("AA5678", DAY, "AA", "Hartsfield-Jackson Atlanta International",
     "Salt Lake City International", "Atlanta", "Salt Lake City", "GA", "UT", 75, 82),
    ("LH7890", DAY, "LH", "Los Angeles International", "Salt Lake City International",
     "Los Angeles", "Salt Lake City", "CA", "UT", 63, 60),
    ("UA9012", DAY, "UA", "Phoenix Sky Harbor International", "Minneapolis-St Paul International",
     "Phoenix", "Minneapolis", "AZ", "MN", 62, 58),
]


@pytest.fixture(scope="module")
def golden(dbt_project):
    return dbt_project


def test_seed_example_gives_exactly_the_five_delayed_flights(golden, landing_rows):
    version = golden.land("daily_flights/date=2023-11-15/flights.csv", landing_rows(GOLDEN_LANDING))
    golden.run("build")
    assert golden.fact() == GOLDEN_FACT
    golden.version = version


def test_fact_names_match_the_seed(golden):
    mismatched = golden.query(
        """
        select fact.flight_id
        from airlines.daily_flights_fact as fact
        join airlines.airports_dim as origin on fact.origin_airport_id = origin.airport_id
        join airlines.airports_dim as destination on fact.dest_airport_id = destination.airport_id
        where fact.dep_airport <> origin.name or fact.dep_city <> origin.city
           or fact.dep_state <> origin.state or fact.arr_airport <> destination.name
           or fact.arr_city <> destination.city or fact.arr_state <> destination.state
        """
    )
    assert mismatched == []


def test_second_build_changes_nothing(golden):
    rows_where = "select *, ctid::text from airlines.daily_flights_fact order by flight_id"
    before = golden.query(rows_where)
    output = golden.run("build")
    after = golden.query(rows_where)
    # Same rows in the same physical places: the date was not deleted and reinserted.
    assert after == before
    assert "ERROR=0" in output


def test_replacing_the_days_rows_gives_the_new_answer_and_no_trace_of_the_old(golden, landing_rows):
    corrected = """
    FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate
    DL1234,DL,11433,13303,95,90,2023-11-15
    AA5678,AA,10397,14869,10,12,2023-11-15
    BA7890,BA,11292,15376,120,115,2023-11-15
    """
    golden.land(
        "daily_flights/date=2023-11-15/flights.csv",
        landing_rows(corrected),
        replaces=golden.version,
    )
    golden.run("build")
    assert golden.fact() == [
        ("BA7890", DAY, "BA", "Denver International", "Tucson International",
         "Denver", "Tucson", "CO", "AZ", 120, 115),
        ("DL1234", DAY, "DL", "Detroit Metro Wayne County", "Miami International",
         "Detroit", "Miami", "MI", "FL", 95, 90),
    ]
    stale = golden.query(
        "select count(*) from airlines.daily_flights_fact where file_version_id = %s",
        (golden.version,),
    )
    assert stale == [(0,)]
    assert golden.query(
        "select flights_scheduled, flights_delayed from airlines.mv_daily_delay_trend"
    ) == [(3, 2)]
