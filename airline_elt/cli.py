"""`airline-elt`: the local runner's command line.

Everything runs against the local warehouse of the state folder
($AIRLINE_ELT_HOME, default .airline-elt/ in the checkout). Exit status: 0 on
success (warnings included), 1 on a failure, 2 on a usage error, 130 when
interrupted. Errors are one or two lines; --verbose adds the traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import shlex
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from airline_elt import queries
from airline_elt.build_record import last_build
from airline_elt.dbt import dbt_environment, run_dbt
from airline_elt.docs import docs_site_dir, make_server, missing_site_files, report_path
from airline_elt.errors import AirlineEltError
from airline_elt.notify import Outbox
from airline_elt.pipeline import Run, RunOutcome, StepFailed, new_run_id
from airline_elt.seeds import (
    WINDOWS_1252,
    discard,
    list_encoding,
    read_airports,
    read_carriers,
)
from airline_elt.state import project_dir, state_home
from airline_elt.transform import dbt_build, forget_build_inputs
from airline_elt.ui import (
    ConsoleUI,
    make_console,
    render_landed_files,
    render_run_summary,
)
from airline_elt.warehouse import Connection, Warehouse, WarehouseError
from airline_elt.warehouse_users import DBT, LANDING, READER
from airline_elt.watch import Watcher
from airline_elt.wording import plural, step_label
from airline_fetch.lookups import BTS_LOOKUP_SOURCE
from airline_fetch.months import BTS_PREZIP
from airline_landing.landing import utc_now
from airline_landing.local import create_raw_tables
from airline_landing.redrive import UnknownKeyError, redrive
from airline_landing.results import FileStatus

if TYPE_CHECKING:
    from airline_landing.bounds import BatchBounds
    from airline_landing.plausibility import Plausibility
    from airline_landing.thresholds import RejectLimits

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
CARRIERS_HELP = ("your carriers CSV (carrier,carrier_name, or the BTS L_UNIQUE_CARRIERS.csv) "
                 "replaces the bundled carrier names for this warehouse")
FORCE_HELP = ("install the --airports/--carriers list even when it leaves more than "
              "$AIRLINE_ELT_MAX_REFERENCE_LOSS (default 1%%) of the landed flights without "
              "their airport or carrier name")


# -- argument parsing -----------------------------------------------------------


# `airline-elt warehouse url --user NAME`: the users by job (airline_elt/warehouse_users.sql).
WAREHOUSE_USERS = {"reader": READER, "dbt": DBT, "landing": LANDING}


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="show dbt's and the landing job's output, and tracebacks")
    parser = argparse.ArgumentParser(
        prog="airline-elt",
        description="Run the airline on-time ELT pipeline on this machine: a private "
        "PostgreSQL warehouse, PySpark landing, dbt.",
        epilog="State (warehouse data, logs, notifications) lives in $AIRLINE_ELT_HOME "
        "(default: .airline-elt/ in the checkout). dbt arguments go after `--`.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    limits = argparse.ArgumentParser(add_help=False)
    limits.add_argument(
        "--max-reject-ratio", type=_ratio, metavar="RATIO",
        help="fail a file whole when more than this share of its rows is rejected "
             "(0.05 or 5%%; default $AIRLINE_ELT_MAX_REJECT_RATIO or 0.05) ...")
    limits.add_argument(
        "--max-reject-rows", type=_rows, metavar="N",
        help="... and more than N rows (default $AIRLINE_ELT_MAX_REJECT_ROWS or 10)")
    limits.add_argument(
        "--prefix", type=_prefix, default="daily_flights/", metavar="PREFIX",
        help="land only *.csv and *.csv.gz keys under DIR/PREFIX (default daily_flights/, the "
             "prefix the AWS rule listens to); other files in DIR are left alone")

    warehouse = commands.add_parser(
        "warehouse", parents=[common], help="start, stop or inspect the local warehouse",
        description="The local PostgreSQL warehouse: a private cluster in the state folder, "
        "started on demand.")
    actions = warehouse.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser(
        "start", parents=[common], help="create (first time) and start it",
        description="Start the local warehouse; the first time, create it (initdb) in the "
        "state folder. It keeps running until `airline-elt warehouse stop`.")
    actions.add_parser(
        "stop", parents=[common], help="stop it (the data stays)",
        description="Stop the local warehouse. The data stays; `airline-elt warehouse start` "
        "(or any command that needs it) starts it again.")
    actions.add_parser(
        "status", parents=[common], help="whether it runs, where, on which port",
        description="Whether the local warehouse exists and runs, its port, data folder and "
        "log. Starts nothing.")
    url = actions.add_parser(
        "url", parents=[common], help='print its libpq URL: psql "$(airline-elt warehouse url)"',
        description="Print the warehouse's libpq URL, for psql and BI tools: "
        'psql "$(airline-elt warehouse url)". Warns on stderr when it is stopped.')
    url.add_argument(
        "--user", choices=sorted(WAREHOUSE_USERS), default=None,
        help="connect as a user by job instead of the owner: reader (read-only, the marts in "
        "airlines: for analysts and BI tools), dbt, landing")
    actions.add_parser(
        "env", parents=[common],
        help='print export lines for your own dbt commands: eval "$(airline-elt warehouse env)"',
        description="Print export lines (DBT_TARGET, DBT_PROFILES_DIR, the connection) so your "
        'own dbt commands use the local warehouse: eval "$(airline-elt warehouse env)".')

    land = commands.add_parser("land", parents=[common, limits],
                               help="land the new files of a landing folder (no dbt)",
                               description="Land every new *.csv or *.csv.gz under DIR/PREFIX "
                               "into raw.* (no dbt build, no notification).")
    _folder_arguments(land)

    transform = commands.add_parser(
        "transform", parents=[common], help="dbt build against the local warehouse",
        description="`dbt build` with the generated local profile; "
        "dbt's own arguments go after `--`, e.g. `airline-elt transform -- --select marts`.",
    )
    transform.add_argument("--airports", type=Path, metavar="FILE",
                           help="your airports CSV (airport_id,city,state,name) replaces the "
                                "bundled seed for this warehouse")
    transform.add_argument("--carriers", type=Path, metavar="FILE", help=CARRIERS_HELP)
    transform.add_argument("--force", action="store_true", help=FORCE_HELP)

    run = commands.add_parser(
        "run", parents=[common, limits], help="land, dbt build, summarize and notify",
        description="The whole pipeline on a landing folder: take the run lock, land the new "
        "files, build the models with dbt, summarize, notify, release the lock (the steps of "
        "the AWS state machine). dbt arguments go after `--`.",
    )
    _folder_arguments(run)
    run.add_argument("--json", action="store_true",
                     help="print a machine-readable summary on stdout (progress goes to stderr)")
    run.add_argument("--airports", type=Path, metavar="FILE",
                     help="your airports CSV (airport_id,city,state,name) replaces the bundled "
                          "seed for this warehouse")
    run.add_argument("--carriers", type=Path, metavar="FILE", help=CARRIERS_HELP)
    run.add_argument("--force", action="store_true", help=FORCE_HELP)

    watch = commands.add_parser(
        "watch", parents=[common, limits],
        help="run the pipeline whenever new files arrive in DIR",
        description="Poll DIR; new or changed files start a run (files arriving together "
        "make one run). Stop with Ctrl-C.",
    )
    _folder_arguments(watch, "landing folder to watch (plays the S3 bucket root)")
    watch.add_argument("--interval", type=_positive_seconds, default=1.0, metavar="SECONDS",
                       help="how often to look (default 1)")
    watch.add_argument("--settle", type=_seconds, default=3.0, metavar="SECONDS",
                       help="files must be unchanged this long before a run (default 3)")
    watch.add_argument("--once", action="store_true",
                       help="run once for what is pending now, then exit")
    watch.add_argument("--max-runs", type=_positive_int, metavar="N", help="exit after N runs")
    watch.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                       help="stop watching after this long (a run under way finishes)")

    status = commands.add_parser(
        "status", parents=[common],
        help="landed files with their counts and status, newest first",
        description="The last run, and the landed file versions newest first: each key's "
        "version (1, 2, ... as new content arrives), rows read / landed / rejected. "
        "Re-deliveries of the same content are counted on the version they repeat (--all "
        "lists each). A stopped warehouse is not started unless you say so (--start).")
    status.add_argument("--limit", type=_positive_int, default=30, metavar="N",
                        help="show the newest N file versions (default 30)")
    status.add_argument("--all", action="store_true",
                        help="list every duplicate delivery on its own line")
    status.add_argument("--start", action="store_true",
                        help="start the warehouse if it is stopped (else status only says so)")
    status.add_argument("--json", action="store_true", help="machine-readable output")

    redrive = commands.add_parser(
        "redrive", parents=[common],
        help="put given-up files back in line: the next run tries them again",
        description="A file that failed for a passing reason (I/O, Spark, the warehouse) is "
        "tried again on the next runs, up to 3 tries, then given up (its error says so). "
        "Redriving its KEY (as `status` and raw.landed_files name it, e.g. "
        "daily_flights/date=2023-11-15/flights.csv) makes its earlier failures stop counting: "
        "the next `run`/`land` tries it again. A key with no failed version is refused, and "
        "then nothing is changed.")
    redrive.add_argument("keys", nargs="+", metavar="KEY", help="file key(s) to redrive")

    docs = commands.add_parser(
        "docs", parents=[common], help="generate the dbt docs site and serve it on localhost",
        description="`dbt docs generate` against the local warehouse (started if needed), then "
        "serve the site on localhost until Ctrl-C; it needs no internet.")
    docs.add_argument("--host", default="127.0.0.1", help="address to serve on (127.0.0.1)")
    docs.add_argument("--port", type=_port, default=8080, help="port (default 8080; 0: any free)")
    docs.add_argument("--no-serve", action="store_true", help="generate only")

    report = commands.add_parser(
        "report", parents=[common],
        help="write the delay report: one HTML page of charts from the marts",
        description="Write the delay report as one self-contained HTML file: it needs no "
        "network, open it from disk or attach it to an e-mail. Its charts: the daily trend, "
        "carriers by delay rate, the most delay-prone routes, delays by origin state, departure "
        "vs arrival delay and their correlation per carrier, on-time performance by carrier; "
        "from a BTS monthly file also why flights are late (the delay causes by carrier and by "
        "origin airport), delays by scheduled departure hour and cancellations by carrier and "
        "reason; and the last run's counts.",
    )
    report.add_argument("--output", type=Path, metavar="FILE",
                        help="where to write it (default: report.html beside the docs site, "
                             "in $AIRLINE_ELT_HOME/dbt/target/)")

    fetch = commands.add_parser(
        "fetch", parents=[common],
        help="download BTS on-time months (and lookups) into a landing folder",
        description="Download BTS on-time months into DIR/daily_flights/ as "
        "bts_ontime_YYYY_MM.csv.gz (checked: a real zip whose CSV has the BTS header; "
        "written atomically; a month with the same content is not written again, a revised "
        "one replaces it), and with --lookups the BTS lookups L_AIRPORT_ID and "
        "L_UNIQUE_CARRIERS into DIR/lookups/ as BTS ships them. Then `airline-elt run DIR` "
        "lands them. Needs no warehouse. Certificate checks are never turned off.",
        epilog="Exit status: 0 when every month (and lookup) was written, replaced or "
        "unchanged; 1 when any was not found (not published yet: BTS publishes a month six "
        "to eight weeks after it ends) or failed; 2 on a usage error.")
    fetch.add_argument("months", nargs="*", type=_month_argument, metavar="MONTH",
                       help="YYYY-MM, or a range YYYY-MM..YYYY-MM (both included); from 1987-10")
    fetch.add_argument("--landing", type=Path, required=True, metavar="DIR",
                       help="the landing folder (plays the S3 bucket root)")
    fetch.add_argument("--source", default=BTS_PREZIP, metavar="URL",
                       help=f"where the monthly zips are (default {BTS_PREZIP}); a mirror")
    fetch.add_argument("--lookups", action="store_true",
                       help="also download L_AIRPORT_ID and L_UNIQUE_CARRIERS into DIR/lookups/ "
                       "(for --airports / --carriers)")
    fetch.add_argument("--lookup-source", default=BTS_LOOKUP_SOURCE, metavar="URL",
                       help=f"the lookup endpoint (default {BTS_LOOKUP_SOURCE})")
    fetch.add_argument("--ca-bundle", type=Path, metavar="FILE",
                       help="a PEM file of extra CA certificates to trust besides the shipped "
                       "ones (a proxy's or a mirror's); checks are never turned off")
    fetch.add_argument("--json", action="store_true",
                       help="print a machine-readable summary on stdout (progress goes to stderr)")

    dbt = commands.add_parser(
        "dbt", parents=[common], help="any dbt command against the local warehouse",
        description="e.g. `airline-elt dbt test --select daily_flights_fact`",
    )
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, metavar="ARGS",
                     help="dbt command and arguments")
    return parser


FOLDER_COMMANDS = ("land", "run", "watch")


def _folder_arguments(
    parser: argparse.ArgumentParser, help: str = "landing folder (plays the S3 bucket root)"
) -> None:
    """The landing folder, as `run`, `land` and `watch` all take it: positional DIR, with
    `--landing DIR` kept as an alias (check_folder makes one of them required)."""
    parser.add_argument("directory", nargs="?", type=Path, metavar="DIR", help=help)
    parser.add_argument("--landing", type=Path, metavar="DIR",
                        help="the same as DIR (the older spelling)")


def command_parser(parser: argparse.ArgumentParser, args: argparse.Namespace
                   ) -> argparse.ArgumentParser:
    """The parser of the command given (`warehouse url`'s, not `warehouse`'s), so that a usage
    error shows the usage line of the command the user typed."""
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    command = commands.choices[args.command]
    actions = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
    if actions and getattr(args, "action", None) in actions[0].choices:
        return actions[0].choices[args.action]
    return command


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Our arguments; an unknown one is reported with its command's usage line (exit 2)."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command_parser(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def check_folder(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """One landing folder for the commands that take one, as `args.directory`."""
    if args.command not in FOLDER_COMMANDS:
        return
    command = command_parser(parser, args)
    given, alias = args.directory, args.landing
    if given is not None and alias is not None and given != alias:
        command.error(f"two landing folders given ({given} and --landing {alias}): give one")
    if given is None and alias is None:
        command.error(f"give the landing folder: airline-elt {args.command} DIR")
    args.directory = given if given is not None else alias


def _ratio(text: str) -> float:
    from airline_landing.thresholds import LimitError, parse_ratio

    try:
        return parse_ratio(text)
    except LimitError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _rows(text: str) -> int:
    from airline_landing.thresholds import LimitError, parse_rows

    try:
        return parse_rows(text)
    except LimitError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _limits(args: argparse.Namespace) -> RejectLimits:
    """The reject limits: flags first (the commands that land have them), then the
    environment, then the defaults. Resolved here once; nothing below reads the environment."""
    from airline_landing.thresholds import LimitError, limits_from

    try:
        return limits_from(
            getattr(args, "max_reject_ratio", None), getattr(args, "max_reject_rows", None)
        )
    except LimitError as error:
        raise AirlineEltError(str(error), "see `airline-elt run --help`") from error


def _bounds() -> BatchBounds:
    """How many files and rows one landing batch may hold (airline_landing.bounds):
    $AIRLINE_ELT_BATCH_FILES and $AIRLINE_ELT_BATCH_ROWS, else the defaults."""
    from airline_landing.bounds import BoundsError, bounds_from

    try:
        return bounds_from()
    except BoundsError as error:
        raise AirlineEltError(str(error), "unset it, or give a whole number from 1") from error


def _plausible() -> Plausibility:
    """The plausibility window and delay bounds (airline_landing.plausibility):
    $AIRLINE_ELT_FIRST_FLIGHT_DATE, $AIRLINE_ELT_FUTURE_DAYS, $AIRLINE_ELT_MIN_DELAY and
    $AIRLINE_ELT_MAX_DELAY, else the defaults."""
    from airline_landing.plausibility import PlausibilityError, plausibility_from

    try:
        return plausibility_from()
    except PlausibilityError as error:
        raise AirlineEltError(str(error), "unset it, or fix its value") from error


def _prefix(text: str) -> str:
    """The landing prefix, normalised ('daily_flights' -> 'daily_flights/'); one that climbs
    out of the landing folder is a usage error."""
    from airline_landing.scan import PrefixError, normalise_prefix

    try:
        return normalise_prefix(text)
    except PrefixError as error:
        raise argparse.ArgumentTypeError(
            f"{error}: give a folder inside DIR, e.g. daily_flights/") from error


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text} is less than 1: give 1 or more")
    return number


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} seconds: give 0 or more")
    return seconds


def _positive_seconds(text: str) -> float:
    seconds = _seconds(text)
    if seconds == 0:
        raise argparse.ArgumentTypeError("0 seconds: give more than 0")
    return seconds


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port: give 0 to 65535 (0: any free)")
    return port


def _dbt_command(args: argparse.Namespace, dbt_args: list[str]) -> list[str]:
    """`airline-elt dbt ARGS`: dbt's command and arguments, wherever they were given."""
    given = [*args.dbt_args, *dbt_args]
    return given[1:] if given[:1] == ["--"] else given


