"""A user's own airports and carriers: `--airports FILE` / `--carriers FILE` replace the
bundled seed for one warehouse.

The dbt project reads its seeds from $AIRLINE_ELT_SEED_DIR (default `seeds/`).
Given a file, the runner keeps a seeds folder in the state folder: the user's
airports as `airports_dim.csv` (and/or carriers as `carriers.csv`) beside a fresh
copy of every other file of the project's `seeds/` (the YAML with the column types
included). Once there, it is used for every dbt command against that warehouse;
delete the folder (or give the bundled file with --airports / --carriers) to go back.
A new list is staged first (`seeds.next`), built from, and only then swapped in
(airline_elt.reference); `install_airports` / `install_carriers` swap at once.
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
from dataclasses import dataclass
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
MAX_AIRPORT_ID = 2**63 - 1
UTF8, WINDOWS_1252 = "UTF-8", "Windows-1252"  # the seed's bigint
# The seed's varchar sizes (seeds/_seeds.yml), in bytes as Redshift counts them.
AIRPORT_TEXT_LIMITS = {"city": 100, "state": 100, "name": 200}


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


@dataclass(frozen=True)
class StagedSeeds:
    """A seeds folder prepared beside the one in force (`seeds.next` in the state folder):
    the lists given, the user's other own lists, fresh copies of the bundled files. dbt
    builds from it (seed_path); only after that build succeeds does it replace the folder
    in force (swap_in); otherwise it is thrown away (discard) and nothing changed."""

    folder: Path
    own: frozenset[str]
    counts: dict[str, int]  # rows of each list given, by seed file name
    given: dict[str, Path]  # the list given, by seed file name


def staged_seed_dir(home: Path) -> Path:
    return home / "seeds.next"


def stage_lists(home: Path, airports: Path | None = None,
                carriers: Path | None = None) -> StagedSeeds:
    """Validate the lists given (all of each file, every problem named) and write them,
    with the lists in force for the others, to a staged seeds folder. A bundled file given
    means that list goes back to the bundled one (and follows its later changes)."""
    lists = [(path, name, columns, reader) for path, name, columns, reader in (
        (airports, AIRPORTS_FILE, AIRPORT_COLUMNS, read_airports),
        (carriers, CARRIERS_FILE, CARRIER_COLUMNS, read_carriers),
    ) if path is not None]
    rows = {name: reader(path) for path, name, _, reader in lists}  # raises before any write
    current = home_seed_dir(home)
    own = own_seed_files(current) if current.is_dir() else set()
    staged = staged_seed_dir(home)
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    for name in own:
        shutil.copyfile(current / name, staged / name)
    for path, name, columns, _ in lists:
        if path.resolve() == (project_dir() / "seeds" / name).resolve():
            own.discard(name)
            (staged / name).unlink(missing_ok=True)
            continue
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows[name])
        (staged / name).write_text(buffer.getvalue(), encoding="utf-8")
        own.add(name)
    (staged / OWN_SEEDS_MARKER).write_text("".join(f"{name}\n" for name in sorted(own)),
                                           encoding="utf-8")
    _refresh_bundled_files(staged, own)
    return StagedSeeds(staged, frozenset(own), {name: len(rows[name]) for name in rows},
                       {name: path for path, name, _, _ in lists})


def list_in_force(home: Path, name: str) -> Path:
    """The file of one list this warehouse builds from: the user's own, else the bundled."""
    folder = home_seed_dir(home)
    if folder.is_dir() and name in own_seed_files(folder):
        return folder / name
    return project_dir() / "seeds" / name


def seed_path(folder: Path) -> str:
    """A seeds folder as dbt's seed path (relative, inside the project: seed_dir_override)."""
    return _path_inside_project(folder.resolve())


def swap_in(home: Path, staged: StagedSeeds) -> None:
    """Make the staged folder the one in force (the previous one is removed). With no
    list of the user's own left, the folder goes: the bundled seeds are in force."""
    current = home_seed_dir(home)
    previous = home / "seeds.previous"
    shutil.rmtree(previous, ignore_errors=True)
    if current.exists():
        current.rename(previous)
    if staged.own:
        staged.folder.rename(current)
    else:
        shutil.rmtree(staged.folder, ignore_errors=True)
    shutil.rmtree(previous, ignore_errors=True)


