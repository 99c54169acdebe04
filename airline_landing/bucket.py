"""Landing on AWS: a Glue job run's new S3 objects, as batches, into Redshift.

    land_bucket_keys(spark, keys, *, bucket, failed_uri, s3_client, target, run_id,
                     limits, prefix="daily_flights/", bounds=None) -> LandingReport

The Glue shell (glue/landing_job.py) calls this once per job run with the object keys
its bookmarked listing found new (relative to the bucket, e.g.
'daily_flights/date=2023-11-15/flights.csv'); the keys go through the one scanner rule
(airline_landing.scan: *.csv under the landing prefix, never under failed/), each file
is read from S3 with `s3_client` (boto3) for its hash and header, and the new versions
land in bounded batches, one Spark job each, exactly as the local run lands a folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pyspark.sql import SparkSession

from airline_landing.bounds import BatchBounds
from airline_landing.landing import land_files
from airline_landing.results import LandingReport
from airline_landing.scan import DEFAULT_PREFIX, FAILED_PREFIX, is_landing_key, normalise_prefix
from airline_landing.source import S3File, split_s3_uri
from airline_landing.targets import LandingTarget
from airline_landing.thresholds import RejectLimits


def bucket_keys(
    keys: Iterable[str], bucket: str, failed_uri: str, prefix: str = DEFAULT_PREFIX
) -> list[str]:
    """The keys to land, sorted and once each: the scanner's rule, with the failed/ prefix
    of `failed_uri` when it lies in the same bucket."""
    failed_bucket, failed_prefix = split_s3_uri(failed_uri)
    failed = failed_prefix if failed_bucket == bucket else FAILED_PREFIX
    landing_prefix = normalise_prefix(prefix)
    return sorted({key for key in keys if is_landing_key(key, landing_prefix, failed)})


def land_bucket_keys(
    spark: SparkSession | Callable[[], SparkSession],
    keys: Iterable[str],
    *,
    bucket: str,
    failed_uri: str,
    s3_client: object,
    target: LandingTarget,
    run_id: str,
    limits: RejectLimits,
    prefix: str = DEFAULT_PREFIX,
    bounds: BatchBounds | None = None,
) -> LandingReport:
    """Land the run's new objects of `bucket` (see the module's docstring)."""
    sources = [
        S3File(bucket, key, failed_uri, s3_client)
        for key in bucket_keys(keys, bucket, failed_uri, prefix)
    ]
    return land_files(spark, sources, target, run_id, limits=limits, bounds=bounds)
