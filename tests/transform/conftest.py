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

# raw.flights_landing's flight columns: the seven every file has, then the optional BTS
# columns (issue 14), then the lineage the landing job adds.
FLIGHT_COLUMNS = ("flight_id", "carrier", "origin_airport_id", "dest_airport_id",
                  "dep_delay", "arr_delay", "flight_date")
OPTIONAL_COLUMNS = ("scheduled_dep_time", "scheduled_dep_hour", "cancelled", "diverted",
                    "cancellation_code", "carrier_delay", "weather_delay", "nas_delay",
                    "security_delay", "late_aircraft_delay", "distance_miles", "tail_number")
LINEAGE_COLUMNS = ("source_key", "source_line_number", "file_version_id", "landed_at")


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
        """Write one file version's rows to the raw tables, as the landing job does. A row
        holds the seven flight columns, optionally followed by the twelve BTS ones (a
        seven-column row lands them null, as a daily file does)."""
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
            columns = (*FLIGHT_COLUMNS, *OPTIONAL_COLUMNS, *LINEAGE_COLUMNS)
            with conn.cursor().copy(
                f"copy raw.flights_landing ({', '.join(columns)}) from stdin"
            ) as copy:
                for line_number, row in enumerate(rows, start=2):
                    flight = [*row, *[None] * (len(FLIGHT_COLUMNS) + len(OPTIONAL_COLUMNS)
                                               - len(row))]
                    copy.write_row([*flight, key, line_number, version, "now"])
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
