"""Running dbt against the local warehouse with a generated profile: a `dbt` process per
command (run_dbt), or commands sent to one dbt process kept started (KeptDbt)."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Protocol

from airline_elt.seeds import SEED_DIR_ENV, seed_dir_override, seed_path
from airline_elt.state import project_dir, state_home
from airline_elt.warehouse import Connection

PROFILE_EXAMPLE = "profiles.yml.example"


def dbt_command() -> list[str]:
    """The command line of a local `dbt` process: dbt's own, with its PostgreSQL sessions kept
    between nodes (airline_elt/dbt_cli.py)."""
    # -P: nothing of the folder it runs in comes before the installed packages on sys.path
    # (the project folder, or an older checkout's, holds an airline_elt/ of its own).
    return [sys.executable, "-P", "-m", "airline_elt.dbt_cli"]


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


class DbtCommand(Protocol):
    """How a step runs one dbt command: run_dbt, or KeptDbt.run."""

    def __call__(self, args: Sequence[str], connection: Connection, home: Path | None = None,
                 capture: bool = False, seeds: Path | None = None,
                 ) -> subprocess.CompletedProcess[str]: ...


def command_environment(args: Sequence[str], connection: Connection, home: Path | None = None,
                        seeds: Path | None = None) -> dict[str, str]:
    """The environment `dbt <args>` runs with (dbt_environment, for this command)."""
    env = dbt_environment(connection, home, seeds)
    if args and args[0] == "docs":
        # The docs site shows the seeds under seeds/, not under the state folder's copy
        # (a project folder named .airline-elt in its tree): the YAML is the same, and
        # `docs generate` loads no seed.
        env.pop(SEED_DIR_ENV, None)
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
    return subprocess.run(
        [*dbt_command(), *args],
        cwd=project_dir(),
        env=command_environment(args, connection, home, seeds),
        text=True,
        capture_output=capture,
        check=False,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )


class DbtProcess(Protocol):
    """What KeptDbt needs of its dbt process: a Popen, or a _ForkedProcess."""

    pid: int

    @property
    def stdin(self) -> IO[str] | None: ...
    @property
    def stdout(self) -> IO[str] | None: ...
    @property
    def returncode(self) -> int | None: ...
    def poll(self) -> int | None: ...
    def kill(self) -> None: ...
    def wait(self, timeout: float | None = None) -> int: ...


class KeptDbt:
    """One dbt process for a run's dbt commands, or a watch's: it imports dbt once, when
    the run or the watch starts, and runs each command it is sent in turn
    (airline_elt/dbt_worker.py), so a build skips dbt's import, and its parse can be done
    ahead (parse_ahead), while the files land. A command's outcome is what the same `dbt`
    command line gives: its exit code and its output. If the process dies during a
    command, that command fails (the process's exit, its log named) and the next one
    starts a new process. As with a `dbt` process, an interrupted command (Ctrl-C, SIGTERM)
    ends the process at once, and the process dies with the process that started it:
    nothing is left writing to the warehouse once the run's lock is released."""

    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file
        self._process: DbtProcess | None = None
        self._log: IO[str] | None = None
        self._parsing_ahead = False  # a parse_ahead's reply is still to be read

    def start(self) -> None:
        """Start the dbt process, unless one is running."""
        if self._process is not None and self._process.poll() is None:
            return
        self._end_process()  # one that exited: its pipes
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_file.open("a", encoding="utf-8")
        self._process = subprocess.Popen(
            # -m, not the file's path: run as a script, airline_elt/ would come first on
            # sys.path and airline_elt/dbt.py would hide the dbt package.
            [sys.executable, "-m", "airline_elt.dbt_worker"],
            cwd=project_dir(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            encoding="utf-8",
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )

    def parse_ahead(self, connection: Connection, home: Path | None = None) -> None:
        """Send `dbt parse` and return at once: the process parses the project (and writes
        dbt's partial parsing state, target/partial_parse.msgpack) while the run lands its
        files, so the build that follows parses only what changed since (nothing, unless a
        project file or a value dbt's parsing read changed: dbt checks). The next command,
        or finish_parse_ahead, waits for it. Its outcome goes to the log only, and a parse
        that cannot be sent is skipped (logged): the build then parses as it would have,
        and a project that does not parse fails it the same way. It writes no
        manifest.json (the last build's, or the docs site's, stays whole if the parse is
        killed)."""
        self.finish_parse_ahead()  # the last run's, if it built nothing
        args = ["parse", "--no-write-json"]
        try:
            env = command_environment(args, connection, home)
            self.start()
        except OSError as error:
            self._write_log(f"`dbt parse` ahead of the build not sent: {error}\n")
            return
        self._parsing_ahead = True  # before the write: an interrupted write is still due
        if not self._send(args, env):
            self._end_process(kill=True)

    def run(self, args: Sequence[str], connection: Connection, home: Path | None = None,
            capture: bool = False, seeds: Path | None = None,
            ) -> subprocess.CompletedProcess[str]:
        """`dbt <args>` in the kept process, as run_dbt would run it."""
        self.finish_parse_ahead()  # first: the environment rewrites the profile it reads
        env = command_environment(args, connection, home, seeds)
        self.start()
        process = self._process
        assert process is not None and process.stdout is not None
        try:
            reply = process.stdout.readline() if self._send(args, env) else ""
        except OSError:  # a broken pipe: the process is gone
            reply = ""
        except BaseException:  # interrupted: the command must not go on after this run
            self._end_process(kill=True)
            raise
        answer = _answer(reply)
        if answer is None:  # no whole reply: the process died during the command
            self._end_process(kill=True)
            result = subprocess.CompletedProcess(
                ["dbt", *args], _failed_exit(process.returncode), "",
                f"the dbt process (pid {process.pid}) exited with {process.returncode} during "
                f"`dbt {' '.join(args)}`; its log: {self.log_file}\n")
        else:
            result = subprocess.CompletedProcess(["dbt", *args], answer[0], answer[1], "")
        if not capture:
            sys.stdout.write(result.stdout + result.stderr)
            sys.stdout.flush()
        return result

    def finish_parse_ahead(self) -> None:
        """Wait for the parse_ahead's reply, if one is due, and log its output; a process
        that died during it is ended (the next command starts one). Interrupted, the
        process is killed: nothing of a run's dbt goes on after it."""
        if not self._parsing_ahead:
            return
        self._parsing_ahead = False
        process = self._process
        assert process is not None and process.stdout is not None
        try:
            reply = process.stdout.readline()
        except OSError:
            reply = ""
        except BaseException:
            self._end_process(kill=True)
            raise
        answer = _answer(reply)
        if answer is None:
            self._end_process(kill=True)
            self._write_log("the dbt process died during `dbt parse` ahead of the build\n")
        else:
            self._write_log(f"`dbt parse` ahead of the build exited {answer[0]}:\n{answer[1]}")

    def close(self) -> None:
        """End the dbt process, at once (it holds nothing between commands, and a parse
        ahead nobody waits for is cut short: the run ends without a build), and its log."""
        self._end_process(kill=True)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _send(self, args: Sequence[str], env: Mapping[str, str]) -> bool:
        """Send the process `dbt <args>` with `env` as its whole environment (one request
        line, airline_elt/dbt_worker.py); False if the process is gone (a broken pipe)."""
        process = self._process
        assert process is not None and process.stdin is not None
        request = {"args": list(args), "env": dict(env), "cwd": str(project_dir())}
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
        except OSError:
            return False
        return True

    def _write_log(self, text: str) -> None:
        if self._log is None:
            return
        self._log.write(text)
        self._log.flush()

    def _end_process(self, kill: bool = False) -> None:
        process, self._process = self._process, None
        self._parsing_ahead = False
        if process is None:
            return
        if kill and process.poll() is None:
            process.kill()
        assert process.stdin is not None
        with contextlib.suppress(OSError):  # already gone
            process.stdin.close()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _answer(reply: str) -> tuple[int, str] | None:
    """A reply line's (exit code, output); None if the line is not a whole reply."""
    if not reply.endswith("\n"):
        return None
    try:
        answer = json.loads(reply)
        return int(answer["returncode"]), str(answer["output"])
    except (ValueError, KeyError, TypeError):
        return None


def _failed_exit(returncode: int | None) -> int:
    """The exit code of a command whose process died: the signal's (negative), else 2
    (dbt's "could not run"), never 1 (a node failed) nor 0."""
    return returncode if returncode is not None and returncode < 0 else 2


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux for SIGTERM when the parent dies."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class ForkedDbt(KeptDbt):
    """KeptDbt, its dbt process forked by the warehouse's dbt worker (workers.py,
    dbt_worker.serve_forks) with dbt already imported, instead of started; the same
    process in every other way (its own, one per run, ended with it). If the worker does
    not answer, the process is started as KeptDbt starts it (said in its log)."""

    def __init__(self, socket_path: str, log_file: Path) -> None:
        super().__init__(log_file)
        self.socket_path = socket_path
        self.forked = False  # the current process came from the dbt worker

    def start(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._end_process()
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_file.open("a", encoding="utf-8")
        try:
            self._process = _ForkedProcess(self.socket_path)
        except OSError as error:
            self.forked = False
            self._write_log(f"the dbt worker at {self.socket_path} did not answer ({error}): "
                            "the run starts its own dbt process\n")
            super().start()
            return
        self.forked = True
        self._write_log(f"dbt process {self._process.pid} forked by the dbt worker "
                        f"({self.socket_path}); what it prints beside its replies goes to "
                        "the dbt worker's log\n")


FORK_SECONDS = 10.0


class _ForkedProcess:
    """A dbt process the dbt worker forked for this connection, as KeptDbt uses a Popen:
    requests and replies go over the connection (its first line names its pid); it ends
    when the connection closes (dbt_worker._exit_when_closed), or killed."""

    def __init__(self, socket_path: str) -> None:
        self._connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # A worker that accepts (its queue) and never forks is given up on after this.
        self._connection.settimeout(FORK_SECONDS)
        try:
            self._connection.connect(socket_path)
            self._stream = self._connection.makefile("rw", encoding="utf-8")
            hello = self._stream.readline()
            self.pid = int(json.loads(hello)["pid"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            self._connection.close()
            raise OSError(f"no dbt process from the dbt worker: {error}") from error
        self._connection.settimeout(None)  # a build takes what it takes
        self._returncode: int | None = None

    @property
    def stdin(self) -> IO[str]:
        return self._stream

    @property
    def stdout(self) -> IO[str]:
        return self._stream

    @property
    def returncode(self) -> int | None:
        return self._returncode

    def poll(self) -> int | None:
        if self._returncode is None and not _running(self.pid):
            self._returncode = 2  # its exit status went to the worker, its parent
        return self._returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        if self._returncode is None:
            self._returncode = -signal.SIGKILL
        self._connection.close()

    def wait(self, timeout: float | None = None) -> int:
        self._connection.close()  # the process ends with its connection
        deadline = None if timeout is None else time.monotonic() + timeout
        while _running(self.pid):
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(["dbt worker fork", str(self.pid)], timeout or 0)
            time.sleep(0.02)
        return self.poll() or 0


def _running(pid: int) -> bool:
    """Whether `pid` runs (a zombie, ended but not reaped by its parent, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
