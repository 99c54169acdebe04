"""The local SparkSession the landing step runs in (Glue's stand-in on one machine).

Starting the JVM takes seconds: `SparkStarter` starts it in a background thread, so it
comes up while the run takes its lock, lists and hashes the files; the landing waits for
it only when its first batch is ready for Spark.

Most of that start is the JVM loading and verifying Spark's classes: a class-data-sharing
archive of them (Java's dynamic CDS, built once by `make setup-run`:
scripts/build_spark_archive.py) lets the driver map them instead. It is used only while it
matches the JDK and the Spark jars it was built from (`runtime_stamp`); otherwise it is
ignored, and the JVM itself refuses a mismatched archive with a warning and starts without it.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SETTINGS = {
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
}


# The driver's class-data-sharing archive and the stamp of the runtime it was built for,
# beside the virtual environment's Python (they belong to its pyspark and to the JDK).
CLASS_ARCHIVE = Path(sys.prefix) / "airline-elt-spark" / "driver.jsa"
ARCHIVE_STAMP = CLASS_ARCHIVE.with_suffix(".stamp")
JAVA_OPTIONS = "spark.driver.extraJavaOptions"


def runtime_stamp() -> str:
    """What a class archive depends on: the JVM (its binary's real path, its libjvm's size
    and time), pyspark's version and its jars folder (time: changes when a jar is added,
    removed or replaced). A few stat calls."""
    import pyspark

    java_home = os.environ.get("JAVA_HOME")
    java = shutil.which("java", path=f"{java_home}/bin" if java_home else None) or "java"
    real = Path(os.path.realpath(java))
    parts = [str(real), pyspark.__version__]
    for path in (real.parents[1] / "lib" / "server" / "libjvm.so",
                 Path(pyspark.__file__).parent / "jars"):
        try:
            info = path.stat()
            parts.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            parts.append(f"{path.name}:missing")
    return "|".join(parts)


def archive_options() -> str | None:
    """The driver's JVM options for the class archive, when there is one built for this
    runtime; None otherwise (then the JVM starts as it always did). Not under a path with a
    space: spark-submit splits the driver's Java options at spaces."""
    if " " in str(CLASS_ARCHIVE):
        return None
    try:
        if ARCHIVE_STAMP.read_text(encoding="utf-8") != runtime_stamp():
            return None
    except OSError:
        return None
    return f"-XX:SharedArchiveFile={CLASS_ARCHIVE} -Xshare:auto" if CLASS_ARCHIVE.is_file() \
        else None


# A run whose files hold less than this lands on a driver JVM that compiles with C1 only
# (SMALL_RUN_JIT): for the bundled sample or a day's file, the C2 compiler's work costs more
# than its faster code saves (docs/performance.md, "Fifth round"). Compressed files count
# GZIP_RATIO times their size. Larger runs, and the JVM `watch` keeps, use the default JIT.
SMALL_RUN_BYTES = 32 * 1024 * 1024
GZIP_RATIO = 8
SMALL_RUN_JIT = "-XX:TieredStopAtLevel=1"


def small_run(files: Iterable[Path]) -> bool:
    """Whether `files` (what a run may land) add up to less than SMALL_RUN_BYTES."""
    total = 0
    for path in files:
        try:
            size = path.stat().st_size
        except OSError:  # gone since the scan: the landing says so
            continue
        total += size * GZIP_RATIO if path.name.endswith(".gz") else size
        if total >= SMALL_RUN_BYTES:
            return False
    return True


def session_settings(small: bool = False) -> dict[str, str]:
    """SETTINGS, plus the class archive's JVM options when one is in force, and C1 only
    for a `small` run's driver."""
    settings = dict(SETTINGS)
    options = " ".join(filter(None, [archive_options(), SMALL_RUN_JIT if small else None]))
    if options and JAVA_OPTIONS not in settings:
        settings[JAVA_OPTIONS] = options
    return settings