def usage_problem(args: argparse.Namespace, dbt_args: list[str]) -> str | None:
    """What a command needs that argparse cannot require by itself, before anything starts."""
    if args.command == "dbt" and not _dbt_command(args, dbt_args):
        return "give a dbt command, e.g. `airline-elt dbt test`"
    if args.command == "fetch" and not args.months and not args.lookups:
        return "give the months to fetch (e.g. 2023-01..2023-12) or --lookups"
    return None


def print_usage_error(parser: argparse.ArgumentParser, args: argparse.Namespace,
                      problem: str) -> None:
    """A usage error in two lines: what is missing, and the command's usage on one line."""
    usage = " ".join(command_parser(parser, args).format_usage().split())
    print(f"error: {problem}", file=sys.stderr)
    print(f"  {usage} (see `airline-elt {args.command} --help`)", file=sys.stderr)


def split_passthrough(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Our arguments, and dbt's (everything after the first `--`)."""
    argv = list(argv)
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1 :]
    return argv, []


# -- commands -------------------------------------------------------------------


class Context:
    def __init__(self, args: argparse.Namespace, dbt_args: list[str]) -> None:
        self.args = args
        self.dbt_args = dbt_args
        self.verbose: bool = getattr(args, "verbose", False)
        self.json: bool = getattr(args, "json", False)
        self.console = make_console(to_stderr=self.json)
        self.ui = ConsoleUI(self.console, verbose=self.verbose)
        self.home = state_home()

    def warehouse(self) -> Warehouse:
        return Warehouse(self.home)


