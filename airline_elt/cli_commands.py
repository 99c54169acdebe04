"""The commands of `airline-elt` as data (name, help, options from cli_options), and the
argparse parser built from them, with each command's own parser kept by name so that a usage
error shows the usage line of the command the user typed."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from airline_elt import cli_options as opt
from airline_elt.cli_options import Option

# `airline-elt report --help`: one string, the report's to word.
REPORT_DESCRIPTION = (
    "Write the delay report as one self-contained HTML file: it needs no network, open it "
    "from disk or attach it to an e-mail. A month range and a carrier filter redraw every "
    "chart in the page; each chart says what it covers (dates, sources, flights) and has its "
    "numbers as a table and a CSV download; groups with fewer flights than the dbt var "
    "min_sample_flights are drawn pale and hatched and never named best or worst. Its charts, "
    "in order: carriers by delay rate and on-time performance; the most delay-prone routes; "
    "delays by origin airport, destination airport and origin state; the daily trend, by "
    "month, weekday and scheduled departure hour; why flights are late (delay causes by "
    "minutes and by flights, per carrier and origin airport) and cancellations by carrier and "
    "reason (causes, hours and cancellation reasons come from BTS monthly files); departure "
    "vs arrival delay and its correlation per carrier; and the last run's counts."
)

# The commands that take a landing folder (DIR, or --landing DIR).
FOLDER_COMMANDS = ("land", "run", "watch")


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    description: str
    options: tuple[Option, ...] = ()
    epilog: str | None = None
    # A command of commands (`warehouse start`, ...): its actions.
    actions: tuple[Command, ...] = ()


def _folder_command(name: str, help: str, description: str, *options: Option,
                    folder_help: str = opt.LANDING_FOLDER_HELP) -> Command:
    return Command(name, help, description,
                   (*opt.LANDING_LIMITS, opt.folder(folder_help), opt.LANDING_ALIAS, *options))


WAREHOUSE = Command(
    "warehouse", "start, stop or inspect the local warehouse",
    "The local PostgreSQL warehouse: a private cluster in the state folder, started on demand.",
    actions=(
        Command("start", "create (first time) and start it",
                "Start the local warehouse; the first time, create it (initdb) in the "
                "state folder. It keeps running until `airline-elt warehouse stop`. With "
                "it, its workers: a Spark JVM warmed up once, and a process that imported "
                "dbt once, which `run` and `land` use instead of starting their own "
                "(--no-workers: none).",
                (opt.NO_WORKERS,)),
        Command("stop", "stop it (the data stays)",
                "Stop the local warehouse and its workers. The data stays; "
                "`airline-elt warehouse start` (or any command that needs it) starts it "
                "again."),
        Command("status", "whether it runs, where, on which port",
                "Whether the local warehouse exists and runs, its port, data folder and "
                "log, and its workers' state. Starts nothing."),
        Command("url", 'print its libpq URL: psql "$(airline-elt warehouse url)"',
                "Print the warehouse's libpq URL, for psql and BI tools: "
                'psql "$(airline-elt warehouse url)". Warns on stderr when it is stopped.',
                (opt.WAREHOUSE_USER,)),
        Command("env",
                'print export lines for your own dbt commands: eval "$(airline-elt warehouse '
                'env)"',
                "Print export lines (DBT_TARGET, DBT_PROFILES_DIR, the connection) so your "
                'own dbt commands use the local warehouse: eval "$(airline-elt warehouse '
                'env)".'),
    ),
)

COMMANDS = (
    WAREHOUSE,
    _folder_command(
        "land", "land the new files of a landing folder (no dbt)",
        "Land every new *.csv or *.csv.gz under DIR/PREFIX into raw.* (no dbt build, no "
        "notification)."),
    Command(
        "transform", "dbt build against the local warehouse",
        "`dbt build` with the generated local profile; dbt's own arguments go after `--`, "
        "e.g. `airline-elt transform -- --select marts`.",
        opt.REFERENCE_LISTS),
    _folder_command(
        "run", "land, dbt build, summarize and notify",
        "The whole pipeline on a landing folder: take the run lock, land the new files, "
        "build the models with dbt, summarize, notify, release the lock (the steps of the AWS "
        "state machine). dbt arguments go after `--`.",
        opt.JSON_SUMMARY, *opt.REFERENCE_LISTS),
    _folder_command(
        "watch", "run the pipeline whenever new files arrive in DIR",
        "Poll DIR; new or changed files start a run (files arriving together make one run). "
        "Stop with Ctrl-C.",
        *opt.WATCH_OPTIONS, folder_help="landing folder to watch (plays the S3 bucket root)"),
    Command(
        "status", "landed files with their counts and status, newest first",
        "The last run, and the landed file versions newest first: each key's version (1, 2, "
        "... as new content arrives), rows read / landed / rejected. Re-deliveries of the same "
        "content are counted on the version they repeat (--all lists each). A stopped "
        "warehouse is not started unless you say so (--start).",
        opt.STATUS_OPTIONS),
    Command(
        "redrive", "put given-up files back in line: the next run tries them again",
        "A file that failed for a passing reason (I/O, Spark, the warehouse) is tried again on "
        "the next runs, up to 3 tries, then given up (its error says so). Redriving its KEY "
        "(as `status` and raw.landed_files name it, e.g. "
        "daily_flights/date=2023-11-15/flights.csv) makes its earlier failures stop counting: "
        "the next `run`/`land` tries it again. A key with no failed version is refused, and "
        "then nothing is changed.",
        (opt.REDRIVE_KEYS,)),
    Command(
        "docs", "generate the dbt docs site and serve it on localhost",
        "`dbt docs generate` against the local warehouse (started if needed), then serve the "
        "site on localhost until Ctrl-C; it needs no internet.",
        opt.DOCS_OPTIONS),
    Command(
        "report", "write the delay report: one HTML page of charts from the marts",
        REPORT_DESCRIPTION, (opt.REPORT_OUTPUT,)),
    Command(
        "fetch", "download BTS on-time months (and lookups) into a landing folder",
        "Download BTS on-time months into DIR/daily_flights/ as bts_ontime_YYYY_MM.csv.gz "
        "(checked: a real zip whose CSV has the BTS header; written atomically; a month with "
        "the same content is not written again, a revised one replaces it), and with "
        "--lookups the BTS lookups L_AIRPORT_ID and L_UNIQUE_CARRIERS into DIR/lookups/ as "
        "BTS ships them. Then `airline-elt run DIR` lands them. Needs no warehouse. "
        "Certificate checks are never turned off.",
        opt.FETCH_OPTIONS,
        epilog="Exit status: 0 when every month (and lookup) was written, replaced or "
        "unchanged; 1 when any was not found (not published yet: BTS publishes a month six "
        "to eight weeks after it ends) or failed; 2 on a usage error."),
    Command(
        "dbt", "any dbt command against the local warehouse",
        "e.g. `airline-elt dbt test --select daily_flights_fact`",
        (opt.DBT_ARGS,)),
)


@dataclass(frozen=True)
class Parsers:
    """The whole parser, and each command's own (`("warehouse", "url")`, `("run",)`)."""

    root: argparse.ArgumentParser
    by_command: dict[tuple[str, ...], argparse.ArgumentParser]

    def of(self, args: argparse.Namespace) -> argparse.ArgumentParser:
        """The parser of the command given (`warehouse url`'s, not `warehouse`'s)."""
        command: str = args.command
        action: str | None = getattr(args, "action", None)
        if action is not None and (command, action) in self.by_command:
            return self.by_command[(command, action)]
        return self.by_command[(command,)]


