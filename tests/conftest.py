"""Shared fixtures: one real local warehouse (PostgreSQL) and one local SparkSession per run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from airline_elt.warehouse import Connection, Warehouse


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
    from airline_elt.spark import local_spark

    with local_spark() as session:
        yield session


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright, one per test module (pages per test):
    see tests/offline_browser.py."""
    from offline_browser import launched_chromium

    with launched_chromium() as chromium:
        yield chromium
