"""One warehouse filled by `airline-elt run` on the bundled sample, shared by the report's
tests (a state folder of their own), and the report written from it by `airline-elt report`;
one filled with the sample's seven-column daily files only (no BTS file: no cause, schedule or
cancellation-code data), for the charts' empty states; and a stand-in for an older warehouse."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE_LANDING = REPO / "sample_data" / "landing"
CLI = str(Path(sys.executable).with_name("airline-elt"))
ARTIFACTS = REPO / "tests" / "artifacts"
RUN_TIMEOUT = 900
# The sample's BTS monthly file (issue 14) lies under this folder of the landing prefix; the
# daily files beside it carry the seven columns only.
BTS_FOLDER = "bts"
SAMPLE_FILES = sorted(SAMPLE_LANDING.rglob("*.csv"))
DAILY_FILES = [path for path in SAMPLE_FILES
               if BTS_FOLDER not in path.relative_to(SAMPLE_LANDING).parts]


@dataclass
class Cli:
    """`airline-elt` bound to one state folder, run as a user would (a subprocess)."""

    home: Path

    def __call__(self, *args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
        env = {**os.environ, "AIRLINE_ELT_HOME": str(self.home), "COLUMNS": "200"}
        env.pop("AIRLINE_ELT_SEED_DIR", None)
        return subprocess.run([CLI, *args], env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def url(self) -> str:
        result = self("warehouse", "url")
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


@pytest.fixture(scope="session")
def sample_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """A warehouse holding the whole bundled sample, built by `airline-elt run`."""
    cli = Cli(tmp_path_factory.mktemp("report-home"))
    result = cli("run", "--landing", str(SAMPLE_LANDING))
    assert result.returncode == 0, result.stdout + result.stderr
    yield cli
    cli("warehouse", "stop", timeout=120)


@pytest.fixture
def sample_db(sample_cli: Cli) -> Iterator[psycopg.Connection]:
    with psycopg.connect(sample_cli.url(), autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def sample_report(sample_cli: Cli) -> Path:
    """The report `airline-elt report` writes to its default path, from the sample."""
    result = sample_cli("report")
    assert result.returncode == 0, result.stdout + result.stderr
    path = sample_cli.home / "dbt" / "target" / "report.html"
    assert str(path) in result.stdout, result.stdout
    return path


@pytest.fixture(scope="session")
def daily_only_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """A warehouse built by `airline-elt run` from the sample's daily files alone."""
    landing = tmp_path_factory.mktemp("daily-only-landing")
    shutil.copytree(SAMPLE_LANDING, landing, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(BTS_FOLDER))
    copied = sorted(path.relative_to(landing) for path in landing.rglob("*.csv"))
    assert copied == [path.relative_to(SAMPLE_LANDING) for path in DAILY_FILES]
    cli = Cli(tmp_path_factory.mktemp("daily-only-home"))
    result = cli("run", str(landing))
    assert result.returncode == 0, result.stdout + result.stderr
    yield cli
    cli("warehouse", "stop", timeout=120)


# The columns of intermediate.int_flight_delays_daily that issue 23 added.
ISSUE_23_COLUMNS = ("origin_airport_code", "dest_airport_code", "flights_with_carrier_delay",
                    "flights_with_weather_delay", "flights_with_nas_delay",
                    "flights_with_security_delay", "flights_with_late_aircraft_delay")


@pytest.fixture
def built_before_issue_23(sample_db: psycopg.Connection) -> Iterator[str]:
    """A schema standing in for an older warehouse's `intermediate`: the daily aggregate of the
    sample without the columns of issue 23, and no hour aggregate."""
    schema = "report_before_issue_23"
    columns = [name for (name,) in sample_db.execute(
        "select column_name from information_schema.columns where table_schema = "
        "'intermediate' and table_name = 'int_flight_delays_daily' order by ordinal_position")
        if name not in ISSUE_23_COLUMNS]
    sample_db.execute(f"drop schema if exists {schema} cascade")
    sample_db.execute(f"create schema {schema}")
    sample_db.execute(f"create view {schema}.int_flight_delays_daily as select "
                      f"{', '.join(columns)} from intermediate.int_flight_delays_daily")
    yield schema
    sample_db.execute(f"drop schema {schema} cascade")
