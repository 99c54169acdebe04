"""The safety net (orchestration/safety_net.asl.json) under moto's Step Functions engine, and
the EventBridge rule that starts it (moto's events, delivery checked through an SQS target).

A pipeline execution that dies holding the lock (an error no Catch takes, such as
States.DataLimitExceeded) or is stopped (TIMED_OUT, ABORTED) sends no notification and releases
nothing itself; the net does both. What only AWS can show: that EventBridge really emits the
Execution Status Change event for every such end (documented for Standard workflows).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3
import psycopg
import pytest
from conftest import (
    REGION,
    SAFETY_NET_FILE,
    FakeWorld,
    FileDelivery,
    Stack,
    load_template,
    render_definition,
    with_test_timings,
)
from moto import mock_aws


def _status_change(state_machine_arn: str, execution_arn: str, status: str,
                   error: str | None = None) -> dict[str, Any]:
    """The event EventBridge sends (shape of the Step Functions user guide's example)."""
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "123456789012",
        "time": "2023-11-16T06:40:01Z",
        "region": REGION,
        "resources": [execution_arn],
        "detail": {
            "executionArn": execution_arn,
            "stateMachineArn": state_machine_arn,
            "name": execution_arn.rsplit(":", 1)[1],
            "status": status,
            "startDate": 1700116800000,
            "stopDate": 1700118001000,
            "input": "{}",
            "output": None,
            "error": error,
            "cause": None,
        },
    }


def _run_net(stack: Stack, execution_arn: str, status: str,
             error: str | None = None) -> dict[str, Any]:
    event = _status_change(stack.state_machine_arn, execution_arn, status, error)
    definition = with_test_timings(render_definition(stack.substitutions, SAFETY_NET_FILE))
    net = stack.sfn.create_state_machine(
        name="airline-elt-safety-net", definition=definition, roleArn=stack.role_arn
    )["stateMachineArn"]
    arn = stack.sfn.start_execution(
        stateMachineArn=net, name="net-" + event["detail"]["name"], input=json.dumps(event)
    )["executionArn"]
    return stack.wait(arn)


def _execution_holding_the_lock(stack: Stack, world: FakeWorld, name: str) -> str:
    """A pipeline execution stopped in Land, while it held the lock; its Glue job run still
    runs (Step Functions' cancel of a .sync job is best effort only: aws_behaviour.md 3) until
    the test opens `world.landing_gate`."""
    world.deliveries = [FileDelivery("daily_flights/a.csv", flights=[("2023-11-16", 90)])]
    world.landing_gate = threading.Event()
    arn = stack.start({"trigger": "s3://landing/daily_flights/a.csv"}, name=name)
    stack.stop_in_land(arn)
    stack.wait(arn)
    assert stack.lock_item()["owner"] == arn
    return arn


def _open_the_landing_gate(world: FakeWorld) -> None:
    assert world.landing_gate is not None
    world.landing_gate.set()
    world.landing_gate = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
            event.startswith(("glue-end:", "glue-stopped:")) for event in world.events):
        time.sleep(0.05)


@pytest.mark.parametrize("status", ["ABORTED", "TIMED_OUT", "FAILED"])
def test_the_net_releases_a_lock_left_behind_and_notifies(
    stack: Stack, world: FakeWorld, status: str
) -> None:
    arn = _execution_holding_the_lock(stack, world, f"died-{status.lower()}")
    [job_run] = stack.glue.get_job_runs(JobName=stack.job_name)["JobRuns"]
    assert job_run["JobRunState"] == "RUNNING"  # the stopped execution's work goes on
    net = _run_net(stack, arn, status)
    assert net["status"] == "SUCCEEDED"
    assert "owner" not in stack.lock_item()
    # The net stopped the job run before it released the lock, and nothing landed after.
    [job_run] = stack.glue.get_job_runs(JobName=stack.job_name)["JobRuns"]
    assert job_run["JobRunState"] == "STOPPED"
    stopped = [e["id"] for e in stack.history(net["executionArn"])
               if e.get("stateEnteredEventDetails", {}).get("name") == "LandingRunEnded"]
    released = [e["id"] for e in stack.history(net["executionArn"])
                if e.get("stateEnteredEventDetails", {}).get("name") == "ReleaseOrphanedLock"]
    assert stopped and released and max(stopped) < min(released)
    _open_the_landing_gate(world)
    assert f"glue-stopped:died-{status.lower()}" in world.events
    with psycopg.connect(world.conninfo) as conn:
        assert conn.execute("select count(*) from raw.flights_landing").fetchone() == (0,)
    [sent] = stack.notifications()
    message = sent["message"]
    assert sent["attributes"]["status"]["Value"] == "FAILED"
    assert set(message) == {
        "pipeline", "status", "run_id", "trigger", "step", "error", "cause", "started_at",
        "finished_at",
    }
    assert message["status"] == "FAILED"
    assert message["run_id"] == f"died-{status.lower()}"
    assert message["trigger"] == "s3://landing/daily_flights/a.csv"  # from the execution input
    assert message["error"] == f"Execution.{status}"
    assert message["finished_at"] == "2023-11-16T06:40:01Z"

    # The next execution takes the lock straight away (no stale-lock detour).
    world.deliveries = []
    after = stack.start({"trigger": "schedule"}, name=f"after-{status.lower()}")
    assert stack.wait(after)["status"] == "SUCCEEDED"
    assert "CheckLockHolder" not in stack.entered_states(after)


