"""dbt's sessions kept between nodes (airline_elt/dbt_sessions.py), on the real warehouse.

A project of its own, built with one thread so that every node runs on the same session:
the first model leaves session state behind (a setting, a temporary table, an advisory
lock), the next must find none of it, a node that fails must leave the session usable for
the one after it, and no session may outlive the dbt command, even in the process a run
or a watch keeps. Both ways a local dbt runs are checked: the `dbt` command line
(`run_dbt`, airline_elt/dbt_cli.py) and the kept process (`KeptDbt`, dbt_worker.py)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DbtProject, fresh_project

from airline_elt.dbt import KeptDbt, run_dbt
from airline_elt.warehouse import Connection

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
        "select count(*) from pg_stat_activity"
        " where datname = current_database() and pid <> pg_backend_pid()")[0][0]


@pytest.mark.parametrize("how", ["command line", "kept process"])
def test_each_node_gets_the_session_as_new(probe: tuple[DbtProject, Path], how: str,
                                           tmp_path: Path) -> None:
    project, folder = probe
    left_open = _build(how, project, folder, tmp_path)

    ((a_pid, b_pid, timeout, no_temporary_table, advisory_locks),) = project.query(
        "select a_backend_pid, backend_pid, statement_timeout, no_temporary_table,"
        " advisory_locks from airlines.b_looks")
    assert b_pid == a_pid, "the second node did not run on the first node's session"
    assert timeout == "0", "a setting of the node before was kept"
    assert no_temporary_table, "a temporary table of the node before was kept"
    assert advisory_locks == 0, "an advisory lock of the node before was kept"

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
