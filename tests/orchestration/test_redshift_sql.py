"""The Redshift side of the SQL, parsed here: the raw DDL rendered for Redshift, the Glue shell's
own table, the Summarize SQL and the landing's COPY, with sqlfluff's Redshift dialect (the models
and macros are linted rendered for Redshift by `make lint`, orchestration/sqlfluff-redshift.cfg).
And the one Redshift limit landing meets: raw_line is varchar(65535)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace

import jinja2
import psycopg
import pytest
from helpers import SUMMARY_QUERIES, fit_raw_line_text
from pyspark.sql import functions as F
from sqlfluff.core import FluffConfig, Linter

from airline_elt.warehouse import Connection
from airline_landing.ddl import (
    EXISTING_COLUMNS_SQL,
    bts_columns,
    missing_column_ddl,
    raw_tables_ddl,
    raw_tables_sql,
)
from airline_landing.local import land_folder
from airline_landing.raw_line import (
    KEEP_CHARS,
    RAW_LINE_MAX_BYTES,
    fit_raw_line,
)
from airline_landing.s3_listing import DUPLICATES_SELECT, SEEN_DDL, SEEN_INSERT, SEEN_SELECT

REPO = Path(__file__).resolve().parents[2]
REDSHIFT = Linter(config=FluffConfig(overrides={"dialect": "redshift"}))


def unparsable(sql: str) -> list[str]:
    """The parts of `sql` sqlfluff's Redshift dialect cannot parse (empty: it all parses)."""
    parsed = REDSHIFT.parse_string(sql)
    assert parsed.tree is not None
    return [s.raw for s in parsed.tree.recursive_crawl("unparsable")] + [
        str(v) for v in parsed.violations
    ]


def with_literals(sql: str) -> str:
    """Data API / driver parameters as literals (the dialect parses SQL, not placeholders)."""
    return re.sub(r"(?<![:\w]):[A-Za-z_]\w*|%s", "'2023-11-16T00:00:00Z'", sql)


def test_the_parser_fails_on_what_redshift_would_refuse() -> None:
    assert unparsable("create table t (a int) diststyle keyy")
    assert unparsable("select from where")
    # RAW is a Redshift reserved word: the schema must be written "raw" in plain SQL.
    assert unparsable("select file_key from raw.landed_files")
    assert not unparsable('select file_key from "raw".landed_files')


@pytest.mark.parametrize("index", range(len(raw_tables_ddl("redshift"))))
def test_the_raw_ddl_rendered_for_redshift_parses(index: int) -> None:
    statement = raw_tables_ddl("redshift")[index]
    assert unparsable(statement) == [], statement


def test_the_raw_ddl_uses_redshift_types_and_keys() -> None:
    ddl = ";\n".join(raw_tables_ddl("redshift"))
    assert "bigint identity(1, 1)" in ddl
    assert "raw_line varchar(65535)" in ddl
    assert "diststyle key distkey (flight_date) sortkey (flight_date)" in ddl
    assert "create index" not in ddl  # Redshift has no indexes


def test_the_raw_ddl_creates_the_bts_columns_and_leaves_their_upgrade_to_a_lookup() -> None:
    ddl = ";\n".join(raw_tables_ddl("redshift"))
    for column in bts_columns():
        assert f"    {column.definition}" in ddl
    # Redshift has no `add column if not exists`: none in its rendering (PostgreSQL's has it).
    assert "add column" not in ddl
    assert "add column if not exists" in ";".join(raw_tables_ddl("postgres"))


@pytest.mark.parametrize("index", range(len(bts_columns())))
def test_each_upgrade_statement_parses_as_redshift_one_column_each(index: int) -> None:
    statements = missing_column_ddl([])
    assert len(statements) == len(bts_columns())
    assert statements[index].count("add column") == 1
    assert unparsable(statements[index]) == [], statements[index]