def start_spark(log_file: Path | None = None, small: bool = False) -> SparkSession:
    """A local[2] SparkSession (its driver compiling with C1 only for a `small` run). With
    `log_file`, the JVM's own console output (log4j start-up lines, later warnings) goes to
    that file instead of the terminal.

    One JVM per process: pyspark keeps the gateway of the first JVM a process starts for
    every later context (`SparkContext._ensure_initialized`), so a second JVM launched for a
    later session would only start, idle and hold its memory until the process exits (it
    did, once per run of `airline-elt watch`). A session started after another one was
    stopped runs in the same JVM, whose output goes on to the first session's log file
    (`jvm_log_file`)."""
    global _jvm_log
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    conf = SparkConf().setMaster("local[2]").setAppName("airline-elt-landing")
    for name, value in session_settings(small).items():
        conf.set(name, value)
    if log_file is None:
        context = SparkContext.getOrCreate(conf)
    elif live_gateway() is not None:
        context = SparkContext(conf=conf)
    else:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "ab") as sink:  # the JVM keeps its own descriptor
            gateway = launch_gateway(conf, popen_kwargs={"stdout": sink, "stderr": sink})
        _jvm_log = log_file
        context = SparkContext(conf=conf, gateway=gateway)
    context.setLogLevel("ERROR")
    return SparkSession(context)


_jvm_log: Path | None = None  # where the JVM this process launched writes its console


def jvm_log_file(requested: Path) -> Path:
    """Where the JVM's console output goes: the log file it was launched with, which is
    `requested` unless an earlier session of this process launched it."""
    return _jvm_log if _jvm_log is not None and live_gateway() is not None else requested


def live_gateway() -> object | None:
    """The py4j gateway of the JVM this process started, while that JVM runs. Once it has
    exited (killed, out of memory), pyspark's reference to it is dropped, so that the next
    session launches a new JVM instead of failing to connect to the dead one."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is None:
        return None
    process = getattr(gateway, "proc", None)  # launch_gateway's spark-submit, exec'd as java
    if process is not None and process.poll() is not None:
        SparkContext._gateway = None
        SparkContext._jvm = None
        return None
    return gateway


def session_alive(session: SparkSession) -> bool:
    """Whether `session` can still run a job: not stopped, and its JVM answers."""
    from py4j.protocol import Py4JError

    context = session.sparkContext
    if context._jsc is None or live_gateway() is None:
        return False
    try:
        return not context._jsc.sc().isStopped()
    except (Py4JError, OSError):  # OSError: the JVM's socket refuses the connection
        return False


class SparkStarter:
    """A SparkSession coming up in a background thread once `start()` is called (or when
    `session()` is first called): `session()` waits for it, `stop()` stops it (waiting
    for the start first). As a context manager, it is stopped on exit."""

    def __init__(self, log_file: Path | None = None, small: bool = False) -> None:
        self.log_file = log_file
        self.small = small  # a small run's JVM (session_settings)
        self._session: SparkSession | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, name="spark-start", daemon=True)
        self._stopped = False

    def _start(self) -> None:
        try:
            self._session = start_spark(self.log_file, self.small)
        except BaseException as error:  # re-raised by session()
            self._error = error

    def start(self) -> SparkStarter:
        # Imported here, not in the thread: the landing imports pyspark meanwhile, and
        # two threads importing one package at once can see it half-initialised.
        import pyspark.sql  # noqa: F401

        if self._thread.ident is None:  # not started yet
            self._thread.start()
        return self

    def session(self) -> SparkSession:
        if self._thread.ident is None:  # not started yet
            self.start()
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._session is not None
        return self._session

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._thread.ident is None:
            return  # never started
        self._thread.join()
        if self._session is not None:
            self._session.stop()
            self._session = None

    @property
    def in_worker(self) -> bool:
        """Whether the session is the landing worker's JVM (WorkerSpark), not this run's."""
        return False

    def quiesce(self) -> None:
        """Nothing to cancel: the JVM is this process's own (see WorkerSpark)."""

    def log(self) -> Path | None:
        """Where the JVM's console output of this session goes (Spark's log)."""
        return None if self.log_file is None else jvm_log_file(self.log_file)

    def __enter__(self) -> SparkStarter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class KeptSpark(SparkStarter):
    """One session kept for many runs (`airline-elt watch`): the JVM starts once, its
    classes stay loaded and its compiled code stays warm, so a run after the first pays
    neither the JVM's start nor a new session. A run's `stop()` leaves it running;
    `close()` stops it. If its JVM dies during a run, that run fails with nothing of its
    batch committed (as a killed run); the next `session()` finds the JVM gone and starts a
    new one."""

    def stop(self) -> None:
        return  # the end of one run: the session stays up for the next

    def session(self) -> SparkSession:
        if self._error is not None:  # the last start failed (that run failed): start again
            self._error = None
            self._new_start()
        session = super().session()
        if session_alive(session):
            return session
        self._discard(session)
        self._new_start()
        return super().session()

    def close(self) -> None:
        if self._session is not None and not session_alive(self._session):
            self._discard(self._session)  # its own stop() would call into the dead JVM
        super().stop()

    def _new_start(self) -> None:
        self._thread = threading.Thread(target=self._start, name="spark-start", daemon=True)

    def _discard(self, session: SparkSession) -> None:
        """Forget a session whose JVM is gone or no longer answers (its own stop() would call
        into that JVM). A JVM process still there is killed: it is not reused."""
        from pyspark import SparkContext
        from pyspark.sql import SparkSession

        process = getattr(SparkContext._gateway, "proc", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=60)
        live_gateway()  # drops pyspark's reference to the gateway of the JVM that exited
        context = session.sparkContext
        context._jsc = None  # nothing to stop in a JVM that is gone (it would refuse the call)
        context.stop()  # clears pyspark's active context
        SparkSession._instantiatedSession = None
        SparkSession._activeSession = None
        self._session = None
        self._error = None


