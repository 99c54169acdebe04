"""The monthly feed's state machine (orchestration/fetch_state_machine.asl.json), executed by
moto's Step Functions engine: every `lambda:invoke` runs the REAL handler
(airline_fetch/lambda_handler.py, conftest.lambda_runs_handler) against moto's S3 and a local
BTS-shaped site on 127.0.0.1 (tests/fetch/bts_site.py); failures are read back from moto's SNS.

The handler decides with today's date, so the months are chosen relative to today: BTS
publishes a month six to eight weeks after it ends, so the last three months may be missing
without failing, and older ones may not."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import (
    FETCH_DEFINITION_FILE,
    REGION,
    SFN_CONFIG,
    aws_behaviour_error_names,
    lambda_runs_handler,
    load_template,
    moto_gaps,
    render_definition,
    with_test_timings,
)

from airline_fetch.lambda_handler import handle

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fetch"))
from bts_site import BtsSite, flights_of_month, month_csv

BUCKET = "airline-elt-data"


def months_ago(count: int) -> tuple[int, int]:
    today = dt.date.today()
    index = today.year * 12 + today.month - 1 - count
    return index // 12, index % 12 + 1


def label(year_month: tuple[int, int]) -> str:
    return f"{year_month[0]:04d}-{year_month[1]:02d}"


def key_of(year_month: tuple[int, int]) -> str:
    return f"daily_flights/bts_ontime_{year_month[0]:04d}_{year_month[1]:02d}.csv.gz"


@dataclass
class FeedStack:
    sfn: Any
    s3: Any
    awslambda: Any
    state_machine_arn: str
    function_name: str
    topic_arn: str
    site: BtsSite
    invocations: list[dict[str, Any]]

    def run(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        arn = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=str(uuid.uuid4()),
            input=json.dumps({"trigger": "fetch-schedule"} if payload is None else payload),
        )["executionArn"]
        import time

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.1)
        raise AssertionError(f"{arn} still running")

    def notifications(self) -> list[dict[str, Any]]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn]
        return [{"message": json.loads(message), "subject": subject, "attributes": attributes}
                for _id, message, subject, attributes, _group in topic.sent_notifications]

    def object(self, key: str) -> tuple[bytes, dict[str, str]]:
        got = self.s3.get_object(Bucket=BUCKET, Key=key)
        return got["Body"].read(), got["Metadata"]

    def keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return sorted(item["Key"] for item in listed)

    def zip_gets(self, *months: tuple[int, int]) -> int:
        """GET requests for these months' zips (every zip when none is named)."""
        if not months:
            return self.site.gets("/PREZIP/")
        return sum(self.site.gets(self.site.zip_path(*month)) for month in months)


@pytest.fixture
def feed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FeedStack]:
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with BtsSite() as site, mock_aws(config=SFN_CONFIG), moto_gaps("unused"), \
            lambda_runs_handler(handle) as invocations:
        yield _deploy(site, invocations, first_month=label(months_ago(4)))


