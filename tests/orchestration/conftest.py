"""The AWS path under moto: the real state machine definition, executed by moto's Step Functions
engine, against moto's control planes (SNS, DynamoDB, Glue, ECS, EC2, IAM).

What plays which part:
- moto (control-plane APIs only) runs the Step Functions definition, SNS, DynamoDB, Glue, ECS.
- The Summarize SQL the state machine sends through the Redshift Data API runs for real, on the
  local PostgreSQL warehouse (a database of its own, so the dbt tests' tables are never touched):
  see `moto_gaps()`, the one place where moto is patched.
- `FakeWorld` plays what happens *inside* the Glue job and the dbt container: it writes what the
  landing job writes (raw.landed_files rows for the run's --run_id, raw.flights_landing rows) and
  what dbt writes (the fact), and it decides how a job run or a container ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib.util
import inspect
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import psycopg
import pytest

from airline_elt.warehouse import Connection
from airline_landing.ddl import raw_tables_ddl

REPO = Path(__file__).resolve().parents[2]
ORCHESTRATION = REPO / "orchestration"
DEFINITION_FILE = ORCHESTRATION / "state_machine.asl.json"
SAFETY_NET_FILE = ORCHESTRATION / "safety_net.asl.json"
TEMPLATE_FILE = ORCHESTRATION / "template.yaml"
REGION = "us-east-1"
TEST_DATABASE = "airline_elt_orchestration"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")
BY_HAND = "started-by-hand"
SFN_CONFIG = {"stepfunctions": {"execute_state_machine": True}}


# --------------------------------------------------------------------------------------------
# The one helper that closes moto's gaps (moto 5.2.5).
# --------------------------------------------------------------------------------------------
@contextlib.contextmanager
def moto_gaps(conninfo: str) -> Iterator[None]:
    """Patch what moto 5.2.5's Step Functions engine cannot do for this definition.

    0. Request/response casing. Step Functions takes and returns PascalCase members
       (`Cluster`, `Containers[0].ExitCode`, `Records[0][0].StringValue`); botocore wants the
       API's own casing (`cluster`, `stringValue`). moto's engine ships the hooks for that
       conversion as no-ops, so ecs:runTask fails with KeyError 'Cluster'. We fill the hooks with
       a conversion driven by botocore's service model (`_to_api_case` / `_to_sfn_case`).
    1. `glue:startJobRun.sync` always ends in States.Runtime: after polling, the engine calls
       `interrupt_all()` on a callback endpoint that only exists for integrations that also
       support `.waitForTaskToken` (Glue does not). We list that pattern for Glue so the endpoint
       exists; the definition never uses it.
    2. `arn:aws:states:::aws-sdk:redshiftdata:*`: Step Functions names the service `redshiftdata`,
       boto3 names it `redshift-data`; the engine has no alias for it (it has `sfn`), so the task
       fails with "Unknown service". We add the alias.
    3. moto's Redshift Data API backend never runs SQL: a statement stays STARTED and every result
       is the same canned address table. We run the statement on the local PostgreSQL warehouse
       (`conninfo`) instead: FINISHED with its real rows, or FAILED with the database's error.
       Named parameters (`:run_id`) become psycopg placeholders; values arrive as strings, as
       they do from the Data API, and the SQL casts them.
    4. moto's ECS cannot start an `awsvpc` (Fargate) task: it reads `private_dns_name` from its
       EC2 network interface model, which has no such attribute. We give the class one.
    5. moto drops a top-level parameter an optimised integration does not know (`cluster` for
       `Cluster`) and runs the task without it; AWS rejects such a definition. We fail the task
       with AWS's message instead, so a mis-cased name cannot pass here.
    6. `ecs:runTask.sync` in moto returns the stopped task whatever its containers' exit codes.
       On AWS a task whose container exits non-zero, or stops without ever running (no
       ExitCode), fails the state with States.TaskFailed and the stopped task as JSON in its
       Cause (aws_behaviour.md, "ECS .sync"). We fail it so.
    7. moto's engine reads the first task of a RunTask answer and never looks at `Failures`
       (moto's ECS always answers `failures: []`; the `stack` fixture can make it answer a
       capacity failure). AWS fails the state with `AmazonECS.Unknown` when `Failures` is not
       empty (aws_behaviour.md, "ECS RunTask Failures"). We fail it so.
    8. moto's Glue has no BatchStopJobRun. We add it as the Glue API reference describes it:
       each active run (STARTING, RUNNING, WAITING) is stopped and listed in
       SuccessfulSubmissions; a run already ended is listed in Errors, not raised
       (aws_behaviour.md, "Glue BatchStopJobRun").
    Nothing else is patched: Glue, ECS, SNS, DynamoDB and the ASL engine are moto's own.
    """
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface
    from moto.glue.models import GlueBackend
    from moto.glue.responses import GlueResponse
    from moto.redshiftdata.models import RedshiftDataAPIServiceBackend, StatementResult
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        resource,
        state_task_service,
        state_task_service_ecs,
        state_task_service_glue,
    )

    results: dict[str, StatementResult] = {}
    errors: dict[str, str] = {}
    original_execute = RedshiftDataAPIServiceBackend.execute_statement
    original_describe = RedshiftDataAPIServiceBackend.describe_statement

    def execute_statement(self, **kwargs: Any):  # type: ignore[no-untyped-def]
        statement = original_execute(self, **kwargs)
        params = {p["name"]: p["value"] for p in (kwargs.get("parameters") or [])}
        sql = re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", r"%(\1)s", kwargs["sql"])
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cur:
                cur.execute(sql, params)
                rows = cur.fetchall() if cur.description else []
                columns = [c.name for c in cur.description or []]
        except psycopg.Error as error:
            statement.status = "FAILED"
            errors[statement.id] = str(error).strip()
            return statement
        statement.status = "FINISHED"
        statement.has_result_set = bool(columns)
        statement.result_rows = len(rows)
        results[statement.id] = StatementResult(
            [{"name": name, "label": name} for name in columns],
            [[_data_api_field(value) for value in row] for row in rows],
            len(rows),
        )
        return statement

    def describe_statement(self, statement_id: str):  # type: ignore[no-untyped-def]
        statement = original_describe(self, statement_id)
        if statement_id not in errors:
            return statement
        return {**dict(statement), "Error": errors[statement_id]}

    def get_statement_result(self, statement_id: str) -> StatementResult:
        return results[statement_id]

    aliases = {**state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES}
    aliases["redshiftdata"] = "redshift-data"
    def normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):  # type: ignore[no-untyped-def]
        operation = _operation_model(
            self._get_boto_service_name(boto_service_name),
            self._get_boto_service_action(service_action_name),
        )
        converted = _to_api_case(dict(parameters), operation.input_shape)
        parameters.clear()
        parameters.update(converted)

    def normalise_response(self, response, boto_service_name=None, service_action_name=None):  # type: ignore[no-untyped-def]
        if not isinstance(response, dict):
            return
        operation = _operation_model(
            self._get_boto_service_name(boto_service_name),
            self._get_boto_service_action(service_action_name),
        )
        converted = _to_sfn_case(dict(response), operation.output_shape)
        response.clear()
        response.update(converted)

    def eval_parameters(self, env):  # type: ignore[no-untyped-def]
        parameters = {}
        if self.parargs is not None:
            self.parargs.eval(env=env)
            parameters = env.stack.pop()
        supported = self._get_supported_parameters()
        for name in parameters if supported else ():
            if name not in supported:
                raise ValueError(f"The field '{name}' is not supported by Step Functions")
        return parameters

    ecs_service = state_task_service_ecs.StateTaskServiceEcs
    original_ecs_sync = ecs_service._build_sync_resolver

    def ecs_sync_resolver(self, env, resource_runtime_part, normalised_parameters,  # type: ignore[no-untyped-def]
                          state_credentials):
        resolve = original_ecs_sync(self, env, resource_runtime_part, normalised_parameters,
                                    state_credentials)

        def resolver() -> Any:
            task = resolve()
            if task is None:
                return None
            codes = [container.get("ExitCode") for container in task.get("Containers", [])]
            if codes and all(code == 0 for code in codes):
                return task
            raise _task_failed(self, env, "States.TaskFailed", task)

        return resolver

    def ecs_eval_service_task(self, env, resource_runtime_part, normalised_parameters,  # type: ignore[no-untyped-def]
                              state_credentials):
        if self._get_boto_service_action() != "run_task" or self.resource.condition is None:
            return original_ecs_eval(self, env, resource_runtime_part, normalised_parameters,
                                     state_credentials)
        from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

        ecs = boto_client_for(region=resource_runtime_part.region, service="ecs",
                              state_credentials=state_credentials)
        response = ecs.run_task(**normalised_parameters)
        if response.get("failures"):
            raise _task_failed(self, env, "AmazonECS.Unknown",
                               {"Failures": response["failures"]})
        task = response["tasks"][0]
        described = ecs.describe_tasks(cluster=task["clusterArn"], tasks=[task["taskArn"]])
        described.pop("ResponseMetadata", None)
        self._normalise_response(response=described, service_action_name="describe_tasks")
        env.stack.append(described)

    original_ecs_eval = ecs_service._eval_service_task

    def batch_stop_job_run(self, job_name: str, job_run_ids: list[str]) -> dict[str, Any]:
        job = self.get_job(job_name)
        stopped, errors = [], []
        for run_id in job_run_ids:
            run = job.get_job_run(run_id)
            if run.status in ("STARTING", "RUNNING", "WAITING"):
                run.status = "STOPPED"
                stopped.append({"JobName": job_name, "JobRunId": run_id})
            else:
                errors.append({"JobName": job_name, "JobRunId": run_id, "ErrorDetail": {
                    "ErrorCode": "InvalidInputException",
                    "ErrorMessage": f"Job Run {run_id} is in {run.status} state"}})
        return {"SuccessfulSubmissions": stopped, "Errors": errors}

    def batch_stop_job_run_response(self):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        return ActionResult(self.glue_backend.batch_stop_job_run(
            self.parameters.get("JobName"), self.parameters.get("JobRunIds") or []))

    glue_patterns = {resource.ResourceCondition.Sync, resource.ResourceCondition.WaitForTaskToken}
    service = state_task_service.StateTaskService
    with (
        mock.patch.object(ecs_service, "_build_sync_resolver", ecs_sync_resolver),
        mock.patch.object(ecs_service, "_eval_service_task", ecs_eval_service_task),
        mock.patch.object(GlueBackend, "batch_stop_job_run", batch_stop_job_run, create=True),
        mock.patch.object(GlueResponse, "batch_stop_job_run", batch_stop_job_run_response,
                          create=True),
        mock.patch.object(
            NetworkInterface, "private_dns_name", "ip-10-0-1-10.ec2.internal", create=True
        ),
        mock.patch.object(service, "_normalise_parameters", normalise_parameters),
        mock.patch.object(state_task.StateTask, "_eval_parameters", eval_parameters),
        mock.patch.object(service, "_normalise_response", normalise_response),
        mock.patch.object(
            state_task_service_glue, "_SUPPORTED_INTEGRATION_PATTERNS", glue_patterns
        ),
        mock.patch.object(
            state_task_service.StateTaskService, "_SERVICE_NAME_SFN_TO_BOTO_OVERRIDES", aliases
        ),
        mock.patch.object(RedshiftDataAPIServiceBackend, "execute_statement", execute_statement),
        mock.patch.object(RedshiftDataAPIServiceBackend, "describe_statement", describe_statement),
        mock.patch.object(
            RedshiftDataAPIServiceBackend, "get_statement_result", get_statement_result
        ),
    ):
        yield


def _task_failed(service: Any, env: Any, error: str, detail: dict[str, Any]) -> Exception:
    """The failure Step Functions raises for an optimised integration's task: `error` with
    `detail` as JSON in its Cause."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    name = (StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed)
            if error == "States.TaskFailed" else CustomErrorName(error))
    return FailureEventException(FailureEvent(
        env=env,
        error_name=name,
        event_type=HistoryEventType.TaskFailed,
        event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
            resource=service._get_sfn_resource(),
            resourceType=service._get_sfn_resource_type(),
            error=error,
            cause=to_json_str(detail),
        )),
    ))