# What pyspark.java_gateway.launch_gateway imports into a gateway's JVM view (pyspark 3.5):
# pyspark's own code names these classes by their short names.
PYSPARK_JAVA_IMPORTS = (
    "org.apache.spark.SparkConf", "org.apache.spark.api.java.*",
    "org.apache.spark.api.python.*", "org.apache.spark.ml.python.*",
    "org.apache.spark.mllib.api.python.*", "org.apache.spark.resource.*",
    "org.apache.spark.sql.*", "org.apache.spark.sql.api.python.*",
    "org.apache.spark.sql.hive.*", "scala.Tuple2",
)
ATTACH_SECONDS = 30.0  # a worker that has not answered by then is given up for the run


class _SharedJavaContext:
    """The worker's JavaSparkContext as this process's SparkContext holds it: every call but
    stop() goes to it. The context is the worker's: nothing in this process may stop it
    (pyspark's SparkContext stops its Java context on its own failures and in stop())."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def stop(self) -> None:
        return


def connect_gateway(port: int, secret: str) -> Any:
    """A py4j connection to the JVM whose gateway listens on `port` (pinned threads, as
    pyspark connects), with pyspark's imports; its JVM's SparkContext, checked running.
    Nothing of pyspark's process-wide state is touched yet."""
    from py4j.clientserver import ClientServer, JavaParameters, PythonParameters
    from py4j.java_gateway import java_import

    gateway = ClientServer(
        java_parameters=JavaParameters(port=port, auth_token=secret, auto_convert=True),
        python_parameters=PythonParameters(port=0, eager_load=False),
    )
    try:
        for name in PYSPARK_JAVA_IMPORTS:
            java_import(gateway.jvm, name)
        if _worker_context(gateway.jvm).isStopped():
            raise RuntimeError("the worker's SparkContext is stopped")
    except BaseException:
        gateway.close()
        raise
    return gateway


def _worker_context(jvm: Any) -> Any:
    """The SparkContext of the JVM's default session (the one the worker's pyspark made)."""
    default = jvm.org.apache.spark.sql.SparkSession.getDefaultSession()
    if not default.isDefined():
        raise RuntimeError("the worker's JVM has no Spark session")
    return default.get().sparkContext()


