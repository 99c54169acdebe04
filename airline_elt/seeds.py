"""A user's own airports and carriers: `--airports FILE` / `--carriers FILE` replace the
bundled seed for one warehouse.

The dbt project reads its seeds from $AIRLINE_ELT_SEED_DIR (default `seeds/`).
Given a file, the runner keeps a seeds folder in the state folder: the user's
airports as `airports_dim.csv` (and/or carriers as `carriers.csv`) beside a fresh
copy of every other file of the project's `seeds/` (the YAML with the column types
included). Once there, it is used for every dbt command against that warehouse;
delete the folder (or give the bundled file with --airports / --carriers) to go back.
Which files are the user's: `airports_dim.csv` whenever it is there (it is never
copied from `seeds/`), `carriers.csv` when `.own-seeds` in the folder names it.
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
CARRIERS_FILE = "carriers.csv"
CARRIER_COLUMNS = ("carrier", "carrier_name")
# The seed's column types (seeds/_seeds.yml): longer values would not load.
MAX_CARRIER_CODE = 10
MAX_CARRIER_NAME_BYTES = 256
OWN_SEEDS_MARKER = ".own-seeds"


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
    own = own_seed_files(folder)
    if not own:
        return None
    _refresh_bundled_files(folder, own)
    return _path_inside_project(folder.resolve())


def own_seed_files(folder: Path) -> set[str]:
    """The file names in the state folder's seeds folder that are the user's own: those
    `.own-seeds` names, or (a folder made before carriers existed, without that file)
    `airports_dim.csv` when it is there."""
    marker = folder / OWN_SEEDS_MARKER
    if marker.is_file():
        return {name for name in marker.read_text(encoding="utf-8").split()
                if (folder / name).is_file()}
    return {AIRPORTS_FILE} if (folder / AIRPORTS_FILE).is_file() else set()


def _set_own(folder: Path, name: str, is_own: bool) -> None:
    names = own_seed_files(folder)
    names = names | {name} if is_own else names - {name}
    _write_atomically(folder / OWN_SEEDS_MARKER, "".join(f"{item}\n" for item in sorted(names)))


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
    follows its later changes).
    """
    return _install(csv_path, home, AIRPORTS_FILE, AIRPORT_COLUMNS, read_airports(csv_path))


def install_carriers(csv_path: Path, home: Path) -> int:
    """Validate the user's carriers CSV and make it this warehouse's seed. Returns its rows.

    Given the bundled file itself, the warehouse goes back to the bundled seed."""
    return _install(csv_path, home, CARRIERS_FILE, CARRIER_COLUMNS, read_carriers(csv_path))


def _install(csv_path: Path, home: Path, file_name: str, columns: tuple[str, ...],
             rows: list[list[str]]) -> int:
    folder = home_seed_dir(home)
    if csv_path.resolve() == (project_dir() / "seeds" / file_name).resolve():
        if folder.is_dir():
            (folder / file_name).unlink(missing_ok=True)
            _set_own(folder, file_name, False)
            if not own_seed_files(folder):
                shutil.rmtree(folder, ignore_errors=True)
        return len(rows)
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    own = own_seed_files(folder)  # before the file is written (a folder without .own-seeds)
    _write_atomically(folder / file_name, buffer.getvalue())
    _write_atomically(folder / OWN_SEEDS_MARKER,
                      "".join(f"{item}\n" for item in sorted(own | {file_name})))
    _refresh_bundled_files(folder, own_seed_files(folder))
    return len(rows)


def _write_atomically(target: Path, text: str) -> None:
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)


def read_airports(csv_path: Path) -> list[list[str]]:
    """Rows of a user's airports file, columns in seed order; clear errors for bad files.

    Two shapes are read: the seed's own header (`airport_id,city,state,name`), and the
    BTS lookup table `L_AIRPORT_ID.csv` as downloaded (`"Code","Description"`), told
    apart by the header. `airport_id` must be numeric and unique; the other columns
    may be empty (they load as NULL).
    """
    reader, raw_header, header = _open_csv(csv_path, "airports")
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


