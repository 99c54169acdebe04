"""AWS Glue job: land new flight files from S3 into Redshift's raw schema.

A thin shell around airline_landing (the same functions the local run uses); all logic
beneath it is tested locally, and this script itself runs in tests/orchestration/test_glue_job.py
as Glue runs it (the package zipped on sys.path, a stand-in for awsglue). Job arguments
(CloudFormation DefaultArguments use the `--name` form):

    --JOB_NAME             set by Glue
    --landing_uri          s3://<bucket>/daily_flights/   files to land (keys are relative
                           to the bucket: daily_flights/date=YYYY-MM-DD/flights.csv, or
                           flights.csv.gz: gzip files land through the same code, hashed on
                           their stored bytes, read through Spark's gzip codec)
    --failed_uri           s3://<bucket>/failed/          unreadable files are copied here
                           (as failed/<key>)
    --redshift_secret_arn  Secrets Manager ARN of the Redshift user's secret (JSON with
                           username and password; host, port, dbname when present)
    --redshift_host        the cluster endpoint's host (wins over the secret's host)
    --redshift_port        optional: the endpoint's port (default: the secret's, else 5439)
    --redshift_database    optional: the database (default: the secret's dbname, else dev)
    --redshift_iam_role    IAM role ARN Redshift assumes for COPY from the temp dir
    --TempDir              s3://<bucket>/glue-temp/       Spark writes COPY input here
    --run_id               optional: the pipeline run id (defaults to the Glue job run id)
    --max_reject_ratio     optional: fail a file whole when more than this share of its rows
                           is rejected (default 0.05) ...
    --max_reject_rows      optional: ... and more than this many rows (default 10)
    --first_flight_date    optional: the earliest plausible flight date (default 1987-10-01)
    --future_days          optional: days past the landing day a flight date may lie (1)
    --min_delay            optional: the smallest plausible delay in minutes (-1440)
    --max_delay            optional: the largest plausible delay in minutes (4320); rows
                           outside these are rejected (airline_landing/plausibility.py)

Which files are new comes from an S3 listing checked against raw.s3_objects_seen
(airline_landing.s3_listing explains why not a bookmarked read). raw.landed_files stays the
authority on content (same key + same content = duplicate, new content replaces). A file is
marked seen only once it reached a final state (airline_landing.retries: landed, duplicate, a
permanent failure, or given up after its tries): a passing failure is listed again next run, and
a run that dies lists the same files again next time; the control table lands each exactly once.
Each object is hashed at the listed ETag and checked unchanged after Spark's read
(airline_landing.source.S3File), so a re-upload in between fails that file alone.
"""

from __future__ import annotations

import sys
from typing import Any

import boto3
import redshift_connector
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import SparkSession

from airline_landing.ddl import RAW_SCHEMA_EXISTS_SQL, add_missing_columns, raw_tables_ddl
from airline_landing.glue_args import (
    LandingJobArgs,
    job_arg_names,
    parse_job_args,
    redshift_connect_params,
)
from airline_landing.landing import land_files, utc_now
from airline_landing.results import FileStatus, LandingReport
from airline_landing.s3_listing import (
    DUPLICATES_SELECT,
    SEEN_DDL,
    SEEN_INSERT,
    SEEN_SELECT,
    S3Object,
    duplicates_of_others,
    list_landing_objects,
    new_objects,
    seen_rows,
)
from airline_landing.source import S3File, split_s3_uri
from airline_landing.targets import RedshiftTarget


def connect(args: LandingJobArgs) -> Any:
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=args.redshift_secret_arn)
    return redshift_connector.connect(**redshift_connect_params(secret["SecretString"], args))


def create_tables(connection: Any) -> None:
    """The raw tables (if missing), and the BTS columns an older raw.flights_landing lacks:
    Redshift has no `add column if not exists`, so they are looked up and added one by one."""
    with connection.cursor() as cursor:
        cursor.execute(RAW_SCHEMA_EXISTS_SQL)
        schema_exists = bool(cursor.fetchone()[0])
        for statement in [*raw_tables_ddl("redshift", schema_exists=schema_exists), SEEN_DDL]:
            cursor.execute(statement)
        add_missing_columns(cursor)
    connection.commit()


def find_new_files(s3: Any, connection: Any, args: LandingJobArgs) -> list[S3Object]:
    with connection.cursor() as cursor:
        cursor.execute(SEEN_SELECT)
        seen = [(row[0], row[1]) for row in cursor.fetchall()]
        # Duplicates of another key's content: listed again when that key changes (s3_listing).
        cursor.execute(DUPLICATES_SELECT)
        duplicates = duplicates_of_others((row[0], row[1]) for row in cursor.fetchall())
    connection.commit()
    listed = list_landing_objects(s3, args.landing_uri, args.failed_uri)
    return new_objects(listed, seen, duplicates)


def spark_prefix_has_objects(spark: SparkSession) -> Any:
    """Whether a prefix Spark just wrote holds any part file, asked of the file system Spark
    wrote through (EMRFS on Glue), so the answer is the writer's own view."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    if jvm is None:
        raise RuntimeError("Spark's JVM gateway is closed: the session was stopped")

    def has_objects(prefix: str) -> bool:
        pattern = jvm.org.apache.hadoop.fs.Path(prefix + "*")
        statuses = pattern.getFileSystem(conf).globStatus(pattern)
        return statuses is not None and len(statuses) > 0

    return has_objects


def land(
    spark: SparkSession, s3: Any, connection: Any, objects: list[S3Object], args: LandingJobArgs
) -> LandingReport:
    """The landing engine, one call: every new file in this run, each one's errors kept in its
    own result (status 'failed', copied aside) by the engine."""
    bucket, _ = split_s3_uri(args.landing_uri)
    target = RedshiftTarget(
        connection,
        temp_uri=args.temp_dir,
        iam_role=args.redshift_iam_role,
        list_prefix=spark_prefix_has_objects(spark),
    )
    sources = [S3File(bucket, o.key, args.failed_uri, s3, etag=o.etag) for o in objects]
    return land_files(
        spark, sources, target, args.run_id, limits=args.limits, plausible=args.plausible
    )


def mark_seen(
    connection: Any, objects: list[S3Object], report: LandingReport, run_id: str
) -> None:
    rows = seen_rows(objects, (f.key for f in report.files if f.final), run_id, utc_now())
    with connection.cursor() as cursor:
        for row in rows:
            cursor.execute(SEEN_INSERT, row)
    connection.commit()


def main(argv: list[str]) -> None:
    resolved = getResolvedOptions(argv, job_arg_names(argv))
    args = parse_job_args(resolved)
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args.job_name, resolved)
    s3 = boto3.client("s3")
    connection = connect(args)
    try:
        create_tables(connection)
        objects = find_new_files(s3, connection, args)
        report = land(glue_context.spark_session, s3, connection, objects, args)
        mark_seen(connection, objects, report, args.run_id)
    finally:
        connection.close()
    print(
        f"{len(objects)} new file(s): landed {report.files_landed}, "
        f"{report.files_duplicate} duplicate, {report.files_failed} failed; rows read "
        f"{report.rows_read}, landed {report.rows_landed}, rejected {report.rows_rejected}"
    )
    for failed in (f for f in report.files if f.status == FileStatus.FAILED):
        print(f"failed: {failed.key}: {failed.error}")
    job.commit()


if __name__ == "__main__":
    main(sys.argv)
