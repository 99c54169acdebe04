"""Shared helpers for the fault tests: `airline-elt` driven as a user would (a subprocess
per command, a state folder per test module), a fault injected from outside the product
(AIRLINE_ELT_FAULT, read by hook/sitecustomize.py, put on the subprocess's PYTHONPATH),
and a snapshot of what the warehouse holds, to compare with an uninterrupted reference run.

The reference runs (folder v1, then v2 on top of it) happen once per session, in a state
folder of their own, and every module compares with them."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from bts_shaped import BtsFlight, bts_file, bts_line
from cli_helpers import CLI, REPO, Cli, copy_days

__all__ = ["CLI", "REPO", "Cli", "copy_days"]

KILLED = -signal.SIGKILL
HOOK = Path(__file__).with_name("hook")  # sitecustomize.py: the fault hook, from outside
RUN_TIMEOUT = 300  # a hung run (a lock never released) fails the test instead of CI
BIG_DAY = "2023-11-13"  # generated: big enough that a COPY sends data before it ends
SAMPLE_DAYS = ["2023-11-14", "2023-11-15", "2023-11-16"]
EXTRA_DAY = "2023-11-17"
AIRPORTS = [10397, 12892, 13930, 11298, 11292, 14107, 14771, 12266, 13487, 14869]
CARRIERS = ["DL", "AA", "UA", "WN", "B6"]


def big_day_csv(rows: int = 2500, seed: int = 13) -> bytes:
    """A day of flights (deterministic) as a BTS on-time file (the monthly format: quoted
    header with a trailing comma, CRLF, minutes as 75.00, delay causes, scheduled hours,
    cancellation codes, diversions), so every crash also lands the BTS columns and the
    cause, hour and cancellation marts have data to compare; two malformed rows go to the
    rejects table."""
    rnd = random.Random(seed)
    lines = []
    for number in range(rows):
        origin, dest = rnd.sample(AIRPORTS, 2)
        dep = None if number % 50 == 0 else rnd.randint(-15, 180)
        arr = None if dep is None or number % 97 == 0 else dep + rnd.randint(-10, 10)
        lines.append(bts_line(BtsFlight(
            BIG_DAY, rnd.choice(CARRIERS), 1000 + number, origin, dest, dep, arr,
            scheduled=rnd.randint(5, 23) * 100 + rnd.choice((0, 15, 30, 45)),
            cancellation_code="ABCD"[number % 4] if dep is None else "",
        )))
    bad = BtsFlight(BIG_DAY, "DL", 9001, 10397, 12892, 90, 80)
    lines.insert(100, bts_line(bad, DepDelay="not-a-number"))
    lines.insert(2000, bts_line(bad, DestAirportID="not-an-airport"))
    return bts_file(lines)


def key(day: str) -> str:
    return f"daily_flights/date={day}/flights.csv"


def landing_v1(folder: Path) -> Path:
    """Four files over four days: a big generated BTS-shaped one (sorted first), three
    sample days of seven-column files."""
    copy_days(SAMPLE_DAYS, folder)
    big = folder / key(BIG_DAY)
    big.parent.mkdir(parents=True, exist_ok=True)
    big.write_bytes(big_day_csv())
    return folder


def correct_to_v2(folder: Path) -> dict[str, Any]:
    """v2 of the folder: 2023-11-14 corrected (its first delayed flight removed, one
    flight moved to 2023-11-17) and a new file for 2023-11-17. Returns what changed."""
    path = folder / key(SAMPLE_DAYS[0])
    lines = path.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    columns = header.split(",")
    dep, fid, fdate = columns.index("DepDelay"), columns.index("FlightID"), None
    if "FlightDate" in columns:
        fdate = columns.index("FlightDate")
    delayed = [r for r in rows if r.split(",")[dep] and int(r.split(",")[dep]) > 60]
    removed = delayed[0]
    moved = delayed[1]
    kept = [r for r in rows if r not in (removed, moved)]
    moved_fields = moved.split(",")
    assert fdate is not None, "sample files carry FlightDate"
    moved_fields[fdate] = EXTRA_DAY
    path.write_text("\n".join([header, *kept, ",".join(moved_fields)]) + "\n")
    copy_days([EXTRA_DAY], folder)
    return {
        "removed": removed.split(",")[fid],
        "moved": moved.split(",")[fid],
        "from": SAMPLE_DAYS[0],
        "to": EXTRA_DAY,
    }


@dataclass
class FaultCli(Cli):
    """`airline-elt` in its own state folder, optionally with a fault armed."""

    def run(self, *args: str, fault: str | None = None, timeout: float = RUN_TIMEOUT,
            batch_files: int | None = None) -> subprocess.CompletedProcess:
        """`airline-elt ARGS`, with a fault armed; `batch_files`: at most that many files
        per landing batch (1: each file in a transaction of its own)."""
        env = self.env()
        env.pop("AIRLINE_ELT_FAULT", None)
        env.pop("AIRLINE_ELT_BATCH_FILES", None)
        if fault:
            env["AIRLINE_ELT_FAULT"] = fault
            env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(HOOK), env.get("PYTHONPATH")])
            )
        if batch_files is not None:
            env["AIRLINE_ELT_BATCH_FILES"] = str(batch_files)
        return subprocess.run(
            [CLI, *args], env=env, cwd=REPO, capture_output=True, text=True,
            timeout=timeout, check=False,
        )

    def lock_holders(self) -> list[str]:
        return [row[0] for row in self.query(
            "select a.application_name from pg_locks l join pg_stat_activity a using (pid) "
            "where l.locktype = 'advisory' and l.granted and l.classid = 1970010 "
            "and l.objid = 1"
        )]


def output(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def assert_ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, output(result)
    assert "waiting for run" not in result.stdout + result.stderr, output(result)


def assert_killed(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == KILLED, output(result)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory,
        request: pytest.FixtureRequest) -> Iterator[FaultCli]:
    name = request.module.__name__.rsplit(".", 1)[-1]
    cli = FaultCli(tmp_path_factory.mktemp(f"elt-{name}"))
    yield cli
    cli("warehouse", "stop", timeout=120)


# -- what the warehouse holds ---------------------------------------------------------

FACT_COLUMNS = (
    "flight_id, flight_date, carrier, dep_airport, arr_airport, dep_city, arr_city, "
    "dep_state, arr_state, dep_delay, arr_delay, origin_airport_id, dest_airport_id, "
    "source_key, source_line_number, carrier_delay, weather_delay, nas_delay, "
    "security_delay, late_aircraft_delay"
)
# Every mart of the dbt project, from its files: a new mart is compared without a word here.
MARTS = tuple(sorted(path.stem for path in (REPO / "models" / "marts").glob("mv_*.sql")))
assert len(MARTS) >= 17, MARTS
# The BTS columns a landed row carries (NULL for the seven-column files).
LANDED_COLUMNS = (
    "source_key, source_line_number, flight_id, carrier, origin_airport_id, dest_airport_id, "
    "dep_delay, arr_delay, flight_date, scheduled_dep_time, cancelled, diverted, "
    "cancellation_code, carrier_delay, weather_delay, nas_delay, security_delay, "
    "late_aircraft_delay, distance_miles, tail_number"
)


def _rounded(rows: list[tuple]) -> list[tuple]:
    """Rows with floats rounded (an average summed in another order differs in the ulp)."""
    return sorted(
        (tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows),
        key=repr,
    )


def snapshot(cli: Cli) -> dict[str, Any]:
    """Everything a rerun must reproduce, free of ids and timestamps that differ by
    nature (file_version_id, landed_at). Duplicate deliveries are counted apart."""
    q = cli.query
    statuses = Counter(dict(q("select status, count(*) from raw.landed_files group by 1")))
    return {
        "landed_files_by_status": {s: n for s, n in statuses.items() if s != "duplicate"},
        "landed_files": _rounded(q(
            "select file_key, content_sha256, status, rows_read, rows_landed, rows_rejected "
            "from raw.landed_files where status <> 'duplicate'"
        )),
        "flights_landing": _rounded(q(f"select {LANDED_COLUMNS} from raw.flights_landing")),
        "flights_rejected": _rounded(q(
            "select source_key, source_line_number, reason_code, flight_date "
            "from raw.flights_rejected"
        )),
        "fact": _rounded(q(f"select {FACT_COLUMNS} from airlines.daily_flights_fact")),
        "rejected_flights": q("select count(*) from airlines.rejected_flights")[0][0],
        **{mart: _rounded(q(f"select * from airlines.{mart}")) for mart in MARTS},
    }


def counts(snap: dict[str, Any]) -> dict[str, Any]:
    """The counts of a snapshot (for the report and for readable assertion messages)."""
    return {
        name: (value if isinstance(value, dict | int) else len(value))
        for name, value in snap.items()
    }


def assert_same_as(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert counts(actual) == counts(expected)
    for name in expected:
        assert actual[name] == expected[name], name


def assert_landing_consistent(cli: Cli) -> None:
    """What must hold after any crash: every landed version complete and alone per key,
    no row from a version that is not landed, no line landed twice."""
    q = cli.query
    assert q(
        "select f.file_key, f.rows_read, f.rows_landed, f.rows_rejected, "
        "(select count(*) from raw.flights_landing l where l.file_version_id = f.file_version_id),"
        "(select count(*) from raw.flights_rejected r "
        " where r.file_version_id = f.file_version_id) "
        "from raw.landed_files f where f.status = 'landed' and not ("
        " f.rows_read = f.rows_landed + f.rows_rejected"
        " and f.rows_landed = (select count(*) from raw.flights_landing l"
        "                      where l.file_version_id = f.file_version_id)"
        " and f.rows_rejected = (select count(*) from raw.flights_rejected r"
        "                        where r.file_version_id = f.file_version_id))"
    ) == []
    assert q(
        "select file_key from raw.landed_files where status = 'landed' "
        "group by 1 having count(*) > 1"
    ) == []
    assert q(
        "select count(*) from raw.flights_landing l join raw.landed_files f "
        "using (file_version_id) where f.status <> 'landed'"
    ) == [(0,)]
    assert q(
        "select source_key, source_line_number from raw.flights_landing "
        "group by 1, 2 having count(*) > 1"
    ) == []


def landed_keys(cli: Cli) -> list[str]:
    return [row[0] for row in cli.query(
        "select file_key from raw.landed_files where status = 'landed' order by 1"
    )]


def duplicates(cli: Cli) -> int:
    return cli.query("select count(*) from raw.landed_files where status = 'duplicate'")[0][0]


# -- the uninterrupted reference ----------------------------------------------------------

@dataclass
class Reference:
    """What uninterrupted runs left: v1, the same folder delivered again, then v2."""

    v1: dict[str, Any]
    again: dict[str, Any]
    v2: dict[str, Any]
    change: dict[str, Any]
    summaries: list[dict[str, Any]]  # the --json summaries of the three runs


def json_run(cli: FaultCli, landing: Path) -> dict[str, Any]:
    result = cli.run("run", "--landing", str(landing), "--json")
    assert_ok(result)
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    """Uninterrupted runs: folder v1, v1 again, then the same folder corrected to v2."""
    home = tmp_path_factory.mktemp("elt-reference")
    ref = FaultCli(home)
    landing = landing_v1(tmp_path_factory.mktemp("reference-landing"))
    try:
        summaries = [json_run(ref, landing)]
        v1 = snapshot(ref)
        # Every mart has rows to compare (the BTS file fills the cause, hour and
        # cancellation marts), so no comparison below passes by being empty.
        assert [mart for mart in MARTS if not v1[mart]] == [], counts(v1)
        assert v1["flights_landing"] and any(row[13] is not None for row in v1["flights_landing"])
        summaries.append(json_run(ref, landing))
        again = snapshot(ref)
        change = correct_to_v2(landing)
        summaries.append(json_run(ref, landing))
        v2 = snapshot(ref)
    finally:
        ref("warehouse", "stop", timeout=120)
    shutil.rmtree(home, ignore_errors=True)
    yield Reference(v1, again, v2, change, summaries)
