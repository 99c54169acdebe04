"""The dbt process of a run's or a watch's builds (KeptDbt, airline_elt/dbt.py;
airline_elt/dbt_worker.py): a command sent to it answers as the same `dbt` command line
does, one process serves every command, a process that dies fails only the command it
was running, and a parse sent ahead leaves the next command a partial parse."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from helpers import dbt_process_children
from rich.console import Console

from airline_elt.dbt import KeptDbt, run_dbt
from airline_elt.pipeline import Run
from airline_elt.run_settings import reject_limits
from airline_elt.ui import ConsoleUI
from airline_elt.warehouse import Connection

pytestmark = pytest.mark.slow

LIST_MODELS = ["ls", "--resource-type", "model", "--output", "name"]


def listed_names(output: str) -> set[str]:
    """The node names `dbt ls --output name` printed (its log lines start with a time)."""
    return {line.strip() for line in output.splitlines()
            if line.strip() and not line[:2].isdigit() and " " not in line.strip()}


def stamp_line(output: str) -> tuple[str, str]:
    """The (invocation, started) row `dbt show` printed as a table."""
    rows = [line.strip("| ").split("|") for line in output.splitlines()
            if line.startswith("|") and "invocation" not in line and "---" not in line]
    (row,) = rows
    return row[0].strip(), row[1].strip()


@pytest.fixture
def kept(tmp_path: Path):
    dbt = KeptDbt(tmp_path / "logs" / "dbt-process.log")
    yield dbt
    dbt.close()


def test_a_kept_dbt_answers_as_a_dbt_process_does(
    kept: KeptDbt, connection: Connection, tmp_path: Path
) -> None:
    expected = run_dbt(LIST_MODELS, connection, home=tmp_path, capture=True)
    assert expected.returncode == 0, expected.stdout + expected.stderr
    assert "int_flight_delays_daily_totals" in listed_names(expected.stdout)
    kept.start()
    (process,) = dbt_process_children(os.getpid())
    for _ in range(2):
        answer = kept.run(LIST_MODELS, connection, home=tmp_path, capture=True)
        assert answer.returncode == 0, answer.stdout + answer.stderr
        assert listed_names(answer.stdout) == listed_names(expected.stdout)
    assert dbt_process_children(os.getpid()) == [process]  # one process served both
    # Each command is a new invocation, with its own id and build time, as a new process's.
    stamps = ("select '{{ invocation_id[:8] }}' as invocation,"  # dbt show cuts long values
              " '{{ run_started_at.strftime(\"%M%S%f\") }}' as started")
    shown = [kept.run(["show", "--inline", stamps], connection, home=tmp_path, capture=True)
             for _ in range(2)]
    assert all(answer.returncode == 0 for answer in shown), shown
    first, second = (stamp_line(answer.stdout) for answer in shown)
    assert first != second and first[0] != second[0] and first[1] != second[1], (first, second)
    # A command dbt cannot run: the same exit code and message as its command line's.
    unknown = ["run-operation", "no_such_macro_anywhere"]
    expected = run_dbt(unknown, connection, home=tmp_path, capture=True)
    answer = kept.run(unknown, connection, home=tmp_path, capture=True)
    assert expected.returncode != 0
    assert answer.returncode == expected.returncode
    assert "no_such_macro_anywhere" in answer.stdout
    kept.close()
    assert dbt_process_children(os.getpid()) == []


def test_a_dbt_process_that_dies_fails_its_command_and_the_next_gets_a_new_one(
    kept: KeptDbt, connection: Connection, tmp_path: Path
) -> None:
    kept.start()
    (first,) = dbt_process_children(os.getpid())
    killer = threading.Timer(3.0, os.kill, (first, signal.SIGKILL))
    killer.start()
    started = time.monotonic()
    answer = kept.run(["show", "--inline", "select pg_sleep(20) as slept"], connection,
                      home=tmp_path, capture=True)
    killer.join()
    assert time.monotonic() - started < 15  # the command failed when its process died
    assert answer.returncode == -signal.SIGKILL
    assert f"the dbt process (pid {first}) exited with -9" in answer.stderr
    assert str(kept.log_file) in answer.stderr
    answer = kept.run(LIST_MODELS, connection, home=tmp_path, capture=True)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "daily_flights_fact" in listed_names(answer.stdout)
    (second,) = dbt_process_children(os.getpid())
    assert second != first


class Interrupted(BaseException):
    """Stands for Ctrl-C or the watch's SIGTERM, both raised in the waiting thread."""


