"""Which runs land on a driver JVM compiling with C1 only (airline_elt/spark.py): those
whose files add up to less than SMALL_RUN_BYTES, a compressed file counting GZIP_RATIO
times its size; a larger run keeps the default JIT, whose C2 code pays at that size
(docs/performance.md, "Fifth round")."""

from __future__ import annotations

import os
from pathlib import Path

from airline_elt.spark import (
    GZIP_RATIO,
    JAVA_OPTIONS,
    SMALL_RUN_BYTES,
    SMALL_RUN_JIT,
    archive_options,
    session_settings,
    small_run,
)

PROJECT = Path(__file__).resolve().parents[2]


def sized(path: Path, size: int) -> Path:
    """A sparse file of `size` bytes (no disk used)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        file.truncate(size)
    return path


def test_the_bundled_sample_is_a_small_run() -> None:
    sample = sorted((PROJECT / "sample_data" / "landing").rglob("*.csv*"))
    assert len(sample) > 20
    assert small_run(sample)


def test_a_run_is_small_below_the_threshold_only(tmp_path: Path) -> None:
    half = SMALL_RUN_BYTES // 2
    assert small_run([sized(tmp_path / "a.csv", half), sized(tmp_path / "b.csv", half - 1)])
    assert not small_run([sized(tmp_path / "c.csv", half), sized(tmp_path / "d.csv", half)])
    assert small_run([])


def test_a_compressed_file_counts_as_its_rows_would(tmp_path: Path) -> None:
    size = SMALL_RUN_BYTES // GZIP_RATIO
    assert small_run([sized(tmp_path / "a.csv", size)])
    assert not small_run([sized(tmp_path / "a.csv.gz", size)])


def test_a_file_gone_since_the_scan_counts_nothing(tmp_path: Path) -> None:
    gone = sized(tmp_path / "gone.csv", SMALL_RUN_BYTES)
    os.remove(gone)
    assert small_run([gone])


def test_only_a_small_run_s_driver_is_told_to_stop_at_c1() -> None:
    small, default = session_settings(small=True), session_settings(small=False)
    assert small[JAVA_OPTIONS].split()[-1] == SMALL_RUN_JIT
    assert SMALL_RUN_JIT not in default.get(JAVA_OPTIONS, "")
    archive = archive_options()  # the class archive, when built, is in both
    if archive is not None:
        assert small[JAVA_OPTIONS].startswith(archive)
        assert default[JAVA_OPTIONS] == archive
