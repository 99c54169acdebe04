"""The raw tables' DDL, rendered from the one file dbt also runs (raw_tables.sql).

The file is read as package data (importlib.resources), not through `__file__`: on Glue the
package arrives as a zip on the Python path (`--extra-py-files`), where there is no folder to
open a file in.

Upgrading in place: raw_tables.sql's PostgreSQL branch adds the BTS columns to an existing
raw.flights_landing itself (`add column if not exists`). Redshift has no `if not exists` for a
column and adds one column per `alter table`, so `add_missing_columns` asks
information_schema.columns which are missing and adds each (the Glue job runs it after the
DDL; dbt's on-run-start does the same with macros/raw_columns.sql).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import SimpleNamespace
from typing import Any

import jinja2

DDL_RESOURCE = "raw_tables.sql"
LANDING_TABLE = '"raw".flights_landing'
EXISTING_COLUMNS_SQL = (
    "select column_name from information_schema.columns "
    "where table_schema = 'raw' and table_name = 'flights_landing'"
)


@dataclass(frozen=True)
class RawColumn:
    """A nullable column of raw.flights_landing added after its first version."""

    name: str
    sql_type: str

    @property
    def definition(self) -> str:
        return f"{self.name} {self.sql_type}"


def raw_tables_sql() -> str:
    """The text of raw_tables.sql, from a folder or from a zip alike."""
    return resources.files(__package__).joinpath(DDL_RESOURCE).read_text(encoding="utf-8")


def _module(target_type: str) -> Any:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    template = env.from_string(raw_tables_sql())
    return template.make_module({"target": SimpleNamespace(type=target_type)})


def raw_tables_ddl(target_type: str = "postgres", schema_exists: bool = False) -> list[str]:
    """The statements that create the raw schema and tables, for `postgres` or `redshift`.
    `schema_exists` (RAW_SCHEMA_EXISTS_SQL said so): without the `create schema`, which needs
    the right to create schemas in the database even when the schema is there; the landing
    user owns raw and has no such right (airline_elt/warehouse_users.sql)."""
    sql = str(_module(target_type).create_raw_tables())
    statements = [statement.strip() for statement in sql.split(";") if statement.strip()]
    if schema_exists:
        statements = [s for s in statements if not s.lower().startswith("create schema")]
    return statements


RAW_SCHEMA_EXISTS_SQL = (
    "select count(*) from information_schema.schemata where schema_name = 'raw'"
)


def bts_columns() -> tuple[RawColumn, ...]:
    """The BTS columns of raw.flights_landing (raw_tables.sql's one list), in table order."""
    lines = str(_module("postgres").raw_flights_landing_bts_columns()).strip().splitlines()
    return tuple(RawColumn(*line.split(" ", 1)) for line in lines)


def missing_column_ddl(existing: Iterable[str]) -> list[str]:
    """One `alter table ... add column` per BTS column not among `existing` (valid SQL on
    Redshift and PostgreSQL alike); none when the table is up to date."""
    have = {name.strip().lower() for name in existing}
    return [
        f"alter table {LANDING_TABLE} add column {column.definition}"
        for column in bts_columns()
        if column.name not in have
    ]


def add_missing_columns(cursor: Any) -> list[str]:
    """Add the BTS columns an existing raw.flights_landing lacks (a DB-API cursor, after the
    DDL ran); returns the statements run. Rows are kept: each column is added empty (NULL)."""
    cursor.execute(EXISTING_COLUMNS_SQL)
    statements = missing_column_ddl(row[0] for row in cursor.fetchall())
    for statement in statements:
        cursor.execute(statement)
    return statements


_CREATE_TABLE = re.compile(r'create table if not exists "raw"\.(\w+) \((.*)\)', re.DOTALL)
_VARCHAR = re.compile(r"^\s*(\w+) varchar\((\d+)\)", re.MULTILINE)


@cache
def varchar_widths() -> dict[tuple[str, str], int]:
    """(table, column) -> n of every `varchar(n)` column of the raw tables, read from
    raw_tables.sql, so that the limits the landing checks are the table's own."""
    widths: dict[tuple[str, str], int] = {}
    for statement in raw_tables_ddl("postgres"):
        table = _CREATE_TABLE.match(statement)
        if table:
            for column, width in _VARCHAR.findall(table.group(2)):
                widths[(table.group(1), column)] = int(width)
    return widths


def varchar_width(table: str, column: str) -> int:
    """The n of raw.<table>.<column> varchar(n); KeyError names a column that has none."""
    try:
        return varchar_widths()[(table, column)]
    except KeyError:
        message = f"raw.{table}.{column} is not a varchar(n) column of raw_tables.sql"
        raise KeyError(message) from None
