"""Shared fixtures: one real local warehouse (PostgreSQL) and one local SparkSession per run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from airline_elt.warehouse import Connection, Warehouse
from airline_elt.workers import SWITCH as WORKERS_SWITCH

# `airline-elt warehouse start` starts the warehouse's workers (a Spark JVM, a dbt process:
# airline_elt/workers.py); the tests that start warehouses test other things, and a JVM of
# their own each would crowd two cores: off, but in the tests of the workers, which turn
# them on (tests/faults/test_crash_with_workers.py, tests/cli/test_workers_missing.py).
os.environ[WORKERS_SWITCH] = "off"

# Folders whose session fixtures are expensive and used by all their modules: the fault tests'
# uninterrupted reference runs (tests/faults/conftest.py), the report tests' sample warehouses
# (tests/report/conftest.py).
SHARED_SESSION_FOLDERS = {"faults", "report"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`make test` runs the suite on two pytest-xdist workers with `--dist loadfile`: all the
    tests of one module run on one worker, so its module fixtures (a dbt project, a CLI's
    warehouse) are built once, as in a serial run. Here each of SHARED_SESSION_FOLDERS is one
    unit as a whole too, so one worker builds their session fixtures once instead of each
    worker its own copy. (xdist's `loadgroup` would do it with marks, but xdist 3.8.0 cannot
    rename a node id under pytest 9, so its groups are silently ignored.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FileOrSharedFolderScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)  # tests/<folder>/test_x.py
            parts = module.split("/")
            if len(parts) > 2 and parts[-2] in SHARED_SESSION_FOLDERS:
                return "/".join(parts[:-1])
            return module

    return FileOrSharedFolderScheduling(config, log)


@pytest.fixture(scope="session")
def state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A state folder of this test run's own, so runs never share a warehouse."""
    home = tmp_path_factory.mktemp("airline-elt-home")
    previous = os.environ.get("AIRLINE_ELT_HOME")
    os.environ["AIRLINE_ELT_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("AIRLINE_ELT_HOME", None)
    else:
        os.environ["AIRLINE_ELT_HOME"] = previous


@pytest.fixture(scope="session")
def warehouse(state_home: Path) -> Iterator[Warehouse]:
    """The real local PostgreSQL warehouse, started for the session, stopped at its end."""
    wh = Warehouse(state_home)
    wh.start()
    yield wh
    wh.stop()


@pytest.fixture(scope="session")
def connection(warehouse: Warehouse) -> Connection:
    return warehouse.connection()


@pytest.fixture
def db(connection: Connection) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the warehouse database."""
    with psycopg.connect(connection.url(), autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole run (starting one takes seconds): the runner's own."""
    from airline_elt.spark import start_spark

    session = start_spark()
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright, one per test module (pages per test):
    see tests/offline_browser.py."""
    from offline_browser import launched_chromium

    with launched_chromium() as chromium:
        yield chromium