def cmd_warehouse(ctx: Context) -> int:
    warehouse = ctx.warehouse()
    action = ctx.args.action
    if action == "start":
        connection = warehouse.start()
        ctx.console.print(
            f"warehouse running on {connection.host}:{connection.port}, database "
            f"{connection.dbname} (data: {warehouse.status().get('data_dir')})"
        )
        ctx.console.print('connect: psql "$(airline-elt warehouse url)"')
    elif action == "stop":
        stopped = warehouse.stop()
        ctx.console.print("warehouse stopped (the data stays)" if stopped
                          else "warehouse was not running")
    elif action == "status":
        state = warehouse.status()
        if not state["exists"]:
            ctx.console.print(f"no warehouse yet in {state['folder']}: "
                              "`airline-elt warehouse start` creates one")
        else:
            ctx.console.print(
                f"warehouse {'running' if state['running'] else 'stopped'}: "
                f"127.0.0.1:{state['port']}, data {state['data_dir']}, log {state['log']}"
            )
    elif action == "url":
        user = WAREHOUSE_USERS[ctx.args.user] if ctx.args.user else None
        print(warehouse.connection(user).url())
        if not warehouse.is_running():
            print("warning: the warehouse is stopped: `airline-elt warehouse start`",
                  file=sys.stderr)
    elif action == "env":
        connection = warehouse.connection(DBT)  # your dbt builds what the pipeline's dbt owns
        env = dbt_environment(connection, ctx.home)
        names = [*connection.dbt_env(), "DBT_TARGET", "DBT_PROFILES_DIR", "DBT_TARGET_PATH",
                 "DBT_LOG_PATH", "AIRLINE_ELT_SEED_DIR"]
        for name in names:
            if name in env:
                print(f"export {name}={shlex.quote(env[name])}")
    return EXIT_OK


