"""Landing alone, and a run that fails: the failure notification names the step, the lock
is released, the exit status is non-zero and the error is short."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import Cli, assert_short_error, copy_days

pytestmark = pytest.mark.slow

KEY = "daily_flights/date=2023-11-03/flights.csv"


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_days(["2023-11-03"], tmp_path_factory.mktemp("landing"))


def outbox(cli: Cli) -> list[dict]:
    path = cli.home / "notifications.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_land_alone_lands_without_dbt_or_notification(cli: Cli, landing: Path) -> None:
    result = cli("land", "--landing", str(landing))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{KEY}: landed" in result.stdout
    assert "Transform" not in result.stdout
    rows = len((landing / KEY).read_text().splitlines()) - 1
    assert cli.query("select status, rows_read, rows_landed from raw.landed_files") == [
        ("landed", rows, rows)
    ]
    assert outbox(cli) == []


def test_failed_transform_notifies_the_step_and_exits_non_zero(
    cli: Cli, landing: Path
) -> None:
    result = cli("run", "--landing", str(landing), "--", "--target", "no_such_target")
    assert_short_error(result)
    assert result.stderr.startswith("error: could not build the models with dbt: dbt build "
                                    "failed (exit 2): Runtime Error: ")
    assert "no_such_target" in result.stderr.splitlines()[0]
    assert "dbt's output:" in result.stderr
    lines = result.stdout.splitlines()
    marks = [line.split(" (")[0] for line in lines if line[:2] in ("✓ ", "✗ ")]
    assert marks == ["✓ Take the run lock", "✓ Land new files", "✗ Build the models with dbt",
                     "✓ Send the failure notification", "✓ Release the run lock"]

    (payload,) = outbox(cli)
    assert set(payload) == {"pipeline", "status", "run_id", "trigger", "step", "error",
                            "cause", "started_at", "finished_at"}
    assert payload["status"] == "FAILED"
    assert payload["step"] == "Transform"
    assert "no_such_target" in payload["cause"]

    # The lock was released: the next command that takes it does not wait.
    status = cli("status")
    assert (f"last run: {payload['run_id']} FAILED: could not build the models with dbt: "
            "dbt build failed") in status.stdout
    rerun = cli("transform")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "waiting" not in rerun.stdout
    assert "last build: succeeded" in cli("status").stdout


def test_failed_run_with_json_prints_the_failure_payload(cli: Cli, landing: Path) -> None:
    result = cli("run", "--landing", str(landing), "--json", "--", "--target", "no_such_target")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload == outbox(cli)[-1]
    assert payload["step"] == "Transform"


def test_a_failed_build_shows_in_status_and_the_report(cli: Cli, tmp_path: Path) -> None:
    # A data test fails, not a compilation (a refused var is tests/transform/test_checked_vars.py):
    # a landed file's counts that no longer add up fail `rows_read_equals_landed_plus_rejected`,
    # so the build record, status and the report must name that failing node.
    cli.query("update raw.landed_files set rows_rejected = rows_rejected + 1 "
              "where file_key = %s returning file_key", (KEY,))
    try:
        failed = cli("transform")
        assert failed.returncode == 1, failed.stdout + failed.stderr
        record = json.loads((cli.home / "dbt" / "last_build_outcome.json").read_text())
        assert record["succeeded"] is False
        (node,) = record["failing_nodes"]
        assert "rows_read_equals_landed_plus_rejected" in node

        status = cli("status")
        (line,) = [text for text in status.stdout.splitlines() if text.startswith("last build:")]
        assert line.startswith(f"last build: failed {record['finished_at'][:10]} ")
        assert f"failing: {node}" in line
        assert json.loads(cli("status", "--json").stdout)["last_build"]["status"] == "failed"

        report = tmp_path / "report.html"
        assert cli("report", "--output", str(report)).returncode == 0
        page = report.read_text()
        assert 'id="failed-build"' in page and "The last build failed" in page
        assert node in page.split('id="failed-build"')[1].split("</p>")[0]
    finally:
        cli.query("update raw.landed_files set rows_rejected = rows_rejected - 1 "
                  "where file_key = %s returning file_key", (KEY,))
    assert cli("transform").returncode == 0
    assert "last build: succeeded" in cli("status").stdout
