"""Which objects under the landing prefix are new: an S3 listing against what was seen before.

The Glue job lists the landing prefix (object metadata only: key, ETag, size) instead of a
bookmarked read: a bookmarked read parses every byte of every new file once just to learn the
paths, `input_file_name()` hands back URL-encoded keys (`flights%201.csv`), and a read that
yields no rows (file grouping past 50,000 files, or only empty files) would still let
`job.commit()` move the bookmark over files never landed. A listing returns the keys as they are
(boto3 decodes the `EncodingType=url` answer), costs one request per 1,000 objects and reads no
data.

"Seen" is kept in the warehouse, beside the control table: `raw.s3_objects_seen` holds one row
per (key, ETag) the job finished with, written only after the landing returned a final result
for that file (airline_landing.retries: a passing failure with tries left is not final, so the
file is listed again on the next run). A new ETag under an old key (a re-delivery with new
content) is new; the same ETag again is not. The control table stays the authority on content
(same key and sha256 = duplicate), so an object listed twice (a crash between landing and
marking) lands once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from airline_landing.scan import is_landing_key
from airline_landing.source import split_s3_uri

SEEN_TABLE = '"raw".s3_objects_seen'  # RAW is a reserved word on Redshift: quoted
SEEN_DDL = (
    f"create table if not exists {SEEN_TABLE} ("
    " file_key varchar(1024) not null,"
    " etag varchar(128) not null,"
    " file_bytes bigint not null,"
    " run_id varchar(128),"
    " seen_at timestamptz not null"
    ")"
)
SEEN_SELECT = f"select file_key, etag from {SEEN_TABLE}"
SEEN_INSERT = (
    f"insert into {SEEN_TABLE} (file_key, etag, file_bytes, run_id, seen_at)"
    " values (%s, %s, %s, %s, %s)"
)


@dataclass(frozen=True)
class S3Object:
    key: str  # decoded, relative to the bucket: daily_flights/date=2023-11-15/flights 1.csv
    etag: str
    size: int


def list_landing_objects(
    s3: Any, landing_uri: str, failed_uri: str, page_size: int = 1000
) -> list[S3Object]:
    """Every *.csv object under the landing prefix, by key (ListObjectsV2, paginated)."""
    bucket, prefix = split_s3_uri(landing_uri)
    failed_bucket, failed_prefix = split_s3_uri(failed_uri)
    if failed_bucket != bucket:
        failed_prefix = "\0"  # nothing in this bucket is under another bucket's failed/
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
    ):
        for item in page.get("Contents", []):
            if is_landing_key(item["Key"], prefix, failed_prefix):
                found.append(S3Object(item["Key"], item["ETag"].strip('"'), int(item["Size"])))
    return sorted(found, key=lambda o: o.key)


def new_objects(listed: Iterable[S3Object], seen: Iterable[tuple[str, str]]) -> list[S3Object]:
    """The listed objects whose (key, ETag) was never marked seen."""
    done = {(key, etag.strip()) for key, etag in seen}
    return [o for o in listed if (o.key, o.etag) not in done]


def seen_rows(
    objects: Iterable[S3Object], finished_keys: Iterable[str], run_id: str, now: str
) -> list[tuple[str, str, int, str, str]]:
    """SEEN_INSERT rows for the objects whose landing reached a final result."""
    finished = set(finished_keys)
    return [(o.key, o.etag, o.size, run_id, now) for o in objects if o.key in finished]
