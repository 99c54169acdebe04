"""One Spark read over a batch of files, each line numbered exactly and tagged with its
file version, without a pass of Spark's own to count lines.

Spark reads the batch as one text scan (`spark.read.text(paths)`): it cuts each file
into splits of `split_bytes` (whole grains, so the first line of every split is known
from the line ends counted while hashing, airline_landing.lines) and packs the splits,
largest first, into partitions. `plan_partitions` replays that packing in Python, so
for every split we know its partition, the rows read before it in that partition and
its first line. Each row then finds its split by (partition, file, split start) in a
small broadcast table; a row whose split is not planned where it lands fails the job
loudly ("unplanned split"), it never gets a wrong line number.

A gzip file (`*.csv.gz`) is not splittable: Spark reads it as one split of its stored
(compressed) size, starting at 0, whatever the split size; its lines are all in that split,
numbered from 1 by the decompressed line count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from airline_landing.lines import MAX_SPLIT_BYTES, LineIndex

ROW_BITS = 33  # monotonically_increasing_id(): (partition index << 33) + row in partition
_ROW_IN_PARTITION = (1 << ROW_BITS) - 1
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(//[^/]*)?")
_GLOB_ESCAPE = re.compile(r"\\([\\*?\[\]{}])")


@dataclass(frozen=True)
class BatchFile:
    """One file version of a batch, as the Spark read needs it."""

    key: str
    spark_path: str
    file_version_id: int
    size: int
    lines: LineIndex  # of the decompressed text for a gzip file
    key_date: date | None
    # False for a gzip file: Spark reads it whole as one split of `size` (stored) bytes.
    splittable: bool = True


@dataclass(frozen=True)
class PlannedSplit:
    partition: int
    file: int  # index into the batch's files
    start: int
    row_offset: int  # rows (lines) read before this split in its partition
    rows: int  # lines Spark reads in this split
    first_line: int  # 0-based index of the split's first line in its file


def split_bytes_for(files: Sequence[BatchFile], parallelism: int, splits_per_core: int) -> int:
    """A split size in whole grains: about `splits_per_core` splits per core over the
    whole batch, at most 128 MiB."""
    grain = files[0].lines.grain
    total = sum(f.size for f in files)
    grains = -(-total // max(parallelism * splits_per_core, 1) // grain) or 1
    return max(min(grains * grain, MAX_SPLIT_BYTES // grain * grain), grain)


def read_conf(split_bytes: int) -> dict[str, str]:
    """Spark settings under which `plan_partitions` replays the packing exactly: splits of
    `split_bytes` (no open cost added per file), listing on the driver."""
    return {
        "spark.sql.files.maxPartitionBytes": str(split_bytes),
        "spark.sql.files.openCostInBytes": "0",
        "spark.sql.files.minPartitionNum": "1",
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "1000000",
    }


def _split_rows(lines: LineIndex, starts: list[int]) -> list[tuple[int, int]]:
    """(first line, lines read) of the splits starting at `starts` (ascending)."""
    firsts = [0 if start == 0 else 1 + lines.ends_before_grain[start // lines.grain]
              for start in starts]
    firsts = [min(first, lines.lines) for first in firsts]
    ends = [*firsts[1:], lines.lines]
    return [(first, end - first) for first, end in zip(firsts, ends, strict=True)]


def plan_partitions(files: Sequence[BatchFile], split_bytes: int) -> list[PlannedSplit]:
    """Spark 3.5's packing of a file scan (FileSourceScanExec.createReadRDD and
    FilePartition.getFilePartitions, with openCostInBytes 0 and minPartitionNum 1):
    max split = min(maxPartitionBytes, total bytes); files cut at multiples of it; splits
    sorted by length, largest first (stable: listing order otherwise); packed greedily,
    a partition closed when the next split would make it exceed the max split."""
    total = sum(f.size for f in files)
    max_split = min(split_bytes, total)
    splits: list[tuple[int, int, int, int, int]] = []  # file, start, length, first, rows
    for index, file in enumerate(files):
        if not file.splittable:  # one split of the whole stored file, every line
            splits.append((index, 0, file.size, 0, file.lines.lines))
            continue
        starts = list(range(0, file.size, max_split))
        if max_split < split_bytes or file.size <= max_split:
            rows = [(0, file.lines.lines)] if starts else []
        else:
            rows = _split_rows(file.lines, starts)
        for start, (first, count) in zip(starts, rows, strict=True):
            splits.append((index, start, min(max_split, file.size - start), first, count))
    splits.sort(key=lambda split: -split[2])
    planned: list[PlannedSplit] = []
    partition, size, offset = 0, 0, 0
    for index, start, length, first, count in splits:
        if size + length > max_split and size > 0:
            partition, size, offset = partition + 1, 0, 0
        planned.append(PlannedSplit(partition, index, start, offset, count, first))
        size += length
        offset += count
    return planned


def listed_files(scan: DataFrame) -> list[str]:
    """The files of a text scan in the order Spark lists them for its splits (its file
    index's `inputFiles`, URL-quoted; `DataFrame.inputFiles()` is a set, in no order):
    paths that needed glob escapes come first, then the others, each group in the order
    given."""
    relation = scan._jdf.queryExecution().analyzed().collectLeaves().apply(0).relation()
    return list(relation.location().inputFiles())


def listed_order(files: Sequence[BatchFile], listed: Sequence[str]) -> list[int]:
    """The batch's file indexes in the order Spark listed them (`listed_files`); a file
    Spark did not list, or listed twice, is an error."""
    where = {_SCHEME.sub("", _GLOB_ESCAPE.sub(r"\1", f.spark_path)): i for i, f in enumerate(files)}
    order = [where.get(unquote(_SCHEME.sub("", name))) for name in listed]
    if None in order or sorted(order) != list(range(len(files))):  # type: ignore[type-var]
        raise ValueError(
            f"Spark listed {len(listed)} file(s) for a batch of {len(files)}: "
            f"{', '.join(listed[:3])}{', ...' if len(listed) > 3 else ''}"
        )
    return order  # type: ignore[return-value]


def read_batch(spark: SparkSession, files: Sequence[BatchFile], split_bytes: int) -> DataFrame:
    """The batch's lines: (file_version_id, source_key (a quoted CSV field), key_date,
    line_number, line), line numbers 1-based and physical (the header is line 1), a
    leading UTF-8 BOM dropped from line 1. Run under `read_conf(split_bytes)`."""
    scan = spark.read.text([f.spark_path for f in files])
    splits = _split_table(spark, files, listed_files(scan), split_bytes)
    c = F.col
    rows = scan.select(
        F.monotonically_increasing_id().alias("_id"),
        F.input_file_name().alias("_f"),
        F.input_file_block_start().alias("_s"),
        c("value").alias("line"),
    ).select(
        F.shiftright(c("_id"), ROW_BITS).alias("_p"),
        c("_id").bitwiseAND(F.lit(_ROW_IN_PARTITION)).alias("_r"),
        "_f",
        "_s",
        "line",
    )
    joined = rows.join(
        F.broadcast(splits),
        (c("_p") == c("_partition")) & (c("_f") == c("_file")) & (c("_s") == c("_start")),
        "left",
    )
    return _numbered(joined)


def _split_table(
    spark: SparkSession, files: Sequence[BatchFile], listed: Sequence[str], split_bytes: int
) -> DataFrame:
    """The planned splits (`plan_partitions`, files in the order Spark `listed` them), each
    with its file's version, quoted key and key date: the small table rows are joined to."""
    from airline_landing.parse import quote_literal

    in_listing = [files[i] for i in listed_order(files, listed)]
    plan = [
        (
            split.partition,
            listed[split.file],
            split.start,
            split.row_offset,
            split.rows,
            split.first_line,
            in_listing[split.file].file_version_id,
            quote_literal(in_listing[split.file].key),
            in_listing[split.file].key_date,
        )
        for split in plan_partitions(in_listing, split_bytes)
    ]
    return spark.createDataFrame(
        plan,
        "_partition long, _file string, _start long, _offset long, _rows long, "
        "_first long, file_version_id long, source_key string, key_date date",
    )


def _numbered(joined: DataFrame) -> DataFrame:
    """Rows joined to their split, numbered from the split's first line; a row outside
    every planned split fails the job."""
    c = F.col
    in_range = (c("_r") >= c("_offset")) & (c("_r") < c("_offset") + c("_rows"))
    number = c("_first") + (c("_r") - c("_offset")) + 1
    line_number: Column = (
        F.when(c("_partition").isNull() | ~in_range, F.raise_error(_unplanned()))
        .otherwise(number)
        .cast("int")
    )
    return joined.select(
        "file_version_id",
        "source_key",
        "key_date",
        line_number.alias("line_number"),
        F.when(line_number == 1, F.regexp_replace("line", "^\ufeff", ""))
        .otherwise(c("line"))
        .alias("line"),
    )


def _unplanned() -> Column:
    return F.concat(
        F.lit("unplanned split: partition "),
        F.col("_p").cast("string"),
        F.lit(", row "),
        F.col("_r").cast("string"),
        F.lit(", file "),
        F.col("_f"),
        F.lit(" at byte "),
        F.col("_s").cast("string"),
    )
