"""Each local step connects as its own warehouse user (airline_elt/warehouse_users.sql), never as
the owner, a superuser: `airline-elt run` lands as the landing user and builds as the dbt user,
`status` and `report` read as the dbt user; the owner connects only for `warehouse start`. The
server's own connection log says who connected. And a warehouse whose objects the owner holds
(built before the users by job) is handed over on the next start and keeps working."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from cli_helpers import Cli, copy_days

from airline_elt.warehouse import START_APPLICATION, SUPERUSER, Warehouse
from airline_elt.warehouse_users import DBT, LANDING, SCHEMA_OWNERS

pytestmark = pytest.mark.slow

FIRST_DAYS = ["2023-11-01", "2023-11-02"]
LATER_DAY = "2023-11-15"
AUTHORIZED = re.compile(
    r"connection authorized: user=(\S+) database=(\S+)(?: application_name=(.*))?$"
)


def execute(cli: Cli, *statements: str) -> None:
    """Statements as the owner (what an earlier version's steps did, and the test's set-up)."""
    with psycopg.connect(cli.url(), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def owners(cli: Cli) -> dict[tuple[str, str], str]:
    """(schema, relation or '') -> owner, for raw and dbt's schemas and every relation in them."""
    rows = cli.query(
        "select n.nspname, '', pg_get_userbyid(n.nspowner) from pg_namespace n"
        " where n.nspname = any(%s)"
        " union all"
        " select n.nspname, c.relname, pg_get_userbyid(c.relowner) from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'S')",
        (list(SCHEMA_OWNERS), list(SCHEMA_OWNERS)),
    )
    return {(schema, name): owner for schema, name, owner in rows}


def misowned(cli: Cli) -> dict[tuple[str, str], str]:
    return {key: owner for key, owner in owners(cli).items() if owner != SCHEMA_OWNERS[key[0]]}


def connections_since(log: Path, offset: int) -> list[tuple[str, str]]:
    """(user, application name) of each connection the server authorized after `offset`."""
    with log.open(errors="replace") as handle:
        handle.seek(offset)
        found = [AUTHORIZED.search(line.rstrip("\n")) for line in handle]
    return [(m[1], m[3] or "") for m in found if m and m[2] == "airlines"]


@pytest.fixture(scope="module")
def first_run(cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh warehouse, the server logging every connection, and a first run."""
    assert cli("warehouse", "start").returncode == 0
    execute(cli, "alter system set log_connections = on", "select pg_reload_conf()")
    landing = copy_days(FIRST_DAYS, tmp_path_factory.mktemp("landing"))
    result = cli("run", str(landing))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return landing


def test_what_a_run_creates_belongs_to_the_user_of_the_step_that_made_it(cli, first_run):
    """Run as the owner, the fact and the marts (and raw, made by the Land step) would be the
    owner's."""
    made = owners(cli)
    assert made[("airlines", "daily_flights_fact")] == DBT
    assert made[("airlines", "mv_carrier_delays")] == DBT
    assert made[("raw", "flights_landing")] == LANDING
    assert misowned(cli) == {}


def test_an_owner_built_warehouse_is_handed_over_and_the_steps_connect_as_their_users(
    cli, first_run
):
    # A warehouse of an earlier version: everything the owner's, as its steps made it.
    for (schema, name), _ in owners(cli).items():
        if not name:
            execute(cli, f'alter schema "{schema}" owner to {SUPERUSER}')
    for kind, schema, name in cli.query(
        "select c.relkind::text, n.nspname, c.relname from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace where n.nspname = any(%s)"
        " and c.relkind in ('r', 'v', 'm')", (list(SCHEMA_OWNERS),),
    ):
        what = {"r": "table", "v": "view", "m": "materialized view"}[kind]
        execute(cli, f'alter {what} "{schema}"."{name}" owner to {SUPERUSER}')
    held = misowned(cli)
    assert ("airlines", "mv_carrier_delays") in held and ("raw", "landed_files") in held
    assert set(held.values()) == {SUPERUSER}

    log = Path(str(Warehouse(cli.home).status()["log"]))
    offset = log.stat().st_size
    landing = copy_days([LATER_DAY], first_run)
    result = cli("run", str(landing))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert cli("status").returncode == 0
    report = cli("report", "--output", str(landing.parent / "report.html"))
    assert report.returncode == 0, report.stderr
    connected = connections_since(log, offset)  # before this test's own queries, as the owner

    assert misowned(cli) == {}  # the start handed everything over, the run kept it so
    assert cli.query(
        "select count(*) > 0 from airlines.daily_flights_fact where flight_date = %s",
        (LATER_DAY,),
    ) == [(True,)]
    users = {user for user, _ in connected}
    assert {LANDING, DBT} <= users, connected
    # The owner only for `warehouse start` (each command starts the warehouse first).
    assert {app for user, app in connected if user == SUPERUSER} <= {START_APPLICATION}, connected
    # dbt connected as the dbt user (dbt-postgres names its connections "dbt").
    assert (DBT, "dbt") in connected, connected
