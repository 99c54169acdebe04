"""AWS Glue job: land new flight files from S3 into Redshift's raw schema.

A thin shell around airline_landing (the same functions the local run uses); all logic
beneath it is tested locally. Job arguments (CloudFormation DefaultArguments use the
`--name` form):

    --JOB_NAME             set by Glue
    --landing_uri          s3://<bucket>/daily_flights/   files to land (keys are relative
                           to the bucket: daily_flights/date=YYYY-MM-DD/flights.csv)
    --failed_uri           s3://<bucket>/failed/          unreadable files are copied here
                           (as failed/<key>)
    --redshift_secret_arn  Secrets Manager ARN of the Redshift secret
                           (JSON: host, port, username, password, dbname)
    --redshift_iam_role    IAM role ARN Redshift assumes for COPY from the temp dir
    --TempDir              s3://<bucket>/glue-temp/       Spark writes COPY input here
    --run_id               optional: the pipeline run id (defaults to the Glue job run id)
    --max_reject_ratio     optional: fail a file whole when more than this share of its rows
                           is rejected (default 0.05) ...
    --max_reject_rows      optional: ... and more than this many rows (default 10)
    --job-bookmark-option  job-bookmark-enable (bookmarks skip objects already seen)

Bookmarks only narrow which objects are looked at; raw.landed_files stays the authority
(same key + same content = duplicate, new content replaces), so a re-uploaded file is
still handled right. Nothing is bookmarked unless the whole run succeeds (job.commit()).
"""

import sys

import boto3
import redshift_connector
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

from airline_landing.bucket import land_bucket_keys
from airline_landing.ddl import raw_tables_ddl
from airline_landing.glue_args import (
    job_arg_names,
    keys_from_paths,
    parse_job_args,
    redshift_connect_params,
)
from airline_landing.source import split_s3_uri
from airline_landing.targets import RedshiftTarget

resolved = getResolvedOptions(sys.argv, job_arg_names(sys.argv))
args = parse_job_args(resolved)
glue_context = GlueContext(SparkContext.getOrCreate())
spark = glue_context.spark_session
job = Job(glue_context)
job.init(args.job_name, resolved)

# Bookmarked read: one column per whole line (no real separator or quote), plus the object
# path; only which objects are new matters here, the landing reads each file itself.
seen = glue_context.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args.landing_uri], "recurse": True},
    format="csv",
    format_options={"withHeader": False, "separator": "\u0001", "quoteChar": -1},
    transformation_ctx="landing_files",
).toDF()
paths = [row[0] for row in seen.select(F.input_file_name()).distinct().collect()]
keys = keys_from_paths(paths, args.landing_uri, args.failed_uri)

s3 = boto3.client("s3")
bucket, _ = split_s3_uri(args.landing_uri)
secret = boto3.client("secretsmanager").get_secret_value(SecretId=args.redshift_secret_arn)
connection = redshift_connector.connect(**redshift_connect_params(secret["SecretString"]))
with connection.cursor() as cursor:
    for statement in raw_tables_ddl("redshift"):
        cursor.execute(statement)
connection.commit()


def prefix_has_objects(uri: str) -> bool:
    prefix_bucket, prefix = split_s3_uri(uri)
    return s3.list_objects_v2(Bucket=prefix_bucket, Prefix=prefix, MaxKeys=1)["KeyCount"] > 0


target = RedshiftTarget(
    connection,
    temp_uri=args.temp_dir,
    iam_role=args.redshift_iam_role,
    list_prefix=prefix_has_objects,
)
report = land_bucket_keys(
    spark,
    keys,
    bucket=bucket,
    failed_uri=args.failed_uri,
    s3_client=s3,
    target=target,
    run_id=args.run_id,
    limits=args.limits,
    prefix=split_s3_uri(args.landing_uri)[1],
)
print(
    f"landed {report.files_landed} file(s), {report.files_duplicate} duplicate, "
    f"{report.files_failed} failed; rows read {report.rows_read}, "
    f"landed {report.rows_landed}, rejected {report.rows_rejected}"
)
connection.close()
job.commit()
