"""One local pipeline run: the steps of the Step Functions definition, in the same order.

AcquireLock -> Land -> Transform -> Summarize -> NotifySuccess, and on an error
NotifyFailure (then the run fails); ReleaseLock always. The notification
payloads are the ones SNS carries on AWS (see notify.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, TextIO

import psycopg

from airline_elt import alerts, queries
from airline_elt.build_record import BuildRecord, record_build
from airline_elt.dbt import DbtCommand, ForkedDbt, KeptDbt
from airline_elt.dbt_results import warned_tests, warning_line
from airline_elt.dbt_step import DbtOutcome, dbt_build_unless_nothing_new
from airline_elt.errors import AirlineEltError
from airline_elt.lock import LockHolder, RunLock
from airline_elt.min_sample import min_sample_flights
from airline_elt.notify import Outbox, failure_payload, success_payload, warning_payload
from airline_elt.reference import build_with, losses, max_loss, refuse_if_lossy
from airline_elt.seeds import (
    AIRPORTS_FILE,
    CARRIERS_FILE,
    StagedSeeds,
    discard,
    home_seed_dir,
    stage_lists,
)
from airline_elt.spark import SparkStarter, WorkerSpark, small_run
from airline_elt.state import project_dir
from airline_elt.warehouse import Connection, Warehouse
from airline_elt.warehouse_users import DBT, LANDING
from airline_elt.wording import plural, step_label
from airline_elt.workers import ready_worker
from airline_landing.bounds import BatchBounds
from airline_landing.plausibility import Plausibility
from airline_landing.results import FileResult, FileStatus, LandingReport, RunTotals
from airline_landing.scan import DEFAULT_PREFIX, FolderScan, scan_folder
from airline_landing.thresholds import RejectLimits


class RunUI(Protocol):
    """What a run tells the person watching it (see ui.py for the console one)."""

    def step_started(self, step: str) -> None: ...
    def step_finished(self, step: str, seconds: float, detail: str = "") -> None: ...
    def step_failed(self, step: str, seconds: float) -> None: ...
    def waiting_for_lock(self, holder: LockHolder | None) -> None: ...
    def landing_progress(self, total_files: int) -> contextlib.AbstractContextManager[
        Callable[[FileResult], None]
    ]: ...
    def warn(self, message: str) -> None: ...
    def info(self, message: str) -> None: ...
    def notified(self, payload: dict[str, Any], outbox: Path) -> None: ...
    def dbt_stream(self) -> TextIO | None: ...


class StepFailed(AirlineEltError):
    """A step failed; `step` is its state name (the payload's), the message says what it does."""

    def __init__(self, step: str, error: str, cause: str, hint: str | None = None) -> None:
        super().__init__(f"could not {step_label(step)}: {error}", hint)
        self.step = step
        self.error = error
        self.cause = cause
        self.payload: dict[str, Any] | None = None


# The console names this many skipped entries of a run (--json: all of them).
SHOWN_SKIPPED = 10
# The longest the run's warning line waits to count a warned test's nulls per column.
WARNING_QUERY_SECONDS = 30


@dataclass(frozen=True)
class LandingSummary:
    """What the Land step did, in the notification's terms, derived from the report."""

    report: LandingReport
    # Entries under the prefix that are not deliveries (key -> why), named, never landed.
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def files(self) -> list[FileResult]:
        return self.report.files

    @cached_property
    def totals(self) -> RunTotals:
        return self.report.totals

    @property
    def landed_dates(self) -> list[str]:
        return [day.isoformat() for day in self.report.landed_dates]


@dataclass
class RunOutcome:
    run_id: str
    payload: dict[str, Any]
    landing: LandingSummary | None = None
    dbt: DbtOutcome | None = None
    top_carriers: list[queries.DelayRank] = field(default_factory=list)
    top_routes: list[queries.DelayRank] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warning_payload: dict[str, Any] | None = None

    @property
    def succeeded(self) -> bool:
        return self.payload["status"] == "SUCCEEDED"

    @property
    def totals(self) -> RunTotals:
        """What the Land step counted (nothing when it did not run)."""
        return self.landing.totals if self.landing is not None else RunTotals()


def new_run_id() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"local-{stamp}-{secrets.token_hex(3)}"


class Run:
    """The steps of one run, against the warehouse in `home`."""

    def __init__(
        self,
        home: Path,
        ui: RunUI,
        run_id: str | None = None,
        *,
        limits: RejectLimits,
        bounds: BatchBounds | None = None,
        plausible: Plausibility | None = None,
        spark: SparkStarter | None = None,
        dbt: KeptDbt | None = None,
    ) -> None:
        self.home = home
        self.kept_spark = spark  # a session kept across runs (watch's KeptSpark), or None
        self.kept_dbt = dbt  # a dbt process kept across runs (watch's), or None
        self._dbt: KeptDbt | None = dbt  # the dbt process of this run's build, once started
        self.limits = limits  # resolved at the edge (flags, environment): airline_elt.cli
        self.bounds = bounds  # None: the defaults (airline_landing.bounds)
        self.plausible = plausible  # None: the defaults (airline_landing.plausibility)
        self.ui = ui
        self.run_id = run_id or new_run_id()
        self.log_dir = home / "logs" / self.run_id
        self.waited_for_lock = False  # another run held the lock when this one asked
        self.warehouse = Warehouse(home)
        self._connection: Connection | None = None
        self._landing_connection: Connection | None = None
        self._warning_lines: dict[Path, str] = {}  # by the build's log: worked out once

    @property
    def connection(self) -> Connection:
        """The dbt user's (warehouse_users.py): the lock, Transform, Summarize and the lists'
        check read raw and build or read what dbt owns; never the owner, a superuser."""
        if self._connection is None:
            raise RuntimeError("the warehouse is not started yet")
        return self._connection

    @property
    def landing_connection(self) -> Connection:
        """The landing user's: the Land step writes raw, and nothing else."""
        if self._landing_connection is None:
            raise RuntimeError("the warehouse is not started yet")
        return self._landing_connection

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[dict[str, str]]:
        """Time a step and report it; `detail["text"]` is shown when it finishes."""
        started = dt.datetime.now(dt.UTC)
        self.ui.step_started(name)
        detail: dict[str, str] = {"text": ""}
        try:
            yield detail
        except BaseException:
            self.ui.step_failed(name, (dt.datetime.now(dt.UTC) - started).total_seconds())
            raise
        self.ui.step_finished(name, (dt.datetime.now(dt.UTC) - started).total_seconds(),
                              detail["text"])

    # -- steps ----------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """AcquireLock ... ReleaseLock around the body (the warehouse starts first)."""
        with self.step("AcquireLock") as detail:
            try:
                self.warehouse.start()
                self._connection = self.warehouse.connection(DBT)
                self._landing_connection = self.warehouse.connection(LANDING)
                lock = RunLock(self.connection.url(), self.run_id)
                lock.acquire(on_wait=self._waiting_for_lock)
            except (psycopg.Error, OSError, RuntimeError) as error:
                raise StepFailed(
                    "AcquireLock", "the local warehouse is not available", str(error),
                    "see `airline-elt warehouse status` and the warehouse log it names",
                ) from error
            detail["text"] = f"run {self.run_id}"
        try:
            yield
        finally:
            with self.step("ReleaseLock"):
                lock.release()

    def _waiting_for_lock(self, holder: LockHolder | None) -> None:
        self.waited_for_lock = True
        self.ui.waiting_for_lock(holder)

    def stage_lists(self, airports: Path | None, carriers: Path | None,
                    force: bool = False) -> StagedSeeds | None:
        """Stage the airports/carriers lists given (under the run lock): validated whole,
        compared with the landed flights (refused when they would take too much from
        them, unless `force`). They go in force with the build that uses them
        (transform), or not at all."""
        if airports is None and carriers is None:
            return None
        staged = stage_lists(self.home, airports=airports, carriers=carriers)
        try:
            for line in refuse_if_lossy(losses(self.connection, self.home, staged),
                                        max_loss(), force):
                self.ui.warn(line)
        except BaseException:
            discard(staged)
            raise
        return staged

    def _installed(self, staged: StagedSeeds) -> None:
        for name, what in ((AIRPORTS_FILE, "airports"), (CARRIERS_FILE, "carriers")):
            if name not in staged.given:
                continue
            count = staged.counts[name]
            if name in staged.own:
                self.ui.info(f"{what}: {count} from {staged.given[name]} replace the bundled "
                             f"seed for this warehouse ({home_seed_dir(self.home)})")
            else:
                self.ui.info(f"{what}: back to the bundled seed ({count} {what})")

    def land(self, scan: FolderScan, spark: SparkStarter | None = None) -> LandingSummary:
        """The Land step, for the files `scan` listed (the run's one walk of the landing
        folder, `scan_folder`). `spark`: a session already coming up (else one is started
        here); it is stopped when the step ends. A run that waited for another run's lock
        lists the folder again: that run may have landed, moved or removed files meanwhile."""
        if self.waited_for_lock:
            scan = scan_folder(scan.landing_dir, scan.prefix)
        with self.spark_for_land(spark) as starter, self.step("Land") as detail:
            try:
                from airline_landing.local import land_scanned
            except ImportError as error:
                raise StepFailed(
                    "Land", "the landing package (airline_landing.local) is not importable",
                    str(error), "reinstall the project: `make setup`",
                ) from error
            self._name_skipped(scan.skipped)
            if scan.empty:
                detail["text"] = "no new data (no files to land)"
                self.ui.warn(scan.nothing_to_land())
                return LandingSummary(LandingReport(self.run_id), scan.skipped)
            total = len(scan.keys) + len(scan.refused)
            # Spark's staged parts live here while a file lands; a killed run leaves
            # them behind, and under the run lock nothing else is using them (a job a
            # killed run left in the landing worker is cancelled first).
            self._quiesce(starter)
            stage_root = self.home / "staging"
            shutil.rmtree(stage_root, ignore_errors=True)
            stage_root.mkdir(parents=True, exist_ok=True)  # a killed run's late write
            try:
                with self.ui.landing_progress(total) as on_file:
                    report = land_scanned(
                        starter.session, scan, self.landing_connection.url(), self.run_id,
                        on_file=on_file, limits=self.limits, stage_root=stage_root,
                        bounds=self.bounds, plausible=self.plausible,
                    )
            except Exception as error:
                raise StepFailed(
                    "Land", f"{type(error).__name__}: {_first_line(error)}", str(error),
                    f"Spark's log: {starter.log()}",
                ) from error
            summary = LandingSummary(report, scan.skipped)
            totals = summary.totals
            detail["text"] = landing_detail(totals) + (
                "; Spark in the landing worker" if starter.in_worker else "")
        for line in alerts.console_warnings(summary.files):
            self.ui.warn(line)
        for item in summary.files:
            if item.status == FileStatus.DUPLICATE and item.error:
                self.ui.info(f"{item.key}: {item.error}")
        if not totals.rows_balance:
            self.ui.warn(
                f"rows read ({totals.rows_read}) != landed ({totals.rows_landed}) + "
                f"rejected ({totals.rows_rejected})"
            )
        return summary

    @staticmethod
    def _quiesce(starter: SparkStarter) -> None:
        try:
            starter.quiesce()
        except Exception as error:
            raise StepFailed(
                "Land", "the landing worker's Spark did not answer, or did not stop the jobs a "
                f"killed run left in it: {type(error).__name__}: {_first_line(error)}",
                str(error),
                f"its log: {starter.log()}; `airline-elt warehouse stop` then `start` restarts "
                "it (`start --no-workers`: none, runs start their own JVM)",
            ) from error

    def _name_skipped(self, skipped: dict[str, str]) -> None:
        """One line per entry under the prefix that is not a delivery (the first few; all
        of them are in --json)."""
        for key, why in list(skipped.items())[:SHOWN_SKIPPED]:
            self.ui.info(f"{key}: {why}")
        if len(skipped) > SHOWN_SKIPPED:
            self.ui.info(f"... and {len(skipped) - SHOWN_SKIPPED:,} more entries skipped "
                         "(not *.csv or *.csv.gz, or hidden): `airline-elt run --json` lists "
                         "them all")

    @contextlib.contextmanager
    def spark_for_land(self, spark: SparkStarter | None) -> Iterator[SparkStarter]:
        """The given session coming up (or the kept one), else one started when the first
        batch needs it; stopped at the end (a kept session stays up)."""
        starter = spark or self.kept_spark or SparkStarter(self.log_dir / "spark.log")
        try:
            yield starter
        finally:
            starter.stop()

    def start_spark(self, scan: FolderScan) -> SparkStarter:
        """Spark's JVM, started now in the background when `scan` found files to look at
        (its console output goes to the run's spark.log): it comes up while the lock is
        taken and the files are hashed. Otherwise started only if a batch needs it. A kept
        session (watch) is already up, or coming up. While the warehouse's landing worker
        runs (workers.py), the run attaches to its warm JVM instead."""
        if self.kept_spark is not None:
            return self.kept_spark if scan.empty else self.kept_spark.start()
        small = small_run(scan.landing_dir / key for key in scan.keys)
        worker = ready_worker(self.home, "landing")
        starter = (
            WorkerSpark(worker.port, worker.secret, Path(worker.log), self.log_dir / "spark.log",
                        small=small)
            if worker is not None and worker.port is not None and worker.secret is not None
            else SparkStarter(self.log_dir / "spark.log", small=small)
        )
        return starter if scan.empty else starter.start()

    @contextlib.contextmanager
    def start_dbt(self, scan: FolderScan) -> Iterator[KeptDbt | None]:
        """A dbt process for the build, started now when `scan` found files to look at: dbt
        is imported while the warehouse starts, the lock is taken and the files are hashed,
        and the project can be parsed while they land (KeptDbt.parse_ahead). The watch's
        kept process, else one of this run's own, ended with the body. None when `scan`
        found no files (most such runs build nothing, and one that must build starts a
        `dbt` process then), or when the process cannot be started (the build then starts
        a `dbt` process, and says why if that fails too)."""
        if scan.empty and self.kept_dbt is None:
            yield None
            return
        process = self.kept_dbt or self._own_dbt()
        if not self._started(process):
            yield None
            return
        self._dbt = process
        try:
            yield process
        finally:
            self._dbt = self.kept_dbt
            if process is not self.kept_dbt:
                process.close()

    def _own_dbt(self) -> KeptDbt:
        """The run's own dbt process: forked by the warehouse's dbt worker (dbt imported
        already: workers.py) while one runs, else started."""
        log = self.log_dir / "dbt-process.log"
        worker = ready_worker(self.home, "dbt")
        if worker is not None and worker.socket is not None:
            return ForkedDbt(worker.socket, log)
        return KeptDbt(log)

    def _started(self, process: KeptDbt) -> bool:
        try:
            process.start()
        except OSError as error:
            self.ui.info(f"dbt not started ahead of the build: {error}")
            return False
        return True

    @contextlib.contextmanager
    def dbt_settled(self, process: KeptDbt | None) -> Iterator[None]:
        """Nothing of the run's dbt goes on after the body (entered inside `locked`, it ends
        before the lock is released): the run's own process ends, a parse ahead nobody
        waited for cut short; the watch's kept process finishes its parse ahead."""
        try:
            yield
        finally:
            if process is self.kept_dbt and process is not None:
                process.finish_parse_ahead()
            elif process is not None:
                process.close()

    @property
    def dbt_runner(self) -> DbtCommand | None:
        """How the Transform step runs dbt: the run's dbt process, else a `dbt` process."""
        return self._dbt.run if self._dbt is not None else None

    def transform(self, dbt_args: Sequence[str] = (),
                  staged: StagedSeeds | None = None) -> DbtOutcome:
        """The Transform step; with `staged` lists, they go in force only if it succeeds."""
        with self.step("Transform") as detail:
            log_file = self.log_dir / "dbt.log"
            restored = None
            try:
                if staged is None:
                    outcome = dbt_build_unless_nothing_new(
                        self.connection, self.home, log_file, dbt_args,
                        stream=self.ui.dbt_stream(), runner=self.dbt_runner,
                    )
                else:
                    built = build_with(self.connection, self.home, staged, log_file, dbt_args,
                                       stream=self.ui.dbt_stream(), runner=self.dbt_runner)
                    outcome, restored = built.outcome, built.restored
            except OSError as error:
                raise StepFailed("Transform", "dbt could not be started", str(error),
                                 "reinstall the project: `make setup`") from error
            self._record(outcome, _not_installed(staged, restored))
            if not outcome.succeeded:
                problems = "\n".join(outcome.problems) or f"dbt exited {outcome.returncode}"
                raise StepFailed(
                    "Transform",
                    f"dbt build failed ({outcome.describe()}): {outcome.headline()}".rstrip(": ")
                    + _not_installed(staged, restored),
                    problems,
                    f"dbt's output: {outcome.log_file}",
                )
            detail["text"] = f"dbt build: {outcome.describe()}" + (
                "; dbt forked by the dbt worker"
                if isinstance(self._dbt, ForkedDbt) and self._dbt.forked else "")
        if staged is not None:
            self._installed(staged)
        if outcome.warnings:
            self.ui.warn(self.dbt_warning_line(outcome))
        return outcome

    def _record(self, outcome: DbtOutcome, note: str) -> None:
        """Keep the build's outcome for `status` and the report (not a skipped build's)."""
        if outcome.skipped:
            return
        record_build(self.home, BuildRecord(
            succeeded=outcome.succeeded,
            finished_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            summary=outcome.describe(),
            failing_nodes=outcome.failed_nodes,
            error="" if outcome.succeeded else (outcome.headline() + note).lstrip("; "),
            log_file=str(outcome.log_file),
        ))

    def dbt_warning_line(self, outcome: DbtOutcome) -> str:
        """What dbt warned about, in one line (the tests and their counts, where to look);
        worked out once per build (the Transform step shows it, the summary keeps it)."""
        if outcome.log_file not in self._warning_lines:
            warned = warned_tests(self.home / "dbt" / "target", self._query)
            self._warning_lines[outcome.log_file] = warning_line(warned, outcome.log_file) or (
                f"dbt reported {plural(outcome.warnings, 'warning')}; see {outcome.log_file}")
        return self._warning_lines[outcome.log_file]

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        """A query against the warehouse in a read-only transaction (a warned test's SQL),
        given up after WARNING_QUERY_SECONDS (a lock held by someone's own dbt, say): the
        warning line then counts the test's rows as dbt did."""
        limit = f"{WARNING_QUERY_SECONDS * 1000}"
        with psycopg.connect(self.connection.url(), connect_timeout=WARNING_QUERY_SECONDS,
                             options=f"-c statement_timeout={limit} -c lock_timeout={limit}",
                             ) as conn:
            conn.read_only = True
            return conn.execute(sql.encode()).fetchall()

    def _warned_on(self, outcome: DbtOutcome | None, test_name: str) -> bool:
        """Whether this run's build warned on the data test `test_name`."""
        if outcome is None or outcome.skipped or not outcome.warnings:
            return False
        return any(test.name == test_name
                   for test in warned_tests(self.home / "dbt" / "target"))

    def summarize(self, outcome: RunOutcome) -> dict[str, int]:
        if outcome.dbt is not None and outcome.dbt.warnings:
            outcome.warnings.append(self.dbt_warning_line(outcome.dbt))
        with self.step("Summarize") as detail:
            dates = outcome.landing.landed_dates if outcome.landing else []
            try:
                with psycopg.connect(self.connection.url(), autocommit=True) as conn:
                    by_date = queries.fact_rows_by_date(conn, dates)
                    try:
                        outcome.top_carriers = queries.top_delayed_carriers(
                            conn, min_sample_flights(project_dir()))
                        outcome.top_routes = queries.top_delayed_routes(conn)
                        unknown = queries.unknown_airports_line(queries.unknown_airports(conn))
                        if unknown:
                            outcome.warnings.append(unknown)
                        if self._warned_on(outcome.dbt, queries.OVERLAP_TEST):
                            overlaps = queries.overlapping_deliveries_line(
                                queries.overlapping_deliveries(conn))
                            if overlaps:
                                outcome.warnings.append(overlaps)
                    except (psycopg.Error, AirlineEltError) as error:
                        outcome.warnings.append(f"top delayed lists unavailable: {error}")
            except psycopg.Error as error:
                raise StepFailed(
                    "Summarize", f"could not read {queries.FACT_TABLE}", str(error)
                ) from error
            detail["text"] = (
                f"{plural(sum(by_date.values()), 'fact row')} for {plural(len(by_date), 'date')}"
                if by_date else "no new data"
            )
        return by_date

    # -- the whole run --------------------------------------------------------

    def run(
        self,
        landing_dir: Path,
        trigger: str,
        dbt_args: Sequence[str] = (),
        airports: Path | None = None,
        prefix: str = DEFAULT_PREFIX,
        carriers: Path | None = None,
        force: bool = False,
    ) -> RunOutcome:
        started_at = dt.datetime.now(dt.UTC)
        outbox = Outbox(self.home)
        outcome = RunOutcome(run_id=self.run_id, payload={})
        try:
            scan = scan_folder(landing_dir, prefix)  # the run's one walk of the folder
            with self.start_spark(scan) as spark, self.start_dbt(scan) as dbt, \
                    self.locked(), self.dbt_settled(dbt):
                staged = self.stage_lists(airports, carriers, force)
                if dbt is not None and staged is None:  # staged lists: parsed with their seeds
                    dbt.parse_ahead(self.connection, self.home)
                try:
                    outcome.landing = self.land(scan, spark)
                    outcome.dbt = self.transform(dbt_args, staged)
                    by_date = self.summarize(outcome)
                    self._notify_success(outbox, outcome, by_date, trigger, started_at)
                except StepFailed as failure:
                    self._notify_failure(outbox, outcome, failure, trigger, started_at)
                    raise
                finally:
                    if staged is not None:
                        discard(staged)  # not built from (the Land step failed): not in force
        except StepFailed as failure:
            if not outcome.payload:  # AcquireLock failed: nothing was notified yet
                self._notify_failure(outbox, outcome, failure, trigger, started_at)
            raise
        return outcome

    def _notify_success(
        self,
        outbox: Outbox,
        outcome: RunOutcome,
        by_date: dict[str, int],
        trigger: str,
        started_at: dt.datetime,
    ) -> None:
        assert outcome.landing is not None
        with self.step("NotifySuccess"):
            self._notify_warning(outbox, outcome, trigger, started_at)
            payload = success_payload(
                run_id=self.run_id,
                trigger=trigger,
                started_at=started_at,
                finished_at=dt.datetime.now(dt.UTC),
                files=outcome.landing.files,
                totals=outcome.landing.totals,
                fact_rows_by_date=by_date,
            )
            try:
                outbox.send(payload)
            except OSError as error:
                raise StepFailed(
                    "NotifySuccess", f"could not write {outbox.path}", str(error)
                ) from error
            outcome.payload = payload
            self.ui.notified(payload, outbox.path)

    def _notify_warning(
        self, outbox: Outbox, outcome: RunOutcome, trigger: str, started_at: dt.datetime
    ) -> None:
        """A WARNING notification when files had rejected rows, failed, or rows dated off
        their key (before the run's own SUCCEEDED or FAILED one)."""
        if outcome.landing is None:
            return
        files = alerts.warning_files(outcome.landing.files)
        if not files:
            return
        payload = warning_payload(
            run_id=self.run_id,
            trigger=trigger,
            started_at=started_at,
            finished_at=dt.datetime.now(dt.UTC),
            files=files,
            totals=outcome.landing.totals,
            limits={"max_reject_ratio": self.limits.max_ratio,
                    "max_reject_rows": self.limits.max_rows},
        )
        outbox.send(payload)
        outcome.warning_payload = payload
        self.ui.notified(payload, outbox.path)

    def _notify_failure(
        self,
        outbox: Outbox,
        outcome: RunOutcome,
        failure: StepFailed,
        trigger: str,
        started_at: dt.datetime,
    ) -> None:
        with self.step("NotifyFailure"):
            self._notify_warning(outbox, outcome, trigger, started_at)
            outcome.payload = failure_payload(
                run_id=self.run_id,
                trigger=trigger,
                step=failure.step,
                error=failure.error,
                cause=failure.cause,
                started_at=started_at,
                finished_at=dt.datetime.now(dt.UTC),
            )
            outbox.send(outcome.payload)
            self.ui.notified(outcome.payload, outbox.path)
        failure.payload = outcome.payload


def landing_detail(totals: RunTotals) -> str:
    """What the Land step did, in a line: "no new data (21 files: 21 duplicate)" when no file
    landed, else the files and the rows."""
    kinds = [f"{count:,} {kind}" for kind, count in (
        ("landed", totals.files_landed), ("duplicate", totals.files_duplicate),
        ("failed", totals.files_failed)) if count]
    if not totals.files_landed:
        return f"no new data ({plural(totals.files, 'file')}: {', '.join(kinds)})"
    return (f"{plural(totals.files, 'file')}: {', '.join(kinds)}; "
            f"{plural(totals.rows_read, 'row')} read, {totals.rows_landed:,} landed, "
            f"{totals.rows_rejected:,} rejected")


def _not_installed(staged: StagedSeeds | None, restored: DbtOutcome | None) -> str:
    """What a failed build with new lists did to them and to the warehouse."""
    if staged is None or restored is None:
        return ""
    lists = " and ".join(name.split(".")[0].replace("_dim", "") for name in sorted(staged.given))
    if restored.succeeded:
        return (f"; the new {lists} list was not installed: the previous one stays in force "
                f"and the warehouse was rebuilt from it ({restored.describe()})")
    return (f"; the new {lists} list was not installed, and the rebuild from the previous "
            f"one failed too ({restored.describe()}: {restored.headline()}; its output: "
            f"{restored.log_file}): fix that, then `airline-elt transform`")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