def _landing_dir(path: Path) -> Path:
    if not path.is_dir():
        raise AirlineEltError(
            f"landing folder not found: {path}",
            "give a folder holding daily_flights/... CSV files, e.g. sample_data/landing",
        )
    return path.resolve()


def _validate_airports(path: Path | None, ui: ConsoleUI) -> Path | None:
    if path is None:
        return None
    read_airports(path)  # fails fast, before anything starts, on a bad file
    _say_encoding(path, ui)
    return path.resolve()


def _validate_carriers(path: Path | None, ui: ConsoleUI) -> Path | None:
    if path is None:
        return None
    read_carriers(path)  # fails fast, before anything starts, on a bad file
    _say_encoding(path, ui)
    return path.resolve()


def _say_encoding(path: Path, ui: ConsoleUI) -> None:
    """A list that is not UTF-8 is read as Windows-1252 (as BTS ships L_AIRPORT_ID.csv):
    say so, since a wrong guess would show in names."""
    if list_encoding(path) == WINDOWS_1252:
        ui.info(f"{path} is not UTF-8: read as Windows-1252 (as BTS ships its lookups)")


def cmd_land(ctx: Context) -> int:
    landing_dir = _landing_dir(ctx.args.directory)
    prefix = ctx.args.prefix
    run = Run(ctx.home, ctx.ui, limits=_limits(ctx.args), bounds=_bounds(),
              plausible=_plausible())
    with run.start_spark(landing_dir, prefix) as spark, run.locked():
        summary = run.land(landing_dir, prefix, spark)
    for item in summary.files:
        if ctx.verbose or item.status != FileStatus.DUPLICATE:
            ctx.console.print(
                f"  {item.key}: {item.status}, {item.rows_read} read, "
                f"{item.rows_landed} landed, {item.rows_rejected} rejected"
            )
    ctx.console.print("next: `airline-elt transform` builds the models from what landed")
    return EXIT_OK


