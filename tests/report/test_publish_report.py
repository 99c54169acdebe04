"""The dbt image's publish_report.py (the AWS stack's report, beside the docs site): the same
report modules on the sample warehouse (standing in for Redshift: the report's SQL is plain
enough for both), uploaded to S3 (moto) at <docs prefix>report.html."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import boto3
import psycopg
import pytest
from conftest import REPO, Cli
from moto import mock_aws

from airline_elt.build_record import BuildRecord, record_build

SCRIPT = REPO / "orchestration" / "dbt_image" / "publish_report.py"


def _publish_report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("publish_report", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_report_is_uploaded_beside_the_docs_site(sample_cli: Cli) -> None:
    module = _publish_report()
    with mock_aws(), psycopg.connect(sample_cli.url(), autocommit=True) as conn:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="docs-bucket")
        uri = module.publish(conn, "s3://docs-bucket/dbt-docs/", s3, {"DBT_TARGET": "prod"},
                             project_dir=REPO)
        assert uri == "s3://docs-bucket/dbt-docs/report.html"
        stored = s3.get_object(Bucket="docs-bucket", Key="dbt-docs/report.html")
        body = stored["Body"].read().decode("utf-8")
    assert stored["ContentType"] == "text/html; charset=utf-8"
    assert "<h1>Airline delays report</h1>" in body
    assert 'id="section-daily-trend"' in body and "departs more than 60 minutes late" in body


def test_the_published_report_shows_the_banner_of_a_failed_build(
    sample_cli: Cli, tmp_path: Path,
) -> None:
    """Issue 20 on AWS: the build the dbt task just ran, recorded by build_guard.py in the
    task's state folder, gives the published report the same banner as a local report."""
    module = _publish_report()
    home = tmp_path / "task-home"
    env = {"DBT_TARGET": "prod", "AIRLINE_ELT_HOME": str(home)}

    def published() -> str:
        with mock_aws(), psycopg.connect(sample_cli.url(), autocommit=True) as conn:
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="docs-bucket")
            module.publish(conn, "s3://docs-bucket/dbt-docs/", s3, env, project_dir=REPO)
            stored = s3.get_object(Bucket="docs-bucket", Key="dbt-docs/report.html")
            return stored["Body"].read().decode("utf-8")

    record_build(home, BuildRecord(False, "2026-12-03T06:36:00+00:00", "fail 1, success 2",
                                   ("not_null_mv_delay_correlation_flights_operated",)))
    body = published()
    assert 'id="failed-build"' in body
    assert "(2026-12-03 06:36 UTC): failing node not_null_mv_delay_correlation_flights_" in body
    record_build(home, BuildRecord(True, "2026-12-03T07:00:00+00:00", "success 3"))
    assert 'id="failed-build"' not in published()


@pytest.mark.parametrize(
    ("uri", "location"),
    [("s3://docs-bucket/dbt-docs/", ("docs-bucket", "dbt-docs/report.html")),
     ("s3://docs-bucket/dbt-docs", ("docs-bucket", "dbt-docs/report.html")),
     ("s3://docs-bucket/", ("docs-bucket", "report.html"))],
)
def test_the_report_key_is_next_to_index_html(uri: str, location: tuple[str, str]) -> None:
    assert _publish_report().report_location(uri) == location


def test_a_docs_uri_that_is_not_s3_is_refused() -> None:
    with pytest.raises(ValueError, match="not an s3://bucket/prefix/ URI"):
        _publish_report().report_location("https://example.com/docs/")


@pytest.mark.parametrize(
    ("env", "schema"),
    [({"DBT_TARGET": "prod"}, "airlines"),
     ({}, "airlines"),
     ({"DBT_TARGET": "dev", "DBT_SCHEMA": "dev_alice"}, "dev_alice_airlines"),
     ({"DBT_TARGET": "dev", "USER": "bob"}, "dev_bob_airlines")],
)
def test_the_schemas_follow_generate_schema_name(env: dict[str, str], schema: str) -> None:
    module = _publish_report()
    assert module.built_schema(env) == schema
    assert module.built_schema(env, "intermediate") == schema.replace("airlines", "intermediate")


def test_the_entrypoint_runs_this_script_in_the_image() -> None:
    entrypoint = (REPO / "orchestration" / "dbt_image" / "entrypoint.sh").read_text()
    assert "/opt/airline-elt/publish_report.py" in entrypoint
    assert "COPY orchestration/dbt_image/publish_report.py ./publish_report.py" in (
        REPO / "orchestration" / "dbt_image" / "Dockerfile").read_text()
    assert Path(SCRIPT).is_file()
