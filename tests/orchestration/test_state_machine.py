"""The state machine in orchestration/state_machine.asl.json, executed by moto's Step Functions
engine (moto plays the AWS control planes; the Summarize SQL runs on the local PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import psycopg
import pytest
from conftest import (
    BY_HAND,
    REGION,
    SAFETY_NET_FILE,
    FakeWorld,
    FileDelivery,
    Stack,
    aws_behaviour_error_names,
    load_definition,
    load_template,
    render_definition,
    with_test_timings,
)

STEPS = ["AcquireLock", "Land", "Transform", "Summarize", "NotifySuccess", "ReleaseLock"]
NOV15 = "daily_flights/date=2023-11-15/flights.csv"
NOV16 = "daily_flights/date=2023-11-16/flights.csv"


def two_days(world: FakeWorld) -> None:
    world.deliveries = [
        FileDelivery(NOV15, flights=[("2023-11-15", 90), ("2023-11-15", 61), ("2023-11-15", 5)],
                     rows_rejected=1),
        FileDelivery(NOV16, flights=[("2023-11-16", 12), ("2023-11-16", None)]),
        FileDelivery("daily_flights/2023-11-14.csv", status="duplicate"),
        FileDelivery("daily_flights/broken.csv", status="failed"),
    ]


def test_success_path_publishes_the_run_summary_read_back_from_the_control_table(
    stack: Stack, world: FakeWorld
) -> None:
    two_days(world)
    arn = stack.start({"trigger": "s3://landing/" + NOV15}, name="run-success")
    assert stack.wait(arn)["status"] == "SUCCEEDED"

    entered = stack.entered_states(arn)
    assert [s for s in entered if s in STEPS] == STEPS
    assert "NotifyFailure" not in entered

    # A rejected row and a failed file: a WARNING goes out before the SUCCEEDED summary.
    [warning, sent] = stack.notifications()
    assert warning["attributes"]["status"]["Value"] == "WARNING"
    assert set(warning["message"]) == {
        "pipeline", "status", "run_id", "trigger", "started_at", "finished_at", "files", "totals",
    }
    assert warning["message"]["status"] == "WARNING"
    assert warning["message"]["run_id"] == "run-success"
    assert warning["message"]["totals"]["rows_rejected"] == 1
    assert warning["message"]["totals"]["files_failed"] == 1
    message = sent["message"]
    assert warning["message"]["files"] == message["files"]
    assert sent["subject"] == "airline-elt run SUCCEEDED"
    assert sent["attributes"]["status"]["Value"] == "SUCCEEDED"
    assert set(message) == {
        "pipeline", "status", "run_id", "trigger", "started_at", "finished_at",
        "duration_seconds", "files", "totals", "fact_rows_by_date",
    }
    assert message["pipeline"] == "airline-elt"
    assert message["status"] == "SUCCEEDED"
    assert message["run_id"] == "run-success"
    assert message["trigger"] == "s3://landing/" + NOV15
    # Files needing attention (rows rejected, failed) first, then the others, in landing order.
    assert message["files"] == [
        {"key": NOV15, "status": "landed", "rows_read": 4, "rows_landed": 3, "rows_rejected": 1},
        {"key": "daily_flights/broken.csv", "status": "failed", "rows_read": 0,
         "rows_landed": 0, "rows_rejected": 0},
        {"key": NOV16, "status": "landed", "rows_read": 2, "rows_landed": 2, "rows_rejected": 0},
        {"key": "daily_flights/2023-11-14.csv", "status": "duplicate", "rows_read": 0,
         "rows_landed": 0, "rows_rejected": 0},
    ]
    assert message["totals"] == {
        "files_landed": 2, "files_duplicate": 1, "files_failed": 1,
        "rows_read": 6, "rows_landed": 5, "rows_rejected": 1,
    }
    # Two flights of Nov 15 are delayed > 60 min; none of Nov 16: a date with no fact row says 0.
    assert message["fact_rows_by_date"] == {"2023-11-15": 2, "2023-11-16": 0}
    started = dt.datetime.fromisoformat(message["started_at"].replace("Z", "+00:00"))
    finished = dt.datetime.fromisoformat(message["finished_at"].replace("Z", "+00:00"))
    assert finished > started
    assert abs(message["duration_seconds"] - (finished - started).total_seconds()) < 0.01

    # The Glue job got this execution's name as --run_id, and dbt ran `dbt build` on Fargate.
    assert [run["--run_id"] for run in world.glue_runs] == ["run-success"]
    [dbt] = world.dbt_runs
    assert dbt["launch_type"] == "FARGATE"
    [override] = dbt["overrides"]["containerOverrides"]
    assert override["command"] == ["dbt", "build", "--target", "prod"]
    # An S3 event: the fixed build, no extra dbt arguments, no docs publishing.
    assert sorted(override["environment"], key=lambda e: e["name"]) == [
        {"name": "AIRLINE_ELT_RUN_ID", "value": "run-success"},
        {"name": "DBT_EXTRA_ARGS", "value": "[]"},
        {"name": "DOCS_S3_URI", "value": ""},
    ]
    vpc = dbt["network"]["awsvpcConfiguration"]
    assert ",".join(vpc["subnets"]) == stack.substitutions["DbtSubnetIds"]
    assert vpc["assignPublicIp"] == "DISABLED"
    assert "owner" not in stack.lock_item()  # released


def test_a_clean_run_sends_only_the_success_summary(stack: Stack, world: FakeWorld) -> None:
    world.deliveries = [FileDelivery(NOV16, flights=[("2023-11-16", 75), ("2023-11-16", 3)])]
    arn = stack.start({"trigger": "s3://landing/" + NOV16}, name="run-clean")
    assert stack.wait(arn)["status"] == "SUCCEEDED"
    assert "NotifyWarning" not in stack.entered_states(arn)
    assert [n["message"]["status"] for n in stack.notifications()] == ["SUCCEEDED"]


def test_an_execution_started_without_input_is_a_manual_run(stack: Stack, world: FakeWorld) -> None:
    two_days(world)
    assert stack.wait(stack.start(name="by-hand"))["status"] == "SUCCEEDED"
    assert stack.notifications()[0]["message"]["trigger"] == "manual"


def test_landing_failing_notifies_the_failure_and_fails_the_execution(
    stack: Stack, world: FakeWorld
) -> None:
    two_days(world)
    world.landing_outcome = "FAILED"
    arn = stack.start({"trigger": "schedule"}, name="run-land-fails")
    described = stack.wait(arn)
    assert described["status"] == "FAILED"
    assert described["error"] == "AirlineElt.LandFailed"

    entered = stack.entered_states(arn)
    assert "Transform" not in entered and "NotifySuccess" not in entered
    assert entered[-6:] == [
        "RecordLandFailure", "HasFailureCause", "NotifyFailure", "ReleaseLock", "Finish",
        "RunFailed",
    ]
    assert "StopWork" not in entered  # the job run ended by itself: nothing to stop
    [sent] = stack.notifications()
    message = sent["message"]
    assert set(message) == {
        "pipeline", "status", "run_id", "trigger", "step", "error", "cause", "started_at",
        "finished_at",
    }
    assert message["status"] == "FAILED"
    assert message["step"] == "Land"
    assert message["error"] == "States.TaskFailed"
    assert '"JobRunState": "FAILED"' in message["cause"]
    assert message["run_id"] == "run-land-fails"
    assert message["trigger"] == "schedule"
    assert world.dbt_runs == []
    assert "owner" not in stack.lock_item()  # a failed run does not keep the guard


def test_dbt_failing_notifies_a_transform_failure(stack: Stack, world: FakeWorld) -> None:
    two_days(world)
    world.dbt_exit_code = 2
    arn = stack.start({"trigger": "manual"}, name="run-dbt-fails")
    described = stack.wait(arn)
    assert described["status"] == "FAILED"
    assert described["error"] == "AirlineElt.TransformFailed"
    [sent] = stack.notifications()
    assert sent["message"]["step"] == "Transform"
    assert sent["message"]["error"] == "Dbt.NonZeroExit"
    assert "dbt exited with code 2" in sent["message"]["cause"]
    assert "Summarize" not in stack.entered_states(arn)
    assert "owner" not in stack.lock_item()


def test_a_summary_query_failing_is_reported_as_the_summarize_step(
    stack: Stack, world: FakeWorld, orchestration_conninfo: str
) -> None:
    two_days(world)
    with psycopg.connect(orchestration_conninfo, autocommit=True) as conn:
        conn.execute("alter table airlines.daily_flights_fact rename to daily_flights_fact_gone")
    try:
        world.dbt_writes_fact = False
        arn = stack.start({"trigger": "manual"}, name="run-summary-fails")
        described = stack.wait(arn)
    finally:
        with psycopg.connect(orchestration_conninfo, autocommit=True) as conn:
            conn.execute(
                "alter table airlines.daily_flights_fact_gone rename to daily_flights_fact"
            )
    assert described["status"] == "FAILED"
    [sent] = stack.notifications()
    assert sent["message"]["step"] == "Summarize"
    assert "daily_flights_fact" in sent["message"]["cause"]


def test_glue_concurrent_runs_exceeded_is_retried(stack: Stack, world: FakeWorld) -> None:
    two_days(world)
    # Someone started the job by hand: its only slot (MaxConcurrentRuns 1) is taken. The fake
    # world ends that run when Glue rejects the state machine's first attempt.
    stack.glue.start_job_run(JobName=stack.job_name, Arguments={"--run_id": BY_HAND})
    assert world.blocker_run is not None
    arn = stack.start({"trigger": "manual"}, name="run-after-retry")
    assert stack.wait(arn)["status"] == "SUCCEEDED"
    assert world.glue_rejections == 1

    failed = [e for e in stack.history(arn) if e["type"] == "TaskFailed"]
    errors = [e["taskFailedEventDetails"]["error"] for e in failed]
    assert errors == ["Glue.ConcurrentRunsExceededException"]
    statuses = [n["message"]["status"] for n in stack.notifications()]
    assert statuses == ["WARNING", "SUCCEEDED"]


def _one_landing_one_waiting(stack: Stack, world: FakeWorld) -> tuple[threading.Event, str, str]:
    """A file event's run held in Land (its landing gate closed) and a second one queued."""
    two_days(world)
    gate = threading.Event()
    world.landing_gate = gate
    first = stack.start({"trigger": "s3://landing/a.csv"}, name="first")
    stack.wait_until_entered(first, "Land")
    second = stack.start({"trigger": "s3://landing/b.csv"}, name="second")
    stack.wait_until_entered(second, "WaitForLock")
    return gate, first, second


