"""airline_fetch/s3_store.py against moto's S3 (in process): what a month's object records."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from airline_fetch.s3_store import S3Store, S3StoreError, metadata_of, stored_month_from_metadata
from airline_fetch.stores import StoredMonth

BUCKET = "airline-elt-data"
KEY = "daily_flights/bts_ontime_2013_01.csv.gz"
MONTH = StoredMonth("ab" * 32, '"5f1e-61a2b3c4"', "Tue, 05 Mar 2013 10:00:00 GMT", 31_457_280)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


def _gzip(tmp_path: Path, data: bytes = b"FlightDate\n2013-01-01\n") -> Path:
    path = tmp_path / "month.csv.gz"
    path.write_bytes(gzip.compress(data))
    return path


def test_put_then_stored_gives_back_the_month(client: Any, tmp_path: Path) -> None:
    store = S3Store(BUCKET, "", client)
    assert store.stored(KEY) is None
    store.put(KEY, _gzip(tmp_path), MONTH)
    assert store.stored(KEY) == MONTH
    head = client.head_object(Bucket=BUCKET, Key=KEY)
    assert head["Metadata"] == {"csv-sha256": MONTH.csv_sha256, "source-etag": MONTH.source_etag,
                                "source-last-modified": MONTH.source_last_modified,
                                "source-size": "31457280"}
    assert list(store.keys("daily_flights/")) == [KEY]
    assert store.describe() == f"s3://{BUCKET}/"


def test_a_prefix_roots_the_store_inside_the_bucket(client: Any, tmp_path: Path) -> None:
    store = S3Store(BUCKET, "feeds", client)
    store.put(KEY, _gzip(tmp_path), StoredMonth("cd" * 32))
    assert client.head_object(Bucket=BUCKET, Key=f"feeds/{KEY}")
    assert list(store.keys("daily_flights/")) == [KEY]
    assert store.stored(KEY) == StoredMonth("cd" * 32)


def test_metadata_is_read_whatever_its_case_and_without_the_feeds_keys() -> None:
    upper = {name.upper(): value for name, value in metadata_of(MONTH).items()}
    assert stored_month_from_metadata(upper) == MONTH
    assert stored_month_from_metadata({}) == StoredMonth("")  # put there by hand


def test_the_metadata_stays_far_under_s3s_2_kb(client: Any) -> None:
    """S3 limits user metadata to 2 KB of keys and values in a PUT (aws_behaviour.md, 13.3)."""
    longest = StoredMonth("f" * 64, '"' + "e" * 200 + '"', "Wednesday, 31 Dec 2099 23:59:59 GMT",
                          10**12)
    size = sum(len(k) + len(v) for k, v in metadata_of(longest).items())
    assert size < 512


def test_a_bucket_it_cannot_reach_is_named_in_the_error(client: Any, tmp_path: Path) -> None:
    store = S3Store("no-such-bucket", "", client)
    with pytest.raises(S3StoreError, match="could not write s3://no-such-bucket/daily_flights/"):
        store.put(KEY, _gzip(tmp_path), MONTH)
    with pytest.raises(S3StoreError, match="could not list s3://no-such-bucket/daily_flights/"):
        list(store.keys("daily_flights/"))
    with pytest.raises(S3StoreError, match="no bucket"):
        S3Store("", "", client)


class HeadObjectWithoutListBucket:
    """The client as the feed's role sees S3: it may list only under daily_flights/ (a
    condition on s3:prefix, which a HeadObject request does not carry), so HeadObject on a
    missing key answers 403, not 404, as the S3 API reference documents for a caller without
    s3:ListBucket (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def head_object(self, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        listed = self.client.list_objects_v2(Bucket=kwargs["Bucket"], Prefix=kwargs["Key"])
        if not any(item["Key"] == kwargs["Key"] for item in listed.get("Contents", [])):
            raise ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadObject")
        return self.client.head_object(**kwargs)


def test_a_missing_month_is_missing_for_a_role_that_may_list_only_its_prefix(
    client: Any, tmp_path: Path,
) -> None:
    store = S3Store(BUCKET, "", HeadObjectWithoutListBucket(client))
    assert store.stored(KEY) is None  # not a 403 failure: the month is simply not there
    store.put(KEY, _gzip(tmp_path), MONTH)
    assert store.stored(KEY) == MONTH
    # A look-alike key that only starts with the month's key is not the month.
    client.put_object(Bucket=BUCKET, Key=KEY + ".bak", Body=b"x")
    client.delete_object(Bucket=BUCKET, Key=KEY)
    assert store.stored(KEY) is None