@functools.cache
def _operation_model(service: str, action: str) -> Any:
    client = boto3.client(service, region_name=REGION)
    return client.meta.service_model.operation_model(client.meta.method_to_api_mapping[action])


def _to_api_case(value: Any, shape: Any) -> Any:
    """Step Functions' PascalCase request -> the API's member names, following the shape."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        # Exact, as AWS is: a parameter is the API member's name with its first letter upper-case
        # (`Cluster` for `cluster`, `TableName` for `TableName`); any other spelling fails the
        # task, as Step Functions rejects a field it does not know.
        members = {_pascal(name): name for name in shape.members}
        converted = {}
        for key, item in value.items():
            if key not in members:
                raise ValueError(f"The field '{key}' is not supported by Step Functions")
            name = members[key]
            converted[name] = _to_api_case(item, shape.members[name])
        return converted
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_api_case(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _to_api_case(item, shape.value) for key, item in value.items()}
    if shape.type_name == "string" and isinstance(value, dt.datetime):
        return value.isoformat()  # moto keeps $$.State.EnteredTime as a datetime; AWS, a string
    return value


def _to_sfn_case(value: Any, shape: Any) -> Any:
    """An API response -> Step Functions' output: every member name starts upper-case."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        converted = {}
        for key, item in value.items():
            if key not in shape.members:  # botocore's own extras (ResponseMetadata)
                converted[key] = item
                continue
            converted[_pascal(key)] = _to_sfn_case(item, shape.members[key])
        return converted
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_sfn_case(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _to_sfn_case(item, shape.value) for key, item in value.items()}
    if isinstance(value, dt.datetime):  # botocore parsed it; the state data is JSON
        return value.isoformat()
    return value


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _data_api_field(value: Any) -> dict[str, Any]:
    """A value as the Redshift Data API returns it (a `Field`)."""
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"longValue": value}
    if isinstance(value, float | Decimal):
        return {"doubleValue": float(value)}
    if isinstance(value, dt.date | dt.datetime):
        return {"stringValue": value.isoformat()}
    return {"stringValue": str(value)}


