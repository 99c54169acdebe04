"""glue/landing_job.py run the way Glue runs it, without an AWS account.

- A fresh Python process runs the script as __main__ with Glue's argv
  (glue_runtime/run_glue_job.py), in a Glue 5.0-like Python (glue_runtime/shipped.py): a fresh
  virtual environment holding Glue 5.0's own modules at Glue's versions, then the wheels the
  template's --additional-python-modules names, installed with `pip install --no-index` as Glue
  installs them. On its path besides: Spark's Python side (pyspark, py4j), the airline_landing
  zip (`--extra-py-files`) and the test stand-ins below. Every run checks that each module the
  job's process imported came from one of those places.
- `awsglue` is a test-only stand-in (glue_runtime/awsglue: getResolvedOptions, GlueContext,
  Job.init/commit recorded).
- S3 and Secrets Manager are a moto server in the test's process, reached through
  AWS_ENDPOINT_URL. Spark reads and writes `s3://` through a small Hadoop file system over a
  local mirror folder (glue_runtime/MirrorS3FileSystem.java), standing in for EMRFS; it hands
  back URL-encoded paths from input_file_name() as EMRFS does.
- Redshift is a recording stand-in for redshift_connector (standard library only) that relays
  every statement to the test's process, where it runs on the local PostgreSQL (only
  Redshift-only syntax translated: glue_runtime/redshift_relay.py), so the landing's decisions
  are real. It shadows the real driver, which the import test loads from the shipped wheel.

What this cannot show: EMRFS/S3 consistency and permissions, the real Redshift COPY (its parsing
of the staged CSV, IAM role), Glue's own launcher and its Python path order, network reachability.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import subprocess
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from conftest import REPO, load_template
from glue_runtime.redshift_relay import redshift_relay
from glue_runtime.shipped import Glue5, build_glue5, stdlib_path, wheels_in_template
from moto.server import ThreadedMotoServer

from airline_elt.landed_counts import for_psycopg
from airline_elt.run_summary import FILES
from airline_elt.warehouse import Connection
from airline_landing.ddl import missing_column_ddl, raw_tables_ddl
from airline_landing.parse import BTS_COLUMNS
from airline_landing.redrive import redrive
from airline_landing.retries import MAX_TRIES

RUNTIME = Path(__file__).with_name("glue_runtime")
BUCKET = "airline-elt-data-123"
DATABASE = "airline_elt_glue_job"
HEADER = "FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate"
SPACE_KEY = "daily_flights/date=2023-11-15/flights 1.csv"
ODD_KEY = "daily_flights/date=2023-11-16/a+b%c.CSV"  # '+', '%' and an upper-case extension
BROKEN_KEY = "daily_flights/broken.csv"
SECRET = {"username": "landing", "password": "not-a-real-password"}  # Redshift-managed shape


def flights(day: str, delays: list[int]) -> bytes:
    rows = [f"DL{n},DL,10397,12478,{d},{d},{day}" for n, d in enumerate(delays)]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@pytest.fixture(scope="session")
def mirror_fs_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MirrorS3FileSystem compiled against the Hadoop client API pyspark ships."""
    import pyspark

    out = tmp_path_factory.mktemp("mirror-fs")
    jars = Path(pyspark.__file__).parent / "jars"
    subprocess.run(
        ["javac", "-nowarn", "-d", str(out), "-cp", f"{jars}/*",
         str(RUNTIME / "MirrorS3FileSystem.java")],
        check=True,
    )
    return out


@pytest.fixture(scope="session")
def package_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """airline_landing zipped as deploy.sh zips it (the folder at the zip's root)."""
    path = tmp_path_factory.mktemp("artifacts") / "airline_landing.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted((REPO / "airline_landing").rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                archive.write(file, file.relative_to(REPO).as_posix())
    return path


def _shipped_wheels() -> list[tuple[str, str, str]]:
    arguments = load_template()["Resources"]["LandingJob"]["Properties"]["DefaultArguments"]
    return wheels_in_template(arguments["--additional-python-modules"]["Fn::Sub"])


