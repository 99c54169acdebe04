"""`airline-elt fetch`: download BTS months (and lookups) into a landing folder, with a line
per month and a summary; no warehouse is started."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from airline_elt.errors import AirlineEltError
from airline_elt.wording import plural


@dataclass(frozen=True)
class FetchRequest:
    landing: Path
    months: Sequence[str]
    source: str
    lookups: bool
    lookup_source: str
    ca_bundle: Path | None = None
    json: bool = False


def fetch(console: Console, request: FetchRequest) -> bool:
    """Whether every month (and lookup) was written, replaced or unchanged."""
    from airline_elt.fetch_console import (
        DownloadDisplay,
        json_report,
        lookup_line,
        month_line,
        summary_line,
    )
    from airline_fetch.fetch import Status, fetch_months
    from airline_fetch.http import HttpSettings
    from airline_fetch.lookups import fetch_lookups
    from airline_fetch.months import parse_months
    from airline_fetch.stores import LocalStore

    if request.ca_bundle is not None and not request.ca_bundle.is_file():
        raise AirlineEltError(f"CA bundle not found: {request.ca_bundle}")
    landing = request.landing.expanduser()
    landing.mkdir(parents=True, exist_ok=True)
    store = LocalStore(landing.resolve())
    settings = HttpSettings(ca_bundle=request.ca_bundle)
    result = None
    if request.months:
        months = parse_months(list(request.months))
        console.print(f"fetching {plural(len(months), 'month')} from {request.source} into "
                      f"{store.describe()}")
        result = fetch_months(
            months, store, source=request.source, settings=settings, workdir=store.work_dir,
            progress_factory=lambda month: DownloadDisplay(console, str(month)),
            on_outcome=lambda outcome: console.print(month_line(outcome)))
    lookups = []
    if request.lookups:
        lookups = fetch_lookups(
            store.landing_dir, source=request.lookup_source, settings=settings,
            progress_factory=lambda name: DownloadDisplay(console, name),
            on_outcome=lambda outcome: console.print(lookup_line(outcome)))
    console.print(summary_line(result, lookups))
    report = json_report(str(store.landing_dir), result, lookups)
    if result is not None and (result.count(Status.WRITTEN) or result.count(Status.REPLACED)):
        console.print(f"next: airline-elt run {shlex.quote(str(landing))}")
    if lookups and all(outcome.succeeded for outcome in lookups):
        folder = shlex.quote(str(landing / "lookups"))
        console.print(f"use the lookups: airline-elt run {shlex.quote(str(landing))} "
                      f"--airports {folder}/L_AIRPORT_ID.csv "
                      f"--carriers {folder}/L_UNIQUE_CARRIERS.csv")
    if request.json:
        print(json.dumps(report, indent=2))
    return bool(report["succeeded"])