def test_the_guard_holds_a_second_execution_until_the_first_ends_and_coalesces_a_third(
    stack: Stack, world: FakeWorld
) -> None:
    gate, first, second = _one_landing_one_waiting(stack, world)
    third = stack.start({"trigger": "s3://landing/c.csv"}, name="third")
    # A third event while one runs and one waits adds nothing: the waiting run lands its file.
    described = stack.wait(third)
    assert described["status"] == "SUCCEEDED"
    assert '"COALESCED"' in described["output"]
    assert "Land" not in stack.entered_states(third)

    # The second is held back: still running, never entered Land, one Glue run so far.
    assert stack.sfn.describe_execution(executionArn=second)["status"] == "RUNNING"
    assert "Land" not in stack.entered_states(second)
    assert [run["--run_id"] for run in world.glue_runs] == ["first"]
    lock = stack.lock_item()
    assert lock["owner"].endswith(":first") and lock["waiter"].endswith(":second")

    world.landing_gate = None
    gate.set()
    assert stack.wait(first)["status"] == "SUCCEEDED"
    assert stack.wait(second)["status"] == "SUCCEEDED"
    # The second landed only after the first's job run ended: never two loads at once.
    assert world.events.index("glue-end:first") < world.events.index("glue-start:second")
    assert [run["--run_id"] for run in world.glue_runs] == ["first", "second"]
    summaries = [n for n in stack.notifications() if n["message"]["status"] == "SUCCEEDED"]
    assert [n["message"]["run_id"] for n in summaries] == ["first", "second"]
    assert "owner" not in stack.lock_item() and "waiter" not in stack.lock_item()