def cmd_transform(ctx: Context) -> int:
    airports = _validate_airports(ctx.args.airports, ctx.ui)
    carriers = _validate_carriers(ctx.args.carriers, ctx.ui)
    run = Run(ctx.home, ctx.ui, limits=_limits(ctx.args))
    with run.locked():
        staged = run.stage_lists(airports, carriers, ctx.args.force)
        try:
            run.transform(ctx.dbt_args, staged)
        finally:
            if staged is not None:
                discard(staged)  # a no-op once swapped in
    return EXIT_OK


def cmd_run(ctx: Context) -> int:
    landing_dir = _landing_dir(ctx.args.directory)
    airports = _validate_airports(ctx.args.airports, ctx.ui)
    carriers = _validate_carriers(ctx.args.carriers, ctx.ui)
    outcome = Run(ctx.home, ctx.ui, limits=_limits(ctx.args), bounds=_bounds(),
                  plausible=_plausible()).run(
        landing_dir, trigger="manual", dbt_args=ctx.dbt_args, airports=airports,
        prefix=ctx.args.prefix, carriers=carriers, force=ctx.args.force,
    )
    _report(ctx, outcome)
    return EXIT_OK


def _report(ctx: Context, outcome: RunOutcome) -> None:
    render_run_summary(ctx.console, outcome)
    if ctx.json:
        print(json.dumps(json_summary(outcome), indent=2))


def json_summary(outcome: RunOutcome) -> dict[str, Any]:
    """The notification payload, plus what the console summary shows."""
    summary = dict(outcome.payload)
    if outcome.dbt is not None:
        summary["dbt"] = {name.lower(): count for name, count in outcome.dbt.counts.items()}
        summary["dbt"]["log"] = str(outcome.dbt.log_file)
    summary["top_delayed_carriers"] = [vars(rank) for rank in outcome.top_carriers]
    summary["top_delayed_routes"] = [vars(rank) for rank in outcome.top_routes]
    summary["warnings"] = outcome.warnings
    summary["skipped_entries"] = [
        {"key": key, "reason": why}
        for key, why in (outcome.landing.skipped if outcome.landing else {}).items()
    ]
    summary["warning_notification"] = outcome.warning_payload
    return summary


