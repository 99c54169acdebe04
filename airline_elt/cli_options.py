"""Every option of `airline-elt`, defined once (as dbt-core's cli/params.py): a command lists
the ones it takes (cli_commands.py). The argument types turn a bad value into a usage error
(exit 2) before anything starts."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airline_elt.errors import AirlineEltError
from airline_elt.warehouse_users import DBT, LANDING, READER
from airline_fetch.lookups import BTS_LOOKUP_SOURCE
from airline_fetch.months import BTS_PREZIP
from airline_landing.scan import DEFAULT_PREFIX

# `airline-elt warehouse url --user NAME`: the users by job (airline_elt/warehouse_users.sql).
WAREHOUSE_USERS = {"reader": READER, "dbt": DBT, "landing": LANDING}


def warehouse_user(job: str | None) -> str | None:
    """The warehouse user of a `--user` job name; None (the owner) when none is given."""
    if job is None:
        return None
    try:
        return WAREHOUSE_USERS[job]
    except KeyError:
        raise AirlineEltError(f"no warehouse user {job!r}: "
                              f"--user takes {', '.join(sorted(WAREHOUSE_USERS))}") from None


@dataclass(frozen=True)
class Option:
    """One argument as argparse takes it: its flags (or name) and its settings."""

    flags: tuple[str, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(*self.flags, **self.settings)


def option(*flags: str, **settings: Any) -> Option:
    return Option(flags, settings)


# -- argument types -------------------------------------------------------------------------


def ratio(text: str) -> float:
    from airline_landing.thresholds import LimitError, parse_ratio

    try:
        return parse_ratio(text)
    except LimitError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def rows(text: str) -> int:
    from airline_landing.thresholds import LimitError, parse_rows

    try:
        return parse_rows(text)
    except LimitError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def prefix(text: str) -> str:
    """The landing prefix, normalised ('daily_flights' -> 'daily_flights/'); one that climbs
    out of the landing folder is a usage error."""
    from airline_landing.scan import PrefixError, normalise_prefix

    try:
        return normalise_prefix(text)
    except PrefixError as error:
        raise argparse.ArgumentTypeError(
            f"{error}: give a folder inside DIR, e.g. {DEFAULT_PREFIX}") from error


def positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text} is less than 1: give 1 or more")
    return number


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} seconds: give 0 or more")
    return value


def positive_seconds(text: str) -> float:
    value = seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 seconds: give more than 0")
    return value


def port(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port: give 0 to 65535 (0: any free)")
    return number


def month(text: str) -> str:
    from airline_fetch.months import MonthError, parse_months

    try:
        parse_months([text])
    except MonthError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return text


# -- options --------------------------------------------------------------------------------

VERBOSE = option("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                 help="show dbt's and the landing job's output, and tracebacks")

# The landing folder, as `run`, `land` and `watch` all take it: positional DIR, with
# `--landing DIR` kept as an alias (cli.check_folder makes one of them required).
LANDING_FOLDER_HELP = "landing folder (plays the S3 bucket root)"
LANDING_ALIAS = option("--landing", type=Path, metavar="DIR",
                       help="the same as DIR (the older spelling)")


def folder(help: str = LANDING_FOLDER_HELP) -> Option:
    return option("directory", nargs="?", type=Path, metavar="DIR", help=help)


# The limits of the commands that land.
MAX_REJECT_RATIO = option(
    "--max-reject-ratio", type=ratio, metavar="RATIO",
    help="fail a file whole when more than this share of its rows is rejected "
         "(0.05 or 5%%; default $AIRLINE_ELT_MAX_REJECT_RATIO or 0.05) ...")
MAX_REJECT_ROWS = option(
    "--max-reject-rows", type=rows, metavar="N",
    help="... and more than N rows (default $AIRLINE_ELT_MAX_REJECT_ROWS or 10)")
PREFIX = option(
    "--prefix", type=prefix, default=DEFAULT_PREFIX, metavar="PREFIX",
    help=f"land only *.csv and *.csv.gz keys under DIR/PREFIX (default {DEFAULT_PREFIX}, the "
         "prefix the AWS rule listens to); other files in DIR are left alone")
LANDING_LIMITS = (MAX_REJECT_RATIO, MAX_REJECT_ROWS, PREFIX)

# The reference lists of the commands that build.
AIRPORTS = option("--airports", type=Path, metavar="FILE",
                  help="your airports CSV (airport_id,city,state,name) replaces the bundled "
                       "seed for this warehouse")
CARRIERS = option("--carriers", type=Path, metavar="FILE",
                  help="your carriers CSV (carrier,carrier_name, or the BTS "
                       "L_UNIQUE_CARRIERS.csv) replaces the bundled carrier names for this "
                       "warehouse")
FORCE = option("--force", action="store_true",
               help="install the --airports/--carriers list even when it leaves more than "
                    "$AIRLINE_ELT_MAX_REFERENCE_LOSS (default 1%%) of the landed flights "
                    "without their airport or carrier name")
REFERENCE_LISTS = (AIRPORTS, CARRIERS, FORCE)

JSON_SUMMARY = option("--json", action="store_true",
                      help="print a machine-readable summary on stdout (progress goes to "
                           "stderr)")
JSON_OUTPUT = option("--json", action="store_true", help="machine-readable output")

WAREHOUSE_USER = option(
    "--user", choices=sorted(WAREHOUSE_USERS), default=None,
    help="connect as a user by job instead of the owner: reader (read-only, the marts in "
    "airlines: for analysts and BI tools), dbt, landing")

NO_WORKERS = option(
    "--no-workers", action="store_true",
    help="start no workers (a warm Spark JVM and a dbt process that runs use instead of "
    "starting their own: docs/command_line.md); AIRLINE_ELT_WORKERS=off does the same for "
    "every start")

WATCH_OPTIONS = (
    option("--interval", type=positive_seconds, default=1.0, metavar="SECONDS",
           help="how often to look (default 1)"),
    option("--settle", type=seconds, default=3.0, metavar="SECONDS",
           help="files must be unchanged this long before a run (default 3)"),
    option("--once", action="store_true", help="run once for what is pending now, then exit"),
    option("--max-runs", type=positive_int, metavar="N", help="exit after N runs"),
    option("--timeout", type=seconds, metavar="SECONDS",
           help="stop watching after this long (a run under way finishes)"),
)

STATUS_OPTIONS = (
    option("--limit", type=positive_int, default=30, metavar="N",
           help="show the newest N file versions (default 30)"),
    option("--all", action="store_true", help="list every duplicate delivery on its own line"),
    option("--start", action="store_true",
           help="start the warehouse if it is stopped (else status only says so)"),
    JSON_OUTPUT,
)

REDRIVE_KEYS = option("keys", nargs="+", metavar="KEY", help="file key(s) to redrive")

DOCS_OPTIONS = (
    option("--host", default="127.0.0.1", help="address to serve on (127.0.0.1)"),
    option("--port", type=port, default=8080, help="port (default 8080; 0: any free)"),
    option("--no-serve", action="store_true", help="generate only"),
)

REPORT_OUTPUT = option("--output", type=Path, metavar="FILE",
                       help="where to write it (default: report.html beside the docs site, "
                            "in $AIRLINE_ELT_HOME/dbt/target/)")

FETCH_OPTIONS = (
    option("months", nargs="*", type=month, metavar="MONTH",
           help="YYYY-MM, or a range YYYY-MM..YYYY-MM (both included); from 1987-10"),
    option("--landing", type=Path, required=True, metavar="DIR",
           help="the landing folder (plays the S3 bucket root)"),
    option("--source", default=BTS_PREZIP, metavar="URL",
           help=f"where the monthly zips are (default {BTS_PREZIP}); a mirror"),
    option("--lookups", action="store_true",
           help="also download L_AIRPORT_ID and L_UNIQUE_CARRIERS into DIR/lookups/ "
           "(for --airports / --carriers)"),
    option("--lookup-source", default=BTS_LOOKUP_SOURCE, metavar="URL",
           help=f"the lookup endpoint (default {BTS_LOOKUP_SOURCE})"),
    option("--ca-bundle", type=Path, metavar="FILE",
           help="a PEM file of extra CA certificates to trust besides the shipped "
           "ones (a proxy's or a mirror's); checks are never turned off"),
    JSON_SUMMARY,
)

DBT_ARGS = option("dbt_args", nargs=argparse.REMAINDER, metavar="ARGS",
                  help="dbt command and arguments")
