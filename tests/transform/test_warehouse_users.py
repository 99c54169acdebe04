"""Warehouse users by job (airline_elt/warehouse_users.sql) on the real local PostgreSQL: the
landing user creates and writes raw, the dbt user builds every model from raw, the reader reads
the marts; and each is refused what it must not do. Real landing DDL, real dbt build."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from conftest import DbtProject
from psycopg import errors

from airline_elt.warehouse import Connection
from airline_elt.warehouse_users import DBT, LANDING, READER, USERS, ensure_users, grants_sql
from airline_landing.local import create_raw_tables

DBNAME = "t_warehouse_users"
DAY = date(2023, 11, 15)
ROWS = [("AA5678", "AA", 10397, 14869, 75, 82, DAY), ("QF3456", "QF", 10397, 14107, 5, -2, DAY)]


@pytest.fixture(scope="module")
def users(warehouse, connection: Connection) -> Iterator[dict[str, Connection]]:
    # Users belong to the whole cluster: the session warehouse's own passwords, kept as they are.
    passwords = {user: warehouse.connection(user).password for user in USERS}
    admin = dataclasses.replace(connection, dbname="postgres")
    with psycopg.connect(admin.url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{DBNAME}" with (force)')
        conn.execute(f'create database "{DBNAME}"')
    owner = dataclasses.replace(connection, dbname=DBNAME)
    with psycopg.connect(owner.url(), autocommit=True) as conn:
        ensure_users(conn, DBNAME, passwords)
        ensure_users(conn, DBNAME, passwords)  # may run again
    yield {user: dataclasses.replace(owner, user=user, password=passwords[user])
           for user in USERS}
    with psycopg.connect(admin.url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{DBNAME}" with (force)')


@pytest.fixture(scope="module")
def built(users: dict[str, Connection], tmp_path_factory: pytest.TempPathFactory,
          ) -> dict[str, Connection]:
    """The landing user creates the raw tables and lands a day; the dbt user builds."""
    with psycopg.connect(users[LANDING].url()) as conn:
        create_raw_tables(conn)  # the landing's own, as a landing run does it
    home = tmp_path_factory.mktemp("warehouse_users")
    DbtProject(users[LANDING], home).land("daily_flights/date=2023-11-15/flights.csv", ROWS)
    DbtProject(users[DBT], home).run("build")
    return users


def _run(connection: Connection, sql: str) -> list[tuple]:
    with psycopg.connect(connection.url(), autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _refused(connection: Connection, sql: str) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        _run(connection, sql)


def test_the_dbt_user_builds_every_model_from_what_the_landing_user_landed(built) -> None:
    assert _run(built[DBT], "select flight_id from airlines.daily_flights_fact") == [("AA5678",)]
    owners = dict(_run(built[LANDING], "select nspname, pg_get_userbyid(nspowner) from "
                       "pg_namespace where nspname in ('raw', 'airlines', 'staging', "
                       "'intermediate')"))
    assert owners == {"raw": LANDING, "airlines": DBT, "staging": DBT, "intermediate": DBT}


# What each user must not do: every statement fails with "permission denied".
REFUSED = [
    (LANDING, "drop materialized view airlines.mv_carrier_delays"),
    (LANDING, "drop table airlines.daily_flights_fact"),
    (LANDING, "select count(*) from airlines.daily_flights_fact"),
    (LANDING, "create table airlines.sneaky (x int)"),
    (DBT, "insert into raw.landed_files (file_key) values ('x')"),
    (DBT, "delete from raw.flights_landing"),
    (DBT, "drop table raw.landed_files"),
    (DBT, "alter table raw.flights_landing add column sneaky int"),
    (DBT, "create table raw.sneaky (x int)"),
    (READER, "insert into airlines.daily_flights_fact (flight_id) values ('x')"),
    (READER, "delete from airlines.daily_flights_fact"),
    (READER, "drop materialized view airlines.mv_carrier_delays"),
    (READER, "create table airlines.sneaky (x int)"),
    (READER, "select count(*) from raw.flights_landing"),
    (READER, "select count(*) from raw.landed_files"),
]


@pytest.mark.parametrize(("user", "sql"), REFUSED)
def test_each_user_is_refused_what_its_job_does_not_need(built, user: str, sql: str) -> None:
    _refused(built[user], sql)


def test_each_user_may_do_what_its_job_needs(built) -> None:
    _run(built[LANDING], "update raw.landed_files set error_text = null where false")
    assert _run(built[DBT], "select count(*) from raw.flights_landing") == [(2,)]
    [(carriers,)] = _run(built[READER], "select count(*) from airlines.mv_carrier_delays")
    assert carriers >= 1


def test_nobody_of_the_three_is_a_superuser(built) -> None:
    rows = _run(built[READER], "select usename, usesuper, usecreatedb from pg_user "
                "where usename like 'airline_elt_%'")
    assert sorted(rows) == sorted((user, False, False) for user in USERS)


def test_the_same_statements_parse_as_redshift_sql() -> None:
    """The grants run on Redshift too (DEPLOY.md's bootstrap): sqlfluff's Redshift dialect parses
    every statement, and the user statements as ensure_users writes them."""
    from sqlfluff.core import FluffConfig, Linter

    redshift = Linter(config=FluffConfig(overrides={"dialect": "redshift"}))
    statements = [*grants_sql("dev"), f"create user {LANDING} password 'Landing-Passw0rd'",
                  f"alter user {DBT} password 'Dbt-Passw0rd'"]
    for statement in statements:
        parsed = redshift.parse_string(statement + ";")
        assert parsed.tree is not None
        bad = [s.raw for s in parsed.tree.recursive_crawl("unparsable")] + [
            str(v) for v in parsed.violations]
        assert not bad, (statement, bad)
    # A refusal the parser must make, so the check above means something.
    assert list(redshift.parse_string("grant selekt on airlines.x to y;").tree.recursive_crawl(
        "unparsable"))


def test_warehouse_start_creates_the_users_and_hands_out_a_read_only_url(
    warehouse, state_home, db
) -> None:
    """`airline-elt warehouse start` made them (the session's warehouse was started so);
    `airline-elt warehouse url --user reader` is the analysts' read-only connection."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("airline-elt")), "warehouse", "url", "--user",
         "reader"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "AIRLINE_ELT_HOME": str(state_home)},
    )
    url = result.stdout.strip()
    assert url.startswith(f"postgresql://{READER}:")
    db.execute("create schema if not exists airlines")  # as the owner, on an empty warehouse
    with psycopg.connect(url, autocommit=True) as conn:
        [(superuser,)] = conn.execute(
            "select usesuper from pg_user where usename = current_user").fetchall()
        assert superuser is False
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("create table airlines.sneaky (x int)")
