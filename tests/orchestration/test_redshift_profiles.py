"""profiles.yml.example's Redshift targets: dbt parses the project against each, with the
credentials the stack provides (no connection is made; real Redshift is not reachable here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO


def parse(target: str, env: dict[str, str], tmp_path: Path) -> dict:
    """`dbt parse` against `target` with only `env` for credentials; returns the manifest."""
    shutil.copy(REPO / "profiles.yml.example", tmp_path / "profiles.yml")
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REDSHIFT_", "DBT_"))},
        "REDSHIFT_HOST": "airline-elt.abc123.us-east-1.redshift.amazonaws.com",
        "REDSHIFT_USER": "dbt",
        **env,
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")), "parse", "--profiles-dir", str(tmp_path),
            "--target", target, "--target-path", str(tmp_path / "target"),
            "--log-path", str(tmp_path / "logs"),
        ],
        capture_output=True, text=True, check=False, cwd=REPO, env=full_env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((tmp_path / "target" / "manifest.json").read_text())


@pytest.mark.parametrize(
    ("target", "env"),
    [
        ("prod", {"REDSHIFT_AUTH_METHOD": "database", "DBT_ENV_SECRET_REDSHIFT_PASSWORD": "pw"}),
        ("dev", {"REDSHIFT_AUTH_METHOD": "iam", "REDSHIFT_CLUSTER_ID": "airline-elt"}),
    ],
)
def test_dbt_parses_the_project_against_the_redshift_targets(
    target: str, env: dict[str, str], tmp_path: Path
) -> None:
    manifest = parse(target, env, tmp_path)
    # Redshift-only configs apply on Redshift targets: dist and sort keys on the fact.
    fact = manifest["nodes"]["model.airline_elt.daily_flights_fact"]["config"]
    assert fact["dist"] == "flight_date"
    assert fact["sort"] == ["flight_date", "carrier"]


def test_redshift_only_configs_stay_off_the_local_target(tmp_path: Path) -> None:
    manifest = parse("local", {"DBT_ENV_SECRET_PG_PASSWORD": "pw"}, tmp_path)
    for name in ("daily_flights_fact", "int_flights_enriched"):
        config = manifest["nodes"][f"model.airline_elt.{name}"]["config"]
        assert "dist" not in config
        assert "sort" not in config


@pytest.mark.parametrize(
    ("target", "env", "schema"),
    [
        ("prod", {"DBT_ENV_SECRET_REDSHIFT_PASSWORD": "pw"}, "airlines"),
        ("dev", {"DBT_ENV_SECRET_REDSHIFT_PASSWORD": "pw", "DBT_SCHEMA": "dev_alice"},
         "dev_alice_airlines"),
        ("local", {"DBT_ENV_SECRET_PG_PASSWORD": "pw"}, "airlines"),
    ],
)
def test_a_developers_build_never_writes_productions_schemas(
    target: str, env: dict[str, str], schema: str, tmp_path: Path
) -> None:
    manifest = parse(target, env, tmp_path)
    assert manifest["nodes"]["model.airline_elt.daily_flights_fact"]["schema"] == schema
    seed = manifest["nodes"]["seed.airline_elt.airports_dim"]["schema"]
    assert seed == schema
    # The raw tables are the landing job's: the same on every target.
    raw = [s for s in manifest["sources"].values() if s["source_name"] == "raw"]
    assert raw and {s["schema"] for s in raw} == {"raw"}
