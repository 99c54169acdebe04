"""The BTS lookup tables `L_AIRPORT_ID` and `L_UNIQUE_CARRIERS`, downloaded as BTS ships them.

They come from TranStats' `Download_Lookup.asp`, whose query strings are obfuscated
(`Y11x72` stands for `Lookup`; the table names are scrambled too, not plain ROT13). The
addresses are the ones TranStats' own "Get Lookup Table" links use, as captured in public
projects that download them:

- L_AIRPORT_ID: `Download_Lookup.asp?Y11x72=Y_NVecbeg_VQ` (the same address in several public
  pipelines' downloaders found with the code search, one commenting it as the obfuscated
  token for L_AIRPORT_ID; `Y_NVecbeg` alone is L_AIRPORT, the three-letter codes);
- L_UNIQUE_CARRIERS: `Download_Lookup.asp?Y11x72=Y_haVdhR_PNeeVRef`
  (github.com/jabenninghoff/mspflights, data-raw/airlines.R); the older
  `Download_Lookup.asp?Lookup=L_UNIQUE_CARRIERS` (github.com/tidyverse/nycflights13,
  data-raw/airlines.R) is reported to answer with the site's home page and status 200 now.

So a download is checked by its content: the header must be `"Code","Description"`. The
bytes are kept untouched (L_AIRPORT_ID is reported to be Windows-1252; the `--airports`
reader handles that) and published atomically into `DIR/lookups/`.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from airline_fetch.fetch import SUCCEEDED, Status
from airline_fetch.http import FetchError, HttpSettings, Progress, download
from airline_fetch.stores import WORK_FOLDER

BTS_LOOKUP_SOURCE = "https://www.transtats.bts.gov/Download_Lookup.asp"
LOOKUP_TOKENS = {
    "L_AIRPORT_ID": "Y_NVecbeg_VQ",
    "L_UNIQUE_CARRIERS": "Y_haVdhR_PNeeVRef",
}
LOOKUP_FOLDER = "lookups"
LOOKUP_HEADER = ["code", "description"]


class NotALookupError(ValueError):
    """A downloaded lookup that is not a BTS lookup table."""


@dataclass(frozen=True)
class LookupOutcome:
    name: str
    status: Status
    path: Path
    size: int | None = None
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCEEDED


def lookup_url(name: str, source: str = BTS_LOOKUP_SOURCE) -> str:
    return f"{source}?Y11x72={LOOKUP_TOKENS[name]}"


def check_lookup(path: Path, name: str) -> None:
    """The file must start with the BTS lookup header, "Code","Description"."""
    with path.open("rb") as handle:
        first = handle.readline(4096)
    text = first.decode("cp1252", errors="replace").lstrip("\ufeff\u00ef\u00bb\u00bf")
    fields = [field.strip().lower() for field in next(csv.reader([text.strip()]), [])]
    if fields != LOOKUP_HEADER:
        shown = first[:60].decode("ascii", errors="replace").strip()
        looks_html = shown.lstrip().startswith("<")
        raise NotALookupError(
            f"{name}: the download is not a BTS lookup table (its first line is {shown!r}, "
            'expected "Code","Description")'
            + ("; the site answered with an HTML page" if looks_html else ""))


def fetch_lookups(
    landing_dir: Path,
    *,
    source: str = BTS_LOOKUP_SOURCE,
    settings: HttpSettings | None = None,
    progress_factory: Callable[[str], Progress | None] | None = None,
    on_outcome: Callable[[LookupOutcome], None] | None = None,
) -> list[LookupOutcome]:
    settings = settings or HttpSettings()
    outcomes = []
    for name in LOOKUP_TOKENS:
        outcome = fetch_lookup(landing_dir, name, source=source, settings=settings,
                               progress=progress_factory(name) if progress_factory else None)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def fetch_lookup(landing_dir: Path, name: str, *, source: str, settings: HttpSettings,
                 progress: Progress | None) -> LookupOutcome:
    target = landing_dir / LOOKUP_FOLDER / f"{name}.csv"
    work = landing_dir / WORK_FOLDER
    work.mkdir(parents=True, exist_ok=True)
    part = work / f"{name}.csv.download"
    try:
        download(lookup_url(name, source), part, settings, progress)
        check_lookup(part, name)
        size = part.stat().st_size
        if target.is_file() and target.read_bytes() == part.read_bytes():
            return LookupOutcome(name, Status.UNCHANGED, target, size, "same bytes as stored")
        existed = target.is_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
        return LookupOutcome(name, Status.REPLACED if existed else Status.WRITTEN, target, size)
    except (FetchError, NotALookupError) as error:
        return LookupOutcome(name, Status.FAILED, target, message=str(error))
    except OSError as error:
        return LookupOutcome(name, Status.FAILED, target,
                             message=f"{error.strerror or error}: {error.filename or target}")
    finally:
        part.unlink(missing_ok=True)
