"""Concurrency: two `airline-elt run`s started at the same moment over overlapping folders.
Neither fails; one waits for the other's lock, then finds the overlap already landed
(duplicates); together they leave exactly what one run over the union leaves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import (
    BIG_DAY,
    RUN_TIMEOUT,
    SAMPLE_DAYS,
    FaultCli,
    Reference,
    assert_landing_consistent,
    assert_same_as,
    key,
    landing_v1,
    snapshot,
)

pytestmark = pytest.mark.slow


def test_two_runs_at_once_over_overlapping_folders_equal_one_run(
    cli: FaultCli, tmp_path: Path, reference: Reference
) -> None:
    union = landing_v1(tmp_path / "union")
    first_keys = [key(BIG_DAY), key(SAMPLE_DAYS[0]), key(SAMPLE_DAYS[1])]
    second_keys = [key(SAMPLE_DAYS[0]), key(SAMPLE_DAYS[1]), key(SAMPLE_DAYS[2])]
    overlap = sorted(set(first_keys) & set(second_keys))
    folders = []
    for name, keys in (("x", first_keys), ("y", second_keys)):
        folder = tmp_path / name
        for item in keys:
            (folder / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(union / item, folder / item)
        folders.append(folder)
    assert cli("warehouse", "start").returncode == 0  # both start from a running warehouse

    runs = [cli.start("run", "--landing", str(folder), "--json") for folder in folders]
    outputs = [run.communicate(timeout=RUN_TIMEOUT)[0] for run in runs]
    for run, out in zip(runs, outputs, strict=True):
        assert run.returncode == 0, out

    notifications = [json.loads(line) for line in
                     (cli.home / "notifications.jsonl").read_text().splitlines()]
    # One outcome per run (rejected rows add a WARNING notification beside it).
    payloads = [p for p in notifications if p["status"] != "WARNING"]
    assert [p["status"] for p in payloads] == ["SUCCEEDED", "SUCCEEDED"]
    by_run = {p["run_id"]: p for p in payloads}
    first_done, second_done = payloads
    waited = [out for out in outputs if "waiting for run" in out]
    assert len(waited) == 1, outputs
    assert f"waiting for run {first_done['run_id']}" in waited[0]

    # The run that waited found the overlap landed already: duplicates only there.
    second_status = {f["key"]: f["status"] for f in by_run[second_done["run_id"]]["files"]}
    assert {k: second_status[k] for k in overlap} == dict.fromkeys(overlap, "duplicate")
    assert all(status == "landed" for k, status in second_status.items() if k not in overlap)
    assert second_done["totals"]["files_duplicate"] == len(overlap)
    first_status = {f["key"]: f["status"] for f in first_done["files"]}
    assert set(first_status.values()) == {"landed"}

    assert_landing_consistent(cli)
    assert_same_as(snapshot(cli), reference.v1)
