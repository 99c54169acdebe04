"""Malformed values in the BTS cause, schedule and cancellation columns (issue 14), in a BTS
month among good rows: each row is rejected with `bad_<column>`, a detail naming the
header's column and the value, its line number and its raw line verbatim; the good rows land
with those columns typed; rows read = landed + rejected.

One file holds every case (and 300 good rows, under the reject limit), landed once."""

from __future__ import annotations

import psycopg
import pytest
from bad_input_helpers import empty_raw, file_row, write

from airline_landing.local import land_folder

KEY = "daily_flights/bts/On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2023_10.csv"
NAMES = (
    "Year", "FlightDate", "Reporting_Airline", "Tail_Number", "Flight_Number_Reporting_Airline",
    "OriginAirportID", "DestAirportID", "CRSDepTime", "DepDelay", "DepTimeBlk", "ArrDelay",
    "Cancelled", "CancellationCode", "Diverted", "Distance", "CarrierDelay", "WeatherDelay",
    "NASDelay", "SecurityDelay", "LateAircraftDelay",
)
HEADER = ",".join(f'"{name}"' for name in NAMES) + ","


def line(number: int, **changes: str) -> str:
    values = {
        "Year": "2023", "FlightDate": "2023-10-05", "Reporting_Airline": '"WN"',
        "Tail_Number": '"N8710M"', "Flight_Number_Reporting_Airline": str(number),
        "OriginAirportID": "11292", "DestAirportID": "14107", "CRSDepTime": '"1745"',
        "DepDelay": "42.00", "DepTimeBlk": '"1700-1759"', "ArrDelay": "38.00",
        "Cancelled": "0.00", "CancellationCode": '""', "Diverted": "0.00",
        "Distance": "602.00", "CarrierDelay": "8.00", "WeatherDelay": "0.00",
        "NASDelay": "0.00", "SecurityDelay": "0.00", "LateAircraftDelay": "30.00",
    } | changes
    return ",".join(values[name] for name in NAMES) + ","


# (case id, the column's new value, reason code, the detail)
CASES = [
    ("negative_cause", "CarrierDelay", "-8.00", "bad_carrier_delay",
     "CarrierDelay '-8.00' is not a whole number of minutes (0 or more)"),
    ("fraction_cause", "WeatherDelay", "2.50", "bad_weather_delay",
     "WeatherDelay '2.50' is not a whole number of minutes (0 or more)"),
    ("text_cause", "NASDelay", "n/a", "bad_nas_delay",
     "NASDelay 'n/a' is not a whole number of minutes (0 or more)"),
    ("overflow_cause", "SecurityDelay", "99999999999", "bad_security_delay",
     "SecurityDelay '99999999999' is not a whole number of minutes (0 or more)"),
    ("exp_cause", "LateAircraftDelay", "3e1", "bad_late_aircraft_delay",
     "LateAircraftDelay '3e1' is not a whole number of minutes (0 or more)"),
    ("clock_past_2400", "CRSDepTime", '"2410"', "bad_scheduled_dep_time",
     "CRSDepTime '2410' is not a clock time (hhmm, 0000 to 2400)"),
    ("clock_minute_75", "CRSDepTime", '"0975"', "bad_scheduled_dep_time",
     "CRSDepTime '0975' is not a clock time (hhmm, 0000 to 2400)"),
    ("clock_with_colon", "CRSDepTime", '"17:45"', "bad_scheduled_dep_time",
     "CRSDepTime '17:45' is not a clock time (hhmm, 0000 to 2400)"),
    ("flag_two", "Cancelled", "2.00", "bad_cancelled",
     "Cancelled '2.00' is not a flag (0.00 or 1.00)"),
    ("flag_word", "Diverted", "no", "bad_diverted", "Diverted 'no' is not a flag (0.00 or 1.00)"),
    ("unknown_code", "CancellationCode", '"E"', "bad_cancellation_code",
     "CancellationCode 'E' is not a cancellation code (A, B, C or D)"),
    ("negative_distance", "Distance", "-602.00", "bad_distance_miles",
     "Distance '-602.00' is not a whole number of miles (0 or more)"),
    ("long_tail_number", "Tail_Number", '"N87100000000"', "bad_tail_number",
     "Tail_Number 'N87100000000' is longer than 10 characters"),
]
GOOD = 300


@pytest.fixture(scope="module")
def landed(spark, connection, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-bts-values")
    rows = [line(n) for n in range(GOOD)]
    for index, (_, column, value, _, _) in enumerate(CASES):
        rows.insert(10 * index + 3, line(5000 + index, **{column: value}))
    numbers = {row: number for number, row in enumerate(rows, start=2)}
    write(folder, KEY, (HEADER + "\r\n" + "\r\n".join(rows) + "\r\n").encode("utf-8"))
    with psycopg.connect(connection.url(), autocommit=True) as conn:
        empty_raw(conn)
        (result,) = land_folder(spark, folder, connection.url(), "bad-bts").files
        rejected = {
            number: (reason, detail, raw_line)
            for number, reason, detail, raw_line in conn.execute(
                "select source_line_number, reason_code, reason_detail, raw_line "
                "from raw.flights_rejected where file_version_id = %s",
                (result.file_version_id,),
            ).fetchall()
        }
        typed = conn.execute(
            "select distinct scheduled_dep_time, scheduled_dep_hour, cancelled, diverted,"
            " cancellation_code, carrier_delay, weather_delay, nas_delay, security_delay,"
            " late_aircraft_delay, distance_miles, tail_number"
            " from raw.flights_landing where file_version_id = %s",
            (result.file_version_id,),
        ).fetchall()
        stored = file_row(conn, result.file_version_id)
    return result, rejected, typed, stored, numbers


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_a_malformed_bts_value_is_rejected_with_its_reason(landed, index):
    _, rejected, _, _, numbers = landed
    _, column, value, reason, detail = CASES[index]
    row = line(5000 + index, **{column: value})
    assert rejected[numbers[row]] == (reason, detail, row)


def test_the_good_rows_land_typed_and_nothing_is_lost(landed):
    result, rejected, typed, stored, _ = landed
    assert (result.status, result.rows_read) == ("landed", GOOD + len(CASES))
    assert (result.rows_landed, result.rows_rejected, len(rejected)) == (GOOD, len(CASES),
                                                                          len(CASES))
    assert stored[1:5] == ("landed", GOOD + len(CASES), GOOD, len(CASES))
    assert typed == [(1745, 17, False, False, None, 8, 0, 0, 0, 30, 602, "N8710M")]
    assert {r.reason_code for r in result.reasons} == {c[3] for c in CASES}