def test_a_lock_left_by_a_dead_execution_is_broken(stack: Stack, world: FakeWorld) -> None:
    import boto3

    two_days(world)
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(stack.lock_table)
    dead = "arn:aws:states:us-east-1:123456789012:execution:airline-elt-pipeline:aborted-long-ago"
    table.put_item(Item={"lock_name": "airline-elt", "owner": dead})
    arn = stack.start({"trigger": "manual"}, name="after-a-crash")
    assert stack.wait(arn)["status"] == "SUCCEEDED"
    assert "BreakStaleLock" in stack.entered_states(arn)


def test_production_timings_are_the_ones_the_tests_shorten() -> None:
    """The tests run with 1 s retry intervals (conftest.with_test_timings); the file keeps these."""
    states = load_definition()["States"]
    [land_retry] = states["Land"]["Retry"]
    assert "Glue.ConcurrentRunsExceededException" in land_retry["ErrorEquals"]
    assert land_retry["IntervalSeconds"] == 30 and land_retry["BackoffRate"] == 2
    assert land_retry["MaxAttempts"] >= 5
    assert states["Transform"]["Retry"][0]["IntervalSeconds"] == 30
    for name, state in states.items():
        if state["Type"] == "Task":
            assert any(c["ErrorEquals"] == ["States.ALL"] for c in state.get("Catch", [])), name


