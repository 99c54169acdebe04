"""The pure PySpark functions, on a real local SparkSession."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from landing_helpers import HEADER, numbered_lines, parse_file, write

from airline_landing import parse
from airline_landing.columns import resolve_columns, split_header
from airline_landing.lines import split_conf
from airline_landing.plausibility import PlausibilityError, plausibility_from
from airline_landing.source import inspect_file

GOOD = "2023-11-15,AA,AA100,10397,12478,75,80"


def by_line(rows):
    return {row["line_number"]: row for row in rows}


def test_bom_crlf_blank_lines_and_line_numbers(spark, tmp_path):
    text = f"\ufeff{HEADER}\r\n{GOOD}\r\n\r\n2023-11-15,DL,DL7,10397,13930,-3,-10\r\n\r\n\r\n"
    rows = parse_file(spark, write(tmp_path / "f.csv", text))
    assert [(r["line_number"], r["carrier"], r["reason_code"]) for r in rows] == [
        (2, "AA", None),
        (4, "DL", None),
    ]
    first = rows[0]
    assert first["raw_line"] == GOOD
    assert (first["origin_airport_id"], first["dest_airport_id"]) == (10397, 12478)
    assert (first["dep_delay"], first["arr_delay"], first["flight_date"]) == (
        75,
        80,
        date(2023, 11, 15),
    )
    assert first["flight_id"] == "AA100"


def test_header_only_file_parses_to_nothing(spark, tmp_path):
    assert parse_file(spark, write(tmp_path / "f.csv", HEADER + "\r\n")) == []


def test_quoted_fields_with_commas_and_doubled_quotes(spark, tmp_path):
    text = f'{HEADER}\n"2023-11-15","A""A","id,1","10397","12478","75.00",""\n'
    (row,) = parse_file(spark, write(tmp_path / "f.csv", text))
    assert row["reason_code"] is None
    assert (row["carrier"], row["flight_id"]) == ('A"A', "id,1")
    assert (row["dep_delay"], row["arr_delay"]) == (75, None)


@pytest.mark.parametrize(
    ("dep", "expected", "reason"),
    [
        ("75", 75, None),
        ("75.00", 75, None),
        ("-5.0", -5, None),
        ("+12", 12, None),
        ("", None, None),  # cancelled flight: lands with a null delay
        ("75.5", None, "bad_dep_delay"),
        ("abc", None, "bad_dep_delay"),
        ("1e3", None, "bad_dep_delay"),
        ("99999999999", None, "bad_dep_delay"),
    ],
)
def test_delay_typing(spark, tmp_path, dep, expected, reason):
    text = f"{HEADER}\n2023-11-15,AA,AA1,10397,12478,{dep},1\n"
    (row,) = parse_file(spark, write(tmp_path / "f.csv", text))
    assert (row["dep_delay"], row["reason_code"]) == (expected, reason)
    if reason:
        assert f"'{dep}'" in row["reason_detail"] and "DepDelay" in row["reason_detail"]


def test_reason_codes(spark, tmp_path):
    lines = [
        "2023-11-15,AA,AA1,10397,12478,1",  # 2 wrong_field_count (6 fields)
        "2023-11-15,AA,AA1,10397,12478,1,2,3",  # 3 wrong_field_count (8 fields)
        "2023-11-15, ,AA1,10397,12478,1,2",  # 4 missing_carrier
        "2023-11-15,AA,AA1,,12478,1,2",  # 5 missing_origin_airport_id
        "2023-11-15,AA,AA1,ATL,12478,1,2",  # 6 bad_origin_airport_id
        "2023-11-15,AA,AA1,10397,,1,2",  # 7 missing_dest_airport_id
        "2023-11-15,AA,AA1,10397,-4,1,2",  # 8 bad_dest_airport_id
        "2023-11-15,AA,AA1,10397,12478,1,2.5",  # 9 bad_arr_delay
        "2023-02-30,AA,AA1,10397,12478,1,2",  # 10 bad_flight_date
        "11/15/2023,AA,AA1,10397,12478,1,2",  # 11 lands: BTS's old date form
        '2023-11-15,"AA,AA1,10397,12478,1,2',  # 12 bad_quoting (never closed)
        "2023-11-15,AMERICANAIR,AA1,10397,12478,1,2",  # 13 bad_carrier (too long)
        f"2023-11-15,AA,{'X' * 33},10397,12478,1,2",  # 14 bad_flight_id (too long)
        "2023-11-15,AA,AA1,10397.00,12478,1,2",  # 15 lands
    ]
    rows = by_line(parse_file(spark, write(tmp_path / "f.csv", "\n".join([HEADER, *lines]))))
    assert {n: r["reason_code"] for n, r in rows.items()} == {
        2: "wrong_field_count",
        3: "wrong_field_count",
        4: "missing_carrier",
        5: "missing_origin_airport_id",
        6: "bad_origin_airport_id",
        7: "missing_dest_airport_id",
        8: "bad_dest_airport_id",
        9: "bad_arr_delay",
        10: "bad_flight_date",
        11: None,
        12: "bad_quoting",
        13: "bad_carrier",
        14: "bad_flight_id",
        15: None,
    }
    assert rows[2]["reason_detail"] == "expected 7 fields, found 6"
    assert rows[11]["flight_date"] == date(2023, 11, 15)
    assert rows[15]["origin_airport_id"] == 10397
    assert all(rows[n]["raw_line"] == line for n, line in enumerate(lines, start=2))


def test_flight_date_from_key_when_no_column_or_empty(spark, tmp_path):
    header = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay"
    rows = parse_file(
        spark, write(tmp_path / "f.csv", f"{header}\nAA,1,2,3,4\n"), key_date=date(2023, 11, 16)
    )
    assert rows[0]["flight_date"] == date(2023, 11, 16) and rows[0]["reason_code"] is None
    rows = parse_file(spark, write(tmp_path / "g.csv", f"{header}\nAA,1,2,3,4\n"))
    assert rows[0]["reason_code"] == "no_flight_date"


def test_bts_aliases_build_flight_id_and_ignore_extra_columns(spark, tmp_path):
    header = (
        '"Year","FlightDate","Reporting_Airline","Flight_Number_Reporting_Airline",'
        '"OriginAirportID","Origin","DestAirportID","DepDelay","ArrDelay",'
    )
    line = '2023,2023-11-15,"WN","1234",10397,"ATL",12478,-2.00,5.00,'
    (row,) = parse_file(spark, write(tmp_path / "f.csv", f"{header}\n{line}\n"))
    assert row["reason_code"] is None
    assert (row["carrier"], row["flight_id"], row["dep_delay"], row["arr_delay"]) == (
        "WN",
        "WN1234",
        -2,
        5,
    )


def test_line_numbers_exact_across_many_file_blocks(spark, tmp_path):
    """Split the file into many Spark partitions: line numbers stay physical and exact."""
    lines = [HEADER]
    for n in range(2, 3002):
        lines.append("" if n % 500 == 0 else f"2023-11-15,AA,L{n},10397,12478,{n},0")
    path = write(tmp_path / "f.csv", "\r\n".join(lines) + "\r\n")
    with parse.spark_conf(spark, split_conf(8192)):
        assert parse.read_lines(spark, f"file://{path}").rdd.getNumPartitions() > 5
    rows = parse_file(spark, path, grain=8192)
    assert len(rows) == 3000 - 6
    assert all(row["flight_id"] == f"L{row['line_number']}" for row in rows)
    assert all(row["dep_delay"] == row["line_number"] for row in rows)


def test_copy_lines_are_csv_for_copy(spark, tmp_path):
    text = f'{HEADER}\n2023-11-15,"A,A",,10397,12478,,\n2023-11-15,AA,X,10397,12478,x,1\n'
    path = write(tmp_path / "f.csv", text)
    columns = resolve_columns(split_header(HEADER))
    numbered = spark.createDataFrame(numbered_lines(spark, path), "line_number int, line string")
    parsed = parse.parse_rows(parse.data_lines(numbered), columns, None)
    out = parse.copy_lines(parsed, 'k"ey', 42, "2024-01-01T00:00:00+00:00").collect()
    assert [(r["kind"], r["line"]) for r in out] == [
        # A seven-column file: every BTS column is an empty field (NULL for COPY).
        (
            "landed",
            ',"A,A",10397,12478,,,2023-11-15,"k""ey",2,42,2024-01-01T00:00:00+00:00'
            + "," * len(parse.BTS_COLUMNS),
        ),
        (
            "rejected",
            '42,"k""ey",3,"2023-11-15,AA,X,10397,12478,x,1","bad_dep_delay",'
            "\"DepDelay 'x' is not a whole number of minutes\",2023-11-15,"
            "2024-01-01T00:00:00+00:00",
        ),
    ]


# -- property: Spark's lines, numbered from counts taken while hashing, are the physical lines


def physical_lines(data: bytes) -> list[str]:
    """The file's lines as Hadoop reads them: LF, CR or CRLF ends; a leading BOM skipped
    (a file that is only a BOM has no line)."""
    text = data.decode("utf-8")
    if text in ("", "\ufeff"):
        return []
    text = text.removeprefix("\ufeff")
    lines = re.split("\r\n|\r|\n", text)
    if text.endswith(("\r", "\n")):
        lines.pop()
    return lines


line_text = st.text(alphabet=st.sampled_from("ab ,\r\n"), max_size=60)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same examples on every run: a CI failure reproduces
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    text=line_text,
    bom=st.booleans(),
    grain=st.sampled_from([2, 3, 5, 8]),
    chunk=st.sampled_from([1, 2, 3, 1 << 20]),
)
def test_line_numbers_match_physical_lines_at_any_split(spark, tmp_path, text, bom, grain, chunk):
    """Splits of a few bytes fall inside CRLFs, at line starts and on blank lines; the
    counts do not depend on how the bytes were chunked."""
    data = (("\ufeff" if bom else "") + text).encode()
    path = write(tmp_path / "lines.csv", data)
    expected = list(enumerate(physical_lines(data), start=1))
    assert numbered_lines(spark, path, grain, split_bytes=grain) == expected
    facts = inspect_file(iter([data[i : i + chunk] for i in range(0, len(data), chunk)]), grain)
    assert facts.lines == inspect_file(iter([data]), grain).lines
    assert facts.lines.lines == len(expected)
    assert facts.lines.nonblank_lines == sum(1 for _, line in expected if line.strip(" "))


# -- property: quoting, line ends, BOM and column order do not change the rows -------------

FIELDS = (
    "FlightDate",
    "Carrier",
    "FlightID",
    "OriginAirportID",
    "DestAirportID",
    "DepDelay",
    "ArrDelay",
)
text_value = st.text(alphabet=st.sampled_from('AZaz09 ,"-'), min_size=1, max_size=6).filter(
    lambda v: v.strip() == v and v.strip()
)
row_strategy = st.fixed_dictionaries(
    {
        # Inside the plausibility window (airline_landing/plausibility.py), both ends.
        "FlightDate": st.dates(date(1987, 10, 1), date(2025, 12, 31)).map(date.isoformat),
        "Carrier": text_value,
        "FlightID": text_value,
        "OriginAirportID": st.integers(1, 99999).map(str),
        "DestAirportID": st.integers(1, 99999).map(str),
        "DepDelay": st.one_of(st.just(""), st.integers(-99, 999).map(str)),
        "ArrDelay": st.one_of(st.just(""), st.integers(-99, 999).map(str)),
    }
)


def _field(value: str, quote: bool) -> str:
    if quote or any(ch in value for ch in ',"'):
        return '"' + value.replace('"', '""') + '"'
    return value


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run: a CI failure reproduces
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(row_strategy, min_size=1, max_size=6),
    order=st.permutations(FIELDS),
    quote_all=st.lists(st.booleans(), min_size=7, max_size=7),
    line_end=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    trailing_blank=st.booleans(),
)
def test_property_same_rows_whatever_the_formatting(
    spark, tmp_path, rows, order, quote_all, line_end, bom, trailing_blank
):
    header = ",".join(_field(name, quote_all[i]) for i, name in enumerate(order))
    body = [",".join(_field(r[name], quote_all[i]) for i, name in enumerate(order)) for r in rows]
    text = ("\ufeff" if bom else "") + line_end.join([header, *body]) + line_end
    if trailing_blank:
        text += line_end
    path = write(tmp_path / f"p{abs(hash(text))}.csv", text)
    parsed = parse_file(spark, path)
    assert [r["reason_code"] for r in parsed] == [None] * len(rows)
    assert [r["line_number"] for r in parsed] == list(range(2, len(rows) + 2))

    def expected(r):
        return (
            r["Carrier"],
            r["FlightID"],
            int(r["OriginAirportID"]),
            int(r["DestAirportID"]),
            int(r["DepDelay"]) if r["DepDelay"] else None,
            int(r["ArrDelay"]) if r["ArrDelay"] else None,
            date.fromisoformat(r["FlightDate"]),
        )

    got = [
        (
            r["carrier"],
            r["flight_id"],
            r["origin_airport_id"],
            r["dest_airport_id"],
            r["dep_delay"],
            r["arr_delay"],
            r["flight_date"],
        )
        for r in parsed
    ]
    assert got == [expected(r) for r in rows]


def test_plausibility_window_and_delay_bounds_are_inclusive(spark, tmp_path):
    """The documented defaults (airline_landing/plausibility.py), each bound on both sides."""
    today = date(2024, 3, 10)
    rows = [
        ("1987-10-01,AA,A1,10397,12478,5,6", None),
        ("1987-09-30,AA,A2,10397,12478,5,6", "implausible_flight_date"),
        ("2024-03-11,AA,A3,10397,12478,5,6", None),  # landing day + 1
        ("2024-03-12,AA,A4,10397,12478,5,6", "implausible_flight_date"),
        ("9999-12-31,AA,A5,10397,12478,5,6", "implausible_flight_date"),
        ("2023-11-15,AA,A6,10397,12478,4320,-1440", None),
        ("2023-11-15,AA,A7,10397,12478,4321,6", "implausible_dep_delay"),
        ("2023-11-15,AA,A8,10397,12478,-1441,6", "implausible_dep_delay"),
        ("2023-11-15,AA,A9,10397,12478,5,4321", "implausible_arr_delay"),
        ("2023-11-15,AA,A10,10397,12478,2147483647,6", "implausible_dep_delay"),
        ("2023-11-15,AA,A11,10397,12478,,", None),  # no delay (cancelled): fine
    ]
    text = HEADER + "\n" + "\n".join(row for row, _ in rows) + "\n"
    parsed = parse_file(spark, write(tmp_path / "f.csv", text), date(2023, 11, 15), today=today)
    assert [row["reason_code"] for row in parsed] == [reason for _, reason in rows]
    by_id = {row["flight_id"]: row for row in parsed}
    # A rejected row never stores an impossible date: it keeps the key's date instead.
    assert by_id["A5"]["flight_date"] == date(2023, 11, 15)
    assert "2024-03-11" in by_id["A4"]["reason_detail"]
    assert "'4321' is outside the plausible departure delay" in by_id["A7"]["reason_detail"]


def test_plausibility_bounds_are_settings_of_their_own(spark, tmp_path):
    rules = plausibility_from(
        {
            "AIRLINE_ELT_FIRST_FLIGHT_DATE": "2020-01-01",
            "AIRLINE_ELT_FUTURE_DAYS": "0",
            "AIRLINE_ELT_MIN_DELAY": "-60",
            "AIRLINE_ELT_MAX_DELAY": "600",
        }
    )
    text = (
        f"{HEADER}\n2019-12-31,AA,A1,10397,12478,5,6\n2024-03-10,AA,A2,10397,12478,600,-60\n"
        "2024-03-11,AA,A3,10397,12478,5,6\n2023-11-15,AA,A4,10397,12478,601,6\n"
    )
    parsed = parse_file(
        spark, write(tmp_path / "f.csv", text), plausible=rules, today=date(2024, 3, 10)
    )
    assert [row["reason_code"] for row in parsed] == [
        "implausible_flight_date", None, "implausible_flight_date", "implausible_dep_delay"
    ]
    # No key date and a date out of the window: the rejected row stores no date.
    assert parsed[0]["flight_date"] is None


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("AIRLINE_ELT_FIRST_FLIGHT_DATE", "1987-13-01", "is not a date"),
        ("AIRLINE_ELT_FUTURE_DAYS", "-1", "0 or more"),
        ("AIRLINE_ELT_MAX_DELAY", "lots", "AIRLINE_ELT_MAX_DELAY='lots' is not a whole"),
        ("AIRLINE_ELT_MIN_DELAY", "9999", "reversed"),  # above the max
    ],
)
def test_a_bad_plausibility_setting_is_refused(name, value, says):
    with pytest.raises(PlausibilityError, match=says):
        plausibility_from({name: value})
