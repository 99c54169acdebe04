"""A new airports or carriers list goes in with the build that uses it, or not at all.

1. The file is validated whole before anything changes (airline_elt.seeds: every
   problem named with its line).
2. It is compared with the flights landed so far: when it would take their airport
   (or their carrier's name) from more than a share of them (AIRLINE_ELT_MAX_REFERENCE_LOSS,
   default 1%), it is refused with the count and the ids, unless forced.
3. It is staged beside the list in force and dbt builds from the staged folder. Only
   when that build succeeds is the staged folder swapped in. When it fails, the staged
   folder is thrown away and the warehouse is rebuilt from the list in force (seed
   tables, fact and marts as they were): a failed build never leaves a list in force
   that the warehouse was not built from, and a run killed midway leaves the previous
   list in force with the build inputs forgotten, so the next plain build rebuilds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import psycopg

from airline_elt.dbt import DbtCommand
from airline_elt.dbt_step import DbtOutcome, build_inputs, dbt_build, remember_build_inputs

# The check itself is shared with the dbt image on AWS; max_loss and refuse_if_lossy are
# part of this module's API (pipeline.py).
from airline_elt.reference_loss import (
    LANDED_AIRPORT_PAIRS,
    LANDED_CARRIERS,
    Loss,
    airport_loss,
    carrier_loss,
    max_loss,
    refuse_if_lossy,
)
from airline_elt.seeds import (
    AIRPORTS_FILE,
    CARRIERS_FILE,
    StagedSeeds,
    discard,
    list_in_force,
    read_airports,
    read_carriers,
    swap_in,
)
from airline_elt.warehouse import Connection

__all__ = ["ListBuild", "Loss", "build_with", "losses", "max_loss", "refuse_if_lossy"]


@dataclass(frozen=True)
class ListBuild:
    """The build with a staged list, and (when it failed) the rebuild from the list in force."""

    outcome: DbtOutcome
    restored: DbtOutcome | None = None

    @property
    def installed(self) -> bool:
        return self.outcome.succeeded


def losses(connection: Connection, home: Path, staged: StagedSeeds) -> list[Loss]:
    """For each list given, what it would take from the landed flights."""
    found = []
    with psycopg.connect(connection.url(), autocommit=True) as conn:
        landed = conn.execute("select to_regclass('raw.flights_landing') is not null"
                              " and to_regclass('raw.landed_files') is not null").fetchone()
        if not (landed and landed[0]):
            return []
        if AIRPORTS_FILE in staged.given:
            before = {int(row[0]) for row in read_airports(list_in_force(home, AIRPORTS_FILE))}
            after = {int(row[0]) for row in read_airports(staged.folder / AIRPORTS_FILE)}
            pairs = [(int(o), int(d), n) for o, d, n in conn.execute(LANDED_AIRPORT_PAIRS)]
            found.append(airport_loss(pairs, before, after))
        if CARRIERS_FILE in staged.given:
            before_codes = {row[0] for row in read_carriers(list_in_force(home, CARRIERS_FILE))}
            after_codes = {row[0] for row in read_carriers(staged.folder / CARRIERS_FILE)}
            counts = list(conn.execute(LANDED_CARRIERS))
            found.append(carrier_loss(counts, before_codes, after_codes))
    return found


def build_with(
    connection: Connection,
    home: Path,
    staged: StagedSeeds,
    log_file: Path,
    dbt_args: Sequence[str] = (),
    stream: TextIO | None = None,
    runner: DbtCommand | None = None,
) -> ListBuild:
    """Build from the staged lists; swap them in when the build succeeds, else throw them
    away and rebuild from the lists in force."""
    outcome = dbt_build(connection, home, log_file, dbt_args, stream=stream,
                        seeds=staged.folder, runner=runner)
    if outcome.succeeded:
        swap_in(home, staged)
        if not dbt_args:
            remember_build_inputs(build_inputs(connection, home), home)
        return ListBuild(outcome)
    discard(staged)
    restored = dbt_build(connection, home, log_file.with_name(log_file.stem + "-restore.log"),
                         stream=stream, runner=runner)
    return ListBuild(outcome, restored)
