"""Crash safety: `airline-elt run` SIGKILLed at named points (the product's test hook,
AIRLINE_ELT_FAULT) while it lands a four-file, four-day folder — before, during and after
a file's COPY, between files, during the dbt build — each kill followed at once by the next
run. After every kill: nothing partial, nothing doubled, the run lock free. After the last,
an uninterrupted rerun leaves exactly what the uninterrupted reference run left.

One chain of runs per folder version (each kill costs a Spark start, not a full run):
v1 (first landing, first dbt build), then v2 (a correction that supersedes a version and
moves a flight to a new date, an incremental dbt build). Each file lands in a batch of its
own here (AIRLINE_ELT_BATCH_FILES=1), so the kills fall between and inside files; kills
inside a batch of several files are test_crash_mid_batch's."""

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
    correct_to_v2,
    duplicates,
    key,
    landed_keys,
    landing_v1,
    output,
    snapshot,
)

pytestmark = pytest.mark.slow

A, B, C, D = key(BIG_DAY), *(key(day) for day in SAMPLE_DAYS)

# (fault, files committed as 'landed' after the kill, duplicate rows after the kill)
CHAIN_V1 = [
    ("before_copy:1", [], 0),  # A's first COPY is about to be sent
    ("during_copy:1", [], 0),  # A's rows are partly sent
    ("after_copy_before_commit:1", [], 0),  # A is loaded, not committed
    ("after_commit:1", [A], 0),  # A committed
    ("between_files:2", [A, B], 1),  # A duplicate, B landed and reported
    ("during_transform:3", [A, B, C, D], 3),  # everything landed; dbt killed mid-build
]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return landing_v1(tmp_path_factory.mktemp("landing"))


def kill_and_check(cli: FaultCli, landing: Path, fault: str, landed: list[str],
                   dups: int) -> None:
    # One file per landing batch: each file commits on its own, so kills fall between
    # files as the chains above name them (a kill inside a batch: test_crash_mid_batch).
    result = cli.run("run", "--landing", str(landing), fault=fault, batch_files=1)
    assert_killed(result)
    assert "waiting for run" not in result.stdout, output(result)
    assert cli.lock_holders() == [], f"{fault}: the killed run still holds the lock"
    assert_landing_consistent(cli)
    assert landed_keys(cli) == sorted(landed), fault
    assert duplicates(cli) == dups, fault


def test_kills_while_landing_v1_then_a_rerun_equals_the_reference(
    cli: FaultCli, landing: Path, reference: Reference
) -> None:
    for fault, landed, dups in CHAIN_V1:
        kill_and_check(cli, landing, fault, landed, dups)
    assert_ok(cli.run("run", "--landing", str(landing)))
    assert_landing_consistent(cli)
    assert duplicates(cli) == 3 + 4
    assert_same_as(snapshot(cli), reference.v1)


def test_kills_while_landing_a_correction_then_a_rerun_equals_the_reference(
    cli: FaultCli, landing: Path, reference: Reference
) -> None:
    correct_to_v2(landing)
    before = duplicates(cli)
    # A duplicate (commit 1); B's new version is loaded and its old one deleted, uncommitted.
    kill_and_check(cli, landing, "after_copy_before_commit:2", [A, B, C, D], before + 1)
    assert cli.query(
        "select count(*) from raw.flights_landing where source_key = %s", (B,)
    )[0][0] > 0, "the old version of B lost its rows"
    # The correction and the new day land; dbt's incremental build is killed mid-way.
    kill_and_check(cli, landing, "during_transform:5",
                   [A, B, C, D, key("2023-11-17")], before + 1 + 3)
    assert_ok(cli.run("run", "--landing", str(landing)))
    assert_landing_consistent(cli)
    assert_same_as(snapshot(cli), reference.v2)