def _dbt_dispatch() -> object:
    """The sqlfluff stand-in's `adapter.dispatch` (dbt's search order, without dbt)."""
    path = REPO / "tests" / "dbt" / "sqlfluff_libs" / "adapter.py"
    spec = importlib.util.spec_from_file_location("sqlfluff_adapter", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dispatch


def render_dbt_upgrade_hook(existing: list[str], target_type: str = "redshift") -> str:
    """macros/raw_columns.sql's on-run-start hook, rendered as dbt renders it, with dbt's
    `run_query` answered by `existing` (the one thing only a live Redshift could say)."""
    macro = (REPO / "macros" / "raw_columns.sql").read_text(encoding="utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)

    def run_query(sql: str) -> SimpleNamespace:
        assert unparsable(sql) == [], sql  # the lookup itself is Redshift SQL
        assert sql == EXISTING_COLUMNS_SQL  # the same question the Glue job asks
        return SimpleNamespace(columns=[SimpleNamespace(values=lambda: existing)])

    module = env.from_string(raw_tables_sql() + macro).make_module(
        {"target": SimpleNamespace(type=target_type), "execute": True, "run_query": run_query,
         "adapter": SimpleNamespace(dispatch=_dbt_dispatch())}
    )
    return str(module.add_missing_raw_columns())


def test_dbts_upgrade_hook_adds_what_the_glue_job_adds() -> None:
    everything = [column.name for column in bts_columns()]
    for existing in ([], ["flight_id", "CANCELLED", "tail_number"], everything):
        rendered = [s.strip() for s in render_dbt_upgrade_hook(existing).split(";") if s.strip()]
        assert rendered == missing_column_ddl(existing)
    assert render_dbt_upgrade_hook([]).strip()  # an old warehouse: every column added
    # On PostgreSQL the DDL's own `add column if not exists` did it: the hook is empty.
    assert render_dbt_upgrade_hook([], "postgres").strip() == ""


@pytest.mark.parametrize(
    "sql",
    [
        SEEN_DDL, SEEN_SELECT, SEEN_INSERT, DUPLICATES_SELECT, EXISTING_COLUMNS_SQL,
        *SUMMARY_QUERIES.values(),
    ],
    ids=["seen-ddl", "seen-select", "seen-insert", "duplicates-select", "existing-columns",
         "summary-files",
         "summary-totals",
         "summary-fact-dates"],
)
def test_the_aws_paths_own_sql_parses_as_redshift(sql: str) -> None:
    assert unparsable(with_literals(sql)) == [], sql


@pytest.mark.parametrize(
    "line",
    ["DL1,DL,10397", "é" * 40000, "x" * RAW_LINE_MAX_BYTES, "x" * (1 << 20), "ü😀" * 300000],
    ids=["short", "multibyte-fits", "exactly-the-limit", "1MiB-ascii", "1MiB-multibyte"],
)
def test_a_raw_line_is_shortened_to_fit_redshift_with_a_marker(spark, line: str) -> None:  # type: ignore[no-untyped-def]
    fitted = fit_raw_line_text(line)
    assert fitted is not None
    assert len(fitted.encode("utf-8")) <= RAW_LINE_MAX_BYTES
    if len(line.encode("utf-8")) <= RAW_LINE_MAX_BYTES:
        assert fitted == line
    else:
        assert fitted.startswith(line[:KEEP_CHARS])
        assert fitted.endswith(f" [truncated: the line was {len(line.encode('utf-8'))} bytes]")
    # The Spark expression the COPY lines use says the same.
    [row] = spark.createDataFrame([(line,)], "line string").select(
        fit_raw_line(F.col("line")).alias("f")
    ).collect()
    assert row.f == fitted


@pytest.fixture
def raw_db(connection: Connection) -> str:
    name = "airline_elt_raw_line"
    with psycopg.connect(connection.url(), autocommit=True) as admin:
        admin.execute(f"drop database if exists {name}")
        admin.execute(f"create database {name}")
    conninfo = Connection(
        connection.host, connection.port, connection.user, connection.password, name
    ).url()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in raw_tables_ddl("postgres"):
            conn.execute(statement)
    return conninfo


def test_a_1mib_bad_line_lands_as_one_rejected_row_that_redshift_could_hold(
    spark, raw_db: str, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    key = "daily_flights/date=2023-11-15/flights.csv"
    long_line = "DL9,DL," + "9" * (1 << 20) + ",12478,5,5,2023-11-15"  # airport id too long
    path = tmp_path / "landing" / key
    path.parent.mkdir(parents=True)
    path.write_text(
        "FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate\n"
        "DL1,DL,10397,12478,90,80,2023-11-15\n" + long_line + "\n",
        encoding="utf-8",
    )
    report = land_folder(spark, tmp_path / "landing", raw_db, "run-1")
    [result] = report.files
    assert (result.rows_read, result.rows_landed, result.rows_rejected) == (2, 1, 1)
    with psycopg.connect(raw_db) as conn:
        [(raw_line, size)] = conn.execute(
            "select raw_line, octet_length(raw_line) from raw.flights_rejected"
        ).fetchall()
    assert size <= RAW_LINE_MAX_BYTES
    assert raw_line == fit_raw_line_text(long_line)


def test_the_dbt_images_build_guard_sql_parses_as_redshift() -> None:
    """build_guard.py (issue 20) asks Redshift what the lists in force are and what the landed
    flights use: the same SQL the local install runs (airline_elt.reference_loss)."""
    import importlib.util
    import sys

    sys.path.insert(0, str(REPO / "orchestration" / "dbt_image"))
    spec = importlib.util.spec_from_file_location(
        "build_guard", REPO / "orchestration" / "dbt_image" / "build_guard.py")
    assert spec and spec.loader
    guard = importlib.util.module_from_spec(spec)
    sys.modules["build_guard"] = guard
    spec.loader.exec_module(guard)
    statements = [guard.TABLE_EXISTS, guard.IN_FORCE_AIRPORTS.format(schema="airlines"),
                  guard.IN_FORCE_CARRIERS.format(schema="dev_ci_airlines"),
                  *(reference.landed_sql for reference in guard.LISTS)]
    assert len(statements) == 5
    for sql in statements:
        assert unparsable(with_literals(sql)) == [], sql
    assert not [sql for sql in statements if re.search(r'(?<!")\braw\.', sql)]


def test_no_dispatched_macro_falls_to_its_postgres_version_on_redshift() -> None:
    """dbt-redshift is built on dbt-postgres: for a Redshift target, `adapter.dispatch` tries
    `redshift__`, then `postgres__`, then `default__` (dbt's `_get_adapter_macro_prefixes`).
    A PostgreSQL-only statement written as `postgres__x` without a `redshift__x` would run on
    Redshift: PostgreSQL's version is `default__x`, Redshift's `redshift__x`."""
    from dbt.adapters.factory import get_adapter_type_names, load_plugin

    load_plugin("redshift")
    assert get_adapter_type_names("redshift") == ["redshift", "postgres"]  # the chain assumed
    macros = "\n".join(path.read_text(encoding="utf-8")
                       for path in sorted((REPO / "macros").glob("*.sql")))
    defined = set(re.findall(r"\{%-?\s*macro\s+(\w+)\s*\(", macros))
    dispatched = set(re.findall(r"adapter\.dispatch\('(\w+)'", macros))
    assert dispatched, "no adapter.dispatch found: the pattern above is out of date"
    falls_to_postgres = sorted(name for name in dispatched
                               if f"postgres__{name}" in defined
                               and f"redshift__{name}" not in defined)
    assert falls_to_postgres == []