def _largest_state(stack: Stack, arn: str) -> int:
    """The largest input or output any state of the execution carried (bytes of JSON)."""
    largest = 0
    for event in stack.history(arn):
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details, dict):
                for field in ("input", "output"):
                    if isinstance(details.get(field), str):
                        largest = max(largest, len(details[field].encode()))
    return largest


def test_a_run_of_2000_files_keeps_every_state_far_below_the_payload_limit(
    stack: Stack, world: FakeWorld
) -> None:
    # 2,000 files over 2,000 days (a backfill): the summary lists at most 100 files (those
    # needing attention first) and the 62 latest dates; the totals count everything.
    first = dt.date(2018, 1, 1)
    world.deliveries = [
        FileDelivery(
            f"daily_flights/date={first + dt.timedelta(days=n)}/flights.csv",
            flights=[(str(first + dt.timedelta(days=n)), 90)],
            rows_rejected=1 if n % 500 == 0 else 0,
        )
        for n in range(2000)
    ]
    arn = stack.start({"trigger": "schedule"}, name="run-backfill")
    assert stack.wait(arn, timeout=300)["status"] == "SUCCEEDED"
    assert _largest_state(stack, arn) < 64 * 1024  # the limit is 256 KiB
    [warning, sent] = stack.notifications()
    message = sent["message"]
    assert message["totals"]["files_landed"] == 2000
    assert message["totals"]["rows_rejected"] == 4
    assert len(message["files"]) == 100
    assert [f["rows_rejected"] for f in message["files"][:4]] == [1, 1, 1, 1]
    assert len(message["fact_rows_by_date"]) == 62
    assert max(message["fact_rows_by_date"]) == str(first + dt.timedelta(days=1999))
    assert len(warning["message"]["files"]) == 100


