"""SQL-looking values in every field (and in the header and the key) are data: they land
verbatim or are rejected with the raw line verbatim; no table is dropped."""

from __future__ import annotations

from bad_input_helpers import DAY, HEADER, csv_bytes, write

from airline_landing.local import land_folder

SQL = "'); drop table raw.flights_landing; --"
SHORT = "';--"  # fits the 10-character carrier
KEY = f"daily_flights/date={DAY}/x'); drop table raw.landed_files; --.csv"
FIELDS = HEADER.split(",")
GOOD = [DAY, "AA", "AA1", "10397", "12478", "5", "6"]


def row_with(position: int, value: str) -> str:
    fields = list(GOOD)
    fields[position] = '"' + value.replace('"', '""') + '"' if "," in value else value
    return ",".join(fields)


def test_sql_in_every_field_is_data(spark, raw, landing, connection):
    rows = [row_with(position, SQL) for position in range(len(FIELDS))]
    rows.append(row_with(1, SHORT))  # a carrier that fits: lands as it is
    rows.append(row_with(2, "x'); drop table t;--"))  # a flight id that fits: lands
    header = HEADER + ",\"'; delete from raw.landed_files; --\""
    write(landing, KEY, csv_bytes([row + ",extra" for row in rows], header=header))
    (result,) = land_folder(spark, landing, connection.url(), "r").files
    assert (result.status, result.rows_read) == ("landed", len(rows))
    tables = raw.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' "
        "order by 1"
    ).fetchall()
    assert tables == [("flights_landing",), ("flights_rejected",), ("landed_files",)]
    landed = raw.execute(
        "select carrier, flight_id, source_key from raw.flights_landing "
        "order by source_line_number"
    ).fetchall()
    assert landed == [(SHORT, "AA1", KEY), ("AA", "x'); drop table t;--", KEY)]
    rejected = raw.execute(
        "select source_line_number, reason_code, raw_line, source_key from raw.flights_rejected "
        "order by source_line_number"
    ).fetchall()
    assert [r[1] for r in rejected] == [
        "bad_flight_date", "bad_carrier", "bad_flight_id", "bad_origin_airport_id",
        "bad_dest_airport_id", "bad_dep_delay", "bad_arr_delay",
    ]
    assert [r[2] for r in rejected] == [rows[i] + ",extra" for i in range(len(FIELDS))]
    assert {r[3] for r in rejected} == {KEY}
    assert raw.execute("select file_key from raw.landed_files").fetchall() == [(KEY,)]
