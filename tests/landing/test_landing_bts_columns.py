"""The BTS cause, schedule and cancellation columns (issue 14) and the airports' codes
(`Origin`/`Dest`, issue 23): landed when a file's header has them, every BTS spelling of
their values; a present but malformed value rejects the row with `bad_<column>`; a file
without them lands NULL in them, at (nearly) no cost."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest
from landing_helpers import HEADER, counts, file_rows, parse_file, write

from airline_landing import parse
from airline_landing.columns import resolve_columns, split_header
from airline_landing.local import land_folder

REPO = Path(__file__).resolve().parents[2]
SAMPLE_MONTH = (
    "daily_flights/bts/On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2023_10.csv"
)

# A BTS on-time header cut to the columns that matter here, quoted, with BTS's trailing comma.
BTS_NAMES = (
    "FlightDate", "Reporting_Airline", "Flight_Number_Reporting_Airline", "OriginAirportID",
    "DestAirportID", "CRSDepTime", "DepDelay", "ArrDelay", "Cancelled", "CancellationCode",
    "Diverted", "Distance", "CarrierDelay", "WeatherDelay", "NASDelay", "SecurityDelay",
    "LateAircraftDelay", "Tail_Number", "Origin", "Dest",
)
BTS_HEADER = ",".join(f'"{name}"' for name in BTS_NAMES) + ","
# A good row as BTS writes it: strings and clock times quoted, minutes as "75.00".
GOOD = {
    "FlightDate": "2023-10-02", "Reporting_Airline": '"DL"',
    "Flight_Number_Reporting_Airline": "1", "OriginAirportID": "10397",
    "DestAirportID": "12478", "CRSDepTime": '"1830"', "DepDelay": "80.00",
    "ArrDelay": "105.00", "Cancelled": "0.00", "CancellationCode": '""', "Diverted": "0.00",
    "Distance": "760.00", "CarrierDelay": "75.00", "WeatherDelay": "0.00",
    "NASDelay": "10.00", "SecurityDelay": "0.00", "LateAircraftDelay": "20.00",
    "Tail_Number": '"N123DL"', "Origin": '"ATL"', "Dest": '"JFK"',
}


def bts_line(**changes: str) -> str:
    values = GOOD | changes
    return ",".join(values[name] for name in BTS_NAMES) + ","


def bts_columns(row: dict) -> tuple:
    return tuple(row[name] for name in parse.BTS_COLUMNS)


def test_every_bts_spelling_of_every_new_column_lands(spark, tmp_path):
    lines = [
        bts_line(),  # 2: late, with causes
        # 3: on time, quoted zero-padded clock, no causes (BTS leaves them empty)
        bts_line(CRSDepTime='"0005"', DepDelay="-3.00", ArrDelay="-5.00", CarrierDelay="",
                 WeatherDelay="", NASDelay="", SecurityDelay="", LateAircraftDelay=""),
        # 4: cancelled at 2400 (midnight at the day's end: hour 0), weather
        bts_line(CRSDepTime='"2400"', DepDelay="", ArrDelay="", Cancelled="1.00",
                 CancellationCode='"B"', CarrierDelay="", WeatherDelay="", NASDelay="",
                 SecurityDelay="", LateAircraftDelay=""),
        # 5: diverted, flags as "0"/"1", an unquoted unpadded clock, no tail number
        bts_line(CRSDepTime="605", ArrDelay="", Cancelled="0", Diverted="1", CarrierDelay="",
                 WeatherDelay="", NASDelay="", SecurityDelay="", LateAircraftDelay="",
                 Tail_Number='""'),
        # 6: flags as "1.0"/"0.0", codes A, C, D; "5" is 00:05
        bts_line(CRSDepTime="5", DepDelay="", ArrDelay="", Cancelled="1.0", Diverted="0.0",
                 CancellationCode='"A"', CarrierDelay="", WeatherDelay="", NASDelay="",
                 SecurityDelay="", LateAircraftDelay=""),
        bts_line(Cancelled="1", DepDelay="", ArrDelay="", CancellationCode='"C"',
                 CarrierDelay="", WeatherDelay="", NASDelay="", SecurityDelay="",
                 LateAircraftDelay=""),
        bts_line(Cancelled="1.00", DepDelay="", ArrDelay="", CancellationCode="D",
                 CarrierDelay="", WeatherDelay="", NASDelay="", SecurityDelay="",
                 LateAircraftDelay="", CRSDepTime='"0000"', Distance="2475.00"),
        # 9: unquoted bare minutes and a security delay
        bts_line(CarrierDelay="0", SecurityDelay="15", NASDelay="0.0", LateAircraftDelay="70",
                 WeatherDelay="20.00", CRSDepTime='"2359"'),
        # 10: airport codes unquoted in lower case (stored upper case), an empty Dest
        bts_line(Origin="atl", Dest='""'),
    ]
    text = BTS_HEADER + "\r\n" + "\r\n".join(lines) + "\r\n"
    rows = {r["line_number"]: r for r in parse_file(spark, write(tmp_path / "f.csv", text))}
    assert {n: r["reason_code"] for n, r in rows.items()} == dict.fromkeys(range(2, 11))
    # scheduled_dep_time, hour, cancelled, diverted, code, the five causes, distance, tail,
    # origin and destination airport codes
    assert {n: bts_columns(r) for n, r in rows.items()} == {
        2: (1830, 18, False, False, None, 75, 0, 10, 0, 20, 760, "N123DL", "ATL", "JFK"),
        3: (5, 0, False, False, None, None, None, None, None, None, 760, "N123DL", "ATL", "JFK"),
        4: (2400, 0, True, False, "B", None, None, None, None, None, 760, "N123DL", "ATL",
            "JFK"),
        5: (605, 6, False, True, None, None, None, None, None, None, 760, None, "ATL", "JFK"),
        6: (5, 0, True, False, "A", None, None, None, None, None, 760, "N123DL", "ATL", "JFK"),
        7: (1830, 18, True, False, "C", None, None, None, None, None, 760, "N123DL", "ATL",
            "JFK"),
        8: (0, 0, True, False, "D", None, None, None, None, None, 2475, "N123DL", "ATL", "JFK"),
        9: (2359, 23, False, False, None, 0, 20, 0, 15, 70, 760, "N123DL", "ATL", "JFK"),
        10: (1830, 18, False, False, None, 75, 0, 10, 0, 20, 760, "N123DL", "ATL", None),
    }
    assert (rows[2]["flight_id"], rows[2]["dep_delay"], rows[2]["arr_delay"]) == ("DL1", 80, 105)


def test_short_names_any_case_and_the_old_tail_number_spelling(spark, tmp_path):
    header = f"{HEADER},TailNum,crsdeptime,CANCELLED"
    text = f"{header}\n2023-11-15,AA,AA1,10397,12478,5,1,N77AA,0730,0\n"
    (row,) = parse_file(spark, write(tmp_path / "f.csv", text))
    assert row["reason_code"] is None
    assert (row["tail_number"], row["scheduled_dep_time"], row["scheduled_dep_hour"]) == (
        "N77AA", 730, 7,
    )
    assert row["cancelled"] is False
    # The columns the file does not have are NULL.
    assert (row["diverted"], row["carrier_delay"], row["distance_miles"]) == (None, None, None)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("CRSDepTime", '"2401"', "bad_scheduled_dep_time"),
        ("CRSDepTime", '"1260"', "bad_scheduled_dep_time"),
        ("CRSDepTime", '"12:30"', "bad_scheduled_dep_time"),
        ("CRSDepTime", "-100", "bad_scheduled_dep_time"),
        ("CRSDepTime", '"06050"', "bad_scheduled_dep_time"),
        ("Cancelled", "2.00", "bad_cancelled"),
        ("Cancelled", "yes", "bad_cancelled"),
        ("Diverted", "0.50", "bad_diverted"),
        ("Diverted", "true", "bad_diverted"),
        ("CancellationCode", '"E"', "bad_cancellation_code"),
        ("CancellationCode", '"AB"', "bad_cancellation_code"),
        ("CancellationCode", '"a"', "bad_cancellation_code"),
        ("CarrierDelay", "-5.00", "bad_carrier_delay"),
        ("CarrierDelay", "12.50", "bad_carrier_delay"),
        ("WeatherDelay", "abc", "bad_weather_delay"),
        ("NASDelay", "1e3", "bad_nas_delay"),
        ("SecurityDelay", "-1", "bad_security_delay"),
        ("LateAircraftDelay", "9.9", "bad_late_aircraft_delay"),
        ("LateAircraftDelay", "99999999999", "bad_late_aircraft_delay"),
        ("Distance", "-10.00", "bad_distance_miles"),
        ("Distance", "2475.5", "bad_distance_miles"),
        ("Tail_Number", '"N1234567890"', "bad_tail_number"),
        ("Origin", '"AT"', "bad_origin_airport_code"),
        ("Origin", '"KATL"', "bad_origin_airport_code"),
        ("Origin", '"A-L"', "bad_origin_airport_code"),
        ("Dest", '"J K"', "bad_dest_airport_code"),
        ("Dest", "12478", "bad_dest_airport_code"),
    ],
)
def test_a_malformed_value_rejects_the_row_with_its_reason(spark, tmp_path, column, value, reason):
    text = f"{BTS_HEADER}\n{bts_line(**{column: value})}\n"
    (row,) = parse_file(spark, write(tmp_path / "f.csv", text))
    assert row["reason_code"] == reason
    shown = value.strip('"')
    assert row["reason_detail"].startswith(f"{column} '{shown}' is ")
    assert row["raw_line"] == bts_line(**{column: value})


def test_a_seven_column_file_lands_null_and_parses_none_of_them(spark, tmp_path):
    text = f"{HEADER}\n2023-11-15,AA,AA1,10397,12478,75,80\n"
    (row,) = parse_file(spark, write(tmp_path / "f.csv", text))
    assert row["reason_code"] is None
    assert bts_columns(row) == (None,) * len(parse.BTS_COLUMNS)
    assert (row["origin_airport_code"], row["dest_airport_code"]) == (None, None)
    # No per-row work for the columns the file lacks: typed NULL literals, folded away.
    columns = resolve_columns(split_header(HEADER))
    lines = spark.createDataFrame([(2, "2023-11-15,AA,AA1,10397,12478,75,80")],
                                  "line_number int, line string")
    parsed = parse.parse_rows(lines, columns, None)
    plan = parsed._jdf.queryExecution().analyzed().toString()
    assert "_carrier_delay" not in plan and "_scheduled_dep_time" not in plan
    with_bts = parse.parse_rows(lines, resolve_columns(split_header(BTS_HEADER)), None)
    assert "_carrier_delay" in with_bts._jdf.queryExecution().analyzed().toString()


# -- in the warehouse ------------------------------------------------------------------------

DAILY_KEY = "daily_flights/date=2023-11-15/flights.csv"
BTS_KEY = "daily_flights/bts/On_Time_2023_10.csv"
SELECT_BTS = ", ".join(parse.BTS_COLUMNS)


def test_a_seven_column_file_beside_a_bts_file_in_one_run(spark, raw, landing, connection):
    write(landing / DAILY_KEY, f"{HEADER}\n2023-11-15,AA,AA1,10397,12478,75,80\n"
                               "2023-11-15,AA,AA2,10397,12478,,\n")
    bad = bts_line(WeatherDelay="-7.00")
    lines = [bts_line(), bad, bts_line(CRSDepTime='"2400"', DepDelay="", ArrDelay="",
                                        Cancelled="1.00", CancellationCode='"B"',
                                        CarrierDelay="", WeatherDelay="", NASDelay="",
                                        SecurityDelay="", LateAircraftDelay="")]
    write(landing / BTS_KEY, BTS_HEADER + "\r\n" + "\r\n".join(lines) + "\r\n")
    report = land_folder(spark, landing, connection.url(), "run-1")
    results = {f.key: f for f in report.files}
    assert (results[DAILY_KEY].rows_read, results[DAILY_KEY].rows_landed) == (2, 2)
    month = results[BTS_KEY]
    assert (month.status, month.rows_read, month.rows_landed, month.rows_rejected) == (
        "landed", 3, 2, 1,
    )
    assert file_rows(raw, BTS_KEY) == [("landed", 3, 2, 1)]
    assert counts(raw, BTS_KEY) == {"landed": 2, "rejected": 1, "files": 1}
    assert [(r.reason_code, r.rows) for r in month.reasons] == [("bad_weather_delay", 1)]
    assert raw.execute(
        "select source_line_number, raw_line, reason_code, reason_detail "
        "from raw.flights_rejected where source_key = %s", (BTS_KEY,)
    ).fetchall() == [
        (3, bad, "bad_weather_delay",
         "WeatherDelay '-7.00' is not a whole number of minutes (0 or more)"),
    ]
    assert raw.execute(
        f"select source_line_number, {SELECT_BTS} from raw.flights_landing "
        "where source_key = %s order by 1", (BTS_KEY,)
    ).fetchall() == [
        (2, 1830, 18, False, False, None, 75, 0, 10, 0, 20, 760, "N123DL", "ATL", "JFK"),
        (4, 2400, 0, True, False, "B", None, None, None, None, None, 760, "N123DL", "ATL",
         "JFK"),
    ]
    assert raw.execute(
        f"select flight_id, dep_delay, {SELECT_BTS} from raw.flights_landing "
        "where source_key = %s order by 1", (DAILY_KEY,)
    ).fetchall() == [
        ("AA1", 75, *(None,) * len(parse.BTS_COLUMNS)),
        ("AA2", None, *(None,) * len(parse.BTS_COLUMNS)),
    ]


def _minutes(text: str) -> int | None:
    return None if text == "" else int(float(text))


def _flag(text: str) -> bool:
    return float(text) == 1.0


def expected_sample_month() -> dict[int, tuple]:
    """The sample's BTS month as Python's csv module reads it, keyed by line number."""
    path = REPO / "sample_data" / "landing" / SAMPLE_MONTH
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    expected = {}
    for line_number, row in enumerate(rows, start=2):
        clock = int(row["CRSDepTime"])
        expected[line_number] = (
            row["Reporting_Airline"] + row["Flight_Number_Reporting_Airline"],
            date.fromisoformat(row["FlightDate"]),
            int(row["OriginAirportID"]), int(row["DestAirportID"]),
            _minutes(row["DepDelay"]), _minutes(row["ArrDelay"]),
            clock, clock // 100 % 24, _flag(row["Cancelled"]), _flag(row["Diverted"]),
            row["CancellationCode"] or None,
            *(_minutes(row[cause]) for cause in ("CarrierDelay", "WeatherDelay", "NASDelay",
                                                 "SecurityDelay", "LateAircraftDelay")),
            _minutes(row["Distance"]), row["Tail_Number"] or None,
            row["Origin"] or None, row["Dest"] or None,
        )
    return expected


def test_the_sample_bts_month_lands_every_column_as_python_reads_it(
    spark, raw, landing, connection
):
    target = landing / SAMPLE_MONTH
    target.parent.mkdir(parents=True)
    shutil.copyfile(REPO / "sample_data" / "landing" / SAMPLE_MONTH, target)
    (result,) = land_folder(spark, landing, connection.url(), "run-1").files
    expected = expected_sample_month()
    assert (result.status, result.rows_read, result.rows_landed, result.rows_rejected) == (
        "landed", len(expected), len(expected), 0,
    )
    landed = raw.execute(
        "select source_line_number, flight_id, flight_date, origin_airport_id, dest_airport_id,"
        f" dep_delay, arr_delay, {SELECT_BTS} from raw.flights_landing"
    ).fetchall()
    assert {row[0]: tuple(row[1:]) for row in landed} == expected
    # The sample is what the marts need: causes, hours, cancellations with codes, diversions.
    values = list(expected.values())
    assert sum(1 for v in values if v[8]) >= 0.015 * len(values)
    assert {v[10] for v in values if v[8]} == {"A", "B", "C", "D"}
    assert any(v[9] for v in values) and len({v[7] for v in values}) >= 18
    # Every flight names its airports by code (BTS `Origin`/`Dest`), 3 letters each.
    assert all(len(v[-2]) == len(v[-1]) == 3 for v in values)
    assert len({v[-2] for v in values}) >= 10
