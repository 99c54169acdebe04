"""Landing files into the real local warehouse (PostgreSQL) with real Spark.

Every test truncates the raw tables first (its own fixture; raw.* only) and asserts
the counts in raw.landed_files, raw.flights_landing and raw.flights_rejected.
"""

from __future__ import annotations

import psycopg
from landing_helpers import HEADER, counts, file_rows, land_file, write

from airline_landing.local import land_folder, landing_keys
from airline_landing.source import LocalFile
from airline_landing.targets import PostgresTarget


def day_rows(n: int, day: str = "2023-11-15", start: int = 0) -> list[str]:
    return [f"{day},AA,AA{i},10397,12478,{i % 120},{i % 90}" for i in range(start, start + n)]


def csv_text(rows: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def land(spark, landing_dir, connection, run_id="run-1", **kwargs):
    return land_folder(spark, landing_dir, connection.url(), run_id, **kwargs)


KEY = "daily_flights/date=2023-11-15/flights.csv"


def test_lands_a_file_and_reports_it(spark, raw, landing, connection):
    write(landing / KEY, csv_text(day_rows(5)))
    seen = []
    report = land(spark, landing, connection, on_file=seen.append)
    assert [(f.key, f.status, f.rows_read, f.rows_landed, f.rows_rejected) for f in seen] == [
        (KEY, "landed", 5, 5, 0)
    ]
    assert report.files == seen and report.run_id == "run-1"
    assert (report.rows_read, report.files_landed, report.files_failed) == (5, 1, 0)
    assert [str(d) for d in seen[0].flight_dates] == ["2023-11-15"]
    assert counts(raw, KEY) == {"landed": 5, "rejected": 0, "files": 1}
    row = raw.execute(
        "select f.file_version_id = l.file_version_id, l.source_line_number, l.flight_id, "
        "f.run_id, f.content_sha256, f.file_bytes from raw.flights_landing l "
        "join raw.landed_files f on f.file_key = l.source_key order by 2 limit 1"
    ).fetchone()
    assert row[:4] == (True, 2, "AA0", "run-1")
    assert len(row[4]) == 64 and row[5] == (landing / KEY).stat().st_size


def test_redelivery_reports_the_dates_of_both_versions(spark, raw, landing, connection):
    write(landing / KEY, csv_text(day_rows(2, "2023-11-14")))
    land(spark, landing, connection)
    write(landing / KEY, csv_text(day_rows(2, "2023-11-15")))
    (result,) = land(spark, landing, connection, run_id="run-2").files
    assert [str(d) for d in result.flight_dates] == ["2023-11-14", "2023-11-15"]
    assert file_rows(raw, KEY) == [("superseded", 2, 2, 0), ("landed", 2, 2, 0)]
    assert counts(raw, KEY) == {"landed": 2, "rejected": 0, "files": 2}


def test_duplicate_delivery_lands_once(spark, raw, landing, connection):
    write(landing / KEY, csv_text(day_rows(4)))
    land(spark, landing, connection)
    report = land(spark, landing, connection, run_id="run-2")
    assert [(f.status, f.rows_landed) for f in report.files] == [("duplicate", 0)]
    assert file_rows(raw, KEY) == [("landed", 4, 4, 0), ("duplicate", 0, 0, 0)]
    assert counts(raw, KEY) == {"landed": 4, "rejected": 0, "files": 2}


def test_redelivery_with_three_rows_changed_replaces_the_old_version(
    spark, raw, landing, connection
):
    rows = day_rows(10)
    write(landing / KEY, csv_text([*rows, "bad,row"]))
    first = land(spark, landing, connection).files[0]
    changed = list(rows)
    for i in (1, 4, 7):
        changed[i] = f"2023-11-16,DL,DL{i},10397,13930,{200 + i},{210 + i}"
    write(landing / KEY, csv_text(changed))
    second = land(spark, landing, connection, run_id="run-2").files[0]
    assert (second.status, second.rows_landed, second.rows_rejected) == ("landed", 10, 0)
    assert [str(d) for d in second.flight_dates] == ["2023-11-15", "2023-11-16"]
    assert file_rows(raw, KEY) == [("superseded", 11, 10, 1), ("landed", 10, 10, 0)]
    assert counts(raw, KEY) == {"landed": 10, "rejected": 0, "files": 2}
    versions = raw.execute(
        "select distinct file_version_id from raw.flights_landing where source_key = %s", (KEY,)
    ).fetchall()
    assert versions == [(second.file_version_id,)]
    replaces = raw.execute(
        "select replaces_file_version_id from raw.landed_files where file_version_id = %s",
        (second.file_version_id,),
    ).fetchone()[0]
    assert replaces == first.file_version_id
    delays = raw.execute(
        "select dep_delay from raw.flights_landing where carrier = 'DL' order by 1"
    ).fetchall()
    assert delays == [(201,), (204,), (207,)]


def test_header_only_file_lands_with_zero_rows(spark, raw, landing, connection):
    write(landing / KEY, "\ufeff" + HEADER + "\r\n\r\n")
    (result,) = land(spark, landing, connection).files
    assert (result.status, result.rows_read, result.rows_landed) == ("landed", 0, 0)
    assert file_rows(raw, KEY) == [("landed", 0, 0, 0)]
    assert counts(raw, KEY) == {"landed": 0, "rejected": 0, "files": 1}


def test_malformed_row_among_good_ones_is_rejected_with_line_and_raw_line(
    spark, raw, landing, connection
):
    rows = day_rows(3)
    rows.insert(1, "2023-11-15,AA,AA9,10397")
    write(landing / KEY, csv_text(rows).replace("\n", "\r\n"))
    (result,) = land(spark, landing, connection).files
    assert (result.rows_read, result.rows_landed, result.rows_rejected) == (4, 3, 1)
    assert file_rows(raw, KEY) == [("landed", 4, 3, 1)]
    assert counts(raw, KEY) == {"landed": 3, "rejected": 1, "files": 1}
    rejected = raw.execute(
        "select source_line_number, raw_line, reason_code, flight_date::text, file_version_id "
        "from raw.flights_rejected"
    ).fetchone()
    assert rejected == (
        3,
        "2023-11-15,AA,AA9,10397",
        "wrong_field_count",
        "2023-11-15",
        result.file_version_id,
    )


def test_non_integer_delay_is_rejected_and_zero_fraction_lands(spark, raw, landing, connection):
    rows = [
        "2023-11-15,AA,AA1,10397,12478,75.00,80.00",
        "2023-11-15,AA,AA2,10397,12478,75.5,1",
        "2023-11-15,AA,AA3,10397,12478,1,abc",
        "2023-11-15,AA,AA4,10397,12478,,",
    ]
    write(landing / KEY, csv_text(rows))
    land(spark, landing, connection)
    assert file_rows(raw, KEY) == [("landed", 4, 2, 2)]
    assert counts(raw, KEY) == {"landed": 2, "rejected": 2, "files": 1}
    assert raw.execute(
        "select flight_id, dep_delay, arr_delay from raw.flights_landing order by 1"
    ).fetchall() == [("AA1", 75, 80), ("AA4", None, None)]
    assert raw.execute(
        "select source_line_number, reason_code from raw.flights_rejected order by 1"
    ).fetchall() == [(3, "bad_dep_delay"), (4, "bad_arr_delay")]


def test_reordered_columns_land_the_same_values(spark, raw, landing, connection):
    header = "arrdelay,DEPDELAY,DestAirportID,originairportid,FlightID,carrier,flightdate,Extra"
    write(landing / KEY, csv_text(["80,75,12478,10397,AA1,AA,2023-11-15,x"], header))
    land(spark, landing, connection)
    assert file_rows(raw, KEY) == [("landed", 1, 1, 0)]
    assert counts(raw, KEY) == {"landed": 1, "rejected": 0, "files": 1}
    assert raw.execute(
        "select flight_id, carrier, origin_airport_id, dest_airport_id, dep_delay, arr_delay, "
        "flight_date::text from raw.flights_landing"
    ).fetchone() == ("AA1", "AA", 10397, 12478, 75, 80, "2023-11-15")


def test_multi_date_file(spark, raw, landing, connection):
    key = "daily_flights/On_Time_2023_11.csv"
    rows = day_rows(3, "2023-11-01") + day_rows(2, "2023-11-02") + day_rows(4, "2023-11-30")
    write(landing / key, csv_text(rows))
    (result,) = land(spark, landing, connection).files
    assert [str(d) for d in result.flight_dates] == ["2023-11-01", "2023-11-02", "2023-11-30"]
    assert file_rows(raw, key) == [("landed", 9, 9, 0)]
    assert counts(raw, key) == {"landed": 9, "rejected": 0, "files": 1}
    assert raw.execute(
        "select flight_date::text, count(*) from raw.flights_landing group by 1 order by 1"
    ).fetchall() == [("2023-11-01", 3), ("2023-11-02", 2), ("2023-11-30", 4)]


def test_no_date_column_takes_the_date_from_the_key(spark, raw, landing, connection):
    header = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay"
    keys = [
        "daily_flights/flights_20231116.csv",
        "daily_flights/2023-11-17.csv",
        "daily_flights/nodate.csv",
    ]
    for key in keys:
        write(landing / key, csv_text(["AA,10397,12478,61,70", "DL,10397,12478,5,"], header))
    report = land(spark, landing, connection)
    assert [(f.key, f.rows_landed, f.rows_rejected) for f in report.files] == [
        ("daily_flights/2023-11-17.csv", 2, 0),
        ("daily_flights/flights_20231116.csv", 2, 0),
        ("daily_flights/nodate.csv", 0, 2),
    ]
    assert counts(raw, keys[0]) == {"landed": 2, "rejected": 0, "files": 1}
    assert counts(raw, keys[2]) == {"landed": 0, "rejected": 2, "files": 1}
    assert raw.execute(
        "select source_key, flight_date::text from raw.flights_landing group by 1, 2 order by 1"
    ).fetchall() == [(keys[1], "2023-11-17"), (keys[0], "2023-11-16")]
    assert raw.execute("select distinct reason_code from raw.flights_rejected").fetchall() == [
        ("no_flight_date",)
    ]


def test_missing_required_column_fails_the_file_and_the_run_goes_on(
    spark, raw, landing, connection
):
    bad_key = "daily_flights/date=2023-11-14/flights.csv"
    write(
        landing / bad_key,
        csv_text(
            ["2023-11-14,AA,1,10397,75"], "FlightDate,Carrier,FlightID,OriginAirportID,DepDelay"
        ),
    )
    write(landing / KEY, csv_text(day_rows(2)))
    report = land(spark, landing, connection)
    assert [f.status for f in report.files] == ["failed", "landed"]
    failed = report.files[0]
    assert "required column(s) missing from the header: DestAirportID, ArrDelay" in failed.error
    assert (landing / "failed" / bad_key).read_bytes() == (landing / bad_key).read_bytes()
    assert file_rows(raw, bad_key) == [("failed", 0, 0, 0)]
    assert counts(raw, bad_key) == {"landed": 0, "rejected": 0, "files": 1}
    assert counts(raw, KEY) == {"landed": 2, "rejected": 0, "files": 1}
    error_text = raw.execute(
        "select error_text from raw.landed_files where status = 'failed'"
    ).fetchone()[0]
    assert error_text == failed.error and str(landing / "failed" / bad_key) in error_text
    # The failed/ folder is never landed.
    assert landing_keys(landing) == [bad_key, KEY]


def test_binary_and_non_utf8_files_fail_with_a_clear_error(spark, raw, landing, connection):
    write(landing / "daily_flights/a.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    write(landing / "daily_flights/b.csv", HEADER.encode() + b"\n2023-11-15,\xe9A,1,2,3,4,5\n")
    report = land(spark, landing, connection)
    assert [f.status for f in report.files] == ["failed", "failed"]
    assert "not a text file: NUL byte at offset 8" in report.files[0].error
    assert f"undecodable byte at offset {len(HEADER) + 12}" in report.files[1].error
    assert (
        raw.execute("select count(*) from raw.landed_files where status = 'failed'").fetchone()[0]
        == 2
    )
    assert counts(raw, "daily_flights/b.csv") == {"landed": 0, "rejected": 0, "files": 1}


class CrashAfterCopy(PostgresTarget):
    """Fails after the rows were COPYed, before commit: nothing may remain."""

    def set_counts(self, *args, **kwargs):
        raise RuntimeError("simulated crash after COPY")


def test_crash_mid_file_leaves_nothing_and_rerun_lands_exactly_once(
    spark, raw, landing, connection
):
    write(landing / KEY, csv_text(day_rows(6)))
    source = LocalFile(landing, KEY, landing / "failed")
    with psycopg.connect(connection.url()) as conn:
        result = land_file(spark, source, CrashAfterCopy(conn), "run-crash")
    assert result.status == "failed" and "simulated crash after COPY" in result.error
    assert counts(raw, KEY) == {"landed": 0, "rejected": 0, "files": 1}
    report = land(spark, landing, connection, run_id="run-rerun")
    assert [(f.status, f.rows_landed) for f in report.files] == [("landed", 6)]
    assert file_rows(raw, KEY) == [("failed", 0, 0, 0), ("landed", 6, 6, 0)]
    assert counts(raw, KEY) == {"landed": 6, "rejected": 0, "files": 2}


def test_many_splits_land_each_row_once_with_its_line_number(
    spark, raw, landing, connection, monkeypatch
):
    """Small grains: 8 Spark tasks, whose parts go into COPY as each task commits (or
    from the final folder, whichever comes first); every row lands exactly once, with
    its physical line number, and the rejects of every part are kept."""
    monkeypatch.setattr("airline_landing.lines.GRAIN_BYTES", 4096)
    rows = day_rows(3000)
    for line in range(2, 3002, 250):
        rows[line - 2] = f"2023-11-15,AA,R{line},10397,12478,late,0"
    path = write(landing / KEY, "\r\n".join([HEADER, *rows]) + "\r\n")
    assert path.stat().st_size > 25 * 4096
    (result,) = land(spark, landing, connection).files
    assert (result.rows_read, result.rows_landed, result.rows_rejected) == (3000, 2988, 12)
    landed = raw.execute(
        "select count(*), count(distinct source_line_number), min(source_line_number), "
        "max(source_line_number), count(*) filter (where flight_id <> "
        "'AA' || (source_line_number - 2)) from raw.flights_landing"
    ).fetchone()
    assert landed == (2988, 2988, 3, 3001, 0)
    rejected = raw.execute(
        "select array_agg(source_line_number order by source_line_number), "
        "bool_and(raw_line = '2023-11-15,AA,R' || source_line_number || ',10397,12478,late,0') "
        "from raw.flights_rejected"
    ).fetchone()
    assert rejected == (list(range(2, 3002, 250)), True)
