"""Crash safety of a batch: `airline-elt run` lands the four-file folder as ONE batch
(one Spark job, one transaction) and is SIGKILLed inside it (before its COPY, while the
COPY streams, after the COPY before the commit, after the commit). Before the commit
nothing of any file is there; after it, all four files are, each whole. A rerun then
lands each file exactly once and leaves what the uninterrupted reference run left."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import (
    BIG_DAY,
    SAMPLE_DAYS,
    FaultCli,
    Reference,
    assert_killed,
    assert_landing_consistent,
    assert_ok,
    assert_same_as,
    duplicates,
    key,
    landed_keys,
    landing_v1,
    output,
    snapshot,
)

pytestmark = pytest.mark.slow

ALL = sorted([key(BIG_DAY), *(key(day) for day in SAMPLE_DAYS)])

# (fault, files committed as 'landed' after the kill)
CHAIN = [
    ("before_copy:1", []),  # the batch's COPY is about to be sent
    ("during_copy:1", []),  # the COPY has begun streaming the batch's rows
    ("after_copy_before_commit:1", []),  # every file's rows are in, uncommitted
    ("after_commit:1", ALL),  # the batch committed: all four, each whole
]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return landing_v1(tmp_path_factory.mktemp("landing"))


def test_kills_inside_a_batch_then_a_rerun_equals_the_reference(
    cli: FaultCli, landing: Path, reference: Reference
) -> None:
    for fault, landed in CHAIN:
        result = cli.run("run", "--landing", str(landing), fault=fault)
        assert_killed(result)
        assert cli.lock_holders() == [], f"{fault}: the killed run still holds the lock"
        assert_landing_consistent(cli)
        assert landed_keys(cli) == landed, fault
        assert duplicates(cli) == 0, fault
        if not landed:
            assert cli.query("select count(*) from raw.landed_files") == [(0,)], output(result)
    assert_ok(cli.run("run", "--landing", str(landing)))
    assert_landing_consistent(cli)
    assert duplicates(cli) == 4  # the rerun found every file landed, once
    assert_same_as(snapshot(cli), reference.v1)
