"""`airline-elt`: the local runner's command line.

Everything runs against the local warehouse of the state folder
($AIRLINE_ELT_HOME, default .airline-elt/ in the checkout). Exit status: 0 on
success (warnings included), 1 on a failure, 2 on a usage error, 130 when
interrupted. Errors are one or two lines; --verbose adds the traceback.

The commands and their options are data (cli_commands.py, cli_options.py); each command here
is a few lines calling the module that does its work.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Sequence

import psycopg

from airline_elt import warehouse_command
from airline_elt.cli_commands import FOLDER_COMMANDS, Parsers, build_parsers
from airline_elt.cli_options import warehouse_user
from airline_elt.dbt import run_dbt
from airline_elt.dbt_step import forget_build_inputs
from airline_elt.delay_report import write_delay_report
from airline_elt.docs import DocsRequest, generate_and_serve
from airline_elt.errors import AirlineEltError
from airline_elt.fetch_command import FetchRequest, fetch
from airline_elt.pipeline import Run, StepFailed
from airline_elt.redrive_command import redrive_keys
from airline_elt.run_settings import (
    LandingSettings,
    checked_airports,
    checked_carriers,
    landing_dir,
    reject_limits,
)
from airline_elt.seeds import discard
from airline_elt.state import state_home
from airline_elt.status import StatusRequest, show_status
from airline_elt.ui import (
    ConsoleUI,
    make_console,
    print_error,
    render_landed_now,
    render_run_summary,
    run_json,
)
from airline_elt.warehouse import Warehouse, WarehouseError
from airline_elt.warehouse_users import DBT
from airline_elt.watch_command import WatchSettings, watch_folder
from airline_landing.scan import scan_folder

__all__ = ["FOLDER_COMMANDS", "build_parser", "main", "split_passthrough"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


# -- argument parsing -----------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    return build_parsers().root


def parse_arguments(parsers: Parsers, argv: list[str]) -> argparse.Namespace:
    """Our arguments; an unknown one is reported with its command's usage line (exit 2)."""
    args, unknown = parsers.root.parse_known_args(argv)
    if unknown:
        parsers.of(args).error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def check_folder(parsers: Parsers, args: argparse.Namespace) -> None:
    """One landing folder for the commands that take one, as `args.directory`."""
    if args.command not in FOLDER_COMMANDS:
        return
    command = parsers.of(args)
    given, alias = args.directory, args.landing
    if given is not None and alias is not None and given != alias:
        command.error(f"two landing folders given ({given} and --landing {alias}): give one")
    if given is None and alias is None:
        command.error(f"give the landing folder: airline-elt {args.command} DIR")
    args.directory = given if given is not None else alias


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


def print_usage_error(parsers: Parsers, args: argparse.Namespace, problem: str) -> None:
    """A usage error in two lines: what is missing, and the command's usage on one line."""
    usage = " ".join(parsers.of(args).format_usage().split())
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

    def landing_settings(self) -> LandingSettings:
        return LandingSettings.resolve(self.args.max_reject_ratio, self.args.max_reject_rows)


def cmd_warehouse(ctx: Context) -> int:
    warehouse, action = ctx.warehouse(), ctx.args.action
    if action == "start":
        warehouse_command.start(ctx.console, warehouse, with_workers=not ctx.args.no_workers)
    elif action == "stop":
        warehouse_command.stop(ctx.console, warehouse)
    elif action == "status":
        warehouse_command.status(ctx.console, warehouse)
    elif action == "url":
        warehouse_command.url(warehouse, warehouse_user(ctx.args.user))
    elif action == "env":
        warehouse_command.env(warehouse)
    return EXIT_OK


def cmd_land(ctx: Context) -> int:
    folder, prefix = landing_dir(ctx.args.directory), ctx.args.prefix
    settings = ctx.landing_settings()
    run = Run(ctx.home, ctx.ui, limits=settings.limits, bounds=settings.bounds,
              plausible=settings.plausible)
    scan = scan_folder(folder, prefix)  # the run's one walk of the folder
    with run.start_spark(scan) as spark, run.locked():
        summary = run.land(scan, spark)
    render_landed_now(ctx.console, summary.files, ctx.verbose)
    ctx.console.print("next: `airline-elt transform` builds the models from what landed")
    return EXIT_OK