def discard(staged: StagedSeeds) -> None:
    shutil.rmtree(staged.folder, ignore_errors=True)


def install_airports(csv_path: Path, home: Path) -> int:
    """Validate the user's airports CSV and make it this warehouse's seed at once, without
    a build (`airline_elt.reference` installs a list with its build). Returns its rows.

    Given the bundled file itself, the warehouse goes back to the bundled seed (and
    follows its later changes).
    """
    staged = stage_lists(home, airports=csv_path)
    swap_in(home, staged)
    return staged.counts[AIRPORTS_FILE]


def install_carriers(csv_path: Path, home: Path) -> int:
    """Validate the user's carriers CSV and make it this warehouse's seed at once, without
    a build. Returns its rows. Given the bundled file itself, the warehouse goes back to
    the bundled seed."""
    staged = stage_lists(home, carriers=csv_path)
    swap_in(home, staged)
    return staged.counts[CARRIERS_FILE]


def read_airports(csv_path: Path) -> list[list[str]]:
    """Rows of a user's airports file, columns in seed order; clear errors for bad files.

    Two shapes are read: the seed's own header (`airport_id,city,state,name`), and the
    BTS lookup table `L_AIRPORT_ID.csv` as downloaded (`"Code","Description"`), told
    apart by the header. `airport_id` must be a whole number that fits the seed's bigint,
    unique as a number (`010397` repeats `10397`; it is written without its leading
    zeros); the other columns may be empty (they load as NULL) but must fit the seed's
    column types. The whole file is read first: every problem is named with its line.
    """
    reader, raw_header, header = _open_csv(csv_path, "airports")
    if header == list(bts_lookup.BTS_HEADER):
        records = _bts_records(reader)
    else:
        records = _seed_records(csv_path, reader, raw_header, header)
    rows: list[list[str]] = []
    problems = Problems(csv_path)
    seen: dict[int, int] = {}
    for line_number, row in records:
        if isinstance(row, str):
            problems.add(line_number, row)
            continue
        airport_id = row[0]
        if not (airport_id.isascii() and airport_id.isdigit()):
            problems.add(line_number, f"airport_id {airport_id!r} is not a number",
                         "airport_id is the numeric US DOT airport id, e.g. 10397 for Atlanta"
                         + (" (BTS: use L_AIRPORT_ID.csv, not L_AIRPORT.csv with 3-letter "
                            "codes)" if airport_id.isalpha() else ""))
            continue
        number = int(airport_id)
        if number > MAX_AIRPORT_ID:
            problems.add(line_number, f"airport_id {airport_id} is too large (at most "
                         f"{MAX_AIRPORT_ID})")
            continue
        if number in seen:
            problems.add(line_number, f"airport_id {airport_id} repeats line {seen[number]}"
                         + (f" (the same number as {number})" if airport_id != str(number)
                            else ""))
            continue
        seen[number] = line_number
        for column, limit in AIRPORT_TEXT_LIMITS.items():
            value = row[AIRPORT_COLUMNS.index(column)]
            if len(value.encode("utf-8")) > limit:
                problems.add(line_number, f"the {column} of airport {number} is longer than "
                             f"{limit} bytes")
        rows.append([str(number), *row[1:]])
    problems.raise_if_any()
    if not rows:
        raise AirlineEltError(f"{csv_path} holds no airports")
    return rows


Record = tuple[int, list[str] | str]  # (line, the row's fields, or what is wrong with it)


class Problems:
    """Every problem of one reference file, each with its line: all are named at once."""

    SHOWN = 20

    def __init__(self, csv_path: Path) -> None:
        self.csv_path = csv_path
        self.items: list[tuple[int, str]] = []
        self.hint: str | None = None

    def add(self, line_number: int, text: str, hint: str | None = None) -> None:
        self.items.append((line_number, text))
        self.hint = self.hint or hint

    def raise_if_any(self) -> None:
        if not self.items:
            return
        if len(self.items) == 1:
            line_number, text = self.items[0]
            raise AirlineEltError(f"{self.csv_path}, line {line_number}: {text}; "
                                  "nothing installed", self.hint)
        shown = [f"  line {number}: {text}" for number, text in self.items[: self.SHOWN]]
        more = len(self.items) - len(shown)
        raise AirlineEltError(
            f"{self.csv_path}: {len(self.items):,} problems, nothing installed:\n"
            + "\n".join(shown) + (f"\n  ... and {more:,} more" if more else ""),
            self.hint,
        )


