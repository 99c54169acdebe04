"""Fixtures of the landing tests: the raw tables emptied per test, a landing folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from airline_landing.local import create_raw_tables


@pytest.fixture
def raw(db):
    """The raw tables, created and emptied for this test."""
    create_raw_tables(db)
    db.execute("truncate raw.flights_landing, raw.flights_rejected, raw.landed_files")
    return db


@pytest.fixture
def landing(tmp_path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder
