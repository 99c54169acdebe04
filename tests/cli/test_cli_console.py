"""What the console says (issue 13, part 4), on a real warehouse and real runs: plain step
names, "no new data", singular counts, the delay ranking with its volume, `status` on a
stopped warehouse, per-key versions with duplicates folded, a description on every
command's --help, and the landing folder taken the same way by run, land and watch."""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import subprocess
from pathlib import Path

import pytest
from cli_helpers import CLI, REPO, Cli

from airline_elt.cli import build_parser
from airline_elt.pipeline import StepFailed
from airline_elt.wording import STEP_LABELS, plural, step_title

pytestmark = pytest.mark.slow

KEY = "daily_flights/date=2023-12-01/flights.csv"
HEADER = "FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate\n"
# One day, 200 DL flights (enough for any minimum a ranking asks), one of them delayed more
# than an hour: one fact row, a 0.5 % delay rate.
FLIGHTS = 200
FIRST = HEADER + "DL100,DL,10397,12892,95,90,2023-12-01\n" + "".join(
    f"DL{1000 + n},DL,14107,11292,5,2,2023-12-01\n" for n in range(FLIGHTS - 1))
# The same key delivered again with other content: version 2 (still one delayed flight).
SECOND = FIRST + "DL300,DL,10397,11292,10,8,2023-12-01\n"


def write_key(landing: Path, text: str) -> None:
    (landing / KEY).parent.mkdir(parents=True, exist_ok=True)
    (landing / KEY).write_text(text, encoding="utf-8")


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("console-landing")
    write_key(folder, FIRST)
    return folder


@pytest.fixture(scope="module")
def first_run(cli: Cli, landing: Path) -> subprocess.CompletedProcess:
    """`run DIR` (the folder positional) with --json: the console goes to stderr."""
    return ok(cli("run", str(landing), "--json"))


@pytest.fixture(scope="module")
def repeat_run(cli: Cli, landing: Path, first_run: subprocess.CompletedProcess
               ) -> subprocess.CompletedProcess:
    """The same folder again: its one file is a duplicate."""
    return ok(cli("run", str(landing)))


@pytest.fixture(scope="module")
def versions(cli: Cli, landing: Path, repeat_run: subprocess.CompletedProcess) -> None:
    """Version 2 of the key (landed with `land --landing DIR`, the older spelling), then the
    same content once more (`land DIR`): a duplicate of version 2."""
    write_key(landing, SECOND)
    second = ok(cli("land", "--landing", str(landing)))
    assert f"{KEY}: landed" in second.stdout
    ok(cli("land", str(landing)))
    assert cli.query("select status, count(*) from raw.landed_files group by 1 order by 1") == [
        ("duplicate", 2), ("landed", 1), ("superseded", 1)
    ]


def at_a_terminal(cli: Cli, args: list[str], answer: str) -> str:
    """`airline-elt ARGS` on a pseudo-terminal, `answer` typed ahead; what the terminal shows."""
    master, slave = pty.openpty()
    process = subprocess.Popen([CLI, *args], env=cli.env(), cwd=REPO, stdin=slave,
                               stdout=slave, stderr=slave)
    os.close(slave)
    os.write(master, f"{answer}\n".encode())
    output = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=120) == 0, output
    os.close(master)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode())


def step_lines(console: str) -> list[str]:
    return re.findall(r"^[✓✗] (.+?) \(\d+\.\d s\)", console, flags=re.MULTILINE)


def test_steps_have_plain_names_on_the_console_and_state_names_nowhere(
    first_run: subprocess.CompletedProcess,
) -> None:
    console = first_run.stderr
    assert step_lines(console) == [
        "Take the run lock", "Land new files", "Build the models with dbt", "Summarize",
        "Send the success notification", "Release the run lock",
    ]
    for state in ("AcquireLock", "Transform", "NotifySuccess", "ReleaseLock"):
        assert state not in console


def test_one_of_a_thing_is_singular(first_run: subprocess.CompletedProcess) -> None:
    console = first_run.stderr
    assert "1 file: 1 landed; 200 rows read, 200 landed, 0 rejected" in console
    assert "1 fact row for 1 date" in console  # the Summarize step's line
    assert re.search(r"fact rows \(delayed flights\)\s*│\s*1 fact row on 1 date\b", console)
    assert "(s)" not in console


def test_the_json_summary_keeps_its_contract(first_run: subprocess.CompletedProcess) -> None:
    summary = json.loads(first_run.stdout)
    assert summary["status"] == "SUCCEEDED"
    assert summary["fact_rows_by_date"] == {"2023-12-01": 1}
    assert summary["totals"]["files_landed"] == 1


def test_carriers_show_their_rate_beside_their_volume(
    first_run: subprocess.CompletedProcess,
) -> None:
    console = first_run.stderr
    # (No route table follows here: the one delayed flight's route is under the minimum.)
    after = console[console.index("Top delayed carriers"):]
    table = after[:after.index("└")]
    header = next(line for line in table.splitlines() if "carrier" in line and "#" in line)
    columns = [cell.strip() for cell in header.strip("┃│ ").split("┃")]
    assert columns[:5] == ["#", "carrier", "delay rate", "flights", "delayed"]
    # DL (by its code, or its name with the code): 200 flights operated, 1 delayed (95 min).
    assert re.search(r"│\s*1 │ [^│]*\bDL\b[^│]*│\s*0\.5%\s*│\s*200 │\s*1 │\s*95 min", table), table


def test_a_run_that_lands_nothing_says_no_new_data(
    repeat_run: subprocess.CompletedProcess,
) -> None:
    console = repeat_run.stdout
    assert "no new data (1 file: 1 duplicate)" in console  # the Land step's line
    assert re.search(r"fact rows \(delayed flights\)\s*│\s*no new data", console)
    assert "No new data: 1 file already landed (duplicates)" in console
    assert "0 fact rows" not in console
    assert "date(s)" not in console


def test_status_numbers_versions_per_key_and_folds_duplicates(
    cli: Cli, versions: None
) -> None:
    result = ok(cli("status"))
    rows = [line for line in result.stdout.splitlines() if KEY in line]
    # Newest first: version 2 (landed, re-delivered once), version 1 (superseded, once).
    assert len(rows) == 2, result.stdout
    assert re.search(r"│\s*2 │ landed\s*│\s*201 │\s*201 │\s*0 │\s*1 │", rows[0]), rows[0]
    assert re.search(r"│\s*1 │ superseded\s*│\s*200 │\s*200 │\s*0 │\s*1 │", rows[1]), rows[1]
    assert "duplicate of" not in result.stdout
    assert "2 duplicate deliveries (same key, same content)" in result.stdout
    assert "`airline-elt status --all` lists each" in result.stdout

    every = ok(cli("status", "--all"))
    rows = [line for line in every.stdout.splitlines() if KEY in line]
    assert [re.search(r"│\s*(\d) │ (\w[\w ]*?)\s*│", row).groups() for row in rows] == [
        ("2", "duplicate of v2"), ("2", "landed"), ("1", "duplicate of v1"),
        ("1", "superseded"),
    ]

    files = json.loads(ok(cli("status", "--json")).stdout)["landed_files"]
    assert [(f["version"], f["status"], f["duplicates"]) for f in files] == [
        (2, "landed", 1), (1, "superseded", 1)
    ]
    # The control table's own id stays in the JSON: one counter over every key.
    assert [f["file_version_id"] for f in files] == sorted(
        (f["file_version_id"] for f in files), reverse=True)


def test_status_on_a_stopped_warehouse_says_so_and_starts_it_only_when_asked(
    cli: Cli, versions: None
) -> None:
    ok(cli("warehouse", "stop"))
    result = ok(cli("status"))
    assert "the warehouse is stopped" in result.stdout
    assert "`airline-elt status --start`" in result.stdout
    assert "last run: " in result.stdout  # from the outbox, no warehouse needed
    assert KEY not in result.stdout
    assert "warehouse stopped" in ok(cli("warehouse", "status")).stdout

    as_json = json.loads(ok(cli("status", "--json")).stdout)
    assert as_json["warehouse"]["running"] is False
    assert as_json["landed_files"] is None
    assert "warehouse stopped" in ok(cli("warehouse", "status")).stdout

    # At a terminal status asks; no is the default, and leaves it stopped.
    declined = at_a_terminal(cli, ["status"], "n")
    assert "is stopped. Start it and list the landed files? [y/N]" in declined
    assert "left stopped" in declined
    assert "warehouse stopped" in ok(cli("warehouse", "status")).stdout
    accepted = at_a_terminal(cli, ["status"], "y")
    assert "warehouse running" in accepted
    assert "daily_flights/date=2023-12-01" in accepted  # the key may wrap on the terminal
    assert "warehouse running" in ok(cli("warehouse", "status")).stdout

    ok(cli("warehouse", "stop"))
    started = ok(cli("status", "--start"))
    assert "warehouse running" in started.stdout
    assert KEY in started.stdout
    assert "warehouse running" in ok(cli("warehouse", "status")).stdout


def test_watch_takes_the_folder_as_run_and_land_do(
    cli: Cli, landing: Path, versions: None
) -> None:
    for form in ([str(landing)], ["--landing", str(landing)]):
        result = ok(cli("watch", *form, "--once"))
        assert f"watching {landing / 'daily_flights'}" in result.stdout
        assert "stopped watching after 0 runs" in result.stdout


@pytest.mark.parametrize("command", ["run", "land", "watch"])
def test_the_landing_folder_is_required_once(cli: Cli, tmp_path: Path, command: str) -> None:
    missing = cli(command)
    assert missing.returncode == 2
    assert f"give the landing folder: airline-elt {command} DIR" in missing.stderr
    other = tmp_path / "other"
    both = cli(command, str(tmp_path), "--landing", str(other))
    assert both.returncode == 2
    assert "two landing folders given" in both.stderr
    same = cli(command, str(tmp_path / "absent"), "--landing", str(tmp_path / "absent"))
    assert same.returncode == 1  # accepted as one folder; it does not exist
    assert f"landing folder not found: {tmp_path / 'absent'}" in same.stderr


def subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
                ) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(((*path, name), sub))
                found.extend(subcommands(sub, (*path, name)))
    return found


def test_every_command_has_a_description_in_its_help(cli: Cli) -> None:
    commands = subcommands(build_parser())
    names = {" ".join(path) for path, _ in commands}
    assert {"status", "docs", "warehouse start", "warehouse stop", "warehouse status",
            "warehouse url", "warehouse env", "run", "land", "watch"} <= names
    for path, parser in commands:
        assert parser.description and len(parser.description) > 30, " ".join(path)
    # As a user sees it: the description right under the usage line.
    for path in (["status"], ["warehouse", "env"], ["docs"]):
        result = ok(cli(*path, "--help"))
        description = dict(commands)[tuple(path)].description
        assert description.split()[:4] == result.stdout.split("\n\n")[1].split()[:4], path


def test_wording_of_counts_and_steps() -> None:
    assert [plural(n, "fact row") for n in (0, 1, 2, 1234)] == [
        "0 fact rows", "1 fact row", "2 fact rows", "1,234 fact rows"]
    assert plural(1, "duplicate delivery", "duplicate deliveries") == "1 duplicate delivery"
    assert plural(3, "duplicate delivery", "duplicate deliveries") == "3 duplicate deliveries"
    assert set(STEP_LABELS) == {"AcquireLock", "Land", "Transform", "Summarize",
                                "NotifySuccess", "NotifyFailure", "ReleaseLock"}
    assert step_title("AcquireLock") == "Take the run lock"
    assert step_title("dbt docs generate") == "dbt docs generate"
    assert str(StepFailed("Land", "boom", "cause")) == "could not land new files: boom"