def _deploy(site: BtsSite, invocations: list[dict[str, Any]], first_month: str) -> FeedStack:
    s3 = boto3.client("s3", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    awslambda = boto3.client("lambda", region_name=REGION)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    topic_arn = sns.create_topic(Name="airline-elt-notifications")["TopicArn"]
    role_arn = iam.create_role(RoleName="fetch", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17"}))["Role"]["Arn"]
    function = load_template()["Resources"]["FetchFunction"]["Properties"]
    # The template's environment, its references resolved to this stack's values.
    variables = {"DATA_BUCKET": BUCKET, "FIRST_MONTH": first_month, "REVISION_MONTHS": "12",
                 "SOURCE_URL": site.prezip}
    assert set(variables) == set(function["Environment"]["Variables"])
    function_arn = awslambda.create_function(
        FunctionName="airline-elt-fetch", Runtime=function["Runtime"], Role=role_arn,
        Handler=function["Handler"], Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Timeout=function["Timeout"], Environment={"Variables": variables},
    )["FunctionArn"]
    definition = with_test_timings(render_definition(
        {"FetchFunctionArn": function_arn, "TopicArn": topic_arn}, FETCH_DEFINITION_FILE))
    state_machine_arn = sfn.create_state_machine(
        name="airline-elt-fetch", definition=definition, roleArn=role_arn)["stateMachineArn"]
    return FeedStack(sfn, s3, awslambda, state_machine_arn, "airline-elt-fetch", topic_arn,
                     site, invocations)


def publish(site: BtsSite, year_month: tuple[int, int], seed: int = 7) -> bytes:
    csv_bytes = month_csv(flights_of_month(*year_month, flights_per_day=3, seed=seed))
    site.publish(*year_month, csv_bytes)
    return csv_bytes


def test_a_scheduled_run_fetches_the_missing_months_and_waits_for_unpublished_ones(
    feed: FeedStack,
) -> None:
    oldest, older = months_ago(4), months_ago(3)
    served = {oldest: publish(feed.site, oldest), older: publish(feed.site, older)}
    # months_ago(2) and months_ago(1) are not on the site yet: BTS's delay, not a failure.

    run = feed.run()

    assert run["status"] == "SUCCEEDED", run
    assert feed.keys() == [key_of(oldest), key_of(older)]
    for year_month, csv_bytes in served.items():
        body, metadata = feed.object(key_of(year_month))
        assert gzip.decompress(body) == csv_bytes
        assert metadata["csv-sha256"] == hashlib.sha256(csv_bytes).hexdigest()
        assert metadata["source-etag"].startswith('"')
    assert feed.notifications() == []
    plans = [event for event in feed.invocations if event["step"] == "plan"]
    assert plans[0]["request"] == {"trigger": "fetch-schedule", "months": None}
    fetched = sorted(event["month"] for event in feed.invocations if event["step"] == "fetch")
    assert fetched == [label(months_ago(n)) for n in (4, 3, 2, 1)]


def test_a_second_run_downloads_nothing_unchanged_and_replaces_a_revised_month(
    feed: FeedStack,
) -> None:
    oldest, older = months_ago(4), months_ago(3)
    publish(feed.site, oldest)
    publish(feed.site, older)
    assert feed.run()["status"] == "SUCCEEDED"
    downloads = feed.zip_gets(oldest, older)
    assert downloads == 2
    first_versions = feed.s3.list_object_versions(Bucket=BUCKET).get("Versions", [])

    assert feed.run()["status"] == "SUCCEEDED"
    # HEAD only: an unchanged month costs no download.
    assert feed.zip_gets(oldest, older) == downloads
    assert feed.s3.list_object_versions(Bucket=BUCKET).get("Versions", []) == first_versions

    revised = publish(feed.site, older, seed=99)  # BTS revises the month
    assert feed.run()["status"] == "SUCCEEDED"
    body, metadata = feed.object(key_of(older))
    assert gzip.decompress(body) == revised
    assert metadata["csv-sha256"] == hashlib.sha256(revised).hexdigest()
    assert feed.zip_gets(oldest, older) == downloads + 1


def test_a_failed_month_is_notified_with_its_reason_and_the_others_still_come(
    feed: FeedStack,
) -> None:
    oldest, older = months_ago(4), months_ago(3)
    # months_ago(4) is old enough that a 404 is a failure; months_ago(3) is a broken zip.
    feed.site.serve_raw(*older, b"PK\x03\x04 this is no zip")
    newest = months_ago(2)
    publish(feed.site, newest)

    run = feed.run()

    assert run["status"] == "FAILED"
    history = feed.sfn.get_execution_history(executionArn=run["executionArn"])["events"]
    failed = [e["executionFailedEventDetails"] for e in history
              if "executionFailedEventDetails" in e]
    assert failed[0]["error"] == "AirlineElt.FetchFailed"
    assert feed.keys() == [key_of(newest)]  # the good month came; the failures wrote nothing
    notices = sorted(feed.notifications(), key=lambda n: n["message"]["month"])
    assert [n["message"]["month"] for n in notices] == [label(oldest), label(older)]
    for notice in notices:
        message = notice["message"]
        assert notice["subject"] == "airline-elt fetch FAILED"
        assert notice["attributes"]["status"]["Value"] == "FAILED"
        assert message["status"] == "FAILED"
        assert message["pipeline"] == "airline-elt"
        assert message["step"] == "FetchMonth"
        assert message["trigger"] == "fetch-schedule"
        assert message["run_id"] == run["name"]
        assert message["error"] == "MonthFetchFailed"
        cause = json.loads(message["cause"])
        assert cause["errorType"] == "MonthFetchFailed"
        assert cause["errorMessage"].startswith(f"{message['month']}: ")
        assert {"started_at", "finished_at"} <= set(message)
    assert "not_found" in json.loads(notices[0]["message"]["cause"])["errorMessage"]
    assert "failed" in json.loads(notices[1]["message"]["cause"])["errorMessage"]


def test_a_backfill_by_hand_fetches_exactly_the_months_asked_for(feed: FeedStack) -> None:
    for month in (1, 2, 3):
        publish(feed.site, (2013, month))

    run = feed.run({"months": ["2013-01..2013-02"]})

    assert run["status"] == "SUCCEEDED", run
    assert feed.keys() == [key_of((2013, 1)), key_of((2013, 2))]
    plans = [event for event in feed.invocations if event["step"] == "plan"]
    assert plans[0]["request"] == {"trigger": "started-by-hand", "months": ["2013-01..2013-02"]}


def test_a_plan_that_cannot_read_the_bucket_is_notified_and_fails(feed: FeedStack) -> None:
    feed.awslambda.update_function_configuration(
        FunctionName=feed.function_name,
        Environment={"Variables": {"DATA_BUCKET": "no-such-bucket", "FIRST_MONTH": "2013-01",
                                   "SOURCE_URL": feed.site.prezip}})

    run = feed.run()

    assert run["status"] == "FAILED"
    [notice] = feed.notifications()
    assert notice["message"]["step"] == "Plan"
    assert notice["message"]["status"] == "FAILED"
    assert "could not list s3://no-such-bucket/daily_flights/" in notice["message"]["cause"]
    assert "NoSuchBucket" in notice["message"]["cause"]
    assert not [event for event in feed.invocations if event["step"] == "fetch"]


def test_a_bad_month_asked_for_by_hand_is_refused_before_anything_is_fetched(
    feed: FeedStack,
) -> None:
    run = feed.run({"months": ["2013-13"]})
    assert run["status"] == "FAILED"
    [notice] = feed.notifications()
    assert notice["message"]["step"] == "Plan"
    assert "2013-13" in notice["message"]["cause"]
    assert feed.zip_gets() == 0


# -- the definition itself --------------------------------------------------------------------
def _definition() -> dict[str, Any]:
    return json.loads(FETCH_DEFINITION_FILE.read_text(encoding="utf-8"))


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def test_every_error_name_the_feed_relies_on_is_in_the_aws_behaviour_file() -> None:
    names = {name for node in _nodes(_definition())
             for handler in node.get("Retry", []) + node.get("Catch", [])
             for name in handler["ErrorEquals"]}
    assert names, "no Retry or Catch found"
    assert names <= aws_behaviour_error_names(), names - aws_behaviour_error_names()


def test_a_month_has_the_functions_whole_timeout_and_few_run_at_once() -> None:
    """Production values, on the unmodified file: a month's task outlives the function's 15
    minutes (so Lambda's own timeout, not the state's, ends a slow month), and at most two
    months download at once (the BTS site is a small public server)."""
    states = _definition()["States"]
    function = load_template()["Resources"]["FetchFunction"]["Properties"]
    fetch_month = states["FetchMonths"]["ItemProcessor"]["States"]["FetchMonth"]
    assert fetch_month["TimeoutSeconds"] > function["Timeout"] == 900
    assert states["FetchMonths"]["MaxConcurrency"] == 2
    retried = {name for retrier in fetch_month["Retry"] for name in retrier["ErrorEquals"]}
    assert "States.ALL" not in retried  # a month's own failure is never downloaded again blindly


def test_a_failure_whose_notice_is_lost_still_fails_the_run_for_the_alarm(
    feed: FeedStack,
) -> None:
    """SNS refusing the notice (here: the topic is gone) must not turn a failed month into a
    quiet success: the run ends FAILED, which the fetch-failed alarm watches."""
    boto3.client("sns", region_name=REGION).delete_topic(TopicArn=feed.topic_arn)
    old = months_ago(4)  # not on the site, and old enough to be a failure

    run = feed.run({"months": [label(old)]})

    assert run["status"] == "FAILED"
    history = feed.sfn.get_execution_history(executionArn=run["executionArn"])["events"]
    failed_tasks = [e["taskFailedEventDetails"]["resource"] for e in history
                    if "taskFailedEventDetails" in e]
    assert "publish" in failed_tasks  # the notice was attempted, and refused


def test_a_run_with_nothing_to_check_succeeds_without_fetching(feed: FeedStack) -> None:
    """A first month kept after last month (a feed set up for the future) plans nothing: the
    run skips the Map (AnyMonthToFetch) and ends SUCCEEDED, quietly."""
    this_month = label(months_ago(0))
    feed.awslambda.update_function_configuration(
        FunctionName=feed.function_name,
        Environment={"Variables": {"DATA_BUCKET": BUCKET, "FIRST_MONTH": this_month,
                                   "SOURCE_URL": feed.site.prezip}})

    run = feed.run()

    assert run["status"] == "SUCCEEDED", run
    assert [event["step"] for event in feed.invocations] == ["plan"]
    assert feed.notifications() == []
    assert feed.zip_gets() == 0
