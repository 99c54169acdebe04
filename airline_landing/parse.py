"""The pure PySpark side of landing: DataFrame in, DataFrame out.

A file is read as text lines (so every rejected row keeps its exact raw line and
its physical line number), then each line is parsed as one CSV record in Spark,
typed strictly, and split into rows to land and rows to reject with a reason.

Pipeline: `read_lines` -> `number_lines` (split first lines counted while hashing,
airline_landing.lines) -> `data_lines` -> `parse_rows` -> `copy_lines`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import NamedTuple

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from airline_landing.columns import ColumnMap
from airline_landing.ddl import bts_columns, varchar_width
from airline_landing.plausibility import Plausibility
from airline_landing.raw_line import fit_raw_line

# The BTS columns landed when a file's header has them (NULL otherwise): raw_tables.sql's
# one list (raw_flights_landing_bts_columns), read once. scheduled_dep_hour is derived from
# scheduled_dep_time; every other one is read from the header's column of the same field
# (airline_landing.columns.ALIASES).
BTS_COLUMNS = tuple(column.name for column in bts_columns())
CAUSE_COLUMNS = (
    "carrier_delay",
    "weather_delay",
    "nas_delay",
    "security_delay",
    "late_aircraft_delay",
)
LANDING_COLUMNS = (
    "flight_id",
    "carrier",
    "origin_airport_id",
    "dest_airport_id",
    "dep_delay",
    "arr_delay",
    "flight_date",
    "source_key",
    "source_line_number",
    "file_version_id",
    "landed_at",
    *BTS_COLUMNS,
)
REJECTED_COLUMNS = (
    "file_version_id",
    "source_key",
    "source_line_number",
    "raw_line",
    "reason_code",
    "reason_detail",
    "flight_date",
    "rejected_at",
)
KIND_LANDED = "landed"
KIND_REJECTED = "rejected"

CARRIER_MAX = varchar_width("flights_landing", "carrier")
FLIGHT_ID_MAX = varchar_width("flights_landing", "flight_id")
TAIL_NUMBER_MAX = varchar_width("flights_landing", "tail_number")
DETAIL_MAX = 1000
# A quoted CSV field: quotes around anything, inner quotes doubled (RFC 4180).
_QUOTED_FIELD = r'"(?:[^"]|"")*+"'
# BTS writes whole minutes as "75.00": an integer, optionally followed by a fraction of zeros.
_ZERO_FRACTION = r"^[+-]?[0-9]+\.0*$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$"
_US_DATE = r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})( 12:00:00 AM| 0?0:00(:00)?)?$"
# BTS flags: "0.00"/"1.00" (also "0"/"1", "0.0"/"1.0").
_FLAG = r"^[01](\.0*)?$"
_CLOCK = r"^[0-9]{1,4}$"
_CANCELLATION_CODE = r"^[ABCD]$"
# An airport's code as BTS writes it in `Origin`/`Dest`: 3 letters (IATA; a few FAA codes
# hold a digit). Stored in upper case.
_AIRPORT_CODE = r"^[A-Za-z0-9]{3}$"


@contextmanager
def spark_conf(spark: SparkSession, settings: dict[str, str]) -> Iterator[None]:
    """Runtime SQL settings for the queries run inside the block; the old values after."""
    conf = spark.conf
    saved = {name: conf.get(name, None) for name in settings}
    for name, value in settings.items():
        conf.set(name, value)
    try:
        yield
    finally:
        for name, old_value in saved.items():
            if old_value is None:
                conf.unset(name)
            else:
                conf.set(name, old_value)


def read_lines(spark: SparkSession, path: str) -> DataFrame:
    """A text file as lines: (block_start, row_id, line). Streams; the line ends
    (LF, CRLF, CR) are dropped and a leading UTF-8 BOM is skipped."""
    return spark.read.text(path).select(
        F.input_file_block_start().alias("block_start"),
        F.monotonically_increasing_id().alias("row_id"),
        F.col("value").alias("line"),
    )


# monotonically_increasing_id() is (partition index << 33) + the row's place in its partition.
_ROW_IN_PARTITION = (1 << 33) - 1


def number_lines(lines: DataFrame, first_lines: dict[int, int]) -> DataFrame:
    """(line_number, line): 1-based physical line numbers (the header is line 1).

    `first_lines` maps each split's start offset to the 0-based index of its first line
    (airline_landing.lines, counted while hashing); Spark must read one split per
    partition (`lines.split_conf`). A split it does not list fails the job loudly."""
    if not first_lines:
        return lines.select(F.lit(None).cast("int").alias("line_number"), F.col("line")).limit(0)
    first_line = F.element_at(
        F.create_map(*[F.lit(value) for pair in first_lines.items() for value in pair]),
        F.col("block_start"),
    )
    line_number = (
        F.when(
            first_line.isNull(),
            F.raise_error(
                F.concat(
                    F.lit("unplanned file split at byte "), F.col("block_start").cast("string")
                )
            ),
        )
        .otherwise(first_line + F.col("row_id").bitwiseAND(F.lit(_ROW_IN_PARTITION)) + 1)
        .cast("int")
    )
    return lines.select(
        line_number.alias("line_number"),
        F.when(line_number == 1, F.regexp_replace("line", "^\ufeff", ""))
        .otherwise(F.col("line"))
        .alias("line"),
    )


def data_lines(numbered: DataFrame) -> DataFrame:
    """The lines that are rows: not the header, not blank."""
    return numbered.where((F.col("line_number") > 1) & ~_is_blank(F.col("line")))


def _is_blank(line: Column) -> Column:
    return F.trim(line) == ""


def _empty(value: Column) -> Column:
    return value.isNull() | (value == "")


def _integer(name: str, spark_type: str, *, signed: bool = True) -> Column:
    """Column `name` as an integer if it is one (a fraction of zeros allowed), else null."""
    value = F.col(name)
    exact = F.expr(f"try_cast({name} as {spark_type})")
    whole = F.expr(f"try_cast(regexp_extract({name}, '^([+-]?[0-9]+)', 1) as {spark_type})")
    number = F.coalesce(exact, F.when(value.rlike(_ZERO_FRACTION), whole))
    return number if signed else F.when(~value.startswith("-"), number)


def _date(name: str) -> Column:
    """Column `name`, ISO `YYYY-MM-DD` (or BTS's old `M/D/YYYY [12:00:00 AM]`), as a date."""
    value = F.col(name)
    us = F.concat_ws(
        "-",
        F.regexp_extract(value, _US_DATE, 3),
        F.regexp_extract(value, _US_DATE, 1),
        F.regexp_extract(value, _US_DATE, 2),
    )
    iso = F.when(value.rlike(_ISO_DATE), F.expr(f"try_cast({name} as date)"))
    return F.when(value.contains("/"), F.when(value.rlike(_US_DATE), us).cast("date")).otherwise(
        iso
    )


def _clock(name: str) -> Column:
    """Column `name`, a BTS clock time `hhmm` (0 to 2400, minutes 00-59; "0005" and "5"
    alike), as a smallint, else null."""
    number = F.when(F.col(name).rlike(_CLOCK), F.expr(f"try_cast({name} as smallint)"))
    return F.when((number <= 2400) & (number % 100 < 60), number)


def _flag(name: str) -> Column:
    """Column `name`, a BTS 0/1 flag ("1.00" true), as a boolean, else null."""
    value = F.col(name)
    return F.when(value.rlike(_FLAG), value.startswith("1"))


def _airport_code(name: str) -> Column:
    """Column `name`, a 3-character airport code ("atl" and "ATL" alike), upper case, else
    null."""
    return F.when(F.col(name).rlike(_AIRPORT_CODE), F.upper(F.col(name)))


def _hour(clock: Column) -> Column:
    """The hour (0-23) of an `hhmm` clock time: 2400, midnight at the day's end, is hour 0."""
    return F.pmod(F.floor(clock / 100), F.lit(24)).cast("smallint")


# How each optional BTS field is typed and what a present but malformed value is told:
# field -> (typed column of the raw text column `_<field>`, what the value is not).
_BTS_FIELDS: dict[str, tuple[Callable[[str], Column], str]] = {
    "scheduled_dep_time": (_clock, "is not a clock time (hhmm, 0000 to 2400)"),
    "cancelled": (_flag, "is not a flag (0.00 or 1.00)"),
    "diverted": (_flag, "is not a flag (0.00 or 1.00)"),
    "cancellation_code": (
        lambda name: F.when(F.col(name).rlike(_CANCELLATION_CODE), F.col(name)),
        "is not a cancellation code (A, B, C or D)",
    ),
    **{
        cause: (
            lambda name: _integer(name, "int", signed=False),
            "is not a whole number of minutes (0 or more)",
        )
        for cause in CAUSE_COLUMNS
    },
    "distance_miles": (
        lambda name: _integer(name, "int", signed=False),
        "is not a whole number of miles (0 or more)",
    ),
    "tail_number": (lambda name: F.col(name), f"is longer than {TAIL_NUMBER_MAX} characters"),
    **dict.fromkeys(
        ("origin_airport_code", "dest_airport_code"),
        (_airport_code, "is not an airport code (3 letters or digits, e.g. ATL)"),
    ),
}
_BTS_TYPES = {
    "scheduled_dep_time": "smallint",
    "scheduled_dep_hour": "smallint",
    "cancelled": "boolean",
    "diverted": "boolean",
    "cancellation_code": "string",
    **dict.fromkeys(CAUSE_COLUMNS, "int"),
    "distance_miles": "int",
    "tail_number": "string",
    "origin_airport_code": "string",
    "dest_airport_code": "string",
}


class _Check(NamedTuple):
    """One reason a row is rejected: when it applies, its code and the detail stored."""

    condition: Column
    code: str
    detail: Column


def parse_rows(
    lines: DataFrame,
    columns: ColumnMap,
    key_date: date | Column | None,
    *keep: str,
    plausible: Plausibility | None = None,
    today: date | None = None,
) -> DataFrame:
    """Parse and type each data line (line_number, line, *keep).

    `key_date` is the date the file's key names (a date, or a column when the lines come
    from several files); `keep` names columns of `lines` passed through unchanged.
    `plausible` (default: the documented defaults, airline_landing.plausibility) is the
    window of flight dates and the bounds of delays a well-formed row must also fall in;
    `today` (default: UTC today) is the landing day the window's end counts from. A row's
    stored flight date is never outside the window: a rejected row out of it keeps its
    key's date when that is inside, else none.

    Out: line_number, raw_line, flight_id, carrier, origin_airport_id, dest_airport_id,
    dep_delay, arr_delay, flight_date, BTS_COLUMNS, reason_code, reason_detail.
    reason_code is null for a row that lands; otherwise the row is rejected for the first
    reason found. Lines without a quote take a fast path (split on commas); quoted ones go
    through Spark's CSV parser (RFC 4180: quoted commas, doubled quotes).

    The BTS columns are parsed only when the header has them (`columns` says which): a
    file without them carries typed NULL literals, which cost nothing per row. A value
    present but malformed rejects the row with `bad_<column>`; an empty one is NULL.

    Steps: `_split_lines` (the line cut into fields) -> `_raw_fields` (each field's text)
    -> `_typed_fields` (typed values) -> `_coded_rows` (the first failed `_row_checks`).
    """
    present = [name for name in _BTS_FIELDS if columns.position(name) is not None]
    key_date_col = _key_date_column(key_date)
    window = _FlightDateWindow(plausible or Plausibility(), today)
    split = _split_lines(lines, columns, keep)
    raw = _raw_fields(split, columns, keep, present)
    typed = _typed_fields(raw, key_date_col, present)
    checks = _row_checks(columns, present, window)
    return _coded_rows(typed, checks, keep, present, key_date_col, window)


def _split_lines(lines: DataFrame, columns: ColumnMap, keep: Sequence[str]) -> DataFrame:
    """Each line cut into fields: split on commas when it has no quote (`_plain`), else
    parsed as one CSV record (`_csv`), with its quoted fields removed (`_unquoted`) for the
    field count and the stray-quote check."""
    schema = ", ".join(f"c{i} STRING" for i in range(columns.field_count))
    options = {"sep": ",", "quote": '"', "escape": '"', "mode": "PERMISSIVE"}
    line = F.col("line")
    has_quote = F.instr(line, '"') > 0
    return lines.select(
        *keep,
        F.col("line_number"),
        line.alias("raw_line"),
        has_quote.alias("_quoted"),
        F.when(~has_quote, F.split(line, ",", -1)).alias("_plain"),
        F.when(has_quote, F.from_csv(line, schema, options)).alias("_csv"),
        F.when(has_quote, F.regexp_replace(line, _QUOTED_FIELD, "")).alias("_unquoted"),
    )


def _field(columns: ColumnMap, name: str) -> Column:
    """The trimmed text of a field of `_split_lines`' output (NULL when the header lacks it)."""
    c = F.col
    position = columns.position(name)
    if position is None:
        return F.lit(None).cast("string")
    return F.trim(
        F.when(c("_quoted"), c(f"_csv.c{position}")).otherwise(
            F.element_at(c("_plain"), position + 1)
        )
    )


def _flight_id(columns: ColumnMap) -> Column:
    """The header's flight id, or the carrier and flight number joined, or NULL."""
    if columns.position("flight_id") is not None:
        return F.when(~_empty(_field(columns, "flight_id")), _field(columns, "flight_id"))
    if columns.position("flight_number") is not None:
        number = _field(columns, "flight_number")
        return F.when(~_empty(number), F.concat(_field(columns, "carrier"), number))
    return F.lit(None).cast("string")


def _raw_fields(
    split: DataFrame, columns: ColumnMap, keep: Sequence[str], present: Sequence[str]
) -> DataFrame:
    """The fields' text: `_<field>` for each typed one, flight_id and carrier as they land,
    and the line's field count and stray quote."""
    c = F.col
    return split.select(
        *keep,
        "line_number",
        "raw_line",
        F.when(c("_quoted"), F.size(F.split(c("_unquoted"), ",", -1)))
        .otherwise(F.size("_plain"))
        .alias("_field_count"),
        F.when(c("_quoted"), F.instr(c("_unquoted"), '"') > 0)
        .otherwise(F.lit(False))
        .alias("_stray_quote"),
        _flight_id(columns).alias("flight_id"),
        _field(columns, "carrier").alias("carrier"),
        _field(columns, "origin_airport_id").alias("_origin"),
        _field(columns, "dest_airport_id").alias("_dest"),
        _field(columns, "dep_delay").alias("_dep"),
        _field(columns, "arr_delay").alias("_arr"),
        _field(columns, "flight_date").alias("_date"),
        *(_field(columns, name).alias(f"_{name}") for name in present),
    )


def _key_date_column(key_date: date | Column | None) -> Column:
    if isinstance(key_date, Column):
        return key_date
    return F.lit(key_date).cast("date") if key_date else F.lit(None).cast("date")


def _typed_fields(raw: DataFrame, key_date: Column, present: Sequence[str]) -> DataFrame:
    """`_raw_fields` and each field typed (NULL when malformed): ids, delays, the flight
    date (the key's when the row has none) and the BTS fields present."""
    return raw.select(
        "*",
        _integer("_origin", "bigint", signed=False).alias("origin_airport_id"),
        _integer("_dest", "bigint", signed=False).alias("dest_airport_id"),
        _integer("_dep", "int").alias("dep_delay"),
        _integer("_arr", "int").alias("arr_delay"),
        F.when(_empty(F.col("_date")), key_date).otherwise(_date("_date")).alias("flight_date"),
        *(_BTS_FIELDS[name][0](f"_{name}").alias(name) for name in present),
    )


class _FlightDateWindow:
    """The plausible flight dates: from the start of BTS data to the landing day plus the
    days `Plausibility` allows."""

    def __init__(self, rules: Plausibility, today: date | None) -> None:
        self.rules = rules
        self.first = rules.first_flight_date.isoformat()
        self.last = rules.last_flight_date(today).isoformat()

    def contains(self, day: Column) -> Column:
        return day.between(F.lit(self.first).cast("date"), F.lit(self.last).cast("date"))


def _bad(columns: ColumnMap, field_name: str, raw: str, what: str) -> Column:
    """'<header name> '<the raw value, cut at 100>' <what it is not>'."""
    named = columns.header_names.get(field_name, field_name)
    return F.concat(F.lit(f"{named} '"), F.substring(F.col(raw), 1, 100), F.lit(f"' {what}"))


def _row_checks(
    columns: ColumnMap, present: Sequence[str], window: _FlightDateWindow
) -> list[_Check]:
    """Every check, in the order a row's first failure is found."""
    return [
        *_shape_checks(columns),
        *_field_checks(columns),
        *_plausibility_checks(columns, window),
        *_bts_checks(columns, present),
    ]


def _shape_checks(columns: ColumnMap) -> list[_Check]:
    c = F.col
    return [
        _Check(
            c("_stray_quote"),
            "bad_quoting",
            F.lit("a quote inside an unquoted field, or a quoted field never closed"),
        ),
        _Check(
            c("_field_count") != columns.field_count,
            "wrong_field_count",
            F.concat(
                F.lit(f"expected {columns.field_count} fields, found "),
                c("_field_count").cast("string"),
            ),
        ),
    ]


def _field_checks(columns: ColumnMap) -> list[_Check]:
    """The fields every file has: present, well-formed, within their column's width."""
    c = F.col
    return [
        _Check(_empty(c("carrier")), "missing_carrier", F.lit("carrier is empty")),
        _Check(
            F.length("carrier") > CARRIER_MAX,
            "bad_carrier",
            F.lit(f"carrier longer than {CARRIER_MAX} characters"),
        ),
        _Check(
            _empty(c("_origin")), "missing_origin_airport_id", F.lit("origin airport id is empty")
        ),
        _Check(
            c("origin_airport_id").isNull(),
            "bad_origin_airport_id",
            _bad(columns, "origin_airport_id", "_origin", "is not an airport id"),
        ),
        _Check(
            _empty(c("_dest")), "missing_dest_airport_id", F.lit("destination airport id is empty")
        ),
        _Check(
            c("dest_airport_id").isNull(),
            "bad_dest_airport_id",
            _bad(columns, "dest_airport_id", "_dest", "is not an airport id"),
        ),
        _Check(
            ~_empty(c("_dep")) & c("dep_delay").isNull(),
            "bad_dep_delay",
            _bad(columns, "dep_delay", "_dep", "is not a whole number of minutes"),
        ),
        _Check(
            ~_empty(c("_arr")) & c("arr_delay").isNull(),
            "bad_arr_delay",
            _bad(columns, "arr_delay", "_arr", "is not a whole number of minutes"),
        ),
        _Check(
            ~_empty(c("_date")) & c("flight_date").isNull(),
            "bad_flight_date",
            _bad(columns, "flight_date", "_date", "is not a date (YYYY-MM-DD)"),
        ),
        _Check(
            c("flight_date").isNull(),
            "no_flight_date",
            F.lit("no FlightDate in the row and no date in the file's key"),
        ),
        _Check(
            F.length("flight_id") > FLIGHT_ID_MAX,
            "bad_flight_id",
            F.lit(f"flight id longer than {FLIGHT_ID_MAX} characters"),
        ),
    ]


def _plausibility_checks(columns: ColumnMap, window: _FlightDateWindow) -> list[_Check]:
    """Well-formed values outside the plausible window of dates or bounds of delays."""
    rules = window.rules
    named_date = columns.header_names.get("flight_date", "flight_date")

    def delay_out_of_bounds(delay: str, raw: str, what: str) -> _Check:
        return _Check(
            F.col(delay).isNotNull() & ~F.col(delay).between(rules.min_delay, rules.max_delay),
            f"implausible_{delay}",
            _bad(
                columns,
                delay,
                raw,
                f"is outside the plausible {what} ({rules.min_delay} to {rules.max_delay} "
                "minutes)",
            ),
        )

    return [
        _Check(
            ~window.contains(F.col("flight_date")),
            "implausible_flight_date",
            F.concat(
                F.lit(f"{named_date} "),
                F.col("flight_date").cast("string"),
                F.lit(
                    f" is outside the plausible window ({window.first}, "
                    f"the start of BTS data, to the landing day + {rules.future_days} day(s): "
                    f"{window.last})"
                ),
            ),
        ),
        delay_out_of_bounds("dep_delay", "_dep", "departure delay"),
        delay_out_of_bounds("arr_delay", "_arr", "arrival delay"),
    ]


def _bts_checks(columns: ColumnMap, present: Sequence[str]) -> list[_Check]:
    """The optional BTS fields the header has: malformed (or too long) when not empty."""
    checks = []
    for name in present:
        raw = F.col(f"_{name}")
        malformed = (
            F.length(raw) > TAIL_NUMBER_MAX
            if name == "tail_number"
            else ~_empty(raw) & F.col(name).isNull()
        )
        checks.append(
            _Check(malformed, f"bad_{name}", _bad(columns, name, f"_{name}", _BTS_FIELDS[name][1]))
        )
    return checks


def _coded_rows(
    typed: DataFrame,
    checks: Sequence[_Check],
    keep: Sequence[str],
    present: Sequence[str],
    key_date: Column,
    window: _FlightDateWindow,
) -> DataFrame:
    """The output columns, with the code of the first check that fails (NULL: the row lands)
    and its detail; the flight date stored only inside the window."""
    c = F.col
    reason_code: Column = F.lit(None).cast("string")
    for check in reversed(checks):
        reason_code = F.when(check.condition, F.lit(check.code)).otherwise(reason_code)
    coded = typed.select("*", reason_code.alias("reason_code"))
    row_date = F.coalesce(c("flight_date"), key_date)
    # The detail only for rejected rows: one cheap lookup by code, not a second test chain.
    reason_detail: Column = F.lit(None).cast("string")
    for check in reversed(checks):
        reason_detail = F.when(c("reason_code") == check.code, check.detail).otherwise(
            reason_detail
        )
    return coded.select(
        *keep,
        "line_number",
        "raw_line",
        "flight_id",
        "carrier",
        "origin_airport_id",
        "dest_airport_id",
        "dep_delay",
        "arr_delay",
        F.when(window.contains(row_date), row_date)
        .when(window.contains(key_date), key_date)
        .alias("flight_date"),
        *(_bts_column(name, present) for name in BTS_COLUMNS),
        "reason_code",
        F.when(c("reason_code").isNotNull(), F.substring(reason_detail, 1, DETAIL_MAX)).alias(
            "reason_detail"
        ),
    )


def has_bts_columns(columns: ColumnMap) -> bool:
    """Whether a file's header has any of the optional BTS columns."""
    return any(columns.position(name) is not None for name in _BTS_FIELDS)


def _bts_column(name: str, present: Sequence[str]) -> Column:
    """A BTS output column: parsed when the file has it, else a typed NULL literal."""
    if name == "scheduled_dep_hour":
        if "scheduled_dep_time" in present:
            return _hour(F.col("scheduled_dep_time")).alias(name)
    elif name == "tail_number":
        if name in present:
            return F.when(~_empty(F.col(name)), F.col(name)).alias(name)
    elif name in present:
        return F.col(name)
    return F.lit(None).cast(_BTS_TYPES[name]).alias(name)


def _quoted(value: Column) -> Column:
    """A text value as a CSV field: null -> empty (NULL for COPY), else quoted."""
    return F.when(value.isNull(), F.lit("")).otherwise(
        F.concat(F.lit('"'), F.replace(value, F.lit('"'), F.lit('""')), F.lit('"'))
    )


def _short_text(value: Column) -> Column:
    """A short text value (never empty when not null) as a CSV field, quoted only if needed."""
    needs_quotes = value.rlike('[",\r\n]') | (value == "")
    return F.when(value.isNull(), F.lit("")).when(needs_quotes, _quoted(value)).otherwise(value)


def _plain(value: Column) -> Column:
    return F.coalesce(value.cast("string"), F.lit(""))


def quote_literal(text: str) -> str:
    """A text as a quoted CSV field."""
    return '"' + text.replace('"', '""') + '"'


def copy_lines(
    parsed: DataFrame,
    source_key: str | Column,
    file_version_id: int | Column,
    landed_at: str,
    *,
    with_bts: bool = True,
) -> DataFrame:
    """(kind, line): each parsed row as one CSV line for COPY into raw.flights_landing
    (kind 'landed', columns LANDING_COLUMNS) or raw.flights_rejected (kind 'rejected',
    columns REJECTED_COLUMNS). The key and version are literals for one file, or columns
    (the key already quoted as a CSV field, see `quote_literal`) for a batch of files."""
    key = source_key if isinstance(source_key, Column) else F.lit(quote_literal(source_key))
    version = (
        file_version_id.cast("string")
        if isinstance(file_version_id, Column)
        else F.lit(str(file_version_id))
    )
    is_landed = F.col("reason_code").isNull()
    return parsed.select(
        F.when(is_landed, F.lit(KIND_LANDED)).otherwise(F.lit(KIND_REJECTED)).alias("kind"),
        F.when(is_landed, _landed_line(key, version, landed_at, with_bts))
        .otherwise(_rejected_line(key, version, landed_at))
        .alias("line"),
    )


def _landed_line(key: Column, version: Column, landed_at: str, with_bts: bool) -> Column:
    """A landed row as one CSV line (LANDING_COLUMNS)."""
    c = F.col
    # Literals for one file fold into constants; columns for a batch are looked up per row.
    # A file without BTS columns (`with_bts` False, see `has_bts_columns`) lands them all
    # NULL: one constant of empty fields, not twelve more fields joined on every row.
    if with_bts:
        landed_tail = F.concat(version, F.lit(f",{landed_at}"))
        bts = [
            _short_text(c(name)) if _BTS_TYPES[name] == "string" else _plain(c(name))
            for name in BTS_COLUMNS
        ]
    else:
        landed_tail = F.concat(version, F.lit(f",{landed_at}" + "," * len(BTS_COLUMNS)))
        bts = []
    return F.concat_ws(
        ",",
        _short_text(c("flight_id")),
        _short_text(c("carrier")),
        _plain(c("origin_airport_id")),
        _plain(c("dest_airport_id")),
        _plain(c("dep_delay")),
        _plain(c("arr_delay")),
        _plain(c("flight_date")),
        key,
        _plain(c("line_number")),
        landed_tail,
        *bts,
    )


def _rejected_line(key: Column, version: Column, landed_at: str) -> Column:
    """A rejected row as one CSV line (REJECTED_COLUMNS)."""
    c = F.col
    return F.concat_ws(
        ",",
        F.concat(version, F.lit(","), key),
        _plain(c("line_number")),
        _quoted(fit_raw_line(c("raw_line"))),
        _quoted(c("reason_code")),
        _quoted(c("reason_detail")),
        _plain(c("flight_date")),
        F.lit(landed_at),
    )
