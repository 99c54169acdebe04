"""Real-shaped data through `airline-elt`, as a new user would bring it: a state folder
(and so a warehouse) of each test module's own, like tests/cli."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from cli_helpers import Cli


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Cli]:
    cli = Cli(tmp_path_factory.mktemp(f"elt-{request.module.__name__.rsplit('.', 1)[-1]}"))
    yield cli
    cli("warehouse", "stop", timeout=120)
