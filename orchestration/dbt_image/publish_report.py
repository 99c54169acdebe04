"""Publish the delay report beside the docs site (the dbt image's entrypoint runs it).

    python3 publish_report.py s3://<docs bucket>/dbt-docs/

Reads the marts on Redshift (the credentials of the task definition, as dbt's profile does),
writes the report with the airline_elt.report modules copied into the image, and uploads it to
<prefix>report.html, next to the docs site's index.html. Exit status 0 when published, 1 when not
(the entrypoint logs a warning: the data is what the run is for).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from airline_elt.build_record import BuildRecord, last_build
from airline_elt.report import REPORT_FILE, write_report
from airline_elt.report_data import DbConnection, load_report_data

PROJECT_DIR = Path(__file__).resolve().parent  # /opt/airline-elt: dbt_project.yml beside it
STATE_HOME = "/tmp/airline-elt"  # where build_guard.py records the build (AIRLINE_ELT_HOME)


def built_schema(env: Mapping[str, str], name: str = "airlines") -> str:
    """Where the target built the models of custom schema `name` (macros/
    generate_schema_name.sql): `name` on prod, `<DBT_SCHEMA>_<name>` on dev (with
    profiles.yml.example's default schema for dev)."""
    target = env.get("DBT_TARGET", "prod")
    if target in ("prod", "local"):
        return name
    schema = env.get("DBT_SCHEMA") or f"dev_{env.get('USER', 'shared')}"
    return f"{schema}_{name}"


def report_location(docs_uri: str) -> tuple[str, str]:
    """(bucket, key) of the report beside the docs site of `docs_uri` (s3://bucket/prefix/)."""
    parsed = urlparse(docs_uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3://bucket/prefix/ URI: {docs_uri!r}")
    prefix = parsed.path.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return parsed.netloc, prefix + REPORT_FILE


def publish(conn: DbConnection, docs_uri: str, s3: Any, env: Mapping[str, str],
            project_dir: Path = PROJECT_DIR) -> str:
    """Write the report from `conn`'s marts and upload it; returns its s3:// URI. The build
    this task just ran (recorded by build_guard.py in $AIRLINE_ELT_HOME) gives the report its
    failed-build banner when it failed, as `airline-elt report` does locally."""
    bucket, key = report_location(docs_uri)
    data = load_report_data(conn, schema=built_schema(env, "airlines"),
                            intermediate_schema=built_schema(env, "intermediate"),
                            project_dir=project_dir)
    build: BuildRecord | None = last_build(Path(env.get("AIRLINE_ELT_HOME") or STATE_HOME))
    with tempfile.TemporaryDirectory() as folder:
        path = write_report(data, Path(folder) / REPORT_FILE, last_build=build)
        s3.upload_file(str(path), bucket, key,
                       ExtraArgs={"ContentType": "text/html; charset=utf-8"})
    return f"s3://{bucket}/{key}"


def connect_redshift(env: Mapping[str, str]) -> Any:
    """A DB-API connection with the task definition's credentials (redshift_connector comes
    with dbt-redshift)."""
    import redshift_connector

    return redshift_connector.connect(
        host=env["REDSHIFT_HOST"], port=int(env.get("REDSHIFT_PORT", "5439")),
        database=env.get("REDSHIFT_DATABASE", "dev"), user=env["REDSHIFT_USER"],
        password=env.get("DBT_ENV_SECRET_REDSHIFT_PASSWORD", ""), ssl=True,
    )


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: publish_report.py s3://bucket/prefix/", file=sys.stderr)
        return 2
    import boto3

    try:
        conn = connect_redshift(os.environ)
        try:
            uri = publish(conn, argv[0], boto3.client("s3"), os.environ)
        finally:
            conn.close()
    except Exception as error:
        print(f"airline-elt-dbt: report not published: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    print(f"airline-elt-dbt: delay report published to {uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