def attach_session(gateway: Any) -> SparkSession:
    """A session of this process on the JVM `gateway` is connected to (connect_gateway: the
    landing worker's, workers.py): this process's SparkContext wraps the JVM's running one
    (its settings are the JVM's) and can never stop it (_SharedJavaContext)."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    jvm = gateway.jvm
    running = _worker_context(jvm)
    SparkContext._gateway, SparkContext._jvm = gateway, jvm
    try:
        context = SparkContext(gateway=gateway, jsc=_SharedJavaContext(
            jvm.org.apache.spark.api.java.JavaSparkContext(running)))
        # A session of its own on the shared context: what a run sets in its SQL settings (a
        # batch's read and write settings) is never left for the next one, even if killed.
        return SparkSession(context).newSession()
    except BaseException:
        _forget_pyspark_state()
        gateway.close()
        raise


def detach_session(session: SparkSession) -> Any:
    """Leave the JVM `attach_session` connected to, running: this process's context ends,
    the JVM's SparkContext stays up. Returns the gateway, for `close_gateway` once the
    caller has dropped the session."""
    context = session.sparkContext
    gateway = context._gateway
    context.stop()  # its accumulator server and pyspark's active context; not the JVM's
    _forget_pyspark_state()
    return gateway


def close_gateway(gateway: Any) -> None:
    """Release the Java objects this process's collected proxies held (py4j tells the JVM
    over the gateway, so the worker's JVM can collect them), then close the connection (this
    process's only: shutdown() would end the JVM's gateway)."""
    import gc

    gc.collect()
    if gateway is not None:
        gateway.close()


def _forget_pyspark_state() -> None:
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    SparkContext._active_spark_context = None
    SparkContext._gateway = SparkContext._jvm = None
    SparkSession._instantiatedSession = None
    SparkSession._activeSession = None


def quiesce(session: SparkSession, timeout_seconds: float = 120.0) -> None:
    """Cancel every Spark job running in `session`'s JVM and wait until none is left (a
    shared JVM: what a killed run left running there)."""
    import time

    context = session.sparkContext
    tracker = context._jsc.sc().statusTracker()
    if not tracker.getActiveJobIds() and not tracker.getActiveStageIds():
        return
    context.cancelAllJobs()
    deadline = time.monotonic() + timeout_seconds
    while tracker.getActiveJobIds() or tracker.getActiveStageIds():
        if time.monotonic() > deadline:
            raise RuntimeError(f"Spark jobs left running in the landing worker did not stop "
                               f"within {timeout_seconds:.0f} s of being cancelled")
        time.sleep(0.1)


class WorkerSpark(SparkStarter):
    """A session on the landing worker's JVM (workers.py), attached in the background like a
    starting JVM; if the worker does not answer within ATTACH_SECONDS, or has no running
    context, a JVM of this process's own is started instead (`log_file`, `small` as for
    SparkStarter). `stop()` detaches (the worker goes on); `quiesce()` cancels what a killed
    run left running in it."""

    def __init__(self, port: int, secret: str, worker_log: Path, log_file: Path | None = None,
                 small: bool = False) -> None:
        super().__init__(log_file, small)
        self.port = port
        self.secret = secret
        self.worker_log = worker_log
        self.attached = False
        self.attach_error = ""  # why it started a JVM of its own instead, if it did

    def _start(self) -> None:
        if live_gateway() is None:  # a process with a JVM of its own keeps using it
            gateway = self._connect()
            if gateway is not None:
                try:
                    self._session = attach_session(gateway)
                    self.attached = True
                    return
                except Exception as error:  # any failure: a JVM of its own instead
                    self.attach_error = f"{type(error).__name__}: {error}"
        super()._start()

    def _connect(self) -> Any:
        """connect_gateway, given up after ATTACH_SECONDS (a worker that accepts and never
        answers: its thread is left waiting, with nothing of pyspark's state touched)."""
        outcome: list[Any] = []

        def connect() -> None:
            try:
                outcome.append(connect_gateway(self.port, self.secret))
            except Exception as error:
                outcome.append(error)

        thread = threading.Thread(target=connect, name="spark-attach", daemon=True)
        thread.start()
        thread.join(ATTACH_SECONDS)
        if not outcome:
            self.attach_error = f"the landing worker did not answer in {ATTACH_SECONDS:.0f} s"
            return None
        if isinstance(outcome[0], Exception):
            self.attach_error = f"{type(outcome[0]).__name__}: {outcome[0]}"
            return None
        return outcome[0]

    @property
    def in_worker(self) -> bool:
        return self.attached

    def quiesce(self) -> None:
        if self._thread.ident is not None:
            self._thread.join()
        if self.attached and self._session is not None:
            quiesce(self._session)

    def stop(self) -> None:
        if self._stopped:
            return
        if self._thread.ident is not None:
            self._thread.join()  # attached or not is known once the start is done
        if not self.attached:
            super().stop()
            return
        self._stopped = True
        if self._session is not None:
            gateway = detach_session(self._session)
            self._session = None
            close_gateway(gateway)

    def log(self) -> Path | None:
        return self.worker_log if self.attached else super().log()
