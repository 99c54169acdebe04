"""The S3 store of fetched months: the data bucket on AWS (MonthStore, airline_fetch/stores.py).

What the store knows of a month (`StoredMonth`) travels with the object as S3 user-defined
metadata (`x-amz-meta-*`), so that a run needs no table of its own: HeadObject answers
"is this month here, and from which remote file". S3 returns user metadata keys in lower case
and limits them, keys and values together, to 2 KB in a PUT's headers
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html): the four short
lower-case keys below take about 200 bytes.

`put` is one upload of the finished gzip file (`upload_file`; multipart for a large file, which
the landing does not mind: it hashes the bytes, not the ETag). S3 never adds a partial object
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html), so the landing rule never
sees half a month.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from airline_fetch.stores import StoredMonth

META_CSV_SHA256 = "csv-sha256"
META_SOURCE_ETAG = "source-etag"
META_SOURCE_LAST_MODIFIED = "source-last-modified"
META_SOURCE_SIZE = "source-size"
NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}


class S3StoreError(RuntimeError):
    """The bucket could not be read or written (a clear message; nothing is half-written)."""


class S3Store:
    """Months as objects `s3://<bucket>/<prefix><key>` with their StoredMonth as user metadata."""

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        if not bucket:
            raise S3StoreError("no bucket given for the S3 store")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.bucket = bucket
        self.prefix = prefix
        self.client = client

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def stored(self, key: str) -> StoredMonth | None:
        """A month absent is known from a listing, not from HeadObject: on a missing key
        HeadObject answers 404 only to a caller allowed s3:ListBucket on the bucket, 403
        otherwise (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html), and
        the feed's role may list only under its prefix (a condition a HeadObject request does
        not carry). The listing is under that prefix, so the role may make it."""
        try:
            listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix + key,
                                                 MaxKeys=1)
        except Exception as error:
            raise S3StoreError(f"could not list {self.describe()}{key}: {error}") from error
        if not any(item.get("Key") == self.prefix + key for item in listed.get("Contents", [])):
            return None
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except Exception as error:  # botocore's ClientError, without importing botocore here
            if _error_code(error) in NOT_FOUND_CODES:
                return None
            raise S3StoreError(f"could not read {self.describe()}{key}: {error}") from error
        return stored_month_from_metadata(head.get("Metadata") or {})

    def put(self, key: str, gz_path: Path, month: StoredMonth) -> None:
        try:
            self.client.upload_file(
                str(gz_path),
                self.bucket,
                self.prefix + key,
                ExtraArgs={"Metadata": metadata_of(month), "ContentType": "application/gzip"},
            )
        except Exception as error:
            raise S3StoreError(f"could not write {self.describe()}{key}: {error}") from error

    def keys(self, under: str) -> Iterator[str]:
        """Every key (relative to the store's root) under the folder `under` (daily_flights/)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + under
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix):]
        except Exception as error:
            raise S3StoreError(f"could not list {self.describe()}{under}: {error}") from error


def metadata_of(month: StoredMonth) -> dict[str, str]:
    """StoredMonth as S3 user metadata: lower-case keys (S3 returns them so), ASCII values."""
    metadata = {META_CSV_SHA256: month.csv_sha256}
    if month.source_etag is not None:
        metadata[META_SOURCE_ETAG] = month.source_etag
    if month.source_last_modified is not None:
        metadata[META_SOURCE_LAST_MODIFIED] = month.source_last_modified
    if month.source_size is not None:
        metadata[META_SOURCE_SIZE] = str(month.source_size)
    return metadata


def stored_month_from_metadata(metadata: dict[str, str]) -> StoredMonth:
    """The StoredMonth an object's metadata records. An object put there by hand has none: its
    CSV hash is then unknown (""), so the next fetch of that month compares unequal and
    replaces it with a recorded copy."""
    lowered = {name.lower(): value for name, value in metadata.items()}
    size = lowered.get(META_SOURCE_SIZE)
    return StoredMonth(
        csv_sha256=lowered.get(META_CSV_SHA256, ""),
        source_etag=lowered.get(META_SOURCE_ETAG),
        source_last_modified=lowered.get(META_SOURCE_LAST_MODIFIED),
        source_size=int(size) if size and size.isdigit() else None,
    )


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