def _open_csv(csv_path: Path, what: str) -> tuple[Iterator[list[str]], list[str], list[str]]:
    """A CSV reader past the header, the header as written and lower-cased."""
    if not csv_path.is_file():
        raise AirlineEltError(f"{what} file not found: {csv_path}")
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise AirlineEltError(f"{csv_path} is not UTF-8 text: {error}") from error
    reader = csv.reader(io.StringIO(text))
    raw_header = next(reader, [])
    return reader, raw_header, [name.strip().lower() for name in raw_header]


def read_carriers(csv_path: Path) -> list[list[str]]:
    """Rows of a user's carriers file, `[carrier, carrier_name]`; clear errors for bad files.

    Two shapes are read: the seed's own header (`carrier,carrier_name`), and the BTS
    lookup table `L_UNIQUE_CARRIERS.csv` as downloaded (`"Code","Description"`), told
    apart by the header. The code is required and unique; the name may be empty (the
    marts then show the code).
    """
    reader, raw_header, header = _open_csv(csv_path, "carriers")
    if header == list(bts_lookup.BTS_HEADER):
        records = _bts_pairs(csv_path, reader)
    else:
        records = _seed_records(csv_path, reader, raw_header, header, CARRIER_COLUMNS,
                                CARRIERS_FILE, "L_UNIQUE_CARRIERS.csv")
    rows: list[list[str]] = []
    seen: dict[str, int] = {}
    for line_number, (code, name) in records:
        where = f"{csv_path}, line {line_number}"
        if not code:
            raise AirlineEltError(f"{where}: the carrier code is empty")
        if len(code) > MAX_CARRIER_CODE:
            raise AirlineEltError(
                f"{where}: carrier code {code!r} is longer than {MAX_CARRIER_CODE} characters",
                "the code is the airline code of the flight files (Reporting_Airline), e.g. DL",
            )
        if len(name.encode("utf-8")) > MAX_CARRIER_NAME_BYTES:
            raise AirlineEltError(
                f"{where}: the name of {code} is longer than {MAX_CARRIER_NAME_BYTES} bytes"
            )
        if code in seen:
            raise AirlineEltError(f"{where}: carrier {code} repeats line {seen[code]}")
        seen[code] = line_number
        rows.append([code, name])
    if not rows:
        raise AirlineEltError(f"{csv_path} holds no carriers")
    return rows


def _bts_pairs(csv_path: Path, reader: Iterator[list[str]]) -> Iterator[Record]:
    """(line, [code, description]) of a BTS lookup table."""
    for line_number, record in enumerate(reader, start=2):
        if not any(field.strip() for field in record):
            continue
        if len(record) < len(bts_lookup.BTS_HEADER):
            raise AirlineEltError(
                f"{csv_path}, line {line_number}: {len(record)} field(s), the BTS lookup has "
                f"2 (Code, Description)"
            )
        yield line_number, [record[0].strip(), record[1].strip()]


def _seed_records(
    csv_path: Path, reader: Iterator[list[str]], raw_header: list[str], header: list[str],
    columns: tuple[str, ...] = AIRPORT_COLUMNS, seed_file: str = AIRPORTS_FILE,
    bts_file: str = "L_AIRPORT_ID.csv",
) -> Iterator[Record]:
    missing = [name for name in columns if name not in header]
    if missing:
        separator_problem = wrong_separator_message(raw_header)
        raise AirlineEltError(
            f"{csv_path}: {separator_problem}" if separator_problem
            else f"{csv_path}: missing column(s) {', '.join(missing)} in the header",
            f"the header must be: {','.join(columns)} (as in seeds/{seed_file}), "
            f"or {','.join(bts_lookup.BTS_HEADER)} (the BTS lookup {bts_file})",
        )
    positions = [header.index(name) for name in columns]
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


def _refresh_bundled_files(folder: Path, own: set[str]) -> None:
    """Copy every bundled seed file but the user's own into `folder` (they may have
    changed since)."""
    bundled = project_dir() / "seeds"
    if not bundled.is_dir():
        return
    for source in bundled.rglob("*"):
        if source.is_dir() or source.name in own:
            continue
        target = folder / source.relative_to(bundled)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)
