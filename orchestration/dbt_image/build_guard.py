"""Before and after `dbt build` in the dbt image (the entrypoint runs it; issue 20).

    python3 build_guard.py check               before the build
    python3 build_guard.py record EXIT STARTED after it: dbt's exit code, when it started (ISO)

On AWS the airports and carriers lists are the dbt seeds baked into the image; the list *in
force* is what the warehouse's seed tables (airlines.airports_dim, airlines.carriers) hold,
loaded by the last build. `check` applies the local install's rules (airline_elt.reference)
to an image whose lists differ from those tables:

1. each list of the image is validated whole (airline_elt.seeds: every problem with its line);
2. it is compared with the landed flights: a list that would leave more than
   AIRLINE_ELT_MAX_REFERENCE_LOSS (default 1%) of them without their airport or carrier is
   refused with the count and the ids (exit 65: the Transform step fails and notifies),
   unless AIRLINE_ELT_FORCE_REFERENCE_LISTS=true (the stack's ForceReferenceLists);
3. the lists in force are written, as seed files, to `seeds-in-force/` in the project: when
   the build from the new lists fails, the entrypoint rebuilds from that folder, so the
   previous lists stay in force and the warehouse is rebuilt as it was (seed tables, fact,
   marts). Nothing else keeps a copy: the seed tables change only in a build, so "the
   previous list" is always the one the warehouse was last built from.

`record` writes the build's outcome (airline_elt.build_record.BuildRecord: succeeded or
failed, when, dbt's counts and the failing nodes from target/run_results.json) to
$AIRLINE_ELT_HOME/dbt/last_build_outcome.json, where publish_report.py reads it for the
report's failed-build banner, as `airline-elt report` does locally.

The SQL runs on Redshift and PostgreSQL alike (tests/orchestration/test_build_guard.py runs it
on the local warehouse; test_redshift_sql.py parses it with the Redshift dialect).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publish_report import STATE_HOME, built_schema, connect_redshift

from airline_elt import reference_loss as rule  # the local install's rule, shared
from airline_elt.build_record import (
    FAILED_STATUSES,
    BuildRecord,
    failing_nodes,
    record_build,
    results_of_build,
)
from airline_elt.errors import AirlineEltError
from airline_elt.reference_loss import Loss
from airline_elt.seeds import (
    AIRPORT_COLUMNS,
    AIRPORTS_FILE,
    CARRIER_COLUMNS,
    CARRIERS_FILE,
    read_airports,
    read_carriers,
)
from airline_elt.state import project_dir

FORCE_ENV = "AIRLINE_ELT_FORCE_REFERENCE_LISTS"
IN_FORCE_DIR = "seeds-in-force"  # in the project: dbt's seed path must be inside it
REFUSED = 65

TABLE_EXISTS = (
    "select count(*) from information_schema.tables where table_schema = %s and table_name = %s"
)
IN_FORCE_AIRPORTS = 'select airport_id, city, state, name from "{schema}".airports_dim'
IN_FORCE_CARRIERS = 'select carrier, carrier_name from "{schema}".carriers'


@dataclass(frozen=True)
class ReferenceList:
    seed_file: str  # airports_dim.csv
    table: str  # airports_dim
    columns: tuple[str, ...]
    read: Callable[[Path], list[list[str]]]  # airline_elt.seeds' validating reader
    in_force_sql: str
    landed_sql: str


LISTS = (
    ReferenceList(AIRPORTS_FILE, "airports_dim", AIRPORT_COLUMNS, read_airports,
                  IN_FORCE_AIRPORTS, rule.LANDED_AIRPORT_PAIRS),
    ReferenceList(CARRIERS_FILE, "carriers", CARRIER_COLUMNS, read_carriers,
                  IN_FORCE_CARRIERS, rule.LANDED_CARRIERS),
)


def forced(env: Mapping[str, str]) -> bool:
    return env.get(FORCE_ENV, "").strip().lower() in ("1", "true", "yes")


def _rows(conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    cursor = conn.cursor()
    try:
        cursor.execute(sql, tuple(params)) if params else cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def _exists(conn: Any, schema: str, table: str) -> bool:
    return bool(_rows(conn, TABLE_EXISTS, (schema, table))[0][0])


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def in_force(conn: Any, schema: str, reference: ReferenceList) -> list[list[str]] | None:
    """The list the warehouse was last built from (its seed table), or None before the
    first build."""
    if not _exists(conn, schema, reference.table):
        return None
    return [[_text(value) for value in row]
            for row in _rows(conn, reference.in_force_sql.format(schema=schema))]


def loss(conn: Any, reference: ReferenceList, before: list[list[str]],
         after: list[list[str]]) -> Loss | None:
    """What `after` would take from the landed flights that `before` gives their airport or
    carrier (airline_elt.reference_loss, as the local install computes it)."""
    if not (_exists(conn, "raw", "flights_landing") and _exists(conn, "raw", "landed_files")):
        return None
    if reference.seed_file == AIRPORTS_FILE:
        pairs = [(int(o), int(d), int(n)) for o, d, n in _rows(conn, reference.landed_sql)]
        return rule.airport_loss(pairs, {int(row[0]) for row in before},
                                 {int(row[0]) for row in after})
    counts = [(str(code).strip(), int(n)) for code, n in _rows(conn, reference.landed_sql)]
    return rule.carrier_loss(counts, {row[0] for row in before}, {row[0] for row in after})


def check(conn: Any, seeds: Path, in_force_dir: Path, schema: str,
          env: Mapping[str, str]) -> list[str]:
    """Validate the image's lists, refuse a lossy one (AirlineEltError) unless forced, and
    write the lists in force to `in_force_dir` when any list changes; returns what to log."""
    new = {reference.seed_file: reference.read(seeds / reference.seed_file)
           for reference in LISTS}  # raises, naming every problem, before anything
    changed: dict[str, list[list[str]]] = {}
    found: list[Loss] = []
    for reference in LISTS:
        before = in_force(conn, schema, reference)
        after = new[reference.seed_file]
        if before is None or sorted(map(tuple, before)) == sorted(map(tuple, after)):
            continue
        changed[reference.seed_file] = before
        taken = loss(conn, reference, before, after)
        if taken is not None:
            found.append(taken)
    lines = rule.refuse_if_lossy(found, rule.max_loss(env), forced(env), f"{FORCE_ENV}=true")
    shutil.rmtree(in_force_dir, ignore_errors=True)
    if not changed:
        return lines
    write_seed_folder(in_force_dir, seeds, changed)
    for name, before in changed.items():
        lines.append(f"new {name.removesuffix('.csv')} list: {len(new[name]):,} rows (in force: "
                     f"{len(before):,}); kept only if the build succeeds")
    return lines


def write_seed_folder(folder: Path, seeds: Path, lists: Mapping[str, list[list[str]]]) -> None:
    """A seeds folder for dbt: every file of `seeds` (the column types in _seeds.yml
    included), the lists given written in their place."""
    shutil.copytree(seeds, folder)
    for reference in LISTS:
        if reference.seed_file in lists:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(reference.columns)
            writer.writerows(lists[reference.seed_file])
            (folder / reference.seed_file).write_text(buffer.getvalue(), encoding="utf-8")


def build_outcome(exit_code: int, started_at: dt.datetime, target_dir: Path,
                  finished_at: dt.datetime | None = None) -> BuildRecord:
    """The outcome of the build that started at `started_at`, from its exit code and dbt's
    run_results.json (when dbt wrote one for this build)."""
    counts = Counter(str(item.get("status"))
                     for item in results_of_build(target_dir, started_at))
    nodes = failing_nodes(target_dir, started_at)
    summary = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    error = ""
    if exit_code == 124:
        error = "dbt ran past DBT_TIMEOUT_SECONDS and was stopped"
    elif exit_code != 0 and not nodes:
        error = f"dbt exited with {exit_code}"
    return BuildRecord(
        succeeded=exit_code == 0 and not any(counts[status] for status in FAILED_STATUSES),
        finished_at=(finished_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        summary=summary or f"exit {exit_code}",
        failing_nodes=nodes,
        error=error,
    )


def main(argv: Sequence[str], env: Mapping[str, str] | None = None,
         connect: Callable[[Mapping[str, str]], Any] | None = None) -> int:
    env = os.environ if env is None else env
    project = project_dir()
    if argv[:1] == ["record"] and len(argv) == 3:
        started = dt.datetime.fromisoformat(argv[2].replace("Z", "+00:00"))
        record = build_outcome(int(argv[1]), started, project / "target")
        record_build(Path(env.get("AIRLINE_ELT_HOME") or STATE_HOME), record)
        print(f"airline-elt-dbt: {record.line()}")
        return 0
    if argv[:1] != ["check"] or len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    conn = (connect or connect_redshift)(env)
    try:
        lines = check(conn, project / "seeds", project / IN_FORCE_DIR,
                      built_schema(env, "airlines"), env)
    except AirlineEltError as error:
        print(f"airline-elt-dbt: refused, nothing built: {error}", file=sys.stderr)
        return REFUSED
    finally:
        conn.close()
    for line in lines:
        print(f"airline-elt-dbt: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
