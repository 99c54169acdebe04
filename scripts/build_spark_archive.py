#!/usr/bin/env python
"""Build the Spark driver's class-data-sharing archive (`make setup-run` calls this).

    .venv/bin/python scripts/build_spark_archive.py

Java 17's dynamic CDS (JEP 350): a JVM started with -XX:ArchiveClassesAtExit=FILE writes
the classes it loaded into FILE when it exits normally. This lands the bundled sample with
the product's own `airline-elt land`, into a throwaway warehouse, in a driver JVM started
with that option, so the archive holds the classes a real landing loads (Spark's session,
the text scan, the parse's code generation, the staging write). The archive and its stamp
(airline_elt.spark.runtime_stamp: the JDK and the Spark jars it was built for) go into
place only when complete; a failure leaves no archive, and the runs start without one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CHILD_FLAG = "--child"
JVM_EXIT_SECONDS = 120


def child(archive: str) -> int:
    """In the training process: `airline-elt land` of the sample, the driver JVM archiving
    its classes at exit; then end the JVM (its stdin closed: it exits normally, which is
    when it writes the archive) and wait for it."""
    from pyspark import SparkContext

    from airline_elt import cli, spark

    spark.SETTINGS = {**spark.SETTINGS, spark.JAVA_OPTIONS: f"-XX:ArchiveClassesAtExit={archive}"}
    code = cli.main(["land", "--landing", str(PROJECT / "sample_data" / "landing")])
    gateway = SparkContext._gateway
    process = getattr(gateway, "proc", None)
    if process is not None:
        gateway.shutdown()
        process.stdin.close()
        process.wait(timeout=JVM_EXIT_SECONDS)
    return code


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == CHILD_FLAG:
        return child(sys.argv[2])
    from airline_elt import spark
    from airline_elt.warehouse import Warehouse

    spark.CLASS_ARCHIVE.parent.mkdir(parents=True, exist_ok=True)
    spark.ARCHIVE_STAMP.unlink(missing_ok=True)
    spark.CLASS_ARCHIVE.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="spark-archive-") as scratch:
        home = Path(scratch) / "home"
        building = spark.CLASS_ARCHIVE.with_suffix(".building")
        building.unlink(missing_ok=True)
        warehouse = Warehouse(home)
        warehouse.start()
        try:
            result = subprocess.run(
                [sys.executable, __file__, CHILD_FLAG, str(building)], cwd=PROJECT,
                env={**os.environ, "AIRLINE_ELT_HOME": str(home)},
                capture_output=True, text=True, check=False)
        finally:
            warehouse.stop()
        if result.returncode != 0 or not building.is_file():
            print("the Spark class archive was not built (runs start without it):\n"
                  + (result.stdout + result.stderr)[-2000:], file=sys.stderr)
            building.unlink(missing_ok=True)
            return 1
    building.replace(spark.CLASS_ARCHIVE)
    spark.ARCHIVE_STAMP.write_text(spark.runtime_stamp(), encoding="utf-8")
    print(f"Spark class archive: {spark.CLASS_ARCHIVE} "
          f"({spark.CLASS_ARCHIVE.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