# --------------------------------------------------------------------------------------------
# The definition, the template, and test timings
# --------------------------------------------------------------------------------------------
@functools.cache
def _template_reader() -> Any:
    """scripts/render_state_machines.py, which `make lint` runs: its CloudFormation YAML reader
    (short-form intrinsics as plain dicts) is the tests' too."""
    spec = importlib.util.spec_from_file_location(
        "render_state_machines", REPO / "scripts" / "render_state_machines.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_template() -> dict[str, Any]:
    return _template_reader().load_template(TEMPLATE_FILE)


AWS_BEHAVIOUR_FILE = Path(__file__).with_name("aws_behaviour.md")


def aws_behaviour_error_names() -> set[str]:
    """The error names aws_behaviour.md establishes (its closing JSON block): documented, in an
    API reference, an SDK's catch-all class, or derived by AWS's documented naming rule."""
    text = AWS_BEHAVIOUR_FILE.read_text(encoding="utf-8")
    block = json.loads(text[text.rindex("```json") + len("```json"):text.rindex("```")])
    return {name for key in ("documented_error_names", "api_reference_error_names",
                             "sdk_catch_all_error_names", "derived_by_documented_rule_unverified")
            for name in block[key]}


def load_definition() -> dict[str, Any]:
    return json.loads(DEFINITION_FILE.read_text(encoding="utf-8"))


def render_definition(substitutions: dict[str, str], file: Path = DEFINITION_FILE) -> str:
    """What CloudFormation's DefinitionSubstitutions do: replace every ${Name} in the file."""
    text = file.read_text(encoding="utf-8")
    missing = set(PLACEHOLDER.findall(text)) - set(substitutions)
    assert not missing, f"no substitution for {sorted(missing)}"
    return PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)


