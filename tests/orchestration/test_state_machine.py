"""The state machine in orchestration/state_machine.asl.json, executed by moto's Step Functions
engine (moto plays the AWS control planes; the Summarize SQL runs on the local PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import threading

import psycopg
import pytest
from conftest import (
    BY_HAND,
    FakeWorld,
    FileDelivery,
    Stack,
    load_definition,
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
    assert entered[-5:] == [
        "RecordLandFailure", "NotifyFailure", "ReleaseLock", "Finish", "RunFailed"
    ]
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


def test_the_guard_holds_a_second_execution_until_the_first_ends_and_coalesces_a_third(
    stack: Stack, world: FakeWorld
) -> None:
    two_days(world)
    gate = threading.Event()
    world.landing_gate = gate
    first = stack.start({"trigger": "s3://landing/a.csv"}, name="first")
    stack.wait_until_entered(first, "Land")

    second = stack.start({"trigger": "s3://landing/b.csv"}, name="second")
    stack.wait_until_entered(second, "WaitForLock")
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