def cmd_transform(ctx: Context) -> int:
    airports = checked_airports(ctx.args.airports, ctx.ui)
    carriers = checked_carriers(ctx.args.carriers, ctx.ui)
    run = Run(ctx.home, ctx.ui, limits=reject_limits(None, None))
    with run.locked():
        staged = run.stage_lists(airports, carriers, ctx.args.force)
        try:
            run.transform(ctx.dbt_args, staged)
        finally:
            if staged is not None:
                discard(staged)  # a no-op once swapped in
    return EXIT_OK


def cmd_run(ctx: Context) -> int:
    args = ctx.args
    folder = landing_dir(args.directory)
    airports = checked_airports(args.airports, ctx.ui)
    carriers = checked_carriers(args.carriers, ctx.ui)
    settings = ctx.landing_settings()
    outcome = Run(ctx.home, ctx.ui, limits=settings.limits, bounds=settings.bounds,
                  plausible=settings.plausible).run(
        folder, trigger="manual", dbt_args=ctx.dbt_args, airports=airports,
        prefix=args.prefix, carriers=carriers, force=args.force,
    )
    render_run_summary(ctx.console, outcome)
    if ctx.json:
        print(json.dumps(run_json(outcome), indent=2))
    return EXIT_OK


def cmd_watch(ctx: Context) -> int:
    args = ctx.args
    folder = landing_dir(args.directory)
    watched = watch_folder(folder, ctx.home, ctx.ui, ctx.landing_settings(), WatchSettings(
        prefix=args.prefix, settle_seconds=args.settle, interval_seconds=args.interval,
        once=args.once, max_runs=args.max_runs, timeout_seconds=args.timeout,
    ), verbose=ctx.verbose)
    return EXIT_FAILED if watched.failures else EXIT_OK


def cmd_status(ctx: Context) -> int:
    args = ctx.args
    show_status(ctx.console, ctx.home, StatusRequest(
        limit=args.limit, show_duplicates=args.all, start=args.start, json=ctx.json,
        verbose=ctx.verbose))
    return EXIT_OK


def cmd_redrive(ctx: Context) -> int:
    redrive_keys(ctx.console, ctx.warehouse(), ctx.args.keys)
    return EXIT_OK


def cmd_docs(ctx: Context) -> int:
    args = ctx.args
    generate_and_serve(ctx.ui, ctx.home, DocsRequest(
        host=args.host, port=args.port, serve=not args.no_serve, dbt_args=ctx.dbt_args))
    return EXIT_OK


def cmd_report(ctx: Context) -> int:
    write_delay_report(ctx.console, ctx.home, ctx.args.output)
    return EXIT_OK


def cmd_fetch(ctx: Context) -> int:
    args = ctx.args
    succeeded = fetch(ctx.console, FetchRequest(
        landing=args.landing, months=args.months, source=args.source, lookups=args.lookups,
        lookup_source=args.lookup_source, ca_bundle=args.ca_bundle, json=ctx.json))
    return EXIT_OK if succeeded else EXIT_FAILED


def cmd_dbt(ctx: Context) -> int:
    args = _dbt_command(ctx.args, ctx.dbt_args)
    connection = ctx.warehouse().start_as(DBT)
    forget_build_inputs(ctx.home)
    return run_dbt(args, connection, home=ctx.home).returncode


COMMANDS: dict[str, Callable[[Context], int]] = {
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


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    own_args, dbt_args = split_passthrough(sys.argv[1:] if argv is None else argv)
    parsers = build_parsers()
    args = parse_arguments(parsers, own_args)
    check_folder(parsers, args)
    problem = usage_problem(args, dbt_args)
    if problem is not None:
        print_usage_error(parsers, args, problem)
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
        print_error(failure, verbose)
        if getattr(args, "json", False) and failure.payload is not None:
            print(json.dumps(failure.payload, indent=2))
        return EXIT_FAILED
    except (AirlineEltError, WarehouseError, psycopg.Error, OSError) as error:
        print_error(error, verbose)
        return EXIT_FAILED
    except Exception as error:
        print_error(error, verbose)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