def test_an_interrupted_command_ends_the_dbt_process_at_once(
    kept: KeptDbt, connection: Connection, tmp_path: Path
) -> None:
    """A watch stopped during a build must leave no dbt writing to the warehouse after its
    run lets the lock go, as a killed `dbt` process leaves none."""
    kept.start()
    (first,) = dbt_process_children(os.getpid())

    def interrupt(signum: int, frame: object) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(3)
    try:
        with pytest.raises(Interrupted):
            kept.run(["show", "--inline", "select pg_sleep(20) as slept"], connection,
                     home=tmp_path, capture=True)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert dbt_process_children(os.getpid()) == []
    answer = kept.run(LIST_MODELS, connection, home=tmp_path, capture=True)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    (second,) = dbt_process_children(os.getpid())
    assert second != first


FULL_PARSE = "Unable to do partial parsing"  # what dbt prints before a full parse


def test_a_parse_ahead_leaves_the_next_command_nothing_to_parse_again(
    kept: KeptDbt, connection: Connection, tmp_path: Path
) -> None:
    """In a state folder no dbt command has used yet, a command parses the whole project;
    after a parse ahead (sent while the run lands its files), it does not."""
    first = kept.run(LIST_MODELS, connection, home=tmp_path / "fresh", capture=True)
    assert first.returncode == 0, first.stdout
    assert FULL_PARSE in first.stdout  # what a command without a parse ahead prints
    ahead = tmp_path / "ahead"
    kept.parse_ahead(connection, home=ahead)
    answer = kept.run(LIST_MODELS, connection, home=ahead, capture=True)
    assert answer.returncode == 0, answer.stdout
    assert FULL_PARSE not in answer.stdout, answer.stdout
    assert listed_names(answer.stdout) == listed_names(first.stdout)
    assert (ahead / "dbt" / "target" / "partial_parse.msgpack").is_file()


def test_a_parse_ahead_nobody_waits_for_is_killed_with_the_process(
    kept: KeptDbt, connection: Connection, tmp_path: Path
) -> None:
    """A run that builds nothing (its files were landed before) ends its dbt process at
    once, its parse cut short, rather than waiting for it."""
    kept.parse_ahead(connection, home=tmp_path)
    assert len(dbt_process_children(os.getpid())) == 1
    kept.close()  # straight after: dbt is still being imported, nothing parsed yet
    assert dbt_process_children(os.getpid()) == []
    assert not (tmp_path / "dbt" / "target" / "partial_parse.msgpack").exists()
    answer = kept.run(LIST_MODELS, connection, home=tmp_path, capture=True)
    assert answer.returncode == 0, answer.stdout  # a new process for the next command


def test_a_parse_ahead_whose_process_dies_leaves_the_next_command_a_new_process(
    kept: KeptDbt, connection: Connection, tmp_path: Path
) -> None:
    kept.parse_ahead(connection, home=tmp_path)
    (first,) = dbt_process_children(os.getpid())
    os.kill(first, signal.SIGKILL)
    answer = kept.run(LIST_MODELS, connection, home=tmp_path, capture=True)
    assert answer.returncode == 0, answer.stdout
    assert "daily_flights_fact" in listed_names(answer.stdout)
    (second,) = dbt_process_children(os.getpid())
    assert second != first


def test_a_run_s_dbt_work_ends_with_its_body_the_watch_s_process_stays(
    connection: Connection, tmp_path: Path
) -> None:
    """Run.dbt_settled, which a run enters inside its lock: nothing of the run's dbt goes on
    once it ends. The run's own process ends, its parse ahead cut short; the process a
    watch keeps stays up, its parse ahead finished (its outcome logged)."""
    ui = ConsoleUI(Console(file=io.StringIO()))
    own = KeptDbt(tmp_path / "own.log")
    own.parse_ahead(connection, home=tmp_path / "own")
    with Run(tmp_path, ui, limits=reject_limits(None, None)).dbt_settled(own):
        assert len(dbt_process_children(os.getpid())) == 1
    assert dbt_process_children(os.getpid()) == []
    kept = KeptDbt(tmp_path / "kept.log")
    try:
        kept.parse_ahead(connection, home=tmp_path / "kept")
        (process,) = dbt_process_children(os.getpid())
        with Run(tmp_path, ui, limits=reject_limits(None, None), dbt=kept).dbt_settled(kept):
            pass
        assert dbt_process_children(os.getpid()) == [process]
        assert "`dbt parse` ahead of the build exited 0" in (tmp_path / "kept.log").read_text()
    finally:
        kept.close()