@pytest.fixture(scope="session")
def glue5(tmp_path_factory: pytest.TempPathFactory) -> Glue5:
    """Glue 5.0's Python: its own modules, then the shipped wheels installed over them with
    `pip install --no-index`, as Glue does (glue_runtime/shipped.py)."""
    return build_glue5(tmp_path_factory.mktemp("glue5"), [f for f, _, _ in _shipped_wheels()])


@pytest.fixture(scope="session")
def glue_site(glue5: Glue5, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What Glue itself puts on the path: Spark's Python side (pyspark, py4j, linked) and
    awsglue (here the test stand-in)."""
    assert glue5.install.returncode == 0, glue5.install.stdout + glue5.install.stderr
    site = tmp_path_factory.mktemp("glue-spark")
    import py4j
    import pyspark

    for package in (pyspark, py4j):  # large: linked, not copied
        (site / package.__name__).symlink_to(Path(package.__file__).parent)
    (site / "awsglue").symlink_to(RUNTIME / "awsglue")
    return site


@pytest.fixture(scope="module")
def aws_endpoint() -> Iterator[str]:
    """moto as a server (S3, Secrets Manager), so that moto and its dependencies stay out of
    the job's process: the job reaches it through AWS_ENDPOINT_URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


def _aws_world(endpoint: str, objects: dict[str, bytes], secret: dict[str, Any],
               mirror: Path) -> str:
    """A fresh AWS for one run, as each run had its own before: the versioned bucket with
    `objects` (each also written to the mirror folder Spark reads) and the secret; its ARN."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).close()
    s3 = _client("s3", endpoint)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        path = mirror / BUCKET / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    secrets = _client("secretsmanager", endpoint)
    return secrets.create_secret(Name="redshift-landing", SecretString=json.dumps(secret))["ARN"]


def _bucket_after(endpoint: str) -> dict[str, str]:
    """Every key in the bucket after a run, with its content's SHA-256."""
    s3 = _client("s3", endpoint)
    keys = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            keys[item["Key"]] = hashlib.sha256(body).hexdigest()
    return keys


def _imported_from_elsewhere(modules: dict[str, str | None], allowed: list[Path]) -> list[str]:
    """The modules whose file lies outside every allowed place (builtins have no file)."""
    roots = [str(path) for path in allowed]
    return sorted(
        f"{name} ({file})" for name, file in modules.items()
        if file is not None and not any(file.startswith(root) for root in roots)
    )


@pytest.fixture
def glue_db(connection: Connection) -> str:
    """An empty database of its own: the job creates the raw tables itself."""
    with psycopg.connect(connection.url(), autocommit=True) as admin:
        admin.execute(f"drop database if exists {DATABASE}")
        admin.execute(f"create database {DATABASE}")
    return Connection(
        connection.host, connection.port, connection.user, connection.password, DATABASE
    ).url()


class GlueRun:
    """One run of the job: its exit, what it sent to Redshift, what Glue saw, the bucket after."""

    def __init__(
        self, process: subprocess.CompletedProcess[str], folder: Path, objects: dict[str, str]
    ) -> None:
        self.process = process
        result = json.loads((folder / "result.json").read_text())
        self.status: int = result["status"]
        self.modules: dict[str, str | None] = result["modules"]
        self.objects = objects
        self.redshift = _json_lines(folder / "redshift.jsonl")
        self.glue = _json_lines(folder / "glue.jsonl")

    @property
    def sql(self) -> list[str]:
        return [entry["sql"] for entry in self.redshift if "sql" in entry]

    @property
    def committed(self) -> bool:
        return any(event["event"] == "commit" for event in self.glue)


def _json_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def run_job(
    tmp_path: Path, glue_db: str, mirror_fs_classes: Path, package_zip: Path, glue5: Glue5,
    glue_site: Path, aws_endpoint: str,
) -> Any:
    mirror = tmp_path / "s3-mirror"
    counter = iter(range(100))

    def run(
        objects: dict[str, bytes],
        run_id: str,
        secret: dict[str, Any] = SECRET,
        *,
        fail_reads: tuple[str, ...] = (),
        rewrite_after_read: dict[str, bytes] | None = None,
    ) -> GlueRun:
        """One job run; `fail_reads` and `rewrite_after_read` are faults the runtime injects
        into the job's S3 client (glue_runtime/run_glue_job.py)."""
        folder = tmp_path / f"run-{next(counter)}"
        folder.mkdir()
        secret_arn = _aws_world(aws_endpoint, objects, secret, mirror)
        spec = {
            "bucket": BUCKET,
            "result": str(folder / "result.json"),
            "fail_reads": list(fail_reads),
            "rewrite_after_read": {
                k: base64.b64encode(v).decode() for k, v in (rewrite_after_read or {}).items()
            },
        }
        (folder / "spec.json").write_text(json.dumps(spec))
        spark_args = [
            "--master local[1]",
            f"--driver-class-path {mirror_fs_classes}",
            "--conf spark.hadoop.fs.s3.impl=airlinetest.MirrorS3FileSystem",
            f"--conf spark.hadoop.airline.test.s3.mirror={mirror}",
            "--conf spark.ui.enabled=false",
            "--conf spark.sql.session.timeZone=UTC",
            "pyspark-shell",
        ]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(map(str, (RUNTIME, glue_site, package_zip))),
            "AWS_ENDPOINT_URL": aws_endpoint,
            "PYSPARK_SUBMIT_ARGS": " ".join(spark_args),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AIRLINE_TEST_S3_MIRROR": str(mirror),
            "AIRLINE_TEST_REDSHIFT_RELAY": str(folder / "redshift.sock"),
            "AIRLINE_TEST_REDSHIFT_LOG": str(folder / "redshift.jsonl"),
            "AIRLINE_TEST_GLUE_LOG": str(folder / "glue.jsonl"),
        }
        argv = [
            "--JOB_NAME", "airline-elt-landing",
            "--JOB_RUN_ID", f"jr_{run_id}",
            "--landing_uri", f"s3://{BUCKET}/daily_flights/",
            "--failed_uri", f"s3://{BUCKET}/failed/",
            "--redshift_secret_arn", secret_arn,
            "--redshift_host", "airline-elt.abc123.us-east-1.redshift.amazonaws.com",
            "--redshift_database", "dev",
            "--redshift_iam_role", "arn:aws:iam::123456789012:role/redshift-copy",
            "--TempDir", f"s3://{BUCKET}/glue-temp/",
            "--max_reject_ratio", "0.05",
            "--max_reject_rows", "10",
            "--run_id", run_id,
        ]
        with redshift_relay(folder / "redshift.sock", glue_db, mirror):
            process = subprocess.run(
                [str(glue5.python), str(RUNTIME / "run_glue_job.py"),
                 str(folder / "spec.json"), str(REPO / "glue" / "landing_job.py"), *argv],
                cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False,
            )
        run = GlueRun(process, folder, _bucket_after(aws_endpoint))
        allowed = [*map(Path, stdlib_path()), glue5.site_packages, glue_site, RUNTIME, package_zip,
                   REPO / "glue" / "landing_job.py"]
        assert not _imported_from_elsewhere(run.modules, allowed), process.stderr[-3000:]
        return run

    return run


