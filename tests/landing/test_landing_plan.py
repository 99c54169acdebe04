"""Unit tests of the batch's plain-Python parts: the S3 keys a Glue run lands, the split
plan that replays Spark's packing, the listing order it follows. (That Spark packs as
planned is proven end to end by test_landing_batch: a wrong plan fails the job.)"""

from __future__ import annotations

import pytest

from airline_landing.batch import BatchFile, listed_order, plan_partitions
from airline_landing.bucket import bucket_keys
from airline_landing.source import inspect_file


def test_the_glue_run_lands_only_csv_keys_under_the_prefix_once_each():
    keys = ["daily_flights/b.CSV", "daily_flights/a.csv", "daily_flights/a.csv",
            "airports.csv", "daily_flights/notes.txt", "failed/daily_flights/c.csv",
            "daily_flights/failed/d.csv"]
    assert bucket_keys(keys, "bkt", "s3://bkt/failed/") == [
        "daily_flights/a.csv", "daily_flights/b.CSV", "daily_flights/failed/d.csv"
    ]
    # failed/ inside the landing prefix: never landed again.
    assert bucket_keys(keys, "bkt", "s3://bkt/daily_flights/failed/") == [
        "daily_flights/a.csv", "daily_flights/b.CSV"
    ]
    assert bucket_keys(keys, "bkt", "s3://other/failed/", prefix="") == [
        "airports.csv", "daily_flights/a.csv", "daily_flights/b.CSV",
        "daily_flights/failed/d.csv",
    ]


def batch_file(text: str, name: str, grain: int = 64) -> BatchFile:
    data = text.encode()
    facts = inspect_file(iter([data]), grain=grain)
    return BatchFile(name, f"file:///x/{name}", 1, facts.size, facts.lines, None)


def test_small_files_pack_largest_first_into_one_partition():
    files = [batch_file("h\n1\n", "a"), batch_file("h\n1\n2\n3\n", "b"), batch_file("h\n", "c")]
    plan = plan_partitions(files, split_bytes=1 << 20)
    assert [(p.partition, p.file, p.start, p.row_offset, p.rows) for p in plan] == [
        (0, 1, 0, 0, 4),
        (0, 0, 0, 4, 2),
        (0, 2, 0, 6, 1),
    ]


def test_big_files_are_cut_in_splits_with_their_first_lines():
    line = "x" * 9 + "\n"  # 10 bytes a line: a 64-byte grain holds 6.4 lines
    big = batch_file("h" * 9 + "\n" + line * 20, "big")  # 210 bytes
    small = batch_file("h\n1\n", "small")
    plan = plan_partitions([small, big], split_bytes=128)
    # max split 128: big is cut at 0 and 128; splits sorted by length: 128, 82, 4.
    assert [(p.file, p.start, p.first_line, p.rows) for p in plan] == [
        (1, 0, 0, 13), (1, 128, 13, 8), (0, 0, 0, 2),
    ]
    assert [p.partition for p in plan] == [0, 1, 1]
    assert sum(p.rows for p in plan if p.file == 1) == big.lines.lines


def test_listing_order_maps_spark_names_back_to_files():
    files = [
        BatchFile("k1", "file:///l/a b.csv", 1, 1, batch_file("h\n", "a").lines, None),
        BatchFile("k2", "file:///l/\\[x\\].csv", 2, 1, batch_file("h\n", "b").lines, None),
    ]
    assert listed_order(files, ["file:/l/%5Bx%5D.csv", "file:/l/a%20b.csv"]) == [1, 0]
    with pytest.raises(ValueError, match="listed 1 file"):
        listed_order(files, ["file:/l/a%20b.csv"])
