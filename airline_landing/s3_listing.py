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

A key whose content was a duplicate of another key's (the same bytes landed there first) is
marked seen like any other, yet its content is held only by that other key. When the other key
is replaced, the content would be lost: a local run decides every file again on every run, but
a listing skips what is seen. So a seen key whose latest version is such a duplicate is listed
again when the key holding its content is listed with new content in the same run, or when no
key holds that content any more (a run that died between the two): DUPLICATES_SELECT finds
them with their holders, new_objects puts them after the run's new objects, so the engine
lands the holder's new version first and then decides the duplicate again (it lands, or it is
the duplicate of yet another key with the same bytes). A duplicate of the key's own failed
version (the same bytes failed before) is never listed again: its failure is final.
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

# Each key whose latest version is a duplicate of another key's content, with a key holding
# that content now (NULL when none does); not a duplicate of a failed version of its own. Plain
# joins, no correlated subqueries.
DUPLICATES_SELECT = """
with latest as (
    select file_key, max(file_version_id) as file_version_id
    from "raw".landed_files
    group by file_key
),

failed_before as (
    select distinct
        file_key,
        content_sha256
    from "raw".landed_files
    where status = 'failed'
)

select
    versions.file_key,
    holders.file_key as holder_key
from "raw".landed_files as versions
inner join latest on versions.file_version_id = latest.file_version_id
left join "raw".landed_files as holders
    on
        versions.content_sha256 = holders.content_sha256
        and holders.status = 'landed'
left join failed_before
    on
        versions.file_key = failed_before.file_key
        and versions.content_sha256 = failed_before.content_sha256
where
    versions.status = 'duplicate'
    and failed_before.file_key is null
order by versions.file_key
"""


@dataclass(frozen=True)
class S3Object:
    key: str  # decoded, relative to the bucket: daily_flights/date=2023-11-15/flights 1.csv
    etag: str
    size: int


def list_landing_objects(
    s3: Any, landing_uri: str, failed_uri: str, page_size: int = 1000
) -> list[S3Object]:
    """Every *.csv and *.csv.gz object (scan.is_landing_key) under the landing prefix, by
    key (ListObjectsV2, paginated)."""
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


def duplicates_of_others(rows: Iterable[tuple[str, str | None]]) -> dict[str, set[str]]:
    """DUPLICATES_SELECT's rows as {duplicate key: the other keys holding its content}; a key
    whose content it holds itself (the same bytes delivered to it again) is left out."""
    holders: dict[str, set[str]] = {}
    for key, holder in rows:
        holders.setdefault(key, set()).update([holder] if holder else [])
    return {key: held_by for key, held_by in holders.items() if key not in held_by}


def new_objects(
    listed: Iterable[S3Object],
    seen: Iterable[tuple[str, str]],
    duplicates: dict[str, set[str]] | None = None,
) -> list[S3Object]:
    """The listed objects whose (key, ETag) was never marked seen; then the seen duplicates
    (`duplicates_of_others`) whose content loses its holder in this run or has none left,
    after them so that the holder's new version lands first."""
    done = {(key, etag.strip()) for key, etag in seen}
    holders = duplicates or {}
    listed = list(listed)
    fresh = [o for o in listed if (o.key, o.etag) not in done]
    changed = {o.key for o in fresh}
    again = [o for o in listed if (o.key, o.etag) in done and o.key in holders
             and (not holders[o.key] or holders[o.key] & changed)]
    return fresh + again


def seen_rows(
    objects: Iterable[S3Object], finished_keys: Iterable[str], run_id: str, now: str
) -> list[tuple[str, str, int, str, str]]:
    """SEEN_INSERT rows for the objects whose landing reached a final result."""
    finished = set(finished_keys)
    return [(o.key, o.etag, o.size, run_id, now) for o in objects if o.key in finished]