def test_a_failure_the_pipeline_reported_itself_is_not_reported_twice(
    stack: Stack, world: FakeWorld
) -> None:
    world.deliveries = []
    world.landing_outcome = "FAILED"
    arn = stack.start({"trigger": "schedule"}, name="reported-itself")
    assert stack.wait(arn)["status"] == "FAILED"
    assert [n["message"]["step"] for n in stack.notifications()] == ["Land"]
    assert "owner" not in stack.lock_item()  # released by the pipeline

    assert _run_net(stack, arn, "FAILED")["status"] == "SUCCEEDED"
    assert len(stack.notifications()) == 1  # nothing more
    assert "owner" not in stack.lock_item()


def test_a_stopped_waiter_gives_its_waiting_slot_back(stack: Stack, world: FakeWorld) -> None:
    table = boto3.resource("dynamodb", region_name=REGION).Table(stack.lock_table)
    waiter = "arn:aws:states:us-east-1:123456789012:execution:airline-elt-pipeline:queued"
    holder = "arn:aws:states:us-east-1:123456789012:execution:airline-elt-pipeline:running"
    table.put_item(Item={"lock_name": "airline-elt", "owner": holder, "waiter": waiter})
    assert _run_net(stack, waiter, "ABORTED")["status"] == "SUCCEEDED"
    assert stack.lock_item() == {"lock_name": "airline-elt", "owner": holder}


def _rule_delivers(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="net")["QueueUrl"]
        queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        events.put_rule(Name="stopped", EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule="stopped", Targets=[{"Id": "q", "Arn": queue["Attributes"]["QueueArn"]}]
        )
        events.put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "Resources": event["resources"],
                }
            ]
        )
        return bool(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages"))


@pytest.mark.parametrize(
    ("status", "machine", "delivered"),
    [
        ("FAILED", "airline-elt-pipeline", True),
        ("TIMED_OUT", "airline-elt-pipeline", True),
        ("ABORTED", "airline-elt-pipeline", True),
        ("SUCCEEDED", "airline-elt-pipeline", False),
        ("RUNNING", "airline-elt-pipeline", False),
        ("FAILED", "someone-else", False),
    ],
)
def test_the_rule_starts_the_net_for_a_stopped_pipeline_execution_only(
    status: str, machine: str, delivered: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    resources = load_template()["Resources"]
    rule = resources["PipelineStoppedRule"]["Properties"]
    [target] = rule["Targets"]
    assert target["Arn"] == {"Ref": "SafetyNetStateMachine"}
    pattern = json.loads(json.dumps(rule["EventPattern"]))
    assert pattern["detail"]["stateMachineArn"] == [{"Ref": "StateMachine"}]
    pipeline = "arn:aws:states:us-east-1:123456789012:stateMachine:airline-elt-pipeline"
    pattern["detail"]["stateMachineArn"] = [pipeline]
    execution = "arn:aws:states:us-east-1:123456789012:execution:airline-elt-pipeline:x"
    source = pipeline.replace("airline-elt-pipeline", machine)
    event = _status_change(source, execution, status)
    assert _rule_delivers(pattern, event) is delivered


def test_a_failure_whose_own_notice_was_lost_is_reported_by_the_net(
    stack: Stack, world: FakeWorld
) -> None:
    """The pipeline ends AirlineElt.FailureNotSent when NotifyFailure could not publish (it
    released the lock itself): the net sends the notice."""
    arn = "arn:aws:states:us-east-1:123456789012:execution:airline-elt-pipeline:notice-lost"
    net = _run_net(stack, arn, "FAILED", error="AirlineElt.FailureNotSent")
    assert net["status"] == "SUCCEEDED"
    [sent] = stack.notifications()
    assert sent["message"]["run_id"] == "notice-lost"
    assert sent["message"]["error"] == "Execution.FAILED"
    assert "without a failure notification of its own" in sent["message"]["cause"]


def test_the_net_fails_loudly_when_it_cannot_notify(
    stack: Stack, world: FakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its own notice failing is not swallowed: the net's execution fails (an alarm watches
    its failed executions) with the error it met."""
    from moto.sns.exceptions import SNSInvalidParameter
    from moto.sns.models import SNSBackend

    def publish(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise SNSInvalidParameter("the topic's key is disabled")

    monkeypatch.setattr(SNSBackend, "publish", publish)
    arn = "arn:aws:states:us-east-1:123456789012:execution:airline-elt-pipeline:aborted"
    net = _run_net(stack, arn, "ABORTED")
    assert net["status"] == "FAILED"
    assert net["error"] == "SafetyNet.Failed"
    assert "key is disabled" in net["cause"]