def with_test_timings(definition: str) -> str:
    """Timings only: every Retry waits 1 s before its first retry instead of 2-60 s, and every
    Wait of a fixed number of seconds waits 1 s.

    Nothing else changes (errors retried, attempts, catches, states). The production values are
    asserted on the unmodified file in test_state_machine.py."""

    def shorten(node: Any) -> None:
        if isinstance(node, dict):
            for retrier in node.get("Retry", []):
                retrier["IntervalSeconds"] = 1
                retrier.pop("JitterStrategy", None)
            if node.get("Type") == "Wait" and "Seconds" in node:
                node["Seconds"] = 1
            for value in node.values():
                shorten(value)
        elif isinstance(node, list):
            for value in node:
                shorten(value)

    document = json.loads(definition)
    shorten(document)
    return json.dumps(document)


# --------------------------------------------------------------------------------------------
# The fake world inside the Glue job and the dbt container
# --------------------------------------------------------------------------------------------
@dataclass
class FileDelivery:
    """One file the fake landing job finds: its outcome and the flights it lands."""

    key: str
    status: str = "landed"
    flights: list[tuple[str, int | None]] = field(default_factory=list)  # (flight_date, dep_delay)
    rows_rejected: int = 0


@dataclass
class FakeWorld:
    conninfo: str
    deliveries: list[FileDelivery] = field(default_factory=list)
    landing_outcome: str = "SUCCEEDED"
    landing_gate: threading.Event | None = None
    dbt_exit_code: int | None = 0  # None: the container never started (no ExitCode)
    dbt_writes_fact: bool = True
    dbt_capacity_failures: int = 0  # RunTask answers this many times with a capacity failure
    dbt_hangs: bool = False  # the dbt task runs until it is stopped
    glue_runs: list[dict[str, str]] = field(default_factory=list)
    glue_rejections: int = 0
    dbt_runs: list[dict[str, Any]] = field(default_factory=list)
    blocker_run: Any = None
    events: list[str] = field(default_factory=list)

    # -- Glue: what the landing job does with its --run_id ---------------------------------
    def land(self, run_id: str) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            for number, delivery in enumerate(self.deliveries):
                landed = len(delivery.flights) if delivery.status == "landed" else 0
                read = len(delivery.flights) + delivery.rows_rejected
                row = conn.execute(
                    "insert into raw.landed_files (file_key, content_sha256, file_bytes,"
                    " rows_read, rows_landed, rows_rejected, status, run_id, landed_at)"
                    " values (%s, %s, 100, %s, %s, %s, %s, %s, now()) returning file_version_id",
                    (
                        delivery.key,
                        f"{run_id}-{number}".ljust(64, "0")[:64],
                        read if delivery.status == "landed" else 0,
                        landed,
                        delivery.rows_rejected if delivery.status == "landed" else 0,
                        delivery.status,
                        run_id,
                    ),
                ).fetchone()
                assert row is not None
                for line, (flight_date, dep_delay) in enumerate(delivery.flights[:landed]):
                    conn.execute(
                        "insert into raw.flights_landing (flight_id, carrier, origin_airport_id,"
                        " dest_airport_id, dep_delay, arr_delay, flight_date, source_key,"
                        " source_line_number, file_version_id, landed_at)"
                        " values (%s, 'DL', 10397, 12478, %s, %s, %s, %s, %s, %s, now())",
                        (
                            f"{row[0]}-{line}",
                            dep_delay,
                            dep_delay,
                            flight_date,
                            delivery.key,
                            line + 2,
                            row[0],
                        ),
                    )

    def start_job_run(self, original: Any, job: Any, *args: Any, **kwargs: Any) -> str:
        try:
            run_id = original(job, *args, **kwargs)
        except Exception:
            self.glue_rejections += 1
            self.events.append("glue-rejected")
            if self.blocker_run is not None:  # the run that held the job's only slot ends now
                self.blocker_run.status = "SUCCEEDED"
            raise
        job_run = next(r for r in job.job_runs if r.job_run_id == run_id)
        arguments = dict(job_run.arguments or {})
        if arguments.get("--run_id") == BY_HAND:  # started outside the state machine; held
            job_run.status = "RUNNING"
            self.blocker_run = job_run
            return run_id
        self.glue_runs.append(arguments)
        self.events.append(f"glue-start:{arguments.get('--run_id')}")
        job_run.status = "RUNNING"

        def finish() -> None:
            if self.landing_gate is not None:
                assert self.landing_gate.wait(60), "the test never opened the landing gate"
            if job_run.status == "STOPPED":  # glue:BatchStopJobRun ended it: nothing lands
                self.events.append(f"glue-stopped:{arguments.get('--run_id')}")
                return
            if self.landing_outcome == "SUCCEEDED":
                self.land(arguments["--run_id"])
            self.events.append(f"glue-end:{arguments.get('--run_id')}")
            job_run.status = self.landing_outcome

        if self.landing_gate is None:
            finish()
        else:
            threading.Thread(target=finish, daemon=True).start()
        return run_id

    # -- ECS: what the dbt container does -------------------------------------------------
    def run_task(self, original: Any, backend: Any, *args: Any, **kwargs: Any) -> Any:
        if self.dbt_hangs:  # the task keeps RUNNING until ecs:StopTask stops it
            from moto.moto_api import state_manager

            state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
        tasks = original(backend, *args, **kwargs)
        call = inspect.signature(original).bind(backend, *args, **kwargs).arguments
        self.dbt_runs.append(
            {
                "overrides": call.get("overrides"),
                "launch_type": call.get("launch_type"),
                "network": call.get("networking_configuration"),
            }
        )
        if self.dbt_exit_code == 0 and self.dbt_writes_fact:
            with psycopg.connect(self.conninfo, autocommit=True) as conn:
                conn.execute("delete from airlines.daily_flights_fact")
                conn.execute(
                    "insert into airlines.daily_flights_fact (flight_id, flight_date, dep_delay)"
                    " select flight_id, flight_date, dep_delay from raw.flights_landing"
                    " where dep_delay > 60"
                )
        for task in tasks:
            for container in task.containers:
                if self.dbt_exit_code is None:  # as ECS reports a container that never ran
                    vars(container).pop("exitCode", None)
                else:
                    container.exitCode = self.dbt_exit_code
        return tasks


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def orchestration_conninfo(connection: Connection) -> str:
    """A database of its own in the session's local warehouse, with the raw tables and a fact."""
    with psycopg.connect(connection.url(), autocommit=True) as admin:
        admin.execute(f"drop database if exists {TEST_DATABASE}")
        admin.execute(f"create database {TEST_DATABASE}")
    conninfo = Connection(
        connection.host, connection.port, connection.user, connection.password, TEST_DATABASE
    ).url()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in raw_tables_ddl("postgres"):
            conn.execute(statement)
        conn.execute("create schema airlines")
        conn.execute(
            "create table airlines.daily_flights_fact"
            " (flight_id varchar(32), flight_date date not null, dep_delay integer)"
        )
    return conninfo


