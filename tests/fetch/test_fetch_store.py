"""The landing folder's store: atomic publish under the landing prefix, what it knows of each
month in a manifest, and the same answers without the manifest."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from airline_fetch.stores import LocalStore, StoredMonth, StoreError

KEY = "daily_flights/bts_ontime_2013_01.csv.gz"
CSV = b'"FlightDate","Reporting_Airline"\r\n2013-01-01,"DL"\r\n'


def _gzip(folder: Path, data: bytes = CSV) -> Path:
    path = folder / "staged.csv.gz"
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


def test_put_publishes_the_file_and_remembers_the_month(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    store = LocalStore(landing)
    month = StoredMonth(hashlib.sha256(CSV).hexdigest(), '"abc"', "Tue, 01 Jan 2013", 1234)
    assert store.stored(KEY) is None
    store.put(KEY, _gzip(tmp_path), month)
    assert gzip.decompress((landing / KEY).read_bytes()) == CSV
    assert store.stored(KEY) == month
    # Nothing but the month under the prefix; the work folder is hidden, outside it.
    assert [p.name for p in (landing / "daily_flights").iterdir()] == ["bts_ontime_2013_01.csv.gz"]
    assert sorted(p.name for p in (landing / ".airline-elt-fetch").iterdir()) == [
        "manifest.json"]


def test_without_the_manifest_the_file_itself_answers(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    store = LocalStore(landing)
    store.put(KEY, _gzip(tmp_path), StoredMonth(hashlib.sha256(CSV).hexdigest(), '"abc"'))
    (landing / ".airline-elt-fetch" / "manifest.json").unlink()
    assert store.stored(KEY) == StoredMonth(hashlib.sha256(CSV).hexdigest())


def test_a_file_changed_behind_the_manifest_is_hashed_again(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    store = LocalStore(landing)
    store.put(KEY, _gzip(tmp_path), StoredMonth(hashlib.sha256(CSV).hexdigest(), '"abc"'))
    other = CSV + b"2013-01-02,\"AA\"\r\n"
    (landing / KEY).write_bytes(gzip.compress(other, mtime=0))
    assert store.stored(KEY) == StoredMonth(hashlib.sha256(other).hexdigest())


def test_a_damaged_file_reads_as_other_content(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "daily_flights").mkdir(parents=True)
    (landing / KEY).write_bytes(b"\x1f\x8b\x08\x00broken")
    stored = LocalStore(landing).stored(KEY)
    assert stored is not None and stored.csv_sha256 != hashlib.sha256(CSV).hexdigest()


@pytest.mark.parametrize("key", ["elsewhere/bts.csv.gz", "daily_flights/../x.csv.gz",
                                 "/tmp/x.csv.gz"])
def test_keys_outside_the_landing_prefix_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(StoreError, match="not a key under the landing prefix"):
        LocalStore(tmp_path).put(key, _gzip(tmp_path), StoredMonth("x"))
    assert list(tmp_path.iterdir()) == [tmp_path / "staged.csv.gz"]