def test_a_dbt_container_that_never_started_is_a_transform_failure(
    stack: Stack, world: FakeWorld
) -> None:
    two_days(world)
    world.dbt_exit_code = None  # no ExitCode: image pull or secret failure, no capacity
    arn = stack.start({"trigger": "manual"}, name="run-no-container")
    described = stack.wait(arn)
    assert described["status"] == "FAILED"
    assert described["error"] == "AirlineElt.TransformFailed"
    [sent] = stack.notifications()
    assert sent["message"]["error"] == "Dbt.NoExitCode"
    assert "never started" in sent["message"]["cause"]
    assert "owner" not in stack.lock_item()


def test_an_aborted_summary_query_is_reported_not_a_runtime_error(
    stack: Stack, world: FakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.redshiftdata.models import RedshiftDataAPIServiceBackend

    two_days(world)
    patched_describe = RedshiftDataAPIServiceBackend.describe_statement

    def aborted(self, statement_id):  # type: ignore[no-untyped-def]
        described = patched_describe(self, statement_id)  # the moto_gaps() version
        return {**dict(described), "Status": "ABORTED"}  # ABORTED: no Error member

    monkeypatch.setattr(RedshiftDataAPIServiceBackend, "describe_statement", aborted)
    arn = stack.start({"trigger": "manual"}, name="run-query-aborted")
    assert stack.wait(arn)["status"] == "FAILED"
    [sent] = stack.notifications()
    assert sent["message"]["step"] == "Summarize"
    assert sent["message"]["error"] == "RedshiftData.QueryFailed"
    assert "ended ABORTED without an error message" in sent["message"]["cause"]
    assert "owner" not in stack.lock_item()


@pytest.mark.parametrize("holder_status", ["ABORTED", "TIMED_OUT"])
def test_a_lock_held_by_a_stopped_execution_is_broken(
    stack: Stack, world: FakeWorld, holder_status: str
) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    two_days(world)
    # A real execution of the same state machine, stopped while it held the lock.
    world.landing_gate = threading.Event()
    holder = stack.start({"trigger": "manual"}, name=f"holder-{holder_status.lower()}")
    stack.stop_in_land(holder)  # ABORTED
    stack.wait(holder)
    if holder_status == "TIMED_OUT":  # moto never times an execution out: set what AWS would
        backend = stepfunctions_parser_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        [execution] = [e for e in backend._get_executions() if e.exec_arn == holder]
        execution.exec_status = ExecutionStatus.TIMED_OUT
    assert stack.sfn.describe_execution(executionArn=holder)["status"] == holder_status
    assert stack.lock_item()["owner"] == holder  # stopped while holding it
    world.landing_gate.set()
    world.landing_gate = None

    arn = stack.start({"trigger": "manual"}, name=f"after-{holder_status.lower()}")
    assert stack.wait(arn)["status"] == "SUCCEEDED"
    entered = stack.entered_states(arn)
    assert "CheckLockHolder" in entered and "BreakStaleLock" in entered
    assert "owner" not in stack.lock_item()


@pytest.mark.parametrize(
    ("path", "wrong"),
    [((), "cluster"), (("Overrides",), "containerOverrides")],
    ids=["top-level", "nested"],
)
def test_a_mis_cased_parameter_fails_as_on_aws(
    stack: Stack, world: FakeWorld, path: tuple[str, ...], wrong: str
) -> None:
    """The moto helper converts names exactly (`cluster` is not `Cluster`), as AWS does."""
    two_days(world)
    definition = json.loads(with_test_timings(render_definition(stack.substitutions)))
    parameters = definition["States"]["Transform"]["Parameters"]
    for name in path:
        parameters = parameters[name]
    parameters[wrong] = parameters.pop(wrong[:1].upper() + wrong[1:])
    broken = stack.sfn.create_state_machine(
        name=f"mis-cased-{wrong}", definition=json.dumps(definition), roleArn=stack.role_arn
    )["stateMachineArn"]
    arn = stack.sfn.start_execution(stateMachineArn=broken, name=f"mis-cased-{wrong}", input="{}")[
        "executionArn"
    ]
    assert stack.wait(arn)["status"] == "FAILED"
    [sent] = stack.notifications()
    assert sent["message"]["step"] == "Transform"
    assert f"The field '{wrong}' is not supported by Step Functions" in sent["message"]["cause"]
    assert world.dbt_runs == []


@pytest.mark.parametrize(
    ("payload", "extra", "docs"),
    [
        ({"trigger": "manual", "dbt_args": ["--full-refresh", "-s", "marts"]},
         '["--full-refresh","-s","marts"]', "s3://airline-elt-docs/dbt-docs/"),
        ({"trigger": "schedule"}, "[]", "s3://airline-elt-docs/dbt-docs/"),
        # An S3 event never passes dbt arguments (even if its input somehow held some).
        ({"trigger": "s3://landing/" + NOV15, "dbt_args": ["--full-refresh"]}, "[]", ""),
    ],
    ids=["manual-with-args", "schedule", "file-event"],
)
def test_dbt_arguments_and_docs_come_from_scheduled_and_manual_starts_only(
    stack: Stack, world: FakeWorld, payload: dict, extra: str, docs: str
) -> None:
    world.deliveries = [FileDelivery(NOV16, flights=[("2023-11-16", 75)])]
    assert stack.wait(stack.start(payload))["status"] == "SUCCEEDED"
    [dbt] = world.dbt_runs
    [override] = dbt["overrides"]["containerOverrides"]
    assert override["command"] == ["dbt", "build", "--target", "prod"]
    environment = {e["name"]: e["value"] for e in override["environment"]}
    assert environment["DBT_EXTRA_ARGS"].replace(" ", "") == extra
    assert environment["DOCS_S3_URI"] == docs


# -- issue 19: the real failure semantics, a stopped run stops its work, no run dropped ---------


def _start_variant(stack: Stack, name: str, change: Any, payload: dict[str, Any]) -> str:
    """An execution of a copy of the pipeline whose definition `change` edited (a shorter
    TimeoutSeconds, a smaller lock budget): the rest is the file as the tests run it."""
    definition = json.loads(with_test_timings(render_definition(stack.substitutions)))
    change(definition)
    arn = stack.sfn.create_state_machine(
        name=f"variant-{name}", definition=json.dumps(definition), roleArn=stack.role_arn
    )["stateMachineArn"]
    return stack.sfn.start_execution(stateMachineArn=arn, name=name,
                                     input=json.dumps(payload))["executionArn"]


def _task_events(stack: Stack, arn: str, resource: str, containing: str = "") -> list[int]:
    """Ids of the TaskSucceeded events of a task resource (`stopTask`, `describeTasks`) whose
    output contains `containing`: read from the events themselves, because the branches of a
    Parallel state write their events interleaved."""
    return [event["id"] for event in stack.history(arn) if event["type"] == "TaskSucceeded"
            and event["taskSucceededEventDetails"]["resource"] == resource
            and containing in event["taskSucceededEventDetails"].get("output", "")]


def _entered(stack: Stack, arn: str, state: str) -> list[int]:
    return [event["id"] for event in stack.history(arn)
            if event.get("stateEnteredEventDetails", {}).get("name") == state]


def test_a_dbt_task_that_outlives_its_transform_timeout_is_stopped_before_the_lock_is_free(
    stack: Stack, world: FakeWorld
) -> None:
    """On AWS a state's own timeout does not stop its .sync task (aws_behaviour.md 3): the run
    stops it, waits until ECS says STOPPED, and only then releases the lock."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ecs.models import ecs_backends

    two_days(world)
    world.dbt_hangs = True

    def short_transform(definition: dict[str, Any]) -> None:
        definition["States"]["Transform"]["TimeoutSeconds"] = 3

    arn = _start_variant(stack, "dbt-hangs", short_transform, {"trigger": "manual"})
    described = stack.wait(arn, timeout=120)
    assert described["status"] == "FAILED"
    assert described["error"] == "AirlineElt.TransformFailed"
    [sent] = stack.notifications()
    assert sent["message"]["error"] == "States.Timeout"
    assert sent["message"]["cause"]  # a timeout's empty Cause is filled in, never a blank
    tasks = [task for cluster in ecs_backends[DEFAULT_ACCOUNT_ID][REGION].tasks.values()
             for task in cluster.values()]
    assert [task.last_status for task in tasks] == ["STOPPED"]
    stopped = _task_events(stack, arn, "stopTask")
    confirmed = _task_events(stack, arn, "describeTasks", '"STOPPED"')
    released = _entered(stack, arn, "ReleaseLock")
    assert len(stopped) == 1 and confirmed and len(released) == 1, (stopped, confirmed)
    assert stopped[0] < max(confirmed) < released[0]
    assert "owner" not in stack.lock_item()


def test_no_fargate_capacity_is_retried_as_aws_reports_it(stack: Stack, world: FakeWorld) -> None:
    """RunTask answering with Failures fails a .sync state with AmazonECS.Unknown (connect-ecs);
    Transform retries it, and the run goes on when capacity is back."""
    two_days(world)
    world.dbt_capacity_failures = 1
    arn = stack.start({"trigger": "manual"}, name="run-no-capacity")
    assert stack.wait(arn)["status"] == "SUCCEEDED"
    failed = [e["taskFailedEventDetails"] for e in stack.history(arn) if e["type"] == "TaskFailed"]
    assert [f["error"] for f in failed] == ["AmazonECS.Unknown"]
    assert "Capacity is unavailable" in failed[0]["cause"]
    assert world.events.count("ecs-capacity-failure") == 1 and len(world.dbt_runs) == 1


def test_a_started_run_is_never_folded_into_the_waiting_one(stack: Stack, world: FakeWorld) -> None:
    """A manual start with dbt arguments, while one run lands and a file event waits, is not
    coalesced: it queues after the waiting run and runs with its own arguments."""
    gate, first, second = _one_landing_one_waiting(stack, world)
    refresh = stack.start({"trigger": "manual", "dbt_args": ["--full-refresh"]}, name="refresh")
    stack.wait_until_entered(refresh, "WaitForWaitingSlot")
    assert "Coalesced" not in stack.entered_states(refresh)

    world.landing_gate = None
    gate.set()
    for arn in (first, second, refresh):
        assert stack.wait(arn, timeout=120)["status"] == "SUCCEEDED", arn
    assert [run["--run_id"] for run in world.glue_runs] == ["first", "second", "refresh"]
    environment = world.dbt_runs[-1]["overrides"]["containerOverrides"][0]["environment"]
    assert {"name": "DBT_EXTRA_ARGS", "value": '["--full-refresh"]'} in environment
    assert "owner" not in stack.lock_item() and "waiter" not in stack.lock_item()


def test_a_run_that_waits_out_its_lock_budget_says_so_and_gives_its_slot_back(
    stack: Stack, world: FakeWorld
) -> None:
    two_days(world)
    gate = threading.Event()
    world.landing_gate = gate
    holder = stack.start({"trigger": "schedule"}, name="holder")
    stack.wait_until_entered(holder, "Land")

    def small_budget(definition: dict[str, Any]) -> None:
        run = definition["States"]["DescribeRun"]["Parameters"]["run"]
        run["lock_polls_left.$"] = "States.StringToJson('3')"

    waiter = _start_variant(stack, "waits-too-long", small_budget, {"trigger": "manual"})
    try:
        described = stack.wait(waiter, timeout=120)
    finally:
        world.landing_gate = None
        gate.set()
    assert described["status"] == "FAILED"
    assert described["error"] == "AirlineElt.AcquireLockFailed"
    [sent] = stack.notifications()
    assert sent["message"]["run_id"] == "waits-too-long"
    assert sent["message"]["error"] == "AirlineElt.LockWaitExhausted"
    assert "did not run" in sent["message"]["cause"]
    assert "Land" not in stack.entered_states(waiter)
    assert "waiter" not in stack.lock_item()  # the slot is free for the next run
    assert stack.wait(holder, timeout=120)["status"] == "SUCCEEDED"


def test_a_failure_notice_that_could_not_be_sent_fails_the_run_with_its_own_error(
    stack: Stack, world: FakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NotifyFailure's publish failing is not swallowed: the execution ends with
    AirlineElt.FailureNotSent, which the safety net reads to send the notice itself."""
    from moto.sns.exceptions import SNSInvalidParameter
    from moto.sns.models import SNSBackend

    two_days(world)
    world.landing_outcome = "FAILED"

    def publish(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise SNSInvalidParameter("the topic's key is disabled")

    monkeypatch.setattr(SNSBackend, "publish", publish)
    arn = stack.start({"trigger": "schedule"}, name="notice-lost")
    described = stack.wait(arn)
    assert described["status"] == "FAILED"
    assert described["error"] == "AirlineElt.FailureNotSent"
    assert described["cause"].startswith("States.TaskFailed in Land: ")
    assert "owner" not in stack.lock_item()


def _error_names(node: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(node, dict):
        for key in ("Retry", "Catch"):
            for rule in node.get(key, []):
                names.update(rule["ErrorEquals"])
        for value in node.values():
            names |= _error_names(value)
    elif isinstance(node, list):
        for value in node:
            names |= _error_names(value)
    return names


def test_every_error_name_the_definitions_rely_on_is_in_the_aws_behaviour_file() -> None:
    """Retry and Catch name only errors aws_behaviour.md lists, each with the AWS page it comes
    from: a name the code merely expects (ECS.ThrottlingException, which ECS never raises)
    fails here."""
    listed = aws_behaviour_error_names()
    for file in (SAFETY_NET_FILE, None):
        definition = (json.loads(file.read_text(encoding="utf-8")) if file else
                      load_definition())
        unknown = _error_names(definition) - listed
        assert not unknown, (file, sorted(unknown))


def test_the_stop_work_block_is_the_same_in_both_state_machines() -> None:
    net = json.loads(SAFETY_NET_FILE.read_text(encoding="utf-8"))["States"]["StopWork"]
    pipeline = load_definition()["States"]["StopWork"]
    assert {key: value for key, value in net.items() if key not in ("Next", "Catch")} == {
        key: value for key, value in pipeline.items() if key not in ("Next", "Catch")}


def test_each_piece_of_work_has_a_limit_below_its_state_and_the_execution_covers_them_all() -> None:
    """Glue ends its own run (Timeout) and dbt its own build (DBT_TIMEOUT_SECONDS) before their
    states time out; the execution's limit covers the lock budget, both states, the summary
    and StopWork, so a state always fails first and is caught."""
    states = load_definition()["States"]
    template = load_template()
    resources, parameters = template["Resources"], template["Parameters"]
    glue_minutes = resources["LandingJob"]["Properties"]["Timeout"]
    assert glue_minutes * 60 < states["Land"]["TimeoutSeconds"]
    [container] = resources["DbtTaskDefinition"]["Properties"]["ContainerDefinitions"]
    environment = {item["Name"]: item["Value"] for item in container["Environment"]}
    dbt_seconds = int(environment["DBT_TIMEOUT_SECONDS"])
    assert dbt_seconds + 600 <= states["Transform"]["TimeoutSeconds"]  # docs and report after
    lock_budget = (parameters["LockWaitMaxPolls"]["MaxValue"]
                   * parameters["LockPollSeconds"]["MaxValue"])
    stop_work = 2 * 40 * 15  # each branch polls at most 40 times, 15 s apart
    work = states["Land"]["TimeoutSeconds"] + states["Transform"]["TimeoutSeconds"]
    assert lock_budget + work + stop_work + 1800 <= load_definition()["TimeoutSeconds"]