def _open_csv(csv_path: Path, what: str) -> tuple[Iterator[list[str]], list[str], list[str]]:
    """A CSV reader past the header, the header as written and lower-cased."""
    if not csv_path.is_file():
        raise AirlineEltError(f"{what} file not found: {csv_path}")
    text, _ = read_list_text(csv_path)
    reader = csv.reader(io.StringIO(text))
    raw_header = next(reader, [])
    return reader, raw_header, [name.strip().lower() for name in raw_header]


def read_list_text(csv_path: Path) -> tuple[str, str]:
    """A list's text and the encoding it was read in: UTF-8 (a BOM allowed) first, else
    Windows-1252, as BTS ships L_AIRPORT_ID.csv (e.g. "Montréal" as the byte 0xE9)."""
    data = csv_path.read_bytes()
    try:
        return data.decode("utf-8-sig"), UTF8
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp1252"), WINDOWS_1252
        except UnicodeDecodeError:
            raise AirlineEltError(
                f"{csv_path} is neither UTF-8 nor Windows-1252 text: {utf8_error}",
                "save it as UTF-8") from utf8_error


def list_encoding(csv_path: Path) -> str:
    """The encoding read_list_text reads `csv_path` in (UTF8 or WINDOWS_1252)."""
    return read_list_text(csv_path)[1]


def read_carriers(csv_path: Path) -> list[list[str]]:
    """Rows of a user's carriers file, `[carrier, carrier_name]`; clear errors for bad files.

    Two shapes are read: the seed's own header (`carrier,carrier_name`), and the BTS
    lookup table `L_UNIQUE_CARRIERS.csv` as downloaded (`"Code","Description"`), told
    apart by the header. The code is required and unique; the name may be empty (the
    marts then show the code). The whole file is read first: every problem is named
    with its line.
    """
    reader, raw_header, header = _open_csv(csv_path, "carriers")
    if header == list(bts_lookup.BTS_HEADER):
        records = _bts_pairs(reader)
    else:
        records = _seed_records(csv_path, reader, raw_header, header, CARRIER_COLUMNS,
                                CARRIERS_FILE, "L_UNIQUE_CARRIERS.csv")
    rows: list[list[str]] = []
    problems = Problems(csv_path)
    seen: dict[str, int] = {}
    for line_number, row in records:
        if isinstance(row, str):
            problems.add(line_number, row)
            continue
        code, name = row
        if not code:
            problems.add(line_number, "the carrier code is empty")
            continue
        if len(code) > MAX_CARRIER_CODE:
            problems.add(
                line_number, f"carrier code {code!r} is longer than {MAX_CARRIER_CODE} "
                "characters",
                "the code is the airline code of the flight files (Reporting_Airline), e.g. DL",
            )
            continue
        if len(name.encode("utf-8")) > MAX_CARRIER_NAME_BYTES:
            problems.add(line_number,
                         f"the name of {code} is longer than {MAX_CARRIER_NAME_BYTES} bytes")
        if code in seen:
            problems.add(line_number, f"carrier {code} repeats line {seen[code]}")
            continue
        seen[code] = line_number
        rows.append([code, name])
    problems.raise_if_any()
    if not rows:
        raise AirlineEltError(f"{csv_path} holds no carriers")
    return rows


def _bts_pairs(reader: Iterator[list[str]]) -> Iterator[Record]:
    """(line, [code, description]) of a BTS lookup table."""
    for line_number, record in enumerate(reader, start=2):
        if not any(field.strip() for field in record):
            continue
        if len(record) < len(bts_lookup.BTS_HEADER):
            yield line_number, (f"{len(record)} field(s), the BTS lookup has 2 "
                                "(Code, Description)")
            continue
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
        if len(record) != len(header):
            yield line_number, f"{len(record)} fields, the header has {len(header)}"
            continue
        yield line_number, [record[position].strip() for position in positions]


def _bts_records(reader: Iterator[list[str]]) -> Iterator[Record]:
    for line_number, record in _bts_pairs(reader):
        if isinstance(record, str):
            yield line_number, record
            continue
        airport = bts_lookup.parse_description(record[1])
        yield line_number, [record[0], airport.city, airport.state, airport.name]


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
