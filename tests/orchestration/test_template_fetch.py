"""The monthly feed's resources in orchestration/template.yaml: least privilege, wiring,
the schedule's switch, alarms."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from conftest import FETCH_DEFINITION_FILE, PLACEHOLDER, REPO, load_template

RESOURCES = load_template()["Resources"]
PARAMETERS = load_template()["Parameters"]


def _statements(role: str) -> list[dict[str, Any]]:
    return [statement for policy in RESOURCES[role]["Properties"]["Policies"]
            for statement in policy["PolicyDocument"]["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_function_writes_only_under_daily_flights() -> None:
    statements = _statements("FetchFunctionRole")
    s3 = [s for s in statements if any(a.startswith("s3:") for a in _as_list(s["Action"]))]
    objects = [s for s in s3 if "s3:PutObject" in _as_list(s["Action"])]
    assert len(objects) == 1
    assert objects[0]["Resource"] == {"Fn::Sub": "${DataBucket.Arn}/daily_flights/*"}
    assert set(objects[0]["Action"]) == {"s3:GetObject", "s3:PutObject",
                                         "s3:AbortMultipartUpload"}
    # No delete, no other bucket, no other prefix, no wildcard action anywhere.
    actions = {a for s in statements for a in _as_list(s["Action"])}
    assert not {a for a in actions if "*" in a or "Delete" in a}
    [listing] = [s for s in s3 if s["Action"] == "s3:ListBucket"]
    assert listing["Resource"] == {"Fn::GetAtt": ["DataBucket", "Arn"]}
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["daily_flights/",
                                                                 "daily_flights/*"]}}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] != "*", statement
    [logs] = [s for s in statements if s["Sid"] == "OwnLogs"]
    assert logs["Resource"] == {"Fn::Sub": "${FetchLogGroup.Arn}"}


def test_the_function_runs_outside_any_vpc_with_room_for_a_month() -> None:
    function = RESOURCES["FetchFunction"]["Properties"]
    assert "VpcConfig" not in function  # the internet through Lambda's own network, no NAT
    assert function["Runtime"] == "python3.11"
    assert function["Handler"] == "airline_fetch.lambda_handler.handle"
    assert function["Timeout"] == 900
    assert function["EphemeralStorage"]["Size"] >= 1024  # a ~30 MB zip and its gzip in /tmp
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "FetchLogGroup"}}
    group = RESOURCES["FetchLogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${AWS::StackName}-fetch"}
    assert group["KmsKeyId"] == {"Fn::GetAtt": ["LogsKey", "Arn"]}
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_functions_environment_is_what_the_handler_reads() -> None:
    variables = RESOURCES["FetchFunction"]["Properties"]["Environment"]["Variables"]
    handler = (REPO / "airline_fetch" / "lambda_handler.py").read_text(encoding="utf-8")
    read = set(re.findall(r'env\.get\("([A-Z_]+)"', handler))
    assert read == set(variables)
    assert variables["DATA_BUCKET"] == {"Ref": "DataBucket"}
    assert variables["FIRST_MONTH"] == {"Ref": "FetchFirstMonth"}


def test_the_fetch_state_machine_may_invoke_only_its_function_and_notify_only_its_topic() -> None:
    statements = _statements("FetchStateMachineRole")
    [invoke] = [s for s in statements if s.get("Sid") == "InvokeFetch"]
    assert invoke["Action"] == "lambda:InvokeFunction"
    assert invoke["Resource"] == [{"Fn::GetAtt": ["FetchFunction", "Arn"]},
                                  {"Fn::Sub": "${FetchFunction.Arn}:*"}]
    [notify] = [s for s in statements if s.get("Sid") == "Notify"]
    assert notify["Resource"] == {"Ref": "NotificationTopic"}
    machine = RESOURCES["FetchStateMachine"]["Properties"]
    assert machine["DefinitionS3Location"] == FETCH_DEFINITION_FILE.name
    text = FETCH_DEFINITION_FILE.read_text(encoding="utf-8")
    assert set(PLACEHOLDER.findall(text)) == set(machine["DefinitionSubstitutions"])
    assert machine["DefinitionSubstitutions"]["TopicArn"] == {"Ref": "NotificationTopic"}


def test_the_schedule_is_monthly_by_default_and_can_be_turned_off() -> None:
    rule = RESOURCES["FetchScheduleRule"]["Properties"]
    assert rule["ScheduleExpression"] == {"Ref": "FetchSchedule"}
    # cron(minutes hours day-of-month month day-of-week year): one day a month.
    fields = PARAMETERS["FetchSchedule"]["Default"].removeprefix("cron(").rstrip(")").split()
    assert fields[2].isdigit() and fields[3] == "*"
    assert rule["State"] == {"Fn::If": ["FetchScheduled", "ENABLED", "DISABLED"]}
    condition = load_template()["Conditions"]["FetchScheduled"]
    assert condition == {"Fn::Equals": [{"Ref": "FetchEnabled"}, "true"]}
    assert PARAMETERS["FetchEnabled"]["AllowedValues"] == ["true", "false"]
    [target] = rule["Targets"]
    assert target["Arn"] == {"Ref": "FetchStateMachine"}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}}
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 3600
    queue = RESOURCES["EventsDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]
    senders = queue["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert {"Fn::GetAtt": ["FetchScheduleRule", "Arn"]} in senders
    [start] = _statements("FetchEventsRole")
    assert start["Action"] == "states:StartExecution"
    assert start["Resource"] == {"Ref": "FetchStateMachine"}


def test_a_feed_that_ends_badly_raises_an_alarm() -> None:
    watched = {
        (r["Properties"]["MetricName"], r["Properties"]["Dimensions"][0]["Value"].get("Ref"))
        for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    alarms = [r["Properties"] for r in RESOURCES.values()
              if r["Type"] == "AWS::CloudWatch::Alarm"
              and r["Properties"]["Dimensions"][0]["Value"].get("Ref") in {
                  "FetchStateMachine", "FetchScheduleRule"}]
    assert len(alarms) == 4
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
        assert (metric, "FetchStateMachine") in watched, metric
    assert ("FailedInvocations", "FetchScheduleRule") in watched


def test_the_first_month_kept_is_a_month() -> None:
    pattern = re.compile(PARAMETERS["FetchFirstMonth"]["AllowedPattern"])
    assert pattern.fullmatch(PARAMETERS["FetchFirstMonth"]["Default"])
    for bad in ("2024-13", "2024-1", "24-01", "2024-00"):
        assert not pattern.fullmatch(bad), bad


def test_the_landing_rule_fires_for_the_keys_the_feed_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The feed and the landing meet at the key: every month the feed writes
    (Month.landing_key(), a .csv.gz) must start the pipeline through FileArrivedRule, tested as
    test_template.py tests the rule (PutRule, an SQS target, a real-shaped S3 event)."""
    from moto import mock_aws
    from test_template import _file_arrived_pattern, _s3_event

    from airline_fetch.months import Month

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    keys = [Month(2013, 1).landing_key(), Month(2026, 11).landing_key()]
    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="pipeline-starts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="file-arrived", EventPattern=_file_arrived_pattern())
        events.put_targets(Rule="file-arrived", Targets=[{"Id": "q", "Arn": queue_arn}])
        for key in keys:
            shaped = json.loads(_s3_event(key))
            events.put_events(Entries=[{
                "Source": shaped["source"], "DetailType": shaped["detail-type"],
                "Detail": json.dumps(shaped["detail"]), "Resources": shaped["resources"]}])
        delivered = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                        WaitTimeSeconds=0).get("Messages", [])
    assert sorted(json.loads(m["Body"])["detail"]["object"]["key"] for m in delivered) == keys