@pytest.fixture
def world(orchestration_conninfo: str) -> FakeWorld:
    with psycopg.connect(orchestration_conninfo, autocommit=True) as conn:
        conn.execute(
            "truncate raw.landed_files, raw.flights_landing, raw.flights_rejected,"
            " airlines.daily_flights_fact"
        )
    return FakeWorld(conninfo=orchestration_conninfo)


@dataclass
class Stack:
    """The deployed pieces, as moto resources, and the state machine built from the file."""

    sfn: Any
    glue: Any
    state_machine_arn: str
    topic_arn: str
    lock_table: str
    job_name: str
    substitutions: dict[str, str]
    role_arn: str

    def start(self, payload: dict[str, Any] | None = None, name: str | None = None) -> str:
        # AWS names an unnamed execution with a UUID (as EventBridge starts do); moto leaves the
        # name null, so the test names every execution the same way.
        return self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn,
            name=name or str(uuid.uuid4()),
            input=json.dumps(payload or {}),
        )["executionArn"]

    def wait(self, execution_arn: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.1)
        raise AssertionError(f"{execution_arn} still running after {timeout} s")

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        pages = self.sfn.get_paginator("get_execution_history").paginate(
            executionArn=execution_arn, PaginationConfig={"PageSize": 1000})
        return [event for page in pages for event in page["events"]]

    def entered_states(self, execution_arn: str) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history(execution_arn)
            if "stateEnteredEventDetails" in event
        ]

    def wait_until_entered(self, execution_arn: str, state: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if state in self.entered_states(execution_arn):
                return
            time.sleep(0.1)
        raise AssertionError(f"{execution_arn} never entered {state}")

    def stop_in_land(self, execution_arn: str, timeout: float = 30) -> None:
        """Stop the execution while its Land state waits on its Glue job run (ABORTED).

        On AWS a stop ends the execution whenever it comes. In moto 5.2.5's engine a stop that
        falls between Land's StartJobRun and the start of its `.sync` wait skips the state's
        TimeoutSeconds on the stopped execution (`EvalComponent.eval` does nothing once the
        execution is not running), pops the state's input instead, and hands it to the thread
        that waits for the job run as its timeout: the thread dies with "TypeError: '>' not
        supported between instances of 'dict' and 'int'" (a pytest thread warning). It hides no
        path that never ends: the execution is already ABORTED and its `.sync` loop stops with
        it. To stop at a moment moto handles, wait until the wait has really started: Land's
        task was submitted and moto's waiting thread for it is alive."""
        self.wait_until_entered(execution_arn, "Land", timeout)
        waiter = "WaitForTaskToken_SyncTask_arn:aws:states:::glue:startJobRun.sync"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            submitted = any(event["type"] == "TaskSubmitted"
                            for event in self.history(execution_arn))
            waiting = any(thread.name == waiter and thread.is_alive()
                          for thread in threading.enumerate())
            if submitted and waiting:
                self.sfn.stop_execution(executionArn=execution_arn)
                return
            time.sleep(0.05)
        raise AssertionError(f"{execution_arn} never waited on its Glue job run")

    def notifications(self) -> list[dict[str, Any]]:
        """The messages SNS accepted on the topic, read back from moto's SNS backend."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn]
        return [
            {"message": json.loads(message), "subject": subject, "attributes": attributes}
            for _id, message, subject, attributes, _group in topic.sent_notifications
        ]

    def lock_item(self) -> dict[str, Any]:
        table = boto3.resource("dynamodb", region_name=REGION).Table(self.lock_table)
        return table.get_item(Key={"lock_name": "airline-elt"}, ConsistentRead=True).get(
            "Item", {}
        )


def glue_default_arguments() -> dict[str, str]:
    """The landing job's DefaultArguments as the template declares them (intrinsics rendered)."""
    job = load_template()["Resources"]["LandingJob"]["Properties"]
    rendered = {}
    for name, value in job["DefaultArguments"].items():
        if isinstance(value, dict):  # a !Sub or !Ref: any concrete value will do under moto
            value = f"resolved:{json.dumps(value, sort_keys=True)}"
        rendered[name] = value
    return rendered


@pytest.fixture
def stack(world: FakeWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    from moto import mock_aws
    from moto.core.responses import ActionResult
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse
    from moto.glue.models import FakeJob
    from moto.moto_api import state_manager

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)

    original_start_job_run = FakeJob.start_job_run
    original_run_task = EC2ContainerServiceBackend.run_task

    def start_job_run(job: Any, *args: Any, **kwargs: Any) -> str:
        return world.start_job_run(original_start_job_run, job, *args, **kwargs)

    def run_task(backend: Any, *args: Any, **kwargs: Any) -> Any:
        return world.run_task(original_run_task, backend, *args, **kwargs)

    original_run_task_response = EC2ContainerServiceResponse.run_task

    def run_task_response(response: Any) -> ActionResult:
        """ECS's answer when Fargate has no capacity: HTTP 200, no task, a `failures` entry
        (RunTask API reference: Failures)."""
        if world.dbt_capacity_failures > 0:
            world.dbt_capacity_failures -= 1
            world.events.append("ecs-capacity-failure")
            return ActionResult({"tasks": [], "failures": [{
                "arn": response._get_param("cluster"),
                "reason": "Capacity is unavailable at this time. Please try again later or in "
                          "a different availability zone",
            }]})
        return original_run_task_response(response)

    with (
        mock_aws(config=SFN_CONFIG),
        moto_gaps(world.conninfo),
        mock.patch.object(FakeJob, "start_job_run", start_job_run),
        mock.patch.object(EC2ContainerServiceBackend, "run_task", run_task),
        mock.patch.object(EC2ContainerServiceResponse, "run_task", run_task_response),
    ):
        # Job runs end when the fake world says so, not on moto's first GetJobRun.
        state_manager.set_transition("glue::job_run", {"progression": "manual", "times": 10**9})
        try:
            yield _deploy(world)
        finally:
            state_manager.unset_transition("glue::job_run")
            state_manager.unset_transition("ecs::task")


def _deploy(world: FakeWorld) -> Stack:
    sns = boto3.client("sns", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    glue = boto3.client("glue", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    sfn = boto3.client("stepfunctions", region_name=REGION)

    topic_arn = sns.create_topic(Name="airline-elt-notifications")["TopicArn"]
    lock_table = "airline-elt-lock"
    dynamodb.create_table(
        TableName=lock_table,
        KeySchema=[{"AttributeName": "lock_name", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "lock_name", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    job_name = "airline-elt-landing"
    glue.create_job(
        Name=job_name,
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": "s3://artifacts/glue/landing_job.py"},
        GlueVersion="5.0",
        DefaultArguments=glue_default_arguments(),
        ExecutionProperty={"MaxConcurrentRuns": 1},
    )
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24")["Subnet"]["SubnetId"]
        for n in (1, 2)
    ]
    group = ec2.create_security_group(GroupName="dbt", Description="dbt", VpcId=vpc)["GroupId"]
    cluster_arn = ecs.create_cluster(clusterName="airline-elt")["cluster"]["clusterArn"]
    task_definition_arn = ecs.register_task_definition(
        family="airline-elt-dbt",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="1024",
        memory="2048",
        containerDefinitions=[
            {"name": "dbt", "image": "dbt:latest", "essential": True, "cpu": 1024, "memory": 2048}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    role_arn = iam.create_role(
        RoleName="sfn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
    )["Role"]["Arn"]

    substitutions = {
        "LockTableName": lock_table,
        "LockPollSeconds": "1",
        "LockWaitMaxPolls": "600",
        "QueryPollSeconds": "1",
        "GlueJobName": job_name,
        "DbtTaskFamily": "airline-elt-dbt",
        "DbtClusterArn": cluster_arn,
        "DbtTaskDefinitionArn": task_definition_arn,
        "DbtSubnetIds": ",".join(subnets),
        "DbtSecurityGroupId": group,
        "DbtAssignPublicIp": "DISABLED",
        "DbtTarget": "prod",
        "RedshiftClusterIdentifier": "airline-elt",
        "RedshiftDatabase": "dev",
        "RedshiftSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift-AbCdEf",
        "TopicArn": topic_arn,
        "DocsS3Uri": "s3://airline-elt-docs/dbt-docs/",
    }
    definition = with_test_timings(render_definition(substitutions))
    state_machine_arn = sfn.create_state_machine(
        name="airline-elt-pipeline", definition=definition, roleArn=role_arn
    )["stateMachineArn"]
    return Stack(
        sfn, glue, state_machine_arn, topic_arn, lock_table, job_name, substitutions, role_arn
    )


# --------------------------------------------------------------------------------------------
# The monthly feed: Lambda invocations run the real handler
# --------------------------------------------------------------------------------------------
FETCH_DEFINITION_FILE = ORCHESTRATION / "fetch_state_machine.asl.json"


@contextlib.contextmanager
def lambda_runs_handler(handler: Any) -> Iterator[list[dict[str, Any]]]:
    """moto's Lambda cannot run a function without Docker; here `lambda:invoke` runs `handler`
    (the real one, in this process, so its boto3 calls reach moto) with the function's
    configured environment, and answers as Lambda does (aws_behaviour.md, section 13):
    the handler's return value as the JSON payload; an exception as the payload
    `{"errorMessage", "errorType", "stackTrace"}` with the `X-Amz-Function-Error` header, which
    Step Functions turns into a failed task whose Error is the errorType and whose Cause is the
    payload. The function must exist (an unknown name fails as on AWS). Invocations are
    serialised (one environment at a time); yields the events received, in order."""
    import os
    import traceback

    from moto.awslambda.models import LambdaBackend

    received: list[dict[str, Any]] = []
    lock = threading.Lock()

    def invoke(self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any,
               response_headers: Any) -> bytes:
        function = self.get_function(function_name, qualifier)
        event = json.loads(body) if body else {}
        with lock:
            received.append(event)
            saved = dict(os.environ)
            os.environ.update(function.environment_vars)
            try:
                result = handler(event, None)
            except Exception as error:
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps({
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }).encode("utf-8")
            finally:
                os.environ.clear()
                os.environ.update(saved)
        return json.dumps(result).encode("utf-8")

    with mock.patch.object(LambdaBackend, "invoke", invoke):
        yield received
