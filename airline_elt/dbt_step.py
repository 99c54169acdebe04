"""The pipeline's dbt step: `dbt build` (and `dbt docs generate`) against the local warehouse,
its output kept in a log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import psycopg

from airline_elt.build_record import failing_nodes, results_of_build
from airline_elt.dbt import DbtCommand, run_dbt
from airline_elt.seeds import home_seed_dir
from airline_elt.state import project_dir
from airline_elt.warehouse import Connection

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d(\s+|$)")
PROBLEM_START = re.compile(r"^Completed with \d+ (error|warning)")
ERROR_START = "Encountered an error"
NOTHING_NEW = "nothing new to build"
LAST_BUILD_FILE = "last_build.json"
# dbt's count of each node status, as its closing "Done. PASS=... TOTAL=..." line names them.
COUNT_OF_STATUS = {"success": "PASS", "pass": "PASS", "warn": "WARN", "error": "ERROR",
                   "fail": "ERROR", "partial success": "ERROR", "skipped": "SKIP",
                   "no-op": "NO-OP"}
COUNT_ORDER = ("PASS", "WARN", "ERROR", "SKIP", "NO-OP", "TOTAL")
THREADS_ENV = "AIRLINE_ELT_DBT_THREADS"
# dbt's options that choose what to build: a build given one keeps what it asks for.
CHOOSING_OPTIONS = ("--resource-type", "--resource-types", "--exclude-resource-type",
                    "--exclude-resource-types", "--select", "-s", "--models", "-m",
                    "--selector")
RESOURCE_TYPE_ENV = ("DBT_RESOURCE_TYPES", "DBT_EXCLUDE_RESOURCE_TYPES",
                     "DBT_ENGINE_RESOURCE_TYPES", "DBT_ENGINE_EXCLUDE_RESOURCE_TYPES")
# What a build's result depends on besides the warehouse's landed data.
PROJECT_INPUTS = ("dbt_project.yml", "models", "macros", "tests/dbt", "seeds",
                  "airline_landing/raw_tables.sql")


@dataclass
class DbtOutcome:
    command: list[str]
    returncode: int
    log_file: Path
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    skipped: bool = False  # nothing new: dbt was not started
    failed_nodes: tuple[str, ...] = ()  # from run_results.json: models, seeds, tests

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
        if self.skipped:
            return f"{NOTHING_NEW} (dbt not started)"
        shown = [f"{name.lower()} {self.counts[name]}" for name in COUNT_ORDER
                 if name in self.counts]
        return ", ".join(shown) if shown else f"exit {self.returncode}"


def dbt_build(
    connection: Connection,
    home: Path,
    log_file: Path,
    extra_args: Sequence[str] = (),
    stream: TextIO | None = None,
    seeds: Path | None = None,
    runner: DbtCommand | None = None,
) -> DbtOutcome:
    """Run `dbt build <extra_args>`; its output goes to `log_file` (and the console if
    `stream`). A successful plain build records what it was built from (BuildInputs).
    `seeds`: a staged seeds folder to build from (its caller records the inputs once the
    folder is swapped in). `runner`: a kept dbt (KeptDbt.run) instead of a `dbt` process."""
    args = ["build", *extra_args]
    plain_build = not extra_args and seeds is None
    inputs = build_inputs(connection, home) if plain_build else None
    if not plain_build:
        forget_build_inputs(home)  # other vars or a selection: the next plain build must run
    if "--threads" not in extra_args:
        args += ["--threads", str(dbt_threads())]
    args += without_unit_tests(extra_args)
    outcome = _run_logged(args, connection, home, log_file, stream, seeds, runner)
    if outcome.succeeded and inputs is not None:
        remember_build_inputs(inputs, home)
    return outcome


def dbt_docs_generate(
    connection: Connection,
    home: Path,
    log_file: Path,
    extra_args: Sequence[str] = (),
    stream: TextIO | None = None,
) -> DbtOutcome:
    """Run `dbt docs generate <extra_args>`, its output logged as a build's is."""
    forget_build_inputs(home)
    return _run_logged(["docs", "generate", *extra_args], connection, home, log_file, stream)


def _run_logged(
    args: list[str],
    connection: Connection,
    home: Path,
    log_file: Path,
    stream: TextIO | None,
    seeds: Path | None = None,
    runner: DbtCommand | None = None,
) -> DbtOutcome:
    """`dbt <args>`, its output written to `log_file` (and `stream`), read as a DbtOutcome."""
    started_at = dt.datetime.now(dt.UTC)
    result = (runner or run_dbt)(args, connection, home=home, capture=True, seeds=seeds)
    output = (result.stdout or "") + (result.stderr or "")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text(output, encoding="utf-8")
    if stream is not None:
        stream.write(output)
        stream.flush()
    outcome = parse_dbt_output(args, result, log_file)
    target = home / "dbt" / "target"
    outcome.counts = status_counts(results_of_build(target, started_at))
    if not outcome.succeeded:
        outcome.failed_nodes = failing_nodes(target, started_at)
    return outcome


