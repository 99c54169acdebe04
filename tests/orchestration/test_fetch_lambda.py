"""The feed's function run AS AWS RUNS IT: the zip `deploy.sh --fetch-zip` builds (what the
deploy uploads) unpacked into a task folder (Lambda's /var/task), and the handler
`airline_fetch.lambda_handler.handle` called in a fresh Python 3.11 process whose path holds only
that folder, boto3 with its dependencies (the python3.11 runtime's own) and the standard library.
Every module the process imported is checked to come from one of those. S3 is moto as a server
(reached through AWS_ENDPOINT_URL, so moto stays out of the function's process); the BTS site is
tests/fetch/bts_site.py on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import ORCHESTRATION, load_template
from moto.server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fetch"))
from bts_site import BtsSite, flights_of_month, month_csv

# A name of this module's own: moto's backend is shared with the other moto tests of a worker.
BUCKET = f"airline-elt-lambda-test-{uuid.uuid4().hex[:8]}"
# What Lambda's python3.11 runtime provides besides the standard library: boto3 and what it
# imports (https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html).
RUNTIME_PACKAGES = ["boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"]

# Lambda's runtime in miniature: read the event, import the handler from the task folder, call
# it, answer its result or the error object Lambda returns for an exception
# (aws_behaviour.md, 13.2); then list every imported module that came from elsewhere.
BOOTSTRAP = r"""
import json, sys, traceback
task, runtime, stdlib, handler_name = sys.argv[1:5]
sys.path[:] = [task, runtime] + [p for p in sys.path if p.startswith(stdlib)]
module_name, function_name = handler_name.rsplit(".", 1)
event = json.load(sys.stdin)
code = 0
try:
    module = __import__(module_name, fromlist=[function_name])
    answer = getattr(module, function_name)(event, None)
except Exception as error:
    code = 1
    answer = {"errorMessage": str(error), "errorType": type(error).__name__,
              "stackTrace": traceback.format_tb(error.__traceback__)}
strays = sorted(
    f"{name}: {getattr(m, '__file__', None)}" for name, m in list(sys.modules.items())
    if getattr(m, "__file__", None) and not m.__file__.startswith((task, runtime, stdlib)))
print(json.dumps({"answer": answer, "strays": strays}))
sys.exit(code)
"""


@dataclass(frozen=True)
class Invocation:
    code: int
    answer: dict[str, Any]


@pytest.fixture(scope="module")
def task_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lambda")
    zip_path = folder / "airline_fetch.zip"
    built = subprocess.run(["bash", str(ORCHESTRATION / "deploy.sh"), "--fetch-zip",
                            str(zip_path)], capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    task = folder / "var" / "task"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task)
    return task


@pytest.fixture(scope="module")
def runtime_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """boto3 and its dependencies only, linked from this environment."""
    folder = tmp_path_factory.mktemp("runtime")
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (folder / source.name).symlink_to(source)
    return folder


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    """The module's own bucket, empty. The moto server shares moto's in-process backend with
    every other moto test of this worker, so only this bucket is touched, emptied version by
    version (another test's leftovers are theirs, whatever they are)."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    if BUCKET in {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}:
        for page in client.get_paginator("list_object_versions").paginate(Bucket=BUCKET):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                client.delete_object(Bucket=BUCKET, Key=item["Key"], VersionId=item["VersionId"])
    else:
        client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def site() -> Iterator[BtsSite]:
    with BtsSite() as served:
        yield served


@dataclass
class Function:
    task: Path
    runtime: Path
    environment: dict[str, str]

    def invoke(self, event: dict[str, Any]) -> Invocation:
        handler = load_template()["Resources"]["FetchFunction"]["Properties"]["Handler"]
        stdlib = sysconfig.get_paths()["stdlib"]
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", BOOTSTRAP, str(self.task), str(self.runtime),
             stdlib, handler],
            input=json.dumps(event), capture_output=True, text=True, check=False,
            env=self.environment, timeout=300,
        )
        assert done.stdout, done.stderr
        report = json.loads(done.stdout.splitlines()[-1])
        assert report["strays"] == [], report["strays"]
        return Invocation(done.returncode, report["answer"])


@pytest.fixture
def function(task_folder: Path, runtime_folder: Path, s3_endpoint: str, s3: Any,
             site: BtsSite, tmp_path: Path) -> Function:
    return Function(task_folder, runtime_folder, {
        "PATH": os.environ["PATH"], "TMPDIR": str(tmp_path), "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": s3_endpoint, "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "DATA_BUCKET": BUCKET, "FIRST_MONTH": "2013-01", "REVISION_MONTHS": "12",
        "SOURCE_URL": site.prezip,
    })


def months_ago(count: int) -> tuple[int, int]:
    today = dt.date.today()
    index = today.year * 12 + today.month - 1 - count
    return index // 12, index % 12 + 1


