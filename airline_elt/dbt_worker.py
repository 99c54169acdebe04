"""The dbt process a run, or `airline-elt watch`, keeps started for its dbt commands (its
parent side: KeptDbt, airline_elt/dbt.py). It imports dbt once and runs one dbt command per
request through dbt's programmatic entry point (dbtRunner), so a build skips importing dbt,
about 2 s of every `dbt` process's start-up on this machine.

dbt says its invocations share global state and must not run concurrently
(https://docs.getdbt.com/reference/programmatic-invocations): requests run one at a time, in
order. No Manifest is passed from one invocation to the next: a build changes the manifest
it is given (an ephemeral model's CTE is injected into a node once, and a second build with
the same object compiles that node without it), so each command parses the project as a
`dbt` process does, partial parsing included, and sees every change to the project.

Protocol: a request is one line of JSON on standard input, {"args": [...], "env": {...},
"cwd": "..."}: the command's arguments, its whole environment and its folder. The reply is
one line of JSON on standard output, {"returncode": ..., "output": "..."}: dbt's exit code
as its command line gives it (0 success, 1 a node failed, 2 dbt could not run the command)
and what the command printed. Anything else written to standard output goes to standard
error (the parent's log file) instead of into the replies.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO


def run_command(args: Sequence[str], env: Mapping[str, str], cwd: str) -> tuple[int, str]:
    """`dbt <args>` in this process, with `env` as its whole environment: (exit code, output)."""
    from dbt.cli.main import dbtRunner

    from airline_elt.dbt_sessions import keep_sessions_between_nodes

    keep_sessions_between_nodes()
    forget_the_last_command()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        result = dbtRunner().invoke(list(args))
    if result.success:
        return 0, output.getvalue()
    if result.exception is None:
        return 1, output.getvalue()
    printed = output.getvalue()
    if str(result.exception) not in printed:
        printed += f"Encountered an error:\n{result.exception}\n"
    return 2, printed


def forget_the_last_command() -> None:
    """Clear what dbt keeps in the process from one command to the next, as a new `dbt`
    process starts without it (dbt resets its adapter, flags, invocation id and build time
    itself): the deprecations already warned of, which dbt would not warn of again and would
    count on, and the DBT_ENV_CUSTOM_ENV_ variables read by the first command."""
    from dbt import deprecations
    from dbt_common.events.functions import reset_metadata_vars

    deprecations.reset_deprecations()
    deprecations.buffered_deprecations.clear()
    reset_metadata_vars()


def serve(requests: TextIO, replies: TextIO) -> None:
    """Answer each request line until `requests` ends."""
    for line in requests:
        request = json.loads(line)
        returncode, output = run_command(request["args"], request["env"], request["cwd"])
        replies.write(json.dumps({"returncode": returncode, "output": output}) + "\n")
        replies.flush()


def main() -> None:
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    import dbt.cli.main  # noqa: F401  (imported now, while the watch waits for files)

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C in the watch's terminal
        serve(sys.stdin, replies)


# -- the warehouse's dbt worker (workers.py) ------------------------------------------------


def serve_forks(home: Path) -> None:
    """The dbt worker: import dbt (and its PostgreSQL adapter) once, then fork a dbt process
    for each connection to its socket: the forked process answers that connection's
    requests (the protocol above, over the socket; its first line is {"pid": ...}) and ends
    when the connection closes, at once if a command is running (`_exit_when_closed`), as a
    run's own dbt process dies with its run: a run killed mid-build leaves nothing of its
    dbt writing. Nothing runs in this process but imports and the accept loop: a process
    forked from one with threads could inherit a lock held by one of them, so no dbt
    command ever runs here (dbt starts threads)."""
    from airline_elt.warehouse import Warehouse
    from airline_elt.workers import POLL_SECONDS, mark_warm, names_me, publish, serving

    with serving(home, "dbt") as me:
        import dbt.adapters.postgres
        import dbt.cli.main  # noqa: F401

        folder = tempfile.mkdtemp(prefix="airline-elt-dbt-")  # owner-only, a short path
        path = os.path.join(folder, "socket")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(path)
            listener.listen(8)
            listener.settimeout(POLL_SECONDS)
            info = replace(me, socket=path)
            publish(home, info)
            mark_warm(home, info)
            warehouse = Warehouse(home)
            print(f"dbt worker {me.pid}: dbt imported, listening on {path}", flush=True)
            while names_me(home, me) and warehouse.is_running():
                _reap()
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    continue
                if os.fork() == 0:
                    listener.close()
                    _serve_connection(connection)  # never returns
                connection.close()
        finally:
            listener.close()
            shutil.rmtree(folder, ignore_errors=True)


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _serve_connection(connection: socket.socket) -> None:
    """In a forked process: this connection's dbt process, until it closes."""
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # stop_workers ends it with the worker
        stream = connection.makefile("rw", encoding="utf-8")
        stream.write(json.dumps({"pid": os.getpid()}) + "\n")
        stream.flush()
        threading.Thread(target=_exit_when_closed, args=(connection,), daemon=True).start()
        serve(stream, stream)
    except BaseException:  # whatever happens, this process ends here
        code = 2
    finally:
        os._exit(code)


def _exit_when_closed(connection: socket.socket) -> None:
    """End this process as soon as its run's side of the connection closes (the run ended,
    or was killed, even in the middle of a command)."""
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    while True:
        for _, events in poller.poll():
            if events & (select.POLLRDHUP | select.POLLHUP | select.POLLERR):
                os._exit(3)


def worker_main(argv: Sequence[str]) -> None:
    if len(argv) != 2 or argv[0] != "--worker":
        raise SystemExit("usage: python -m airline_elt.dbt_worker [--worker HOME] (the second "
                         "form is started by `airline-elt warehouse start`)")
    serve_forks(Path(argv[1]))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        worker_main(sys.argv[1:])
    else:
        main()
