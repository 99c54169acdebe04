"""dbt's sessions kept between nodes (airline_elt/dbt_sessions.py), on the real warehouse.

A project of its own, built with one thread so that every node runs on the same session:
the first model leaves session state behind (a setting, a temporary table, an advisory
lock), the next must find none of it, a node that fails must leave the session usable for
the one after it, and no session may outlive the dbt command, even in the process a run
or a watch keeps. Both ways a local dbt runs are checked: the `dbt` command line
(`run_dbt`, airline_elt/dbt_cli.py) and the kept process (`KeptDbt`, dbt_worker.py)."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import psycopg2
import pytest
from conftest import DbtProject, fresh_project
from dbt.adapters.contracts.connection import Connection as DbtConnection
from dbt.adapters.contracts.connection import ConnectionState
from psycopg2.extensions import STATUS_READY

from airline_elt.dbt import KeptDbt, run_dbt
from airline_elt.dbt_sessions import SessionKeepingConnectionManager
from airline_elt.warehouse import Connection, Warehouse

FILES = {
    "dbt_project.yml": """
        name: session_probe
        version: "1.0.0"
        config-version: 2
        profile: airline_elt
        models:
          session_probe:
            +materialized: table
    """,
    # Leaves behind what a new session would not have.
    "models/a_leaves_state.sql": """
        {{ config(pre_hook=[
            "set statement_timeout = 4321",
            "create temporary table left_behind as select 1 as x",
            "select pg_advisory_lock(4242)",
        ]) }}
        select pg_backend_pid() as backend_pid
    """,
    "models/b_looks.sql": """
        select
            (select a.backend_pid from {{ ref('a_leaves_state') }} as a) as a_backend_pid,
            pg_backend_pid() as backend_pid,
            current_setting('statement_timeout') as statement_timeout,
            to_regclass('pg_temp.left_behind') is null as no_temporary_table,
            (select count(*) from pg_locks
             where locktype = 'advisory' and pid = pg_backend_pid()) as advisory_locks
    """,
    # After b, before d (one thread: dbt takes nodes of one depth in order of their ids).
    "models/c_fails.sql": """
        select 1 / (select count(*) - 1 from {{ ref('b_looks') }}) as boom
    """,
    "models/d_after_failure.sql": """
        select
            pg_backend_pid() as backend_pid,
            (select b.backend_pid from {{ ref('b_looks') }} as b) as b_backend_pid
    """,
}


@pytest.fixture(scope="module")
def probe(connection: Connection, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[DbtProject, Path]]:
    folder = tmp_path_factory.mktemp("session_probe")
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    with fresh_project(connection, "t_dbt_sessions", tmp_path_factory.mktemp("home")) as project:
        yield project, folder


def _build(how: str, project: DbtProject, folder: Path, tmp_path: Path) -> int:
    """Build the probe project, then count the sessions of dbt's user still open while the
    process that ran dbt (the kept one, or this test's) still lives."""
    args = ["build", "--project-dir", str(folder), "--threads", "1"]
    if how == "command line":
        result = run_dbt(args, project.connection, home=project.home, capture=True)
        assert result.returncode == 1, result.stdout[-3000:]  # c_fails, nothing else
        return _other_sessions(project)
    kept = KeptDbt(tmp_path / "dbt-process.log")
    try:
        result = kept.run(args, project.connection, home=project.home, capture=True)
        assert result.returncode == 1, result.stdout[-3000:]
        return _other_sessions(project)
    finally:
        kept.close()


def _other_sessions(project: DbtProject) -> int:
    return project.query(
        "select count(*) from pg_stat_activity where datname = current_database()"
        " and backend_type = 'client backend' and pid <> pg_backend_pid()")[0][0]


def _warnings_in_log(warehouse: Warehouse) -> int:
    log = Path(str(warehouse.status()["log"]))
    return log.read_text(errors="replace").count("WARNING:  there is no transaction in progress")


@pytest.mark.parametrize("how", ["command line", "kept process"])
def test_each_node_gets_the_session_as_new(probe: tuple[DbtProject, Path], how: str,
                                           tmp_path: Path, warehouse: Warehouse) -> None:
    project, folder = probe
    warnings_before = _warnings_in_log(warehouse)
    left_open = _build(how, project, folder, tmp_path)

    ((a_pid, b_pid, timeout, no_temporary_table, advisory_locks),) = project.query(
        "select a_backend_pid, backend_pid, statement_timeout, no_temporary_table,"
        " advisory_locks from airlines.b_looks")
    assert b_pid == a_pid, "the second node did not run on the first node's session"
    assert timeout == "0", "a setting of the node before was kept"
    assert no_temporary_table, "a temporary table of the node before was kept"
    assert advisory_locks == 0, "an advisory lock of the node before was kept"
    # Ending each node's transaction leaves the server's log as dbt's own closing does (a
    # ROLLBACK psycopg2 sends after dbt's SQL COMMIT would warn once per node).
    assert _warnings_in_log(warehouse) - warnings_before <= 1

    results = json.loads((project.home / "dbt" / "target" / "run_results.json").read_text())
    by_name = {item["unique_id"].rsplit(".", 1)[1]: item for item in results["results"]}
    assert by_name["c_fails"]["status"] == "error"
    assert by_name["d_after_failure"]["status"] == "success"
    failed_at = by_name["c_fails"]["timing"][-1]["completed_at"]
    assert by_name["d_after_failure"]["timing"][0]["started_at"] >= failed_at, (
        "d ran before the failing node: this test checks nothing about the session after it")
    ((d_pid, d_b_pid),) = project.query(
        "select backend_pid, b_backend_pid from airlines.d_after_failure")
    assert d_pid == d_b_pid, "the node after a failure did not run on the same session"

    assert left_open == 0, "a session outlived the dbt command"


# -- release() in each state a node can leave its session in ---------------------------------

def _left_committed(handle: Any) -> None:  # dbt commits with SQL: psycopg2 does not see it
    with handle.cursor() as cursor:
        cursor.execute("set statement_timeout = 4321")
        cursor.execute("commit")


def _left_in_transaction(handle: Any) -> None:
    with handle.cursor() as cursor:
        cursor.execute("set statement_timeout = 4321")


def _left_failed(handle: Any) -> None:
    with handle.cursor() as cursor, contextlib.suppress(psycopg2.DataError):
        cursor.execute("select 1 / 0")


LEFT = {"committed by SQL": (_left_committed, False),
        "in dbt's transaction": (_left_in_transaction, True),
        "after a failed statement": (_left_failed, True)}


@pytest.fixture
def manager() -> SessionKeepingConnectionManager:
    return SessionKeepingConnectionManager(SimpleNamespace(), multiprocessing.get_context("spawn"))


def _open(manager: SessionKeepingConnectionManager, connection: Connection,
          role: str | None = None) -> DbtConnection:
    handle = psycopg2.connect(connection.url())
    opened = DbtConnection(type="postgres", name="node", credentials=SimpleNamespace(role=role),
                           state=ConnectionState.OPEN, handle=handle)
    manager.set_thread_connection(opened)
    return opened


@pytest.mark.parametrize("left", list(LEFT))
def test_release_resets_the_session_and_keeps_it(
        manager: SessionKeepingConnectionManager, connection: Connection,
        warehouse: Warehouse, left: str) -> None:
    leave, dbt_transaction_open = LEFT[left]
    opened = _open(manager, connection)
    handle = opened.handle
    leave(handle)
    opened.transaction_open = dbt_transaction_open
    warnings_before = _warnings_in_log(warehouse)

    manager.release()

    assert opened.state == ConnectionState.OPEN and not handle.closed, "the session was closed"
    assert handle.autocommit is False, "the session was left in autocommit"
    assert handle.status == STATUS_READY and not opened.transaction_open
    with handle.cursor() as cursor:
        cursor.execute("show statement_timeout")
        assert cursor.fetchone() == ("0",), "a setting of the node was kept"
    assert _warnings_in_log(warehouse) == warnings_before, "the reset warned in the server log"
    handle.close()


def test_a_session_that_died_or_has_a_role_is_closed(
        manager: SessionKeepingConnectionManager, connection: Connection) -> None:
    died = _open(manager, connection)
    pid = died.handle.get_backend_pid()
    with psycopg.connect(connection.url(), autocommit=True) as other:
        other.execute("select pg_terminate_backend(%s)", (pid,))
    manager.release()
    assert died.state == ConnectionState.CLOSED and died.handle.closed

    manager.clear_thread_connection()
    with_role = _open(manager, connection, role="airline_elt_dbt")
    manager.release()
    assert with_role.state == ConnectionState.CLOSED and with_role.handle.closed
