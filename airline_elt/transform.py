"""The Transform step: `dbt build` against the local warehouse, its output kept in a log."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from airline_elt.dbt import run_dbt
from airline_elt.warehouse import Connection

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d(\s+|$)")
DONE_LINE = re.compile(r"Done\.\s+(.*)$")
COUNT = re.compile(r"([A-Z-]+)=(\d+)")
PROBLEM_START = re.compile(r"^Completed with \d+ (error|warning)")
ERROR_START = "Encountered an error"


@dataclass
class DbtOutcome:
    command: list[str]
    returncode: int
    log_file: Path
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0

    @property
    def warnings(self) -> int:
        return self.counts.get("WARN", 0)

    @property
    def errors(self) -> int:
        return self.counts.get("ERROR", 0)

    def headline(self) -> str:
        """The first problem in one line ("Runtime Error" gets the line that says which)."""
        if not self.problems:
            return ""
        first = self.problems[0]
        if first.endswith("Error") and len(self.problems) > 1:
            return f"{first}: {self.problems[1]}"
        return first

    def describe(self) -> str:
        order = ("PASS", "WARN", "ERROR", "SKIP", "NO-OP", "TOTAL")
        shown = [f"{name.lower()} {self.counts[name]}" for name in order if name in self.counts]
        return ", ".join(shown) if shown else f"exit {self.returncode}"


def dbt_build(
    connection: Connection,
    home: Path,
    log_file: Path,
    extra_args: Sequence[str] = (),
    stream: TextIO | None = None,
    command: str = "build",
) -> DbtOutcome:
    """Run `dbt <command> <extra_args>`; its output goes to `log_file` (and the console if
    `stream`)."""
    args = [command, *extra_args]
    result = run_dbt(args, connection, home=home, capture=True)
    output = (result.stdout or "") + (result.stderr or "")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text(output, encoding="utf-8")
    if stream is not None:
        stream.write(output)
        stream.flush()
    return parse_dbt_output(args, result, log_file)


def parse_dbt_output(
    args: list[str], result: subprocess.CompletedProcess[str], log_file: Path
) -> DbtOutcome:
    lines = [
        TIMESTAMP.sub("", ANSI.sub("", line)).rstrip()
        for line in ((result.stdout or "") + (result.stderr or "")).splitlines()
    ]
    outcome = DbtOutcome(command=["dbt", *args], returncode=result.returncode, log_file=log_file)
    for line in lines:
        done = DONE_LINE.search(line)
        if done:
            outcome.counts = {name: int(value) for name, value in COUNT.findall(done.group(1))}
    outcome.problems = _problem_lines(lines)
    return outcome


def _problem_lines(lines: list[str]) -> list[str]:
    """The failures and warnings dbt lists at the end of a run, what follows its
    "Encountered an error" (a run that could not start), or else its last lines."""
    for index, line in enumerate(lines):
        if PROBLEM_START.match(line) or line.startswith(ERROR_START):
            tail = [text.strip() for text in lines[index + 1 :] if text.strip()]
            return [text for text in tail if not text.startswith("Done.")][:20]
    return [line.strip() for line in lines if line.strip()][-10:]