def cmd_watch(ctx: Context) -> int:
    args = ctx.args
    landing_dir = _landing_dir(args.directory)
    limits = _limits(args)
    prefix = args.prefix
    bounds = _bounds()
    plausible = _plausible()
    warehouse = ctx.warehouse()
    warehouse.start()
    watcher = Watcher(landing_dir, warehouse, settle_seconds=args.settle,
                      interval_seconds=args.interval, prefix=prefix,
                      on_skipped=lambda key, why: ctx.console.print(f"{key}: {why}"))
    started = time.monotonic()
    deadline = started + args.timeout if args.timeout is not None else None
    max_runs = 1 if args.once else args.max_runs
    runs = failures = 0
    ctx.console.print(f"watching {landing_dir / prefix} for new *.csv and *.csv.gz files "
                      "(Ctrl-C stops)")
    while max_runs is None or runs < max_runs:
        try:
            batch = watcher.wait_for_batch(time.monotonic() if args.once else deadline)
        except KeyboardInterrupt:
            batch = None  # Ctrl-C (or SIGTERM) while waiting: a clean stop
        if batch is None:
            break
        run_id = new_run_id()
        ctx.console.print(f"{plural(len(batch), 'new file')}: {', '.join(sorted(batch))}")
        staging = ctx.home / "watch" / run_id
        watcher.stage(batch, staging)
        try:
            outcome = Run(ctx.home, ctx.ui, run_id, limits=limits, bounds=bounds,
                          plausible=plausible).run(
                staging, trigger="watch", prefix=prefix
            )
            render_run_summary(ctx.console, outcome)
        except StepFailed as failure:
            failures += 1
            _print_error(failure, ctx.verbose)
            ctx.console.print(
                "  these files are not tried again until they change; once the cause is "
                f"fixed: airline-elt run {shlex.quote(str(landing_dir))}"
            )
        finally:
            watcher.finish(batch, staging)
        runs += 1
        if deadline is not None and time.monotonic() >= deadline:
            break
    ctx.console.print(f"stopped watching after {plural(runs, 'run')}, {failures:,} failed")
    return EXIT_FAILED if failures else EXIT_OK


def cmd_status(ctx: Context) -> int:
    args = ctx.args
    warehouse = ctx.warehouse()
    if not warehouse.exists():
        ctx.console.print(f"no warehouse yet in {warehouse.folder}: `make run` "
                          "(or `airline-elt run DIR`) creates and fills one")
        return EXIT_OK
    notifications = Outbox(ctx.home).read()
    last = notifications[-1] if notifications else None
    if not warehouse.is_running() and not args.start:
        asked = _can_ask(ctx)
        if not (asked and _agrees_to_start(ctx)):
            return _status_of_stopped(ctx, warehouse, last, asked)
    connection = warehouse.start_as(DBT)
    with _read_only(connection) as conn:
        files = queries.landed_files(conn, args.limit, include_duplicates=args.all)
        counts = queries.landed_file_counts(conn)
    if ctx.json:
        print(json.dumps({
            "warehouse": warehouse.status(),
            "file_versions_by_status": counts,
            "landed_files": [
                {**vars(item), "landed_at": item.landed_at.isoformat()} for item in files
            ],
            "last_run": last,
            "last_build": _build_json(ctx.home),
        }, indent=2, default=str))
        return EXIT_OK
    ctx.console.print(f"warehouse running on 127.0.0.1:{connection.port} "
                      f"(state folder {ctx.home})")
    _print_last_run(ctx, last)
    render_landed_files(ctx.console, files, counts, show_runs=ctx.verbose,
                        show_duplicates=args.all)
    return EXIT_OK


def cmd_redrive(ctx: Context) -> int:
    connection = ctx.warehouse().start_as(LANDING)  # raw is the landing user's
    with psycopg.connect(connection.url(), autocommit=True) as conn:
        create_raw_tables(conn)
    with psycopg.connect(connection.url()) as conn, conn.cursor() as cursor:
        try:
            keys = redrive(cursor, ctx.args.keys, by=getpass.getuser(), now=utc_now())
        except UnknownKeyError as error:
            raise AirlineEltError(
                str(error), "`airline-elt status --all` lists the keys landing recorded"
            ) from error
    for key in keys:
        ctx.console.print(f"  {key}: redriven, tried again on the next run")
    return EXIT_OK


def _read_only(connection: Connection) -> psycopg.Connection:
    """An autocommit connection whose transactions may only read. `status` and `report` read
    raw.landed_files (and the marts): the dbt user reads both, the reader no raw table, so they
    connect as the dbt user (as the report and the summary do on AWS), in read-only mode."""
    return psycopg.connect(connection.url(), autocommit=True,
                           options="-c default_transaction_read_only=on")


