"""Bad input, landed in process (airline_landing.local.land_folder) into the session
warehouse with the session SparkSession; each test empties raw.* first."""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_input_helpers import empty_raw


@pytest.fixture
def raw(db):
    """The raw tables, created and emptied for this test."""
    empty_raw(db)
    return db


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder
