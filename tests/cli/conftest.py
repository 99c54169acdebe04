"""Each test module gets a state folder (AIRLINE_ELT_HOME) of its own: the CLI creates
and starts its own warehouse there (not the session `warehouse` fixture's), and it is
stopped when the module ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cli_helpers import Cli


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Cli]:
    """`airline-elt` with a state folder (and so a warehouse) of this test module's own."""
    cli = Cli(tmp_path_factory.mktemp(f"elt-{request.module.__name__.rsplit('.', 1)[-1]}"))
    yield cli
    cli("warehouse", "stop", timeout=120)