def _landed(conninfo: str) -> dict[str, tuple[str, int, int]]:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "select file_key, status, rows_landed, rows_rejected from raw.landed_files"
            " where status <> 'superseded'"
        ).fetchall()
    return {key: (status, landed, rejected) for key, status, landed, rejected in rows}


def test_the_job_lands_new_files_with_odd_keys_from_the_zipped_package(
    run_job: Any, glue_db: str
) -> None:
    objects = {
        SPACE_KEY: flights("2023-11-15", [90, 5, 61]),
        ODD_KEY: flights("2023-11-16", [7, 120]),
        BROKEN_KEY: b"\x00\x01\x02 not text",
        "daily_flights/readme.txt": b"not a flight file",
        "failed/daily_flights/old.csv": flights("2023-11-01", [99]),  # set aside earlier
    }
    run = run_job(objects, "run-1")
    assert run.status == 0, run.process.stderr[-3000:]
    assert run.committed

    [init] = [event for event in run.glue if event["event"] == "init"]
    assert ".zip" in init["airline_landing"]  # the package came from the zip, not the repo

    # Keys as they are in S3 (no %20), each file's own outcome; the others never looked at.
    assert _landed(glue_db) == {
        SPACE_KEY: ("landed", 3, 0),
        ODD_KEY: ("landed", 2, 0),
        BROKEN_KEY: ("failed", 0, 0),
    }
    assert f"failed/{BROKEN_KEY}" in run.objects  # the unreadable file was copied aside

    # What went to Redshift: the Redshift DDL, COPY with the role, from the temp dir.
    assert any("diststyle key distkey (flight_date)" in sql for sql in run.sql)
    # RAW is a Redshift reserved word: every statement names the schema quoted.
    assert not [sql for sql in run.sql if re.search(r'(?<!")\braw\.', sql)]
    copies = [sql for sql in run.sql if sql.startswith('copy "raw".flights_landing')]
    assert len(copies) == 1  # both readable files land as one batch: one Spark job, one COPY
    assert all(f"from 's3://{BUCKET}/glue-temp/" in sql for sql in copies)
    assert all("iam_role 'arn:aws:iam::123456789012:role/redshift-copy'" in sql for sql in copies)
    [connect] = [entry["connect"] for entry in run.redshift if "connect" in entry]
    assert connect["host"].endswith(".redshift.amazonaws.com")  # from --redshift_host
    assert connect["user"] == "landing" and connect["database"] == "dev"

    with psycopg.connect(glue_db) as conn:
        seen = dict(conn.execute("select file_key, etag from raw.s3_objects_seen").fetchall())
        keys = conn.execute("select distinct source_key from raw.flights_landing").fetchall()
    assert set(seen) == {SPACE_KEY, ODD_KEY, BROKEN_KEY}
    assert seen[SPACE_KEY] == hashlib.md5(objects[SPACE_KEY]).hexdigest()
    assert sorted(k for (k,) in keys) == sorted([SPACE_KEY, ODD_KEY])


