"""The Glue shell's parts: which objects are new (S3 listing under moto's S3), the Redshift
secret's two shapes, and a listed object that is gone by the time it is read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import psycopg
import pytest
from botocore.exceptions import ClientError
from conftest import ORCHESTRATION, load_template
from glue_runtime.shipped import wheels_in_template
from moto import mock_aws

from airline_elt.warehouse import Connection
from airline_landing.glue_args import JobArgumentError, parse_job_args, redshift_connect_params
from airline_landing.landing import land_files
from airline_landing.local import create_raw_tables
from airline_landing.s3_listing import (
    S3Object,
    duplicates_of_others,
    list_landing_objects,
    new_objects,
    seen_rows,
)
from airline_landing.source import LocalFile
from airline_landing.targets import PostgresTarget
from airline_landing.thresholds import RejectLimits

ARGS = {
    "JOB_NAME": "landing",
    "landing_uri": "s3://bkt/daily_flights/",
    "failed_uri": "s3://bkt/failed/",
    "redshift_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:r-AbC",
    "redshift_iam_role": "arn:aws:iam::123456789012:role/copy",
    "TempDir": "s3://bkt/glue-temp/",
}


def test_listing_returns_decoded_csv_keys_under_the_prefix_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    keys = [
        "daily_flights/date=2023-11-15/flights 1.csv",
        "daily_flights/a+b%20c.CSV",
        "daily_flights/ünï.csv",
        "daily_flights/readme.txt",
        "daily_flights/failed/inside.csv",
        "other/x.csv",
        "failed/daily_flights/old.csv",
    ]
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bkt")
        for key in keys:
            s3.put_object(Bucket="bkt", Key=key, Body=key.encode())
        # More than a page (2 keys a page here, 1,000 by default): every page is kept.
        for n in range(5):
            s3.put_object(Bucket="bkt", Key=f"daily_flights/bulk/{n:04}.csv", Body=b"x")
        listed = list_landing_objects(
            s3, "s3://bkt/daily_flights/", "s3://bkt/daily_flights/failed/", page_size=2
        )
    named = [o.key for o in listed if "/bulk/" not in o.key]
    assert named == [
        "daily_flights/a+b%20c.CSV",
        "daily_flights/date=2023-11-15/flights 1.csv",
        "daily_flights/ünï.csv",
    ]
    assert len(listed) == 3 + 5
    assert all(len(o.etag) == 32 and '"' not in o.etag for o in listed)


def test_new_objects_are_the_unseen_key_and_etag_pairs() -> None:
    listed = [S3Object("a.csv", "e1", 10), S3Object("b.csv", "e2", 20), S3Object("c.csv", "e3", 1)]
    seen = [("a.csv", "e1"), ("b.csv", "old-etag")]
    assert [o.key for o in new_objects(listed, seen)] == ["b.csv", "c.csv"]
    # Issue 20: a seen duplicate of another key's content is listed again, after the new
    # objects, when that key has new content in this run or no key holds the content any more.
    assert duplicates_of_others([("a.csv", "b.csv"), ("a.csv", None), ("x.csv", "x.csv"),
                                 ("z.csv", None)]) == {"a.csv": {"b.csv"}, "z.csv": set()}
    assert [o.key for o in new_objects(listed, seen, {"a.csv": {"b.csv"}})] == [
        "b.csv", "c.csv", "a.csv"]
    assert [o.key for o in new_objects(listed, seen, {"a.csv": set()})] == [
        "b.csv", "c.csv", "a.csv"]
    assert [o.key for o in new_objects(listed, seen, {"a.csv": {"unchanged.csv"}})] == [
        "b.csv", "c.csv"]
    rows = seen_rows(listed, ["b.csv"], "run-1", "2023-11-16T00:00:00+00:00")
    assert rows == [("b.csv", "e2", 20, "run-1", "2023-11-16T00:00:00+00:00")]


def test_secret_with_only_username_and_password_takes_the_endpoint_from_the_arguments() -> None:
    managed = json.dumps({"username": "u", "password": "p"})  # a Redshift-managed secret
    args = parse_job_args({**ARGS, "redshift_host": "h.example", "redshift_database": "analytics"})
    assert redshift_connect_params(managed, args) == {
        "host": "h.example", "port": 5439, "user": "u", "password": "p", "database": "analytics",
    }
    with pytest.raises(JobArgumentError, match=r"lacks: host \(neither --redshift_host"):
        redshift_connect_params(managed, parse_job_args(ARGS))


def test_secret_with_the_endpoint_is_used_as_it_is() -> None:
    full = json.dumps(
        {"username": "u", "password": "p", "host": "h", "port": "5440", "dbname": "d",
         "engine": "redshift", "dbClusterIdentifier": "c"}
    )
    assert redshift_connect_params(full, parse_job_args(ARGS)) == {
        "host": "h", "port": 5440, "user": "u", "password": "p", "database": "d",
    }
    with pytest.raises(JobArgumentError, match="not a port number"):
        parse_job_args({**ARGS, "redshift_port": "54x"})


class VanishedObject:
    """An S3 object that was listed, then deleted before the landing read it."""

    def __init__(self, key: str) -> None:
        self.key = key

    @staticmethod
    def _gone(operation: str) -> ClientError:
        error = {"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}}
        return ClientError(error, operation)  # type: ignore[arg-type]

    def chunks(self):  # type: ignore[no-untyped-def]
        raise self._gone("GetObject")

    def spark_path(self) -> str:
        raise AssertionError("a file that cannot be read is never given to Spark")

    def copy_to_failed(self) -> str:
        raise self._gone("CopyObject")


def test_a_file_gone_between_listing_and_reading_fails_alone(
    spark, connection: Connection, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    name = "airline_elt_vanished"
    with psycopg.connect(connection.url(), autocommit=True) as admin:
        admin.execute(f"drop database if exists {name}")
        admin.execute(f"create database {name}")
    conninfo = Connection(
        connection.host, connection.port, connection.user, connection.password, name
    ).url()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        create_raw_tables(conn)
    good = "daily_flights/date=2023-11-15/flights.csv"
    (tmp_path / good).parent.mkdir(parents=True)
    (tmp_path / good).write_text(
        "FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate\n"
        "DL1,DL,10397,12478,90,80,2023-11-15\n"
    )
    sources = [
        VanishedObject("daily_flights/date=2023-11-14/flights.csv"),
        LocalFile(tmp_path, good, tmp_path / "failed"),
    ]
    with psycopg.connect(conninfo) as conn:
        report = land_files(spark, sources, PostgresTarget(conn), "run-1", limits=RejectLimits())
    [gone, landed] = report.files
    assert (landed.key, landed.status, landed.rows_landed) == (good, "landed", 1)
    # A passing failure (retries.py): tried again on the next run, so not final and not set
    # aside yet; the Glue job leaves it unmarked, to be listed again.
    assert gone.status == "failed" and not gone.final
    assert "NoSuchKey" in (gone.error or "") and "try 1 of 3" in (gone.error or "")
    assert "copied" not in (gone.error or "") and "copy it aside" not in (gone.error or "")


def test_the_job_installs_only_the_shipped_pinned_wheels_and_never_asks_an_index() -> None:
    """No PyPI at run time: every --additional-python-modules entry is a wheel deploy.sh ships
    to the artifact bucket (the same list: orchestration/glue_wheels.sh), and pip is told
    --no-index, so a name that slipped in would fail the job's start, not reach PyPI.
    test_glue_job.py installs exactly these over Glue 5.0's modules and runs the job there."""
    arguments = load_template()["Resources"]["LandingJob"]["Properties"]["DefaultArguments"]
    modules = arguments["--additional-python-modules"]["Fn::Sub"]
    wheels = wheels_in_template(modules)
    assert all(
        entry.strip().startswith("s3://${ArtifactBucket}/${ArtifactPrefix}glue/wheels/")
        for entry in modules.split(",")
    )
    assert arguments["--python-modules-installer-option"] == "--no-index"
    listed = (ORCHESTRATION / "glue_wheels.sh").read_text()
    shipped = re.search(r"GLUE_WHEELS=\(\n(.*?)\n\)", listed, re.S)
    assert shipped is not None
    assert [file for file, _, _ in wheels] == shipped[1].split()
    assert "source orchestration/glue_wheels.sh" in (ORCHESTRATION / "deploy.sh").read_text()
    names = {name.lower().replace("_", "-") for _, name, _ in wheels}
    assert {"redshift-connector", "jinja2", "markupsafe"} <= names
