"""Helpers for driving `airline-elt` as a user would: a subprocess per command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[2]
SAMPLE_LANDING = REPO / "sample_data" / "landing"
CLI = str(Path(sys.executable).with_name("airline-elt"))
RUN_TIMEOUT = 900


@dataclass
class Cli:
    """`airline-elt` bound to one state folder."""

    home: Path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["AIRLINE_ELT_HOME"] = str(self.home)
        env.pop("AIRLINE_ELT_SEED_DIR", None)
        env["COLUMNS"] = "160"
        return env

    def __call__(self, *args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
        return subprocess.run(
            [CLI, *args], env=self.env(), cwd=REPO, capture_output=True, text=True,
            timeout=timeout, check=False,
        )

    def start(self, *args: str) -> subprocess.Popen:
        """Start a command in the background (stdout and stderr captured together)."""
        return subprocess.Popen(
            [CLI, *args], env=self.env(), cwd=REPO, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )

    def url(self) -> str:
        result = self("warehouse", "url")
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()


def copy_days(days: list[str], target: Path) -> Path:
    """A landing folder holding the sample files of `days` (YYYY-MM-DD)."""
    for day in days:
        key = Path("daily_flights") / f"date={day}" / "flights.csv"
        (target / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLE_LANDING / key, target / key)
    return target


def assert_short_error(result: subprocess.CompletedProcess) -> None:
    """A failure says what failed in a line or two, without a traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, result.stderr
    assert lines[0].startswith("error: ")