def _can_ask(ctx: Context) -> bool:
    """Whether a person is there to answer a question (a terminal, not --json)."""
    return not ctx.json and sys.stdin.isatty() and ctx.console.is_terminal


def _agrees_to_start(ctx: Context) -> bool:
    """Ask whether to start the stopped warehouse; no answer is a no."""
    try:
        answer = input(f"The warehouse in {ctx.home} is stopped. "
                       "Start it and list the landed files? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _status_of_stopped(ctx: Context, warehouse: Warehouse, last: dict[str, Any] | None,
                       asked: bool = False) -> int:
    """What status can say without starting the warehouse: that it is stopped, the last run."""
    if ctx.json:
        print(json.dumps({"warehouse": warehouse.status(), "file_versions_by_status": None,
                          "landed_files": None, "last_run": last,
                          "last_build": _build_json(ctx.home)}, indent=2, default=str))
        return EXIT_OK
    if asked:
        ctx.console.print("left stopped: `airline-elt status --start` starts it and lists the "
                          "landed files")
    else:
        ctx.console.print(f"the warehouse is stopped (state folder {ctx.home}); the landed "
                          "files are in it: `airline-elt status --start` starts it and lists "
                          "them")
    _print_last_run(ctx, last)
    return EXIT_OK


def _build_json(home: Path) -> dict[str, Any] | None:
    record = last_build(home)
    return None if record is None else {"status": record.status, **asdict(record)}


def _print_last_run(ctx: Context, last: dict[str, Any] | None) -> None:
    record = last_build(ctx.home)
    if record is not None:
        ctx.console.print(record.line(), style=None if record.succeeded else "bold red",
                          markup=False, highlight=False)
    if last is None:
        return
    where = (f": could not {step_label(last['step'])}: {last['error']}"
             if last["status"] == "FAILED" else "")
    ctx.console.print(f"last run: {last['run_id']} {last['status']}{where} "
                      f"(finished {last['finished_at']}, trigger {last['trigger']})")


def cmd_docs(ctx: Context) -> int:
    args = ctx.args
    connection = ctx.warehouse().start_as(DBT)
    ctx.ui.step_started("dbt docs generate")
    started = time.monotonic()
    outcome = dbt_build(connection, ctx.home, ctx.home / "logs" / "dbt-docs.log",
                        ["generate", *ctx.dbt_args], stream=ctx.ui.dbt_stream(),
                        command="docs")
    site = docs_site_dir(ctx.home)
    missing = missing_site_files(site)
    if outcome.returncode != 0 or missing:
        raise AirlineEltError(
            f"dbt docs generate failed: {outcome.headline()}".rstrip(": "),
            f"dbt's output: {outcome.log_file}; build the models first: `make run`",
        )
    ctx.ui.step_finished("dbt docs generate", time.monotonic() - started, f"site in {site}")
    report = report_path(ctx.home)
    if args.no_serve:
        ctx.console.print(_report_line(report, report.as_uri()))
        return EXIT_OK
    try:
        server = make_server(site, args.host, args.port)
    except OSError as error:
        raise AirlineEltError(
            f"cannot serve on {args.host}:{args.port}: {error.strerror or error}",
            "choose another port, e.g. `airline-elt docs --port 8081`",
        ) from error
    host, port = server.server_address[:2]
    ctx.console.print(f"serving the docs site on http://{host}:{port}/ (Ctrl-C stops)")
    ctx.console.print(_report_line(report, f"http://{host}:{port}/{report.name}"))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        ctx.console.print("stopped serving the docs site")
    finally:
        server.server_close()
    return EXIT_OK


def _report_line(report: Path, url: str) -> str:
    if report.is_file():
        return f"the delay report: {url} (file {report}; `airline-elt report` refreshes it)"
    return f"no delay report yet: `airline-elt report` writes it to {report}"


def cmd_report(ctx: Context) -> int:
    from airline_elt.report import write_report
    from airline_elt.report_data import ReportDataError, load_report_data

    output = (ctx.args.output or report_path(ctx.home)).expanduser().resolve()
    warehouse = ctx.warehouse()
    if not warehouse.exists():
        raise AirlineEltError(f"no warehouse yet in {warehouse.folder}",
                              "`make run` (or `airline-elt run --landing DIR`) fills one first")
    if not warehouse.is_running():
        ctx.console.print("starting the warehouse to read the marts "
                          "(`airline-elt warehouse stop` stops it again)")
    connection = warehouse.start_as(DBT)
    with _read_only(connection) as conn:
        try:
            data = load_report_data(conn, project_dir=project_dir())
        except ReportDataError as error:
            raise AirlineEltError(str(error), "build them first: `make run` or "
                                  "`airline-elt transform`") from error
    try:
        write_report(data, output, last_build=last_build(ctx.home))
    except OSError as error:
        raise AirlineEltError(f"cannot write the report to {output}: "
                              f"{error.strerror or error}", "give another --output FILE") from error
    ctx.console.print(f"delay report written: {output}")
    ctx.console.print(f"open it in a browser: {output.as_uri()}")
    return EXIT_OK


