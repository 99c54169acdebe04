"""Running dbt against the local warehouse with a generated profile."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from airline_elt.seeds import SEED_DIR_ENV, seed_dir_override, seed_path
from airline_elt.state import project_dir, state_home
from airline_elt.warehouse import Connection

PROFILE_EXAMPLE = "profiles.yml.example"


def dbt_executable() -> str:
    beside_python = Path(sys.executable).with_name("dbt")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dbt")
    if found is None:
        raise FileNotFoundError("dbt is not installed: run `make setup`")
    return found


def profiles_dir(home: Path | None = None) -> Path:
    """A folder holding the local profile; regenerated from profiles.yml.example each call.

    The example's `local` target reads the connection from AIRLINE_ELT_PG_* and
    DBT_ENV_SECRET_PG_PASSWORD, which `dbt_environment` sets: nobody edits a file.
    """
    folder = (home or state_home()) / "dbt"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(project_dir() / PROFILE_EXAMPLE, folder / "profiles.yml")
    return folder


def dbt_environment(
    connection: Connection, home: Path | None = None, seeds: Path | None = None
) -> dict[str, str]:
    """dbt's environment; `seeds`: a seeds folder to build from instead of the one in force
    (a staged list, airline_elt.reference)."""
    home = home or state_home()
    env = dict(os.environ)
    env.update(connection.dbt_env())
    env["DBT_TARGET"] = "local"
    env["DBT_PROFILES_DIR"] = str(profiles_dir(home))
    env["DBT_TARGET_PATH"] = str(home / "dbt" / "target")
    env["DBT_LOG_PATH"] = str(home / "dbt" / "logs")
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    own_seeds = seed_path(seeds) if seeds is not None else seed_dir_override(home)
    if own_seeds is not None:
        env[SEED_DIR_ENV] = own_seeds
    return env


def run_dbt(
    args: Sequence[str],
    connection: Connection,
    home: Path | None = None,
    capture: bool = False,
    seeds: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` in the project folder, against the local warehouse.

    dbt dies with the process that started it: a killed run leaves no dbt behind
    still writing to the warehouse while the next run starts.
    """
    env = dbt_environment(connection, home, seeds)
    if args and args[0] == "docs":
        # The docs site shows the seeds under seeds/, not under the state folder's copy
        # (a project folder named .airline-elt in its tree): the YAML is the same, and
        # `docs generate` loads no seed.
        env.pop(SEED_DIR_ENV, None)
    return subprocess.run(
        [dbt_executable(), *args],
        cwd=project_dir(),
        env=env,
        text=True,
        capture_output=capture,
        check=False,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux for SIGTERM when the parent dies."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
