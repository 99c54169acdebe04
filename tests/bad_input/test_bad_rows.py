"""Bad rows among good ones: each is rejected with its reason code, its line number and
its raw line verbatim; the good rows land; rows read = landed + rejected.

One file holds every case (and 500 good rows, so the file stays under the reject limit);
it is landed once for the module and each case is checked on its own."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from bad_input_helpers import DAY, HEADER, KEY, csv_bytes, empty_raw, file_row, good_rows, write
from helpers import fit_raw_line_text

from airline_landing.local import land_folder
from airline_landing.raw_line import RAW_LINE_MAX_BYTES

HUGE = "x" * (1 << 20)  # a 1 MiB field
# (case id, the row, reason code, words the reason detail holds)
CASES = [
    ("too_few_fields", f"{DAY},AA,AA1,10397,12478,5", "wrong_field_count", "expected 7 fields"),
    ("too_many_fields", f"{DAY},AA,AA1,10397,12478,5,6,7", "wrong_field_count", "found 8"),
    ("unclosed_quote", f'{DAY},"AA,AA1,10397,12478,5,6', "bad_quoting", "never closed"),
    ("stray_quote", f'{DAY},A"A,AA1,10397,12478,5,6', "bad_quoting", "quote inside"),
    ("empty_carrier", f"{DAY},,AA1,10397,12478,5,6", "missing_carrier", "carrier is empty"),
    ("long_carrier", f"{DAY},ABCDEFGHIJK,AA1,10397,12478,5,6", "bad_carrier", "longer than 10"),
    ("text_origin", f"{DAY},AA,AA1,ATL,12478,5,6", "bad_origin_airport_id", "'ATL' is not"),
    ("negative_origin", f"{DAY},AA,AA1,-10397,12478,5,6", "bad_origin_airport_id", "-10397"),
    ("empty_origin", f"{DAY},AA,AA1,,12478,5,6", "missing_origin_airport_id", "is empty"),
    ("fraction_dest", f"{DAY},AA,AA1,10397,124.78,5,6", "bad_dest_airport_id", "'124.78'"),
    ("empty_dest", f"{DAY},AA,AA1,10397,,5,6", "missing_dest_airport_id", "is empty"),
    ("text_dep_delay", f"{DAY},AA,AA1,10397,12478,late,6", "bad_dep_delay", "'late' is not"),
    ("exp_dep_delay", f"{DAY},AA,AA1,10397,12478,1e3,6", "bad_dep_delay", "whole number"),
    ("overflow_arr_delay", f"{DAY},AA,AA1,10397,12478,5,99999999999", "bad_arr_delay", "999"),
    ("fraction_arr_delay", f"{DAY},AA,AA1,10397,12478,5,6.5", "bad_arr_delay", "'6.5'"),
    ("impossible_date", "2023-02-30,AA,AA1,10397,12478,5,6", "bad_flight_date", "2023-02-30"),
    ("day_first_date", "15/11/2023,AA,AA1,10397,12478,5,6", "bad_flight_date", "15/11/2023"),
    ("text_date", "yesterday,AA,AA1,10397,12478,5,6", "bad_flight_date", "not a date"),
    ("long_flight_id", f"{DAY},AA,{'F' * 33},10397,12478,5,6", "bad_flight_id", "longer than 32"),
    ("huge_line_1mib", f"{DAY},{HUGE},AA1,10397,12478,5,6", "bad_carrier", "longer than 10"),
    ("huge_line_extra_field", f"{DAY},AA,AA1,10397,12478,5,6,{HUGE}", "wrong_field_count", "8"),
    ("nul_free_tab_garbage", "\t\t\t", "wrong_field_count", "found 1"),
    # Well-formed but impossible (airline_landing/plausibility.py): their own reasons.
    ("year_one", "0001-01-01,AA,AA1,10397,12478,5,6", "implausible_flight_date", "0001-01-01"),
    ("year_9999", "9999-12-31,AA,AA1,10397,12478,5,6", "implausible_flight_date", "9999-12-31"),
    ("before_bts", "1987-09-30,AA,AA1,10397,12478,5,6", "implausible_flight_date", "1987-10-01"),
    ("int_max_dep_delay", f"{DAY},AA,AA1,10397,12478,2147483647,6", "implausible_dep_delay",
     "'2147483647' is outside"),
    ("dep_delay_over_3_days", f"{DAY},AA,AA1,10397,12478,4321,6", "implausible_dep_delay",
     "-1440 to 4320"),
    ("arr_two_days_early", f"{DAY},AA,AA1,10397,12478,5,-2880", "implausible_arr_delay",
     "'-2880'"),
]
GOOD = 700  # the cases stay under the 5 % reject limit


@pytest.fixture(scope="module")
def landed(spark, connection, tmp_path_factory):
    """Land the file once: (FileResult, {line number: (reason, detail, raw_line)})."""
    folder = tmp_path_factory.mktemp("bad-rows")
    rows = good_rows(GOOD)
    lines = {}
    for index, (_, row, _, _) in enumerate(CASES):
        at = 10 * index + 5  # spread among the good rows
        rows.insert(at, row)
    for number, row in enumerate(rows, start=2):
        lines[row] = number
    # a blank line and a trailing blank line are not rows
    write(folder, KEY, csv_bytes([*rows[:3], "", *rows[3:]]) + b"\n")
    with psycopg.connect(connection.url(), autocommit=True) as conn:
        empty_raw(conn)
        (result,) = land_folder(spark, folder, connection.url(), "bad-rows").files
        rejected = {
            number: (reason, detail, raw_line)
            for number, reason, detail, raw_line in conn.execute(
                "select source_line_number, reason_code, reason_detail, raw_line "
                "from raw.flights_rejected where file_version_id = %s",
                (result.file_version_id,),
            ).fetchall()
        }
        landed_rows = conn.execute(
            "select count(*) from raw.flights_landing where file_version_id = %s",
            (result.file_version_id,),
        ).fetchone()[0]
        stored = file_row(conn, result.file_version_id)
    # line numbers shift by one after the blank line (line 5 of the file)
    numbers = {row: (n if n < 5 else n + 1) for row, n in lines.items()}
    return result, rejected, landed_rows, stored, numbers


@pytest.mark.parametrize(("row", "reason", "detail"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_row_is_rejected_with_reason_line_and_raw_line(landed, row, reason, detail):
    _, rejected, _, _, numbers = landed
    line = numbers[row]
    assert line in rejected, f"line {line} ({row[:60]!r}) was not rejected"
    got_reason, got_detail, raw_line = rejected[line]
    assert got_reason == reason
    assert detail in got_detail
    # Verbatim up to what Redshift's varchar(65535) holds; a longer line (1 MiB) is shortened
    # with a marker saying how long it was (airline_landing/raw_line.py), still one row.
    assert raw_line == fit_raw_line_text(row)
    assert (raw_line == row) == (len(row.encode()) <= RAW_LINE_MAX_BYTES)


def test_the_good_rows_land_and_nothing_is_lost(landed):
    result, rejected, landed_rows, stored, _ = landed
    assert (result.status, result.rows_read) == ("landed", GOOD + len(CASES))
    assert (result.rows_landed, result.rows_rejected) == (GOOD, len(CASES))
    assert (landed_rows, len(rejected)) == (GOOD, len(CASES))
    assert stored[1:5] == ("landed", GOOD + len(CASES), GOOD, len(CASES))


def test_the_report_counts_each_reason_and_names_its_first_line(landed):
    result, rejected, _, _, _ = landed
    by_reason = {r.reason_code: (r.rows, r.first_line) for r in result.reasons}
    assert sum(rows for rows, _ in by_reason.values()) == result.rows_rejected
    for code, (rows, first_line) in by_reason.items():
        lines = sorted(n for n, (reason, _, _) in rejected.items() if reason == code)
        assert (rows, first_line) == (len(lines), lines[0])


def test_header_only_and_trailing_blank_lines_are_no_rows(spark, raw, landing, connection):
    write(landing, KEY, (HEADER + "\r\n\r\n  \r\n").encode())
    (result,) = land_folder(spark, landing, connection.url(), "r").files
    assert (result.status, result.rows_read, result.rows_landed, result.rows_rejected) == (
        "landed", 0, 0, 0
    )


def test_unknown_airport_ids_land_raw_and_are_left_to_dbt(spark, raw, landing, connection):
    """Airport ids are only checked for being ids here: whether the airport is known is
    dbt's call (airlines.rejected_flights, tests/cli/test_cli_airports.py)."""
    write(landing, KEY, csv_bytes([f"{DAY},ZZ,ZZ1,99999,12478,90,80"]))
    (result,) = land_folder(spark, landing, connection.url(), "r").files
    assert (result.rows_landed, result.rows_rejected) == (1, 0)


def test_row_date_other_than_the_keys_date_wins_and_is_reported(
    spark, raw: psycopg.Connection, landing: Path, connection
):
    rows = [*good_rows(3), *good_rows(2, day="2023-11-16", start=3), "2023-11-14,AA,X,1,2,3,4"]
    write(landing, KEY, csv_bytes(rows))
    (result,) = land_folder(spark, landing, connection.url(), "r").files
    assert (result.rows_landed, result.rows_rejected) == (6, 0)
    assert result.dates_off_key == {"2023-11-14": 1, "2023-11-16": 2}
    dates = raw.execute(
        "select flight_date::text, count(*) from raw.flights_landing group by 1 order by 1"
    ).fetchall()
    assert dates == [("2023-11-14", 1), ("2023-11-15", 3), ("2023-11-16", 2)]
    assert [str(day) for day in result.flight_dates] == ["2023-11-14", "2023-11-15", "2023-11-16"]


def test_a_key_without_a_date_reports_no_disagreement(spark, raw, landing, connection):
    write(landing, "daily_flights/november.csv", csv_bytes(good_rows(2, day="2023-11-16")))
    (result,) = land_folder(spark, landing, connection.url(), "r").files
    assert (result.rows_landed, result.dates_off_key) == (2, {})
