"""The Glue shell's plain-Python parts: which objects are new (S3 listing under moto's S3) and
the Redshift secret's two shapes."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from airline_landing.glue_args import JobArgumentError, parse_job_args, redshift_connect_params
from airline_landing.s3_listing import S3Object, list_landing_objects, new_objects, seen_rows

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