GZ_KEY = "daily_flights/date=2023-11-17/flights.csv.gz"
MULTI_GZ_KEY = "daily_flights/flights_20231118.csv.gz"
CUT_GZ_KEY = "daily_flights/cut.csv.gz"


def test_the_job_lands_gzip_files_and_sets_a_truncated_one_aside(
    run_job: Any, glue_db: str
) -> None:
    """`*.csv.gz` through the job as on S3: listed, hashed on the stored bytes, read by Spark
    through the gzip codec (two concatenated members read whole, a reject at its true CSV line);
    a truncated gzip fails alone and is copied aside; a `.txt.gz` is never looked at."""
    whole = gzip.compress(flights("2023-11-17", [90, 5, 61]), mtime=0)
    second_member = b"DL9,DL,10397,12478,70,70,2023-11-18\nDL10,DL,x,12478,1,1,2023-11-18\n"
    objects = {
        GZ_KEY: whole,
        MULTI_GZ_KEY: gzip.compress(flights("2023-11-18", [1, 2]), mtime=0)
        + gzip.compress(second_member, mtime=0),
        CUT_GZ_KEY: whole[: len(whole) // 2],
        "daily_flights/notes.txt.gz": gzip.compress(b"not flights", mtime=0),
    }
    run = run_job(objects, "run-1")
    assert run.status == 0, run.process.stderr[-3000:]
    assert _landed(glue_db) == {
        GZ_KEY: ("landed", 3, 0),
        MULTI_GZ_KEY: ("landed", 3, 1),
        CUT_GZ_KEY: ("failed", 0, 0),
    }
    [(_, _, error)] = _errors(glue_db, CUT_GZ_KEY)
    assert error.startswith("truncated gzip") and f"failed/{CUT_GZ_KEY}" in error
    assert run.objects[f"failed/{CUT_GZ_KEY}"] == hashlib.sha256(objects[CUT_GZ_KEY]).hexdigest()
    with psycopg.connect(glue_db) as conn:
        rejected = conn.execute(
            "select source_line_number, reason_code from raw.flights_rejected"
            " where source_key = %s", (MULTI_GZ_KEY,),
        ).fetchall()
        stored = conn.execute(
            "select content_sha256, file_bytes from raw.landed_files where file_key = %s",
            (GZ_KEY,),
        ).fetchone()
    assert rejected == [(5, "bad_origin_airport_id")]
    assert stored == (hashlib.sha256(whole).hexdigest(), len(whole))
    seen = _seen(glue_db)
    assert set(seen) == {GZ_KEY, MULTI_GZ_KEY, CUT_GZ_KEY}
    assert seen[GZ_KEY] == hashlib.md5(whole).hexdigest()  # the ETag of the stored bytes


def test_a_second_run_reads_only_what_changed(run_job: Any, glue_db: str) -> None:
    objects = {SPACE_KEY: flights("2023-11-15", [90, 5]), ODD_KEY: flights("2023-11-16", [7])}
    first = run_job(objects, "run-1")
    assert first.status == 0, first.process.stderr[-3000:]

    # Nothing new: nothing read, nothing copied.
    again = run_job(objects, "run-2")
    assert again.status == 0, again.process.stderr[-3000:]
    assert not [sql for sql in again.sql if sql.startswith("copy ")]
    assert not [sql for sql in again.sql if "insert into raw.landed_files" in sql]

    # A re-delivery under the same key with new content replaces the earlier version.
    objects[SPACE_KEY] = flights("2023-11-15", [90, 5, 200, 300])
    third = run_job(objects, "run-3")
    assert third.status == 0, third.process.stderr[-3000:]
    assert _landed(glue_db)[SPACE_KEY] == ("landed", 4, 0)
    with psycopg.connect(glue_db) as conn:
        by_run = conn.execute(
            "select run_id, status from raw.landed_files where file_key = %s order by 1",
            (SPACE_KEY,),
        ).fetchall()
    assert by_run == [("run-1", "superseded"), ("run-3", "landed")]


def test_a_job_that_cannot_connect_fails_without_committing_or_marking_anything(
    run_job: Any, glue_db: str
) -> None:
    run = run_job({SPACE_KEY: flights("2023-11-15", [90])}, "run-1", secret={"username": "x"})
    assert run.status == 1
    assert "the Redshift secret lacks: password" in run.process.stderr
    assert not run.committed
    assert not run.sql  # nothing was sent to Redshift


def test_the_job_upgrades_an_older_raw_table_in_place_one_column_at_a_time(
    run_job: Any, glue_db: str
) -> None:
    """Redshift has no `add column if not exists`: the job looks the BTS columns up and adds
    each one an older raw.flights_landing lacks with its own `alter table`; rows are kept."""
    with psycopg.connect(glue_db, autocommit=True) as conn:
        for statement in raw_tables_ddl("postgres"):
            conn.execute(statement)
        for column in BTS_COLUMNS:  # the table as the previous version created it
            conn.execute(f"alter table raw.flights_landing drop column {column}")
        (old_version,) = conn.execute(  # an earlier version's file and row, as it landed
            "insert into raw.landed_files (file_key, content_sha256, file_bytes, rows_read,"
            " rows_landed, rows_rejected, status, run_id, landed_at) values ('old.csv',"
            " repeat('0', 64), 100, 1, 1, 0, 'landed', 'run-0', now()) returning file_version_id"
        ).fetchone()
        conn.execute(
            "insert into raw.flights_landing (flight_id, carrier, origin_airport_id,"
            " dest_airport_id, dep_delay, arr_delay, flight_date, source_key,"
            " source_line_number, file_version_id, landed_at)"
            " values ('AA1', 'AA', 10397, 12478, 75, 80, '2023-11-01', 'old.csv', 2, %s, now())",
            (old_version,),
        )
    month = (
        b'"FlightDate","Reporting_Airline","Flight_Number_Reporting_Airline","OriginAirportID",'
        b'"DestAirportID","CRSDepTime","DepDelay","ArrDelay","Cancelled","CancellationCode",'
        b'"Diverted","Distance","CarrierDelay","WeatherDelay","NASDelay","SecurityDelay",'
        b'"LateAircraftDelay","Tail_Number",\r\n'
        b'2023-10-02,"B6",7,12478,13204,"2400",,,1.00,"B",0.00,944.00,,,,,,"N705JB",\r\n'
        b'2023-10-02,"B6",8,12478,13204,"0730",31.00,22.00,0.00,"",0.00,944.00,0.00,0.00,'
        b'22.00,0.00,0.00,"N706JB",\r\n'
    )
    run = run_job({"daily_flights/bts/On_Time_2023_10.csv": month}, "run-1")
    assert run.status == 0, run.process.stderr[-3000:]
    added = [sql for sql in run.sql if sql.startswith('alter table "raw".flights_landing')]
    assert added == missing_column_ddl([])  # one statement per column, in table order
    with psycopg.connect(glue_db) as conn:
        rows = conn.execute(
            f"select flight_id, {', '.join(BTS_COLUMNS)} from raw.flights_landing order by 1"
        ).fetchall()
    assert rows == [
        ("AA1", *(None,) * len(BTS_COLUMNS)),
        ("B67", 2400, 0, True, False, "B", None, None, None, None, None, 944, "N705JB", None, None),
        ("B68", 730, 7, False, False, None, 0, 0, 22, 0, 0, 944, "N706JB", None, None),
    ]
    again = run_job({"daily_flights/bts/On_Time_2023_10.csv": month}, "run-2")
    assert again.status == 0, again.process.stderr[-3000:]
    assert not [sql for sql in again.sql if sql.startswith("alter table")]  # nothing missing


def _seen(conninfo: str) -> dict[str, str]:
    with psycopg.connect(conninfo) as conn:
        return dict(conn.execute("select file_key, etag from raw.s3_objects_seen").fetchall())


def _errors(conninfo: str, key: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(
            "select run_id, status, error_text from raw.landed_files where file_key = %s"
            " order by file_version_id",
            (key,),
        ).fetchall()


def test_a_file_that_failed_for_a_passing_reason_is_listed_again_and_lands(
    run_job: Any, glue_db: str
) -> None:
    objects = {SPACE_KEY: flights("2023-11-15", [90, 5]), ODD_KEY: flights("2023-11-16", [7])}
    first = run_job(objects, "run-1", fail_reads=(SPACE_KEY,))
    assert first.status == 0, first.process.stderr[-3000:]
    [(_, status, error)] = _errors(glue_db, SPACE_KEY)
    assert status == "failed" and error.startswith("EndpointConnectionError: ")
    assert "try 1 of 3: tried again on the next run" in error
    assert set(_seen(glue_db)) == {ODD_KEY}  # not final: not marked seen
    assert f"failed/{SPACE_KEY}" not in first.objects  # not set aside while it is tried

    second = run_job(objects, "run-2")
    assert second.status == 0, second.process.stderr[-3000:]
    assert _landed(glue_db)[SPACE_KEY] == ("landed", 2, 0)
    assert set(_seen(glue_db)) == {SPACE_KEY, ODD_KEY}


def test_a_duplicate_key_lands_its_content_when_the_key_holding_it_is_replaced(
    run_job: Any, glue_db: str
) -> None:
    """Issue 20, exactly once per content on AWS as locally: the same bytes under a second key
    are recorded as a duplicate (and marked seen); when the first key gets new content, the
    second key is listed again, though seen, and lands its content, which no key held any more.
    Every date either version touched is then in the landed rows once."""
    copy_key = "daily_flights/date=2023-11-15/flights (1).csv"  # a browser's second download
    content = flights("2023-11-15", [90, 5, 61])
    objects = {SPACE_KEY: content, copy_key: content}
    first = run_job(objects, "run-1")
    assert first.status == 0, first.process.stderr[-3000:]
    landed = _landed(glue_db)
    assert sorted(status for status, _, _ in landed.values()) == ["duplicate", "landed"]
    [holder] = [key for key, (status, _, _) in landed.items() if status == "landed"]
    [copy] = [key for key in objects if key != holder]
    assert set(_seen(glue_db)) == {SPACE_KEY, copy_key}  # both final, both seen

    objects[holder] = flights("2023-11-16", [7, 120])  # the holder's content is replaced
    second = run_job(objects, "run-2")
    assert second.status == 0, second.process.stderr[-3000:]
    assert [(run, status) for run, status, _ in _errors(glue_db, copy)] == [
        ("run-1", "duplicate"), ("run-2", "landed")]
    with psycopg.connect(glue_db) as conn:
        current = conn.execute(
            "select file_key, rows_landed from raw.landed_files where status = 'landed'"
        ).fetchall()
        days = conn.execute("select flight_date::text, count(*) from raw.flights_landing"
                            " group by 1 order by 1").fetchall()
    assert sorted(current) == sorted([(holder, 2), (copy, 3)])
    assert days == [("2023-11-15", 3), ("2023-11-16", 2)]

    third = run_job(objects, "run-3")  # nothing is listed again once the content is held
    assert third.status == 0, third.process.stderr[-3000:]
    assert not [sql for sql in third.sql if sql.startswith("copy ")]
    assert not [sql for sql in third.sql if "insert into \"raw\".landed_files" in sql]


def test_a_file_that_keeps_failing_is_given_up_named_and_not_listed_again(
    run_job: Any, glue_db: str
) -> None:
    objects = {SPACE_KEY: flights("2023-11-15", [90])}
    runs = [
        run_job(objects, f"run-{n}", fail_reads=(SPACE_KEY,)) for n in range(1, MAX_TRIES + 1)
    ]
    assert all(run.status == 0 for run in runs), runs[-1].process.stderr[-3000:]
    errors = _errors(glue_db, SPACE_KEY)
    assert [status for _, status, _ in errors] == ["failed"] * MAX_TRIES
    given_up = errors[-1][2]
    assert f"given up after {MAX_TRIES} tries" in given_up
    assert f"airline-elt redrive {SPACE_KEY}" in given_up
    assert f"(copied to s3://{BUCKET}/failed/{SPACE_KEY})" in given_up
    assert f"failed: {SPACE_KEY}: {given_up}" in runs[-1].process.stdout  # the job's log
    assert SPACE_KEY in _seen(glue_db)  # final: marked seen

    # The run summary the state machine's Summarize step reads names it, failed, first.
    with psycopg.connect(glue_db) as conn:
        files = conn.execute(for_psycopg(FILES), {"run_id": f"run-{MAX_TRIES}"}).fetchall()
    assert files[0][:2] == (SPACE_KEY, "failed")

    # S3 is fine again, but a given-up file is not listed again until it is redriven.
    after = run_job(objects, "run-later")
    assert after.status == 0, after.process.stderr[-3000:]
    assert len(_errors(glue_db, SPACE_KEY)) == MAX_TRIES

    # The documented redrive (orchestration/DEPLOY.md), then the next run lands it.
    with psycopg.connect(glue_db) as conn, conn.cursor() as cursor:
        redrive(cursor, [SPACE_KEY], by="operator", now="2023-11-17T00:00:00Z", forget_seen=True)
    back = run_job(objects, "run-redriven")
    assert back.status == 0, back.process.stderr[-3000:]
    assert _landed(glue_db)[SPACE_KEY] == ("landed", 1, 0)


def test_a_permanent_failure_is_final_at_once(run_job: Any, glue_db: str) -> None:
    run = run_job({BROKEN_KEY: b"\x00\x01 not text"}, "run-1")
    assert run.status == 0, run.process.stderr[-3000:]
    [(_, status, error)] = _errors(glue_db, BROKEN_KEY)
    assert status == "failed" and error.startswith("not a text file") and "try" not in error
    assert BROKEN_KEY in _seen(glue_db)


def test_a_reupload_between_hashing_and_sparks_read_fails_that_file_alone(
    run_job: Any, glue_db: str
) -> None:
    objects = {SPACE_KEY: flights("2023-11-15", [90, 5]), ODD_KEY: flights("2023-11-16", [7])}
    replacement = flights("2023-11-15", [1, 2, 3, 4, 5])
    run = run_job(objects, "run-1", rewrite_after_read={SPACE_KEY: replacement})
    assert run.status == 0, run.process.stderr[-3000:]
    landed = _landed(glue_db)
    assert landed[ODD_KEY] == ("landed", 1, 0)  # its batch went on
    [(_, status, error)] = _errors(glue_db, SPACE_KEY)
    assert status == "failed" and error.startswith("ObjectChangedError: ")
    assert "changed while it was landed" in error
    with psycopg.connect(glue_db) as conn:
        assert conn.execute(
            "select count(*) from raw.flights_landing where source_key = %s", (SPACE_KEY,)
        ).fetchone() == (0,)  # no row of bytes that were never hashed
    assert set(_seen(glue_db)) == {ODD_KEY}

    # The next run lists the new version (a new ETag) and lands it.
    again = run_job({**objects, SPACE_KEY: replacement}, "run-2")
    assert again.status == 0, again.process.stderr[-3000:]
    assert _landed(glue_db)[SPACE_KEY] == ("landed", 5, 0)


def test_glue_installs_the_shipped_wheels_offline_over_its_own_modules(glue5: Glue5) -> None:
    """`pip install --no-index` of the template's wheels, over Glue 5.0's own modules, succeeds:
    every requirement of a shipped wheel is met by another shipped wheel or by what Glue 5.0
    provides, and Glue's own boto3 is kept (a wheel needing a newer one would fail here)."""
    assert glue5.install.returncode == 0, glue5.install.stdout + glue5.install.stderr
    versions = subprocess.run(
        [str(glue5.python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    )
    installed = {
        p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(versions.stdout)
    }
    for _, name, version in _shipped_wheels():
        assert installed[name.lower().replace("_", "-")] == version, name
    assert installed["boto3"] == "1.34.131"  # Glue 5.0's, untouched


def test_the_job_imports_with_only_glue_5_modules_and_the_shipped_wheels(
    package_zip: Path, glue5: Glue5, glue_site: Path
) -> None:
    """Every module glue/landing_job.py imports (the real redshift_connector, Jinja2 for the
    DDL) resolves in Glue 5.0's Python with only Spark's Python side and the zip added."""
    probe = (
        "import runpy, sys\n"
        f"sys.path += [{str(glue_site)!r}, {str(package_zip)!r}]\n"
        f"runpy.run_path({str(REPO / 'glue' / 'landing_job.py')!r}, run_name='imported')\n"
        "import redshift_connector, jinja2, airline_landing.ddl\n"
        "assert airline_landing.ddl.raw_tables_ddl('redshift')\n"
        "print(redshift_connector.__file__, jinja2.__file__, airline_landing.ddl.__file__)\n"
    )
    result = subprocess.run(
        [str(glue5.python), "-I", "-c", probe],
        capture_output=True, text=True, check=False, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    connector, jinja, ddl = result.stdout.split()
    assert connector.startswith(str(glue5.site_packages))
    assert jinja.startswith(str(glue5.site_packages))
    assert ddl.startswith(str(package_zip))
