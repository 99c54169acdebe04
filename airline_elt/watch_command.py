"""`airline-elt watch DIR`: a run for each batch of new files the poller (watch.py) finds,
until stopped."""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from airline_elt.dbt import KeptDbt
from airline_elt.pipeline import Run, StepFailed, new_run_id
from airline_elt.run_settings import LandingSettings
from airline_elt.spark import KeptSpark
from airline_elt.ui import ConsoleUI, print_error, render_run_summary
from airline_elt.warehouse import Warehouse
from airline_elt.watch import FileState, Watcher
from airline_elt.wording import plural
from airline_landing.scan import DEFAULT_PREFIX


@dataclass(frozen=True)
class WatchSettings:
    """How `airline-elt watch` polls, and when it stops."""

    prefix: str = DEFAULT_PREFIX
    settle_seconds: float = 3.0
    interval_seconds: float = 1.0
    once: bool = False  # one run for what is pending now
    max_runs: int | None = None
    timeout_seconds: float | None = None


@dataclass(frozen=True)
class WatchResult:
    runs: int
    failures: int


@dataclass(frozen=True)
class KeptProcesses:
    """What a watch keeps started for all its runs."""

    spark: KeptSpark
    dbt: KeptDbt


def watch_folder(landing_dir: Path, home: Path, ui: ConsoleUI, landing: LandingSettings,
                 settings: WatchSettings, verbose: bool = False) -> WatchResult:
    """Start a run for each batch of new files until stopped (Ctrl-C, --once, --max-runs,
    --timeout); a failed run is reported and the watch goes on. Spark's session and a dbt
    process are started once, in the background, and kept for every run (KeptSpark,
    KeptDbt): a run after the first pays neither the JVM's start nor a new session, and no
    build imports dbt again (with --once they start only if there are files)."""
    warehouse = Warehouse(home)
    warehouse.start()
    logs = home / "logs" / f"watch-{new_run_id()}"
    spark = KeptSpark(logs / "spark.log")
    dbt = KeptDbt(logs / "dbt-process.log")
    if not settings.once:
        spark.start()
        dbt.start()
    try:
        return _watch(landing_dir, home, ui, landing, settings, verbose, warehouse,
                      KeptProcesses(spark, dbt))
    finally:
        dbt.close()
        spark.close()


def _watch(landing_dir: Path, home: Path, ui: ConsoleUI, landing: LandingSettings,
           settings: WatchSettings, verbose: bool, warehouse: Warehouse,
           kept: KeptProcesses) -> WatchResult:
    console = ui.console
    watcher = Watcher(landing_dir, warehouse, settle_seconds=settings.settle_seconds,
                      interval_seconds=settings.interval_seconds, prefix=settings.prefix,
                      on_skipped=lambda key, why: console.print(f"{key}: {why}"))
    deadline = (time.monotonic() + settings.timeout_seconds
                if settings.timeout_seconds is not None else None)
    max_runs = 1 if settings.once else settings.max_runs
    runs = failures = 0
    console.print(f"watching {landing_dir / settings.prefix} for new *.csv and *.csv.gz files "
                  "(Ctrl-C stops)")
    while max_runs is None or runs < max_runs:
        try:
            batch = watcher.wait_for_batch(time.monotonic() if settings.once else deadline)
        except KeyboardInterrupt:
            batch = None  # Ctrl-C (or SIGTERM) while waiting: a clean stop
        if batch is None:
            break
        if not _run_batch(watcher, batch, landing_dir, home, ui, landing, settings.prefix,
                          verbose, kept):
            failures += 1
        runs += 1
        if deadline is not None and time.monotonic() >= deadline:
            break
    console.print(f"stopped watching after {plural(runs, 'run')}, {failures:,} failed")
    return WatchResult(runs, failures)


def _run_batch(watcher: Watcher, batch: dict[str, FileState], landing_dir: Path, home: Path,
               ui: ConsoleUI, landing: LandingSettings, prefix: str, verbose: bool,
               kept: KeptProcesses) -> bool:
    """One run of a batch, staged in a folder of its own; whether it succeeded."""
    run_id = new_run_id()
    ui.console.print(f"{plural(len(batch), 'new file')}: {', '.join(sorted(batch))}")
    staging = home / "watch" / run_id
    watcher.stage(batch, staging)
    try:
        outcome = Run(home, ui, run_id, limits=landing.limits, bounds=landing.bounds,
                      plausible=landing.plausible, spark=kept.spark, dbt=kept.dbt).run(
            staging, trigger="watch", prefix=prefix)
        render_run_summary(ui.console, outcome)
        return True
    except StepFailed as failure:
        print_error(failure, verbose)
        ui.console.print(
            "  these files are not tried again until they change; once the cause is "
            f"fixed: airline-elt run {shlex.quote(str(landing_dir))}"
        )
        return False
    finally:
        watcher.finish(batch, staging)