def test_a_month_is_fetched_into_the_bucket_with_what_the_store_knows(
    function: Function, site: BtsSite, s3: Any,
) -> None:
    csv_bytes = month_csv(flights_of_month(2013, 1, flights_per_day=3))
    site.publish(2013, 1, csv_bytes)

    result = function.invoke({"step": "fetch", "month": "2013-01"})

    assert result.code == 0, result.answer
    key = "daily_flights/bts_ontime_2013_01.csv.gz"
    assert result.answer["month"] == "2013-01"
    assert result.answer["status"] == "written"
    assert result.answer["key"] == key
    assert result.answer["csv_rows"] == len(csv_bytes.splitlines()) - 1
    got = s3.get_object(Bucket=BUCKET, Key=key)
    assert gzip.decompress(got["Body"].read()) == csv_bytes
    assert got["Metadata"]["csv-sha256"] == hashlib.sha256(csv_bytes).hexdigest()
    assert int(got["Metadata"]["source-size"]) > 0
    assert got["ContentType"] == "application/gzip"

    again = function.invoke({"step": "fetch", "month": "2013-01"})
    assert again.answer["status"] == "unchanged"
    assert site.gets(site.zip_path(2013, 1)) == 1  # the second call asked by HEAD only


def test_a_failed_month_raises_with_the_month_and_the_reason_and_writes_nothing(
    function: Function, site: BtsSite, s3: Any,
) -> None:
    site.serve_raw(2013, 2, b"PK\x03\x04 not really a zip")

    result = function.invoke({"step": "fetch", "month": "2013-02"})

    assert result.code == 1
    assert result.answer["errorType"] == "MonthFetchFailed"
    assert result.answer["errorMessage"].startswith("2013-02: failed: ")
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0

    old_404 = function.invoke({"step": "fetch", "month": "2013-03"})
    assert old_404.code == 1
    assert old_404.answer["errorMessage"].startswith("2013-03: not_found: ")


def test_a_recent_month_not_on_the_site_is_not_published_yet(function: Function) -> None:
    recent = "{:04d}-{:02d}".format(*months_ago(1))
    result = function.invoke({"step": "fetch", "month": recent})
    assert result.code == 0, result.answer
    assert result.answer["status"] == "not_published"


def test_the_plan_lists_the_months_the_bucket_lacks(function: Function, s3: Any) -> None:
    last = months_ago(1)
    first = months_ago(3)
    s3.put_object(Bucket=BUCKET, Key="daily_flights/bts_ontime_{:04d}_{:02d}.csv.gz".format(
        *first), Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="daily_flights/by-hand.csv", Body=b"x")
    function.environment["FIRST_MONTH"] = "{:04d}-{:02d}".format(*first)
    function.environment["REVISION_MONTHS"] = "0"

    result = function.invoke({"step": "plan", "request": {"trigger": "fetch-schedule",
                                                          "months": None}})

    assert result.code == 0, result.answer
    middle = months_ago(2)
    assert result.answer["missing"] == ["{:04d}-{:02d}".format(*m) for m in (middle, last)]
    assert result.answer["revisions"] == []


@pytest.mark.parametrize(("event", "message"), [
    ({"step": "land"}, "unknown step 'land'"),
    ({"step": "fetch", "month": "2013-13"}, "2013-13"),
    ({"step": "plan", "request": {"months": []}}, "non-empty list"),
])
def test_a_bad_event_is_refused_with_a_clear_message(
    function: Function, event: dict[str, Any], message: str,
) -> None:
    result = function.invoke(event)
    assert result.code == 1
    assert message in result.answer["errorMessage"]


def test_a_function_without_its_bucket_says_so(function: Function) -> None:
    del function.environment["DATA_BUCKET"]
    result = function.invoke({"step": "plan", "request": {}})
    assert result.code == 1
    assert result.answer["errorType"] == "FeedRequestError"
    assert "DATA_BUCKET" in result.answer["errorMessage"]


def test_a_month_put_there_by_hand_is_replaced_by_a_recorded_copy(
    function: Function, site: BtsSite, s3: Any,
) -> None:
    """An object without the feed's metadata (uploaded by hand) has no CSV hash to compare: the
    fetch downloads the month and replaces it, and from then on the month is recorded."""
    csv_bytes = month_csv(flights_of_month(2013, 4, flights_per_day=2))
    site.publish(2013, 4, csv_bytes)
    key = "daily_flights/bts_ontime_2013_04.csv.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b"by hand\n"))

    result = function.invoke({"step": "fetch", "month": "2013-04"})

    assert result.code == 0, result.answer
    assert result.answer["status"] == "replaced"
    got = s3.get_object(Bucket=BUCKET, Key=key)
    assert gzip.decompress(got["Body"].read()) == csv_bytes
    assert got["Metadata"]["csv-sha256"] == hashlib.sha256(csv_bytes).hexdigest()


class _Context:
    """What the handler reads of Lambda's context object
    (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html)."""

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_a_month_stops_retrying_in_time_to_say_why_before_the_function_times_out() -> None:
    import time

    from airline_fetch.lambda_handler import AFTER_DOWNLOAD_SECONDS, http_settings

    timeout = load_template()["Resources"]["FetchFunction"]["Properties"]["Timeout"]
    settings = http_settings(_Context(timeout * 1000))
    assert settings.give_up_at is not None
    left = settings.give_up_at - time.monotonic()
    assert timeout - AFTER_DOWNLOAD_SECONDS - 5 < left <= timeout - AFTER_DOWNLOAD_SECONDS
    # The last try that may start before give_up_at can still stall for a connect and a read
    # time-out: that fits in what is kept for after it, so the failure is the fetch's own.
    assert settings.connect_timeout + settings.read_timeout < AFTER_DOWNLOAD_SECONDS
    assert http_settings(None).give_up_at is None
