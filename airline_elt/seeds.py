"""A user's own airports: `--airports FILE` replaces the bundled seed for one warehouse.

The dbt project reads its seeds from $AIRLINE_ELT_SEED_DIR (default `seeds/`).
Given a file, the runner keeps a seeds folder in the state folder: the user's
airports as `airports_dim.csv` beside a fresh copy of every other file of the
project's `seeds/` (the YAML with the column types included). Once there, it is
used for every dbt command against that warehouse; delete the folder (or give
the bundled file with --airports) to go back.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from airline_elt import bts_lookup
from airline_elt.errors import AirlineEltError
from airline_elt.state import project_dir
from airline_landing.separators import wrong_separator_message

SEED_DIR_ENV = "AIRLINE_ELT_SEED_DIR"
AIRPORTS_FILE = "airports_dim.csv"
AIRPORT_COLUMNS = ("airport_id", "city", "state", "name")


def home_seed_dir(home: Path) -> Path:
    return home / "seeds"


def seed_dir_override(home: Path) -> str | None:
    """The seed path (relative to the dbt project) of the state folder's own seeds folder,
    when a user's airports file was given; None otherwise.

    Relative, and inside the project, on purpose: dbt writes a copy of each seed it
    loads to <target>/run/<project>/<seed path>/, and with an absolute seed path that
    "copy" lands on the seed file itself. A state folder outside the checkout is
    reached through a symlink in the checkout's git-ignored .airline-elt/seed-links/.
    """
    folder = home_seed_dir(home)
    if not (folder / AIRPORTS_FILE).is_file():
        return None
    _refresh_bundled_files(folder)
    return _path_inside_project(folder.resolve())


def _path_inside_project(folder: Path) -> str:
    project = project_dir().resolve()
    if folder.is_relative_to(project):
        return folder.relative_to(project).as_posix()
    links = project / ".airline-elt" / "seed-links"
    links.mkdir(parents=True, exist_ok=True)
    for stale in links.iterdir():  # links to state folders deleted since
        if stale.is_symlink() and not stale.exists():
            stale.unlink(missing_ok=True)
    link = links / hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    if not (link.is_symlink() and link.resolve() == folder):
        temporary = link.with_name(link.name + f".{os.getpid()}.tmp")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(folder, target_is_directory=True)
        temporary.replace(link)
    return link.relative_to(project).as_posix()


def install_airports(csv_path: Path, home: Path) -> int:
    """Validate the user's airports CSV and make it this warehouse's seed. Returns its rows.

    Given the bundled file itself, the warehouse goes back to the bundled seed (and
    follows its later changes): the state folder's own seeds folder is removed.
    """
    rows = read_airports(csv_path)
    folder = home_seed_dir(home)
    if csv_path.resolve() == (project_dir() / "seeds" / AIRPORTS_FILE).resolve():
        shutil.rmtree(folder, ignore_errors=True)
        return len(rows)
    folder.mkdir(parents=True, exist_ok=True)
    _refresh_bundled_files(folder)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AIRPORT_COLUMNS)
    writer.writerows(rows)
    target = folder / AIRPORTS_FILE
    tmp = target.with_suffix(".tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    tmp.replace(target)
    return len(rows)


def read_airports(csv_path: Path) -> list[list[str]]:
    """Rows of a user's airports file, columns in seed order; clear errors for bad files.

    Two shapes are read: the seed's own header (`airport_id,city,state,name`), and the
    BTS lookup table `L_AIRPORT_ID.csv` as downloaded (`"Code","Description"`), told
    apart by the header. `airport_id` must be numeric and unique; the other columns
    may be empty (they load as NULL).
    """
    if not csv_path.is_file():
        raise AirlineEltError(f"airports file not found: {csv_path}")
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise AirlineEltError(f"{csv_path} is not UTF-8 text: {error}") from error
    reader = csv.reader(io.StringIO(text))
    raw_header = next(reader, [])
    header = [name.strip().lower() for name in raw_header]
    if header == list(bts_lookup.BTS_HEADER):
        records = _bts_records(csv_path, reader)
    else:
        records = _seed_records(csv_path, reader, raw_header, header)
    rows: list[list[str]] = []
    seen: dict[str, int] = {}
    for line_number, row in records:
        airport_id = row[0]
        if not airport_id.isdigit():
            raise AirlineEltError(
                f"{csv_path}, line {line_number}: airport_id {airport_id!r} is not a number",
                "airport_id is the numeric US DOT airport id, e.g. 10397 for Atlanta"
                + (" (BTS: use L_AIRPORT_ID.csv, not L_AIRPORT.csv with 3-letter codes)"
                   if airport_id.isalpha() else ""),
            )
        if airport_id in seen:
            raise AirlineEltError(
                f"{csv_path}, line {line_number}: airport_id {airport_id} repeats line "
                f"{seen[airport_id]}"
            )
        seen[airport_id] = line_number
        rows.append(row)
    if not rows:
        raise AirlineEltError(f"{csv_path} holds no airports")
    return rows


Record = tuple[int, list[str]]


def _seed_records(
    csv_path: Path, reader: Iterator[list[str]], raw_header: list[str], header: list[str]
) -> Iterator[Record]:
    missing = [name for name in AIRPORT_COLUMNS if name not in header]
    if missing:
        separator_problem = wrong_separator_message(raw_header)
        raise AirlineEltError(
            f"{csv_path}: {separator_problem}" if separator_problem
            else f"{csv_path}: missing column(s) {', '.join(missing)} in the header",
            f"the header must be: {','.join(AIRPORT_COLUMNS)} (as in seeds/{AIRPORTS_FILE}), "
            f"or {','.join(bts_lookup.BTS_HEADER)} (the BTS lookup L_AIRPORT_ID.csv)",
        )
    positions = [header.index(name) for name in AIRPORT_COLUMNS]
    for line_number, record in enumerate(reader, start=2):
        if not any(field.strip() for field in record):
            continue
        if len(record) < len(header):
            raise AirlineEltError(
                f"{csv_path}, line {line_number}: {len(record)} fields, the header has "
                f"{len(header)}"
            )
        yield line_number, [record[position].strip() for position in positions]


def _bts_records(csv_path: Path, reader: Iterator[list[str]]) -> Iterator[Record]:
    for line_number, record in enumerate(reader, start=2):
        if not any(field.strip() for field in record):
            continue
        if len(record) < len(bts_lookup.BTS_HEADER):
            raise AirlineEltError(
                f"{csv_path}, line {line_number}: {len(record)} field(s), the BTS lookup has "
                f"2 (Code, Description)"
            )
        airport = bts_lookup.parse_description(record[1])
        yield line_number, [record[0].strip(), airport.city, airport.state, airport.name]


def _refresh_bundled_files(folder: Path) -> None:
    """Copy every bundled seed file but the airports into `folder` (they may have changed)."""
    bundled = project_dir() / "seeds"
    if not bundled.is_dir():
        return
    for source in bundled.rglob("*"):
        if source.is_dir() or source.name == AIRPORTS_FILE:
            continue
        target = folder / source.relative_to(bundled)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)