def _month_argument(text: str) -> str:
    from airline_fetch.months import MonthError, parse_months

    try:
        parse_months([text])
    except MonthError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return text


def cmd_fetch(ctx: Context) -> int:
    """Download months (and lookups) into a landing folder; no warehouse is started."""
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

    args = ctx.args
    if args.ca_bundle is not None and not args.ca_bundle.is_file():
        raise AirlineEltError(f"CA bundle not found: {args.ca_bundle}")
    landing = args.landing.expanduser()
    landing.mkdir(parents=True, exist_ok=True)
    store = LocalStore(landing.resolve())
    settings = HttpSettings(ca_bundle=args.ca_bundle)
    result = None
    if args.months:
        months = parse_months(args.months)
        ctx.console.print(f"fetching {plural(len(months), 'month')} from {args.source} into "
                          f"{store.describe()}")
        result = fetch_months(
            months, store, source=args.source, settings=settings, workdir=store.work_dir,
            progress_factory=lambda month: DownloadDisplay(ctx.console, str(month)),
            on_outcome=lambda outcome: ctx.console.print(month_line(outcome)))
    lookups = []
    if args.lookups:
        lookups = fetch_lookups(
            store.landing_dir, source=args.lookup_source, settings=settings,
            progress_factory=lambda name: DownloadDisplay(ctx.console, name),
            on_outcome=lambda outcome: ctx.console.print(lookup_line(outcome)))
    ctx.console.print(summary_line(result, lookups))
    report = json_report(str(store.landing_dir), result, lookups)
    if result is not None and (result.count(Status.WRITTEN) or result.count(Status.REPLACED)):
        ctx.console.print(f"next: airline-elt run {shlex.quote(str(landing))}")
    if lookups and all(outcome.succeeded for outcome in lookups):
        folder = shlex.quote(str(landing / "lookups"))
        ctx.console.print(f"use the lookups: airline-elt run {shlex.quote(str(landing))} "
                          f"--airports {folder}/L_AIRPORT_ID.csv "
                          f"--carriers {folder}/L_UNIQUE_CARRIERS.csv")
    if ctx.json:
        print(json.dumps(report, indent=2))
    return EXIT_OK if report["succeeded"] else EXIT_FAILED


def cmd_dbt(ctx: Context) -> int:
    args = _dbt_command(ctx.args, ctx.dbt_args)
    connection = ctx.warehouse().start_as(DBT)
    forget_build_inputs(ctx.home)
    return run_dbt(args, connection, home=ctx.home).returncode


COMMANDS = {
    "warehouse": cmd_warehouse,
    "land": cmd_land,
    "transform": cmd_transform,
    "run": cmd_run,
    "watch": cmd_watch,
    "status": cmd_status,
    "redrive": cmd_redrive,
    "docs": cmd_docs,
    "report": cmd_report,
    "fetch": cmd_fetch,
    "dbt": cmd_dbt,
}


# -- entry point ----------------------------------------------------------------


def _print_error(error: BaseException, verbose: bool) -> None:
    if verbose:
        traceback.print_exception(error, file=sys.stderr)
    if isinstance(error, AirlineEltError):
        print(f"error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"  {error.hint}", file=sys.stderr)
    elif isinstance(error, WarehouseError):
        lines = str(error).strip().splitlines() or ["(no details)"]
        print(f"error: the local warehouse: {lines[0]}", file=sys.stderr)
        if not verbose:
            print("  run with --verbose for the details; `airline-elt warehouse status` names "
                  "its log", file=sys.stderr)
    else:
        first = (str(error).strip().splitlines() or [""])[0]
        print(f"error: {type(error).__name__}: {first}", file=sys.stderr)
        if not verbose:
            print("  run again with --verbose for the traceback", file=sys.stderr)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    own_args, dbt_args = split_passthrough(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parse_arguments(parser, own_args)
    check_folder(parser, args)
    problem = usage_problem(args, dbt_args)
    if problem is not None:
        print_usage_error(parser, args, problem)
        return EXIT_USAGE
    signal.signal(signal.SIGTERM, _terminate)
    verbose = getattr(args, "verbose", False)
    try:
        ctx = Context(args, dbt_args)
        return COMMANDS[args.command](ctx)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except StepFailed as failure:
        _print_error(failure, verbose)
        if getattr(args, "json", False) and failure.payload is not None:
            print(json.dumps(failure.payload, indent=2))
        return EXIT_FAILED
    except (AirlineEltError, WarehouseError, psycopg.Error, OSError) as error:
        _print_error(error, verbose)
        return EXIT_FAILED
    except Exception as error:
        _print_error(error, verbose)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
