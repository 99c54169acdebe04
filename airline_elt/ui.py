"""What a person sees: step lines, a progress bar while files land, summary tables."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from airline_elt.errors import AirlineEltError
from airline_elt.lock import LockHolder
from airline_elt.queries import DelayRank, LandedFile
from airline_elt.warehouse import WarehouseError
from airline_elt.wording import plural, step_title
from airline_landing.results import FileResult, FileStatus, RunTotals

if TYPE_CHECKING:
    from airline_elt.pipeline import RunOutcome

NEXT_STEPS = (
    ("airline-elt status", "landed files, newest first, with their row counts"),
    ("airline-elt docs", "the dbt docs site: every model and column described"),
    ('psql "$(airline-elt warehouse url)"', "query airlines.daily_flights_fact and the mv_* marts"),
)


def make_console(to_stderr: bool = False) -> Console:
    stream = sys.stderr if to_stderr else sys.stdout
    # Off a terminal (logs, CI, tests) keep lines long enough not to wrap the tables.
    width = None if stream.isatty() else 160
    return Console(file=stream, width=width, highlight=False, soft_wrap=True)


class ConsoleUI:
    """The console side of a run (see pipeline.RunUI)."""

    def __init__(self, console: Console, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose

    # Steps arrive by their state names (AcquireLock, ...); a person reads what they do.
    def step_started(self, step: str) -> None:
        self.console.print(f"[bold cyan]>[/] {step_title(step)}")

    def step_finished(self, step: str, seconds: float, detail: str = "") -> None:
        suffix = f"  {detail}" if detail else ""
        self.console.print(f"[green]✓[/] {step_title(step)} [dim]({seconds:.1f} s)[/]{suffix}")

    def step_failed(self, step: str, seconds: float) -> None:
        self.console.print(f"[red]✗[/] {step_title(step)} [dim]({seconds:.1f} s)[/] failed")

    def waiting_for_lock(self, holder: LockHolder | None) -> None:
        who = f"run {holder.run_id}" if holder and holder.run_id else "another run"
        if holder and holder.since:
            who += f" (connected since {holder.since[:19]})"
        self.console.print(f"[yellow]…[/] waiting for {who} to finish: runs never overlap")

    @contextlib.contextmanager
    def landing_progress(self, total_files: int) -> Iterator[Callable[[FileResult], None]]:
        progress = Progress(
            TextColumn("  landing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=not self.console.is_terminal,
        )
        task = progress.add_task("", total=max(total_files, 1))

        def on_file(result: FileResult) -> None:
            progress.update(task, advance=1, description=f"{result.key} [{result.status}]")
            if self.verbose:
                self.console.print(
                    f"  {result.key}: {result.status}, {result.rows_read} read, "
                    f"{result.rows_landed} landed, {result.rows_rejected} rejected"
                )

        with progress:
            yield on_file

    def info(self, message: str) -> None:
        self.console.print(f"  {message}")

    def warn(self, message: str) -> None:
        self.console.print(f"[yellow]warning:[/] {message}")

    def notified(self, payload: dict[str, Any], outbox: Path) -> None:
        self.console.print(
            f"  notification {payload['status']} -> {outbox}", style="dim"
        )

    def dbt_stream(self) -> TextIO | None:
        # make_console gives the console sys.stdout or sys.stderr: a TextIO.
        return cast(TextIO, self.console.file) if self.verbose else None


def render_run_summary(console: Console, outcome: RunOutcome) -> None:
    """The table at the end of a run: files, rows, fact rows, top delays, where to look."""
    payload = outcome.payload
    totals = outcome.totals
    by_date = payload["fact_rows_by_date"]
    table = Table(title=f"Run {payload['run_id']}: {payload['status']} "
                        f"in {payload['duration_seconds']:.1f} s",
                  show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, count in totals.as_dict().items():
        table.add_row(name.replace("_", " "), f"{count:,}")
    table.add_row("fact rows (delayed flights)", fact_rows_text(by_date, totals))
    if outcome.dbt is not None:
        table.add_row("dbt build", outcome.dbt.describe())
    console.print(table)
    if not totals.files_landed:
        console.print(no_new_data_line(totals))
    if outcome.top_carriers:
        console.print(_rank_table("Top delayed carriers, by delay rate (all dates)", "carrier",
                                  outcome.top_carriers))
    if outcome.top_routes:
        console.print(_rank_table("Top delayed routes, by delay rate (all dates)", "route",
                                  outcome.top_routes))
    for warning in outcome.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    render_next_steps(console)


def run_json(outcome: RunOutcome) -> dict[str, Any]:
    """`run --json`: the notification payload, plus what the console summary shows."""
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


def render_landed_now(console: Console, files: Sequence[FileResult], verbose: bool) -> None:
    """`land`: a line per file it decided (duplicates only when verbose)."""
    for item in files:
        if verbose or item.status != FileStatus.DUPLICATE:
            console.print(
                f"  {item.key}: {item.status}, {item.rows_read} read, "
                f"{item.rows_landed} landed, {item.rows_rejected} rejected"
            )


def print_error(error: BaseException, verbose: bool) -> None:
    """An error in one or two lines on stderr (the traceback too when verbose)."""
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


def fact_rows_text(by_date: dict[str, int], totals: RunTotals) -> str:
    """The fact rows of the dates a run landed: "1 fact row on 1 date"; "no new data" when the
    run landed no file (which is not an empty fact)."""
    if not totals.files_landed:
        return "no new data"
    return f"{plural(sum(by_date.values()), 'fact row')} on {plural(len(by_date), 'date')}"


def no_new_data_line(totals: RunTotals) -> str:
    """Why a run landed nothing: its files were already landed, failed, or there were none."""
    why = []
    if totals.files_duplicate:
        why.append(f"{plural(totals.files_duplicate, 'file')} already landed (duplicates)")
    if totals.files_failed:
        why.append(f"{plural(totals.files_failed, 'file')} failed")
    reason = "; ".join(why) if why else "no files to land"
    return f"No new data: {reason}. The fact and the marts are as they were."


def render_next_steps(console: Console) -> None:
    console.print("Where to look next:")
    width = max(len(command) for command, _ in NEXT_STEPS)
    for command, what in NEXT_STEPS:
        console.print(f"  [bold]{command:<{width}}[/]  [dim]# {what}[/]", soft_wrap=True)


def _rank_table(title: str, label: str, ranks: Sequence[DelayRank]) -> Table:
    """Ranks in the order the query gives them (highest delay rate first), the rate beside
    the volume it is a rate of."""
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column(label)
    table.add_column("delay rate", justify="right")
    table.add_column("flights", justify="right")
    table.add_column("delayed", justify="right")
    table.add_column("avg delay of delayed", justify="right")
    for position, rank in enumerate(ranks, start=1):
        table.add_row(
            str(position),
            rank.label,
            "-" if rank.delay_rate is None else f"{rank.delay_rate:.1%}",
            f"{rank.flights_operated:,}",
            f"{rank.flights_delayed:,}",
            "-" if rank.avg_delay_of_delayed is None else f"{rank.avg_delay_of_delayed:.0f} min",
        )
    return table


def render_landed_files(console: Console, files: Sequence[LandedFile],
                        counts: dict[str, int], show_runs: bool = False,
                        show_duplicates: bool = False) -> None:
    """Landed file versions, newest first: `version` counts the deliveries of one key with
    new content (1, 2, ...); re-deliveries of the same content are folded into the
    `duplicates` count of the version they repeat, unless `show_duplicates` (--all)."""
    if not files:
        console.print("No files landed yet: `airline-elt run DIR` lands a folder.")
        return
    table = Table(title="Landed files, newest first", title_justify="left")
    # The counts and the status keep their width; on a narrow terminal the key and the time
    # wrap instead of a column vanishing.
    table.add_column("landed at (UTC)", min_width=10)
    table.add_column("file key", overflow="fold", min_width=20)
    table.add_column("version", justify="right", no_wrap=True, min_width=7)
    status_texts = [_status_text(item) for item in files]
    table.add_column("status", no_wrap=True, min_width=max(len(text) for text in status_texts))
    for name in ("read", "landed", "rejected", "duplicates"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    if show_runs:
        table.add_column("run", no_wrap=True)
    for item, status in zip(files, status_texts, strict=True):
        cells = [
            item.landed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            item.file_key,
            str(item.version),
            status,
            f"{item.rows_read:,}",
            f"{item.rows_landed:,}",
            f"{item.rows_rejected:,}",
            "" if item.status == "duplicate" else f"{item.duplicates:,}" if item.duplicates
            else "-",
        ]
        table.add_row(*cells, *([item.run_id or ""] if show_runs else []))
    console.print(table)
    for item in files:
        if item.error_text:
            console.print(f"[red]{item.status}[/] {item.file_key} (version "
                          f"{item.version}): {item.error_text}")
    console.print("Deliveries by status: " + ", ".join(
        f"{status} {count:,}" for status, count in counts.items()))
    duplicates = counts.get("duplicate", 0)
    if duplicates and not show_duplicates:
        console.print(f"{plural(duplicates, 'duplicate delivery', 'duplicate deliveries')} "
                      "(same key, same content) counted in the duplicates column: "
                      "`airline-elt status --all` lists each")


def _status_text(item: LandedFile) -> str:
    return f"duplicate of v{item.version}" if item.status == "duplicate" else item.status
