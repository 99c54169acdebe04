"""The local SparkSession the landing step runs in (Glue's stand-in on one machine)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@contextlib.contextmanager
def local_spark(log_file: Path | None = None) -> Iterator[SparkSession]:
    """A local[2] SparkSession, stopped on exit.

    With `log_file`, the JVM's own console chatter (log4j start-up lines) goes to
    that file instead of the terminal.
    """
    from pyspark.sql import SparkSession

    with _stderr_to(log_file):
        session = (
            SparkSession.builder.master("local[2]")
            .appName("airline-elt-landing")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


@contextlib.contextmanager
def _stderr_to(log_file: Path | None) -> Iterator[None]:
    """Point file descriptor 2 at `log_file` while the JVM starts (it inherits it)."""
    if log_file is None:
        yield
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    saved = os.dup(2)
    try:
        with open(log_file, "ab") as sink:
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