def build_parsers() -> Parsers:
    root = argparse.ArgumentParser(
        prog="airline-elt",
        description="Run the airline on-time ELT pipeline on this machine: a private "
        "PostgreSQL warehouse, PySpark landing, dbt.",
        epilog="State (warehouse data, logs, notifications) lives in $AIRLINE_ELT_HOME "
        "(default: .airline-elt/ in the checkout). dbt arguments go after `--`.",
    )
    opt.VERBOSE.add_to(root)
    by_command: dict[tuple[str, ...], argparse.ArgumentParser] = {}
    _add_commands(root, COMMANDS, "command", "COMMAND", (), by_command)
    return Parsers(root, by_command)


def _add_commands(parser: argparse.ArgumentParser, commands: tuple[Command, ...], dest: str,
                  metavar: str, path: tuple[str, ...],
                  by_command: dict[tuple[str, ...], argparse.ArgumentParser]) -> None:
    subparsers = parser.add_subparsers(dest=dest, metavar=metavar, required=True)
    for command in commands:
        own = subparsers.add_parser(command.name, help=command.help,
                                    description=command.description, epilog=command.epilog)
        opt.VERBOSE.add_to(own)
        for option in command.options:
            option.add_to(own)
        by_command[(*path, command.name)] = own
        if command.actions:
            _add_commands(own, command.actions, "action", "ACTION", (*path, command.name),
                          by_command)