def status_counts(results: Sequence[dict[str, Any]]) -> dict[str, int]:
    """The nodes of a run_results.json by dbt's count names (PASS, WARN, ...: COUNT_ORDER);
    empty when dbt wrote no results for the command."""
    if not results:
        return {}
    counts = dict.fromkeys(COUNT_ORDER, 0)
    for item in results:
        name = COUNT_OF_STATUS.get(str(item.get("status")))
        if name is not None:
            counts[name] += 1
        counts["TOTAL"] += 1
    return counts


def without_unit_tests(extra_args: Sequence[str]) -> list[str]:
    """The option that leaves dbt's unit tests out of the pipeline's builds, unless the
    build's own arguments choose what to build (a selection, resource types) or its
    environment chooses resource types: dbt's own choice then stands.

    A unit test checks a model's SQL on fixed rows written in the project, not the data:
    its answer changes only with the project's files. dbt Labs recommend running them in
    development and CI only, and excluding them from production builds with
    `--exclude-resource-type unit_test` ("When to run unit tests",
    https://docs.getdbt.com/docs/build/unit-tests). `make test` runs them in every build of
    tests/transform/ (plain `dbt build`), and `airline-elt dbt test --select test_type:unit`
    runs them alone."""
    chosen = any(arg.split("=", 1)[0] in CHOOSING_OPTIONS for arg in extra_args)
    if chosen or any(os.environ.get(name) for name in RESOURCE_TYPE_ENV):
        return []
    return ["--exclude-resource-type", "unit_test"]


def dbt_threads() -> int:
    """dbt's threads: its nodes mostly wait on the warehouse, so twice the CPUs (at least 2,
    at most 8), unless AIRLINE_ELT_DBT_THREADS says otherwise."""
    configured = os.environ.get(THREADS_ENV)
    if configured:
        return max(1, int(configured))
    return min(8, max(2, 2 * (os.cpu_count() or 1)))


@dataclass(frozen=True)
class BuildInputs:
    """What a plain `dbt build` would be built from: the landed file versions, the dbt
    project's files (models, macros, tests, the bundled seed) and the warehouse's own
    airports file. Equal inputs give an equal warehouse, so the build can be skipped."""

    landed_versions: str
    project_md5: str
    own_seeds_md5: str


def build_inputs(connection: Connection, home: Path) -> BuildInputs:
    with psycopg.connect(connection.url(), autocommit=True) as conn:
        exists = conn.execute("select to_regclass('raw.landed_files') is not null").fetchone()
        landed = "none"
        if exists and exists[0]:
            row = conn.execute(
                "select count(*), coalesce(max(file_version_id), 0) from raw.landed_files"
                " where status = 'landed'"
            ).fetchone()
            landed = f"{row[0]}:{row[1]}" if row else "none"
    project = project_dir()
    return BuildInputs(
        landed_versions=landed,
        project_md5=_files_md5(project, [project / name for name in PROJECT_INPUTS]),
        own_seeds_md5=_files_md5(home, [home_seed_dir(home)]),
    )


def _files_md5(root: Path, paths: Sequence[Path]) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(root)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def last_build_inputs(home: Path) -> BuildInputs | None:
    try:
        return BuildInputs(**json.loads((home / "dbt" / LAST_BUILD_FILE).read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def remember_build_inputs(inputs: BuildInputs, home: Path) -> None:
    target = home / "dbt" / LAST_BUILD_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(asdict(inputs)), encoding="utf-8")


def forget_build_inputs(home: Path) -> None:
    """After any dbt command other than a plain build (other vars, a full refresh, a
    selection), the warehouse is no longer what the last plain build left."""
    (home / "dbt" / LAST_BUILD_FILE).unlink(missing_ok=True)


def dbt_build_unless_nothing_new(
    connection: Connection,
    home: Path,
    log_file: Path,
    extra_args: Sequence[str] = (),
    stream: TextIO | None = None,
    runner: DbtCommand | None = None,
) -> DbtOutcome:
    """`dbt build`, skipped (dbt not even started) when a plain build's inputs equal those
    of the last successful plain build: nothing landed, no seed or project file changed.
    A build with dbt arguments always runs."""
    if not extra_args and build_inputs(connection, home) == last_build_inputs(home):
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text(f"{NOTHING_NEW}: nothing landed and no seed or project file "
                            "changed since the last build\n", encoding="utf-8")
        return DbtOutcome(command=["dbt", "build"], returncode=0, log_file=log_file,
                          skipped=True)
    return dbt_build(connection, home, log_file, extra_args, stream=stream, runner=runner)


def parse_dbt_output(
    args: list[str], result: subprocess.CompletedProcess[str], log_file: Path
) -> DbtOutcome:
    """A dbt command's outcome as its exit code and console output give it: the problems it
    listed (its counts come from run_results.json: status_counts)."""
    lines = [
        TIMESTAMP.sub("", ANSI.sub("", line)).rstrip()
        for line in ((result.stdout or "") + (result.stderr or "")).splitlines()
    ]
    outcome = DbtOutcome(command=["dbt", *args], returncode=result.returncode, log_file=log_file)
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
