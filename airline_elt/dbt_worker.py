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
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO


def run_command(args: Sequence[str], env: Mapping[str, str], cwd: str) -> tuple[int, str]:
    """`dbt <args>` in this process, with `env` as its whole environment: (exit code, output)."""
    from dbt.cli.main import dbtRunner

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


if __name__ == "__main__":
    main()
