"""Fixtures for the dbt project's tests: a fresh database per test module, real dbt runs."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path

import psycopg
import pytest

from airline_elt.dbt import run_dbt
from airline_elt.warehouse import Connection
from airline_landing.ddl import raw_tables_ddl
from airline_landing.parse import BTS_COLUMNS, LANDING_COLUMNS

# The columns a test row gives first (the seven of a daily file); the landing job's lineage
# columns follow them in the COPY, then as many BTS columns as the rows carry.
BASE_FIELDS = 7
LINEAGE_COLUMNS = LANDING_COLUMNS[BASE_FIELDS : len(LANDING_COLUMNS) - len(BTS_COLUMNS)]
# The optional BTS columns (issue 14), in the order a test row gives them.
OPTIONAL_COLUMNS = BTS_COLUMNS


@dataclasses.dataclass
class DbtProject:
    """The dbt project against one database of the local warehouse."""

    connection: Connection
    home: Path

    def run(self, *args: str, expect_success: bool = True) -> str:
        result = run_dbt(list(args), self.connection, home=self.home, capture=True)
        output = result.stdout + result.stderr
        if expect_success:
            assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{output[-8000:]}"
        return output

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with psycopg.connect(self.connection.url()) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        with psycopg.connect(self.connection.url()) as conn:
            conn.execute(sql, params)

    def land(
        self, key: str, rows: Sequence[Sequence[object]], replaces: int | None = None
    ) -> int:
        """Write one file version's rows to the raw tables, as the landing job does. A row is
        the seven fields of a daily file, optionally followed by BTS_COLUMNS values (in that
        order; rows shorter than the longest get NULL for the rest)."""
        extra = max((len(row) - BASE_FIELDS for row in rows), default=0)
        columns = (*LANDING_COLUMNS[:BASE_FIELDS], *LINEAGE_COLUMNS, *BTS_COLUMNS[:extra])
        with psycopg.connect(self.connection.url()) as conn:
            if replaces is not None:
                conn.execute(
                    "delete from raw.flights_landing where file_version_id = %s", (replaces,)
                )
                conn.execute(
                    "update raw.landed_files set status = 'superseded' where file_version_id = %s",
                    (replaces,),
                )
            version = conn.execute(
                """
                insert into raw.landed_files (file_key, content_sha256, file_bytes, rows_read,
                    rows_landed, rows_rejected, status, replaces_file_version_id, run_id, landed_at)
                values (%s, md5(random()::text) || md5(random()::text), 0, %s, %s, 0, 'landed',
                    %s, 'test', now())
                returning file_version_id
                """,
                (key, len(rows), len(rows), replaces),
            ).fetchone()[0]
            with conn.cursor().copy(
                f"copy raw.flights_landing ({', '.join(columns)}) from stdin"
            ) as copy:
                for line_number, row in enumerate(rows, start=2):
                    bts = [*row[BASE_FIELDS:], *[None] * (extra - len(row[BASE_FIELDS:]))]
                    copy.write_row([*row[:BASE_FIELDS], key, line_number, version, "now", *bts])
        return version

    def fact(self, flight_date: date | None = None) -> list[tuple]:
        where = "where flight_date = %s" if flight_date else ""
        return self.query(
            "select flight_id, flight_date, carrier, dep_airport, arr_airport, dep_city, arr_city,"
            " dep_state, arr_state, dep_delay, arr_delay"
            f" from airlines.daily_flights_fact {where} order by dep_delay desc, flight_id",
            (flight_date,) if flight_date else (),
        )


@contextlib.contextmanager
def fresh_project(connection: Connection, dbname: str, home: Path) -> Iterator[DbtProject]:
    """A database of its own (dropped afterwards) with empty raw tables."""
    admin = dataclasses.replace(connection, dbname="postgres")
    with psycopg.connect(admin.url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{dbname}" with (force)')
        conn.execute(f'create database "{dbname}"')
    project = DbtProject(dataclasses.replace(connection, dbname=dbname), home)
    with psycopg.connect(project.connection.url()) as conn:
        for statement in raw_tables_ddl("postgres"):
            conn.execute(statement)
    yield project
    with psycopg.connect(admin.url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{dbname}" with (force)')


@pytest.fixture(scope="module")
def dbt_project(
    request: pytest.FixtureRequest,
    connection: Connection,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DbtProject]:
    """A database and a state folder of this test module's own, with empty raw tables."""
    dbname = "t_" + re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1])[:50]
    with fresh_project(connection, dbname, tmp_path_factory.mktemp(dbname)) as project:
        yield project


@pytest.fixture
def landing_rows() -> Callable[[str], list[tuple]]:
    """Parse a CSV block (the issue's format) into landing rows."""

    def parse(block: str) -> list[tuple]:
        lines = [line.strip() for line in block.strip().splitlines()]
        header, body = lines[0].split(","), lines[1:]
        assert header == [
            "FlightID", "Carrier", "OriginAirportID", "DestAirportID",
            "DepDelay", "ArrDelay", "FlightDate",
        ]
        rows = []
        for line in body:
            flight_id, carrier, origin, dest, dep, arr, flight_date = line.split(",")
            rows.append(
                (
                    flight_id, carrier, int(origin), int(dest),
                    int(dep) if dep else None, int(arr) if arr else None,
                    date.fromisoformat(flight_date),
                )
            )
        return rows

    return parse
