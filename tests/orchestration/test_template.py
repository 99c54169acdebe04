"""The CloudFormation template (cfn-lint, IAM, wiring) and the EventBridge rule (moto's
TestEventPattern), without an AWS account."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import (
    DEFINITION_FILE,
    ORCHESTRATION,
    PLACEHOLDER,
    REPO,
    TEMPLATE_FILE,
    load_definition,
    load_template,
)
from moto import mock_aws

# The Glue job's arguments, as agreed with the landing job (glue/landing_job.py).
GLUE_ARGUMENTS = {
    "--landing_uri",
    "--failed_uri",
    "--redshift_secret_arn",
    "--redshift_iam_role",
    "--TempDir",
    "--run_id",
    "--redshift_host",
    "--redshift_port",
    "--redshift_database",
    "--job-bookmark-option",
    "--extra-py-files",
    "--additional-python-modules",
    # The plausibility rules (airline_landing/plausibility.py), from the stack's parameters.
    "--first_flight_date",
    "--future_days",
    "--min_delay",
    "--max_delay",
}
# The template parameter behind each plausibility argument.
PLAUSIBILITY_PARAMETERS = {
    "--first_flight_date": "FirstFlightDate",
    "--future_days": "FutureDays",
    "--min_delay": "MinDelayMinutes",
    "--max_delay": "MaxDelayMinutes",
}


def _cfn_lint(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(path), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cfn_lint_passes_on_the_template_with_every_ignored_check_ignored_in_it_with_a_reason(
    tmp_path: Path,
) -> None:
    """What `make lint` runs: no --ignore-checks on the command line. A check is ignored only in
    the template's own cfn-lint metadata, on the resource it concerns, with its reason beside it."""
    result = _cfn_lint(TEMPLATE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    ignores = [line for line in text.splitlines() if "ignore_checks" in line]
    assert ignores, "no ignored check left: drop this part of the test"
    for line in ignores:
        reasoned = r"\s*ignore_checks: \[[A-Z]\d{4}(, [A-Z]\d{4})*\]  # .{20,}"
        assert re.fullmatch(reasoned, line), line
    # The metadata is what silences the warning (the check above could not fail without it).
    bare = tmp_path / "template.yaml"
    bare.write_text(re.sub(r"\n    Metadata:\n      cfn-lint:\n.*\n.*\n", "\n", text))
    assert "W3002" in _cfn_lint(bare).stdout


def test_cfn_lint_validates_the_state_machine_inlined(tmp_path: Path) -> None:
    """What `package` produces, with the definition inline so cfn-lint checks the ASL too."""
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    for name in ("state_machine.asl.json", "safety_net.asl.json"):
        line = f"      DefinitionS3Location: {name}\n"
        assert line in text
        definition = json.dumps(json.loads((ORCHESTRATION / name).read_text(encoding="utf-8")))
        text = text.replace(line, f"      Definition: {definition}\n")
    inlined = tmp_path / "template.yaml"
    inlined.write_text(text, encoding="utf-8")
    result = _cfn_lint(inlined)
    assert result.returncode == 0, result.stdout + result.stderr

    broken = tmp_path / "broken.yaml"
    broken.write_text(inlined.read_text().replace('"Type": "Choice"', '"Type": "Choise"', 1))
    assert _cfn_lint(broken).returncode != 0  # the check above can fail


def _targets(state: dict[str, Any]) -> list[str]:
    found = [state[k] for k in ("Next", "Default") if k in state]
    found += [c["Next"] for c in state.get("Choices", [])]
    found += [c["Next"] for c in state.get("Catch", [])]
    return found


def _check_graph(machine: dict[str, Any], where: str) -> None:
    states = machine["States"]
    assert machine["StartAt"] in states, where
    for name, state in states.items():
        for target in _targets(state):
            assert target in states, f"{where}{name} -> {target}: no such state"
        for branch in state.get("Branches", []):
            _check_graph(branch, f"{where}{name}/")
        if "ItemProcessor" in state:
            _check_graph(state["ItemProcessor"], f"{where}{name}/")
    reachable, todo = set(), [machine["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in reachable:
            reachable.add(name)
            todo.extend(_targets(states[name]))
    assert reachable == set(states), f"{where}unreachable: {set(states) - reachable}"


def test_every_transition_leads_to_a_state_and_every_state_is_reachable() -> None:
    """cfn-lint checks the shape of each state but not the graph; this does."""
    _check_graph(load_definition(), "")


def test_definition_placeholders_are_exactly_the_templates_substitutions() -> None:
    placeholders = set(PLACEHOLDER.findall(DEFINITION_FILE.read_text(encoding="utf-8")))
    machine = load_template()["Resources"]["StateMachine"]["Properties"]
    assert placeholders == set(machine["DefinitionSubstitutions"])
    assert machine["DefinitionS3Location"] == "state_machine.asl.json"
    assert machine["StateMachineName"] == {"Fn::Sub": "${AWS::StackName}-pipeline"}


def _statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """Every statement granted to `role`: its inline policies and AWS::IAM::Policy resources."""
    statements = []
    for policy in resources[role]["Properties"].get("Policies", []):
        statements += policy["PolicyDocument"]["Statement"]
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"][
            "Roles"
        ]:
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# Actions that take no resource-level permission, so "*" is the only resource AWS accepts.
RESOURCELESS = {
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies", "logs:DescribeLogGroups", "cloudwatch:PutMetricData",
    "redshift-data:DescribeStatement", "redshift-data:GetStatementResult",
    "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
    "ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeVpcEndpoints",
    "ec2:DescribeRouteTables",
}


def test_iam_is_least_privilege() -> None:
    resources = load_template()["Resources"]
    roles = [name for name, r in resources.items() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) >= 7
    for name in roles:
        for statement in _statements(resources, name):
            actions = _as_list(statement["Action"])
            assert statement["Effect"] == "Allow"
            for action in actions:
                assert "*" not in action, f"{name}: wildcard action {action}"
            if statement["Resource"] == "*":
                assert set(actions) <= RESOURCELESS, f"{name}: {actions} on *"


def _grant(resources: dict[str, Any], role: str, action: str) -> list[dict[str, Any]]:
    return [s for s in _statements(resources, role) if action in _as_list(s["Action"])]


def test_iam_resources_and_conditions_are_the_stacks_own() -> None:
    """Not only which actions: on which resources, under which conditions."""
    resources = load_template()["Resources"]
    # The Data API read-back: only statements this role ran, from any of its sessions.
    [read] = _grant(resources, "StateMachineRole", "redshift-data:GetStatementResult")
    assert read["Condition"] == {
        "StringLike": {
            "redshift-data:statement-owner-iam-userid": {"Fn::Sub": "${StateMachineRole.RoleId}:*"}
        }
    }
    # ecs:RunTask only for the stack's task family, only on the stack's cluster.
    [run] = _grant(resources, "StateMachineRole", "ecs:RunTask")
    assert "task-definition/${AWS::StackName}-dbt:*" in run["Resource"]["Fn::Sub"]
    assert run["Condition"] == {"ArnEquals": {"ecs:cluster": {"Fn::GetAtt": ["DbtCluster", "Arn"]}}}
    # PassRole only for the two dbt roles.
    [pass_role] = _grant(resources, "StateMachineRole", "iam:PassRole")
    assert pass_role["Resource"] == [
        {"Fn::GetAtt": ["DbtExecutionRole", "Arn"]}, {"Fn::GetAtt": ["DbtTaskRole", "Arn"]},
    ]
    # KMS only through SNS.
    for role in ("StateMachineRole", "SafetyNetRole"):
        [kms] = _grant(resources, role, "kms:GenerateDataKey")
        assert kms["Condition"]["StringEquals"]["kms:ViaService"] == {
            "Fn::Sub": "sns.${AWS::Region}.amazonaws.com"
        }
    # Glue: the data bucket's three prefixes, the secret, ENIs in the connection's subnet/group.
    [objects] = _grant(resources, "LandingJobRole", "s3:GetObject")[:1]
    assert objects["Resource"] == [
        {"Fn::Sub": "${DataBucket.Arn}/daily_flights/*"},
        {"Fn::Sub": "${DataBucket.Arn}/failed/*"},
        {"Fn::Sub": "${DataBucket.Arn}/glue-temp/*"},
    ]
    [eni] = _grant(resources, "LandingJobRole", "ec2:CreateNetworkInterface")
    assert any("security-group/${WorkerSecurityGroup}" in str(r) for r in eni["Resource"])
    assert any("subnet/${Subnet}" in str(r) for r in eni["Resource"])
    [secret] = _grant(resources, "LandingJobRole", "secretsmanager:GetSecretValue")
    assert secret["Resource"] == {"Ref": "RedshiftSecretArn"}
    # The COPY role reads only the staged parts.
    copy = _statements(resources, "RedshiftCopyRole")
    assert {json.dumps(s["Resource"]) for s in copy} == {
        json.dumps({"Fn::Sub": "${DataBucket.Arn}/glue-temp/*"}),
        json.dumps({"Fn::GetAtt": ["DataBucket", "Arn"]}),
    }
    [listing] = [s for s in copy if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": "glue-temp/*"}}
    # Roles assumed by Step Functions only from this account, for their own state machine
    # (test_template_security.py: every trust policy).
    for role, machine in (("StateMachineRole", "pipeline"), ("SafetyNetRole", "safety-net")):
        [trust] = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        account = {"Ref": "AWS::AccountId"}
        assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
        assert trust["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"].endswith(
            f":stateMachine:${{AWS::StackName}}-{machine}"
        )


def test_the_state_machine_role_grants_what_each_step_calls() -> None:
    resources = load_template()["Resources"]
    granted = set()
    for statement in _statements(resources, "StateMachineRole"):
        granted |= set(_as_list(statement["Action"]))
    needed = {
        "dynamodb:UpdateItem", "dynamodb:GetItem", "states:DescribeExecution",
        "glue:StartJobRun", "glue:GetJobRun", "ecs:RunTask", "ecs:DescribeTasks",
        "iam:PassRole", "events:PutRule", "events:PutTargets", "events:DescribeRule",
        "redshift-data:ExecuteStatement", "redshift-data:DescribeStatement",
        "redshift-data:GetStatementResult", "sns:Publish",
    }
    assert needed <= granted, needed - granted


def test_glue_job_is_glue5_with_bookmarks_one_run_at_a_time_and_the_agreed_arguments() -> None:
    job = load_template()["Resources"]["LandingJob"]["Properties"]
    assert job["GlueVersion"] == "5.0"
    assert job["ExecutionProperty"]["MaxConcurrentRuns"] == 1
    arguments = job["DefaultArguments"]
    assert set(arguments) >= GLUE_ARGUMENTS - {"--run_id"}  # --run_id: the state machine's
    # New files come from a listing against raw.s3_objects_seen, not from bookmarks.
    assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
    # Glue 5 logs to /aws-glue/jobs/*: the Glue 4 continuous-logging arguments are gone.
    assert not [name for name in arguments if name.startswith("--continuous-log")]
    assert arguments["--redshift_iam_role"] == {"Fn::GetAtt": ["RedshiftCopyRole", "Arn"]}
    # No PyPI at run time: every module is a wheel deploy.sh ships beside the zip, pip told
    # not to look anywhere else (issue 19, point 1).
    modules = arguments["--additional-python-modules"]["Fn::Sub"].split(",")
    assert modules and all(
        module.startswith("s3://${ArtifactBucket}/${ArtifactPrefix}glue/wheels/")
        and module.endswith(".whl") for module in modules)
    assert arguments["--python-modules-installer-option"] == "--no-index"
    assert arguments["--landing_uri"] == {"Fn::Sub": "s3://${DataBucket}/daily_flights/"}
    assert arguments["--failed_uri"] == {"Fn::Sub": "s3://${DataBucket}/failed/"}
    assert arguments["--redshift_secret_arn"] == {"Ref": "RedshiftSecretArn"}
    land = load_definition()["States"]["Land"]["Parameters"]
    assert land["Arguments"] == {"--run_id.$": "$.run.run_id"}  # the execution's name


def _argv_glue_builds(run_id: str, parameters: dict[str, str] | None = None) -> list[str]:
    """The argv Glue gives the script: the template's DefaultArguments (rendered as a deployed
    stack would, with the template's parameter defaults unless `parameters` names a value),
    overridden by the state machine's Arguments, plus --JOB_NAME."""
    defaults = {name: str(parameter["Default"])
                for name, parameter in load_template()["Parameters"].items()
                if "Default" in parameter}
    concrete = {**defaults, **(parameters or {}),
        "DataBucket": "airline-elt-data-123",
        "ArtifactBucket": "airline-elt-artifacts",
        "ArtifactPrefix": "airline-elt/",
        "RedshiftSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift-AbC",
        "RedshiftCopyRole.Arn": "arn:aws:iam::123456789012:role/redshift-copy",
        "RedshiftHost": "airline-elt.abc123.us-east-1.redshift.amazonaws.com",
        "RedshiftPort": "5439",
        "RedshiftDatabase": "dev",
    }

    def render(value: Any) -> str:
        if isinstance(value, str):
            return value
        if "Ref" in value:
            return concrete[value["Ref"]]
        if "Fn::GetAtt" in value:
            return concrete[".".join(value["Fn::GetAtt"])]
        if "Fn::Sub" in value:
            return re.sub(r"\$\{(\w+)\}", lambda m: concrete[m.group(1)], value["Fn::Sub"])
        raise AssertionError(f"unexpected intrinsic {value}")

    job = load_template()["Resources"]["LandingJob"]["Properties"]
    arguments = {name: render(value) for name, value in job["DefaultArguments"].items()}
    land = load_definition()["States"]["Land"]["Parameters"]["Arguments"]
    assert set(land) == {"--run_id.$"}
    arguments["--run_id"] = run_id
    argv = ["landing_job.py", "--JOB_NAME", job["Name"]["Fn::Sub"]]
    for name, value in arguments.items():
        argv += [name, value]
    return argv


def _resolve(argv: list[str], names: list[str]) -> dict[str, str]:
    """What awsglue.utils.getResolvedOptions returns for `names` (not installable here)."""
    resolved = {}
    for name in names:
        index = argv.index(f"--{name}")
        resolved[name] = argv[index + 1]
    return resolved


def test_the_glue_job_shell_accepts_the_arguments_the_stack_passes() -> None:
    from airline_landing.glue_args import job_arg_names, parse_job_args

    shell = (REPO / "glue" / "landing_job.py").read_text(encoding="utf-8")
    assert "getResolvedOptions(argv, job_arg_names(argv))" in shell  # run: test_glue_job.py
    assert "parse_job_args(" in shell
    argv = _argv_glue_builds("3f1c-execution-name")
    names = job_arg_names(argv)
    assert "run_id" in names
    args = parse_job_args(_resolve(argv, names))
    assert args.run_id == "3f1c-execution-name"  # what Summarize reads back
    assert args.landing_uri == "s3://airline-elt-data-123/daily_flights/"
    assert args.failed_uri == "s3://airline-elt-data-123/failed/"
    assert args.temp_dir == "s3://airline-elt-data-123/glue-temp/"
    assert args.redshift_secret_arn.endswith(":secret:redshift-AbC")
    assert args.redshift_iam_role == "arn:aws:iam::123456789012:role/redshift-copy"


def test_the_stack_passes_the_plausibility_rules_with_the_local_defaults() -> None:
    """Issue 20: the Glue job applies the same plausibility rules as a local run. The template's
    parameters default to the local defaults and reach the job as its arguments; a value given
    at deploy reaches the job as it is."""
    from airline_landing.glue_args import job_arg_names, parse_job_args
    from airline_landing.plausibility import Plausibility

    job = load_template()["Resources"]["LandingJob"]["Properties"]
    for argument, parameter in PLAUSIBILITY_PARAMETERS.items():
        assert job["DefaultArguments"][argument] == {"Ref": parameter}
    argv = _argv_glue_builds("run-1")
    assert parse_job_args(_resolve(argv, job_arg_names(argv))).plausible == Plausibility()

    argv = _argv_glue_builds("run-2", {"FirstFlightDate": "2018-01-01", "FutureDays": "0",
                                        "MinDelayMinutes": "-60", "MaxDelayMinutes": "600"})
    plausible = parse_job_args(_resolve(argv, job_arg_names(argv))).plausible
    assert (str(plausible.first_flight_date), plausible.future_days, plausible.min_delay,
            plausible.max_delay) == ("2018-01-01", 0, -60, 600)


def test_every_argument_the_glue_shell_documents_is_in_the_template() -> None:
    shell = REPO / "glue" / "landing_job.py"
    docstring = ast.get_docstring(ast.parse(shell.read_text(encoding="utf-8"))) or ""
    documented = set(re.findall(r"^\s+(--[A-Za-z][\w-]*)", docstring, flags=re.MULTILINE))
    assert {"--landing_uri", "--run_id", "--TempDir"} <= documented  # the parse found them
    arguments = set(load_template()["Resources"]["LandingJob"]["Properties"]["DefaultArguments"])
    # --JOB_NAME comes from Glue, --run_id from the state machine's Arguments.
    assert documented - {"--JOB_NAME", "--run_id"} <= arguments
    assert GLUE_ARGUMENTS - {"--run_id"} <= arguments


def test_bucket_sends_events_and_expires_failed_files() -> None:
    bucket = load_template()["Resources"]["DataBucket"]["Properties"]
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"]
    rules = {r["Prefix"]: r for r in bucket["LifecycleConfiguration"]["Rules"] if "Prefix" in r}
    assert rules["failed/"]["Status"] == "Enabled"
    assert rules["failed/"]["ExpirationInDays"] == {"Ref": "FailedFileRetentionDays"}


def test_dbt_task_gets_redshift_credentials_from_secrets_manager_and_logs() -> None:
    resources = load_template()["Resources"]
    [container] = resources["DbtTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert container["Name"] == "dbt"  # the name the state machine's override targets
    transform = load_definition()["States"]["Transform"]["Parameters"]
    assert transform["Overrides"]["ContainerOverrides"][0]["Name"] == container["Name"]
    # Only the keys both secret shapes hold (a Redshift-managed secret has no host or port).
    secrets = {s["Name"]: s["ValueFrom"] for s in container["Secrets"]}
    assert secrets == {
        "REDSHIFT_USER": {"Fn::Sub": "${DbtSecretArn}:username::"},
        "DBT_ENV_SECRET_REDSHIFT_PASSWORD": {"Fn::Sub": "${DbtSecretArn}:password::"},
    }
    environment = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert environment["REDSHIFT_HOST"] == {"Ref": "RedshiftHost"}
    assert not any("PASSWORD" in name for name in environment)
    assert container["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": "DbtLogGroup"}
    log_groups = [n for n, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"]
    assert {"StateMachineLogGroup", "DbtLogGroup"} <= set(log_groups)
    for name in log_groups:
        assert "RetentionInDays" in resources[name]["Properties"]


def test_both_rules_start_the_state_machine() -> None:
    resources = load_template()["Resources"]
    for rule in ("FileArrivedRule", "DailyScheduleRule"):
        [target] = resources[rule]["Properties"]["Targets"]
        assert target["Arn"] == {"Ref": "StateMachine"}
    assert "ScheduleExpression" in resources["DailyScheduleRule"]["Properties"]
    assert json.loads(resources["DailyScheduleRule"]["Properties"]["Targets"][0]["Input"]) == {
        "trigger": "schedule"
    }


# ---------------------------------------------------------------- EventBridge (moto)
BUCKET = "airline-elt-data-123"


def _s3_event(key: str, detail_type: str = "Object Created", bucket: str = BUCKET) -> str:
    """An S3 event as EventBridge delivers it (shape of the S3 user guide's example)."""
    return json.dumps(
        {
            "version": "0",
            "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": detail_type,
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2023-11-16T06:00:01Z",
            "region": "us-east-1",
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": bucket},
                "object": {
                    "key": key,
                    "size": 5242880,
                    "etag": "b1946ac92492d2347c6235b4d2611184",
                    "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
                    "sequencer": "00617F08299329D189",
                },
                "request-id": "N4N7GDK58NMKJ12R",
                "requester": "123456789012",
                "source-ip-address": "1.2.3.4",
                "reason": "PutObject",
            },
        }
    )


def _file_arrived_pattern() -> str:
    pattern = load_template()["Resources"]["FileArrivedRule"]["Properties"]["EventPattern"]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": "DataBucket"}]
    pattern["detail"]["bucket"]["name"] = [BUCKET]
    return json.dumps(pattern)


def test_file_arrived_pattern_fits_eventbridges_default_size_quota() -> None:
    """Every spelling of .csv and .csv.gz is listed (wildcards are case-sensitive): the pattern
    must stay within EventBridge's default event pattern size, 2048 characters (adjustable to
    4096; https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html), with room for
    a bucket name of the longest S3 allows (63 characters)."""
    pattern = json.loads(_file_arrived_pattern())
    pattern["detail"]["bucket"]["name"] = ["b" * 63]
    assert len(json.dumps(pattern, separators=(",", ":"))) <= 2048
    assert len(pattern["detail"]["object"]["key"]) == 8 + 8 * 4


@pytest.mark.parametrize(
    ("event", "matches"),
    [
        (_s3_event("daily_flights/date=2023-11-15/flights.csv"), True),
        (_s3_event("daily_flights/flights_20231115.csv"), True),
        (_s3_event("daily_flights/2023-11-15.csv"), True),
        (_s3_event("daily_flights/2023-11-15.CSV"), True),
        (_s3_event("daily_flights/2023-11-15.Csv"), True),
        (_s3_event("daily_flights/date=2023-11-15/flights.csv.gz"), True),
        (_s3_event("daily_flights/bts_ontime_2013_01.CSV.GZ"), True),
        (_s3_event("daily_flights/flights_20231115.cSv.Gz"), True),
        (_s3_event("daily_flights/notes.txt.gz"), False),
        (_s3_event("daily_flights/date=2023-11-15/flights.csv.gz.tmp"), False),
        (_s3_event("failed/daily_flights/date=2023-11-15/flights.csv.gz"), False),
        (_s3_event("failed/daily_flights/date=2023-11-15/flights.csv"), False),
        (_s3_event("glue-temp/run-1/part-0000.csv"), False),
        (_s3_event("other/date=2023-11-15/flights.csv"), False),
        (_s3_event("daily_flights/date=2023-11-15/flights.csv.tmp"), False),
        (_s3_event("daily_flights/date=2023-11-15/flights.parquet"), False),
        (_s3_event("daily_flights/date=2023-11-15/"), False),
        (_s3_event("daily_flights/date=2023-11-15/flights.csv", "Object Deleted"), False),
        (_s3_event("daily_flights/date=2023-11-15/flights.csv", bucket="someone-else"), False),
    ],
)
def test_file_arrived_rule_matches_only_new_csv_files_under_daily_flights(
    event: str, matches: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto 5.2.5's TestEventPattern is a stub that returns nothing, so the rule is tested the
    way EventBridge uses it: PutRule with the template's pattern, an SQS target, PutEvents with a
    real-shaped S3 event, and whether the event reached the target (moto's own pattern engine)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="pipeline-starts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events.put_rule(Name="file-arrived", EventPattern=_file_arrived_pattern())
        events.put_targets(Rule="file-arrived", Targets=[{"Id": "q", "Arn": queue_arn}])
        shaped = json.loads(event)
        response = events.put_events(
            Entries=[
                {
                    "Source": shaped["source"],
                    "DetailType": shaped["detail-type"],
                    "Detail": json.dumps(shaped["detail"]),
                    "Resources": shaped["resources"],
                }
            ]
        )
        assert response["FailedEntryCount"] == 0
        delivered = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", [])
    assert bool(delivered) is matches
    if matches:
        assert json.loads(delivered[0]["Body"])["detail"]["object"]["key"] == shaped["detail"][
            "object"
        ]["key"]


def test_the_glue_job_runs_in_the_vpc_through_a_connection_with_the_network_glue_needs() -> None:
    resources = load_template()["Resources"]
    job = resources["LandingJob"]["Properties"]
    assert job["Connections"] == {"Connections": [{"Ref": "LandingConnection"}]}
    connection = resources["LandingConnection"]["Properties"]["ConnectionInput"]
    assert connection["ConnectionType"] == "NETWORK"
    requirements = connection["PhysicalConnectionRequirements"]
    assert requirements["SubnetId"] == {"Fn::Select": [0, {"Ref": "SubnetIds"}]}
    assert requirements["SecurityGroupIdList"] == [{"Ref": "WorkerSecurityGroup"}]
    assert requirements["AvailabilityZone"] == {"Ref": "GlueAvailabilityZone"}
    # Self-referencing rules, in and out, on every TCP port (Glue's workers talk to each other).
    for name, peer in (("WorkerSecurityGroupSelfIngress", "SourceSecurityGroupId"),
                       ("WorkerSecurityGroupSelfEgress", "DestinationSecurityGroupId")):
        rule = resources[name]["Properties"]
        assert rule["GroupId"] == {"Ref": "WorkerSecurityGroup"}
        assert rule[peer] == {"Ref": "WorkerSecurityGroup"}
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 0, 65535)
    # S3 through a gateway endpoint on the subnets' route tables, when they are given.
    endpoint = resources["S3GatewayEndpoint"]
    assert endpoint["Condition"] == "CreateS3Endpoint"
    assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"
    assert endpoint["Properties"]["RouteTableIds"] == {"Ref": "PrivateRouteTableIds"}
    # The job's role may create its ENIs (and look the VPC up).
    granted = set()
    for statement in _statements(resources, "LandingJobRole"):
        granted |= set(_as_list(statement["Action"]))
    assert {"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
            "ec2:DescribeVpcEndpoints", "ec2:DescribeRouteTables", "glue:GetConnection"} <= granted


def _services_the_code_calls() -> set[str]:
    """The AWS services the Glue job and the dbt image call themselves (boto3 clients)."""
    files = [*(REPO / "glue").glob("*.py"), *(REPO / "airline_landing").rglob("*.py"),
             *(REPO / "orchestration" / "dbt_image").iterdir()]
    found: set[str] = set()
    for path in files:
        found |= set(re.findall(r'boto3\.client\("([a-z0-9.-]+)"', path.read_text()))
    return found


def test_subnets_without_a_nat_get_an_endpoint_for_every_service_the_workers_call() -> None:
    """With InterfaceEndpoints=true, every AWS service called from inside the VPC has an
    endpoint: those the code calls (boto3 clients), and those the platform calls for it:
    ECR's API and registry (the dbt image), CloudWatch Logs (awslogs), Secrets Manager (the
    task's injected secret), STS and Glue (the Glue job in a VPC)."""
    template = load_template()
    resources = template["Resources"]
    assert template["Parameters"]["InterfaceEndpoints"]["Default"] == "false"
    assert template["Conditions"]["CreateInterfaceEndpoints"] == {
        "Fn::Equals": [{"Ref": "InterfaceEndpoints"}, "true"]
    }
    task = resources["DbtTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert task["Secrets"] and task["LogConfiguration"]["LogDriver"] == "awslogs"
    # kms: the Glue job's security configuration encrypts its logs (aws_behaviour.md 12.5).
    needed = _services_the_code_calls() | {"ecr.api", "ecr.dkr", "logs", "secretsmanager",
                                           "sts", "glue", "kms"}
    assert "s3" in needed  # through the gateway endpoint (the test above), not an interface
    interface = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::EC2::VPCEndpoint":
            continue
        service = resource["Properties"]["ServiceName"]["Fn::Sub"].rsplit("}.", 1)[1]
        if resource["Properties"]["VpcEndpointType"] == "Interface":
            interface[service] = resource
    assert set(interface) == needed - {"s3"}
    for resource in interface.values():
        assert resource["Condition"] == "CreateInterfaceEndpoints"
        properties = resource["Properties"]
        assert properties["PrivateDnsEnabled"] is True  # the SDKs' default names resolve to it
        assert properties["SubnetIds"] == {"Ref": "SubnetIds"}
        assert properties["SecurityGroupIds"] == [{"Ref": "EndpointSecurityGroup"}]
    group = resources["EndpointSecurityGroup"]
    assert group["Condition"] == "CreateInterfaceEndpoints"
    [ingress] = group["Properties"]["SecurityGroupIngress"]
    assert (ingress["IpProtocol"], ingress["FromPort"], ingress["ToPort"]) == ("tcp", 443, 443)
    assert ingress["SourceSecurityGroupId"] == {"Ref": "WorkerSecurityGroup"}


def test_the_data_bucket_outlives_the_stack_and_both_buckets_refuse_plain_http() -> None:
    resources = load_template()["Resources"]
    assert resources["DataBucket"]["DeletionPolicy"] == "Retain"
    assert resources["DataBucket"]["UpdateReplacePolicy"] == "Retain"
    pairs = (("DataBucketTlsOnly", "DataBucket"), ("DocsBucketTlsOnly", "DocsBucket"))
    for policy, bucket in pairs:
        properties = resources[policy]["Properties"]
        assert properties["Bucket"] == {"Ref": bucket}
        [deny] = properties["PolicyDocument"]["Statement"]
        assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_stack_owns_the_image_repository_and_outputs_what_the_first_deploy_needs() -> None:
    template = load_template()
    repository = template["Resources"]["DbtRepository"]["Properties"]
    assert repository["RepositoryName"] == {"Fn::Sub": "${AWS::StackName}-dbt"}
    rules = json.loads(repository["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    assert rules[0]["selection"]["countType"] == "imageCountMoreThan"
    [container] = template["Resources"]["DbtTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert container["Image"] == {"Fn::Sub": "${DbtRepository.RepositoryUri}:${DbtImageTag}"}
    outputs = template["Outputs"]
    assert outputs["RedshiftCopyRoleArn"]["Value"] == {"Fn::GetAtt": ["RedshiftCopyRole", "Arn"]}
    assert outputs["WorkerSecurityGroupId"]["Value"] == {"Ref": "WorkerSecurityGroup"}
    assert "DocsUrl" not in outputs  # an s3:// URL no browser opens; `make docs-url` instead


def test_transform_retries_only_errors_ecs_raises_and_both_long_steps_are_bounded() -> None:
    states = load_definition()["States"]
    api_errors, capacity = states["Transform"]["Retry"]
    # API errors ECS models (ServerException) and its SDK's catch-all for what it does not
    # (throttling: AmazonECSException); ECS raises no ThrottlingException (aws_behaviour.md 11).
    assert api_errors["ErrorEquals"] == ["ECS.AmazonECSException", "ECS.ServerException"]
    # RunTask answering with Failures (no Fargate capacity) fails a .sync state with
    # AmazonECS.Unknown (connect-ecs): retried, with room for capacity to come back.
    assert capacity["ErrorEquals"] == ["AmazonECS.Unknown"]
    assert capacity["IntervalSeconds"] * capacity["MaxAttempts"] >= 300
    assert 0 < states["Land"]["TimeoutSeconds"] <= 120 * 60 + 30 * 60  # the job's own 120 min
    assert 0 < states["Transform"]["TimeoutSeconds"] <= 2 * 60 * 60


# ---------------------------------------------------------------- make lint's ASL validators
NODE_BIN = REPO / ".venv" / "node-lint" / "node_modules" / ".bin"


def _render_for_validators(out: Path) -> list[Path]:
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "render_state_machines.py"), str(out)],
        check=True, capture_output=True, text=True,
    )
    return sorted(out.glob("*.json"))


def test_the_rendered_definitions_are_what_cloudformation_would_deploy(tmp_path: Path) -> None:
    rendered = _render_for_validators(tmp_path)
    assert [p.name for p in rendered] == ["fetch_state_machine.asl.json", "safety_net.asl.json",
                                          "state_machine.asl.json"]
    for path in rendered:
        text = path.read_text(encoding="utf-8")
        assert not PLACEHOLDER.search(text), path.name
        source = (ORCHESTRATION / path.name).read_text(encoding="utf-8")
        # Only the placeholders changed: the source, with each placeholder as a wildcard,
        # matches the rendered text.
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else r"[^\"\\]+"
            for i, part in enumerate(PLACEHOLDER.split(source))
        )
        assert re.fullmatch(pattern, text, flags=re.DOTALL), path.name


def test_a_placeholder_without_a_substitution_fails_the_rendering(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import render_state_machines as renderer
    finally:
        sys.path.pop(0)
    definition = tmp_path / "machine.asl.json"
    definition.write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Comment": "${Nope}", '
                          '"End": true}}}')
    with pytest.raises(SystemExit, match="Nope"):
        renderer.render(definition, {}, {})


# Outside CI, a pytest run without `make lint` first may skip these; in CI (CI=true, where
# `make test` has just run `make lint`) a missing validator fails instead of hiding.
@pytest.mark.skipif(
    not (NODE_BIN / "asl-validator").exists() and os.environ.get("CI") != "true",
    reason="the npm validators are installed by `make lint` (make test runs it first)",
)
@pytest.mark.parametrize("validator", ["asl-validator", "statelint"])
def test_the_asl_validators_pass_both_definitions_and_fail_a_broken_one(
    validator: str, tmp_path: Path
) -> None:
    def run(path: Path) -> subprocess.CompletedProcess[str]:
        args = ["--json-path", str(path)] if validator == "asl-validator" else [str(path)]
        return subprocess.run([str(NODE_BIN / validator), *args],
                              capture_output=True, text=True, check=False)

    for path in _render_for_validators(tmp_path / "rendered"):
        result = run(path)
        assert result.returncode == 0, result.stdout + result.stderr
        broken = tmp_path / f"broken-{path.name}"
        broken.write_text(path.read_text().replace('"Type": "Choice"', '"Type": "Choise"', 1))
        assert run(broken).returncode != 0


# ---------------------------------------------------------------- alarms and dead letters
def _alarms(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: r["Properties"]
        for name, r in resources.items()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }


def _alarm_on(resources: dict[str, Any], namespace: str, metric: str,
              dimension: str, value: Any) -> dict[str, Any]:
    found = [
        alarm for alarm in _alarms(resources).values()
        if (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric)
        and alarm["Dimensions"] == [{"Name": dimension, "Value": value}]
    ]
    assert len(found) == 1, f"{len(found)} alarms on {namespace} {metric} {dimension}={value}"
    return found[0]


@pytest.mark.parametrize("machine", ["StateMachine", "SafetyNetStateMachine"])
@pytest.mark.parametrize("metric", ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"])
def test_every_execution_that_ends_badly_raises_an_alarm(machine: str, metric: str) -> None:
    resources = load_template()["Resources"]
    assert resources[machine]["Type"] == "AWS::StepFunctions::StateMachine"
    # Ref of a state machine is its ARN, the metric's StateMachineArn dimension.
    alarm = _alarm_on(resources, "AWS/States", metric, "StateMachineArn", {"Ref": machine})
    assert alarm["Statistic"] == "Sum"
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        1, "GreaterThanOrEqualToThreshold"
    )
    assert alarm["TreatMissingData"] == "notBreaching"  # no executions is not an alarm


def test_every_rule_has_a_failed_invocations_alarm() -> None:
    resources = load_template()["Resources"]
    rules = [n for n, r in resources.items() if r["Type"] == "AWS::Events::Rule"]
    assert set(rules) >= {"FileArrivedRule", "DailyScheduleRule", "PipelineStoppedRule"}
    for rule in rules:
        # Ref of a rule on the default bus is its name, the metric's RuleName dimension.
        assert "EventBusName" not in resources[rule]["Properties"]
        _alarm_on(resources, "AWS/Events", "FailedInvocations", "RuleName", {"Ref": rule})


def test_every_rule_target_retries_then_dead_letters_to_an_encrypted_queue() -> None:
    resources = load_template()["Resources"]
    targets = [
        target
        for r in resources.values() if r["Type"] == "AWS::Events::Rule"
        for target in r["Properties"]["Targets"]
    ]
    assert len(targets) >= 3
    for target in targets:
        policy = target["RetryPolicy"]
        assert 0 < policy["MaximumRetryAttempts"] <= 185
        assert 60 <= policy["MaximumEventAgeInSeconds"] <= 86400
        queue_arn = {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
        assert target["DeadLetterConfig"] == {"Arn": queue_arn}
    queue = resources["EventsDeadLetterQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert "FifoQueue" not in queue["Properties"]  # EventBridge dead-letter queues are standard


def test_the_dead_letter_queue_admits_only_eventbridge_for_the_stacks_rules() -> None:
    resources = load_template()["Resources"]
    rules = sorted(n for n, r in resources.items() if r["Type"] == "AWS::Events::Rule")
    [policy] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SQS::QueuePolicy"]
    assert policy["Queues"] == [{"Ref": "EventsDeadLetterQueue"}]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
    sources = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(s["Fn::GetAtt"][0] for s in sources) == rules
    assert all(s["Fn::GetAtt"][1] == "Arn" for s in sources)


def test_dead_letters_and_failed_notices_raise_alarms() -> None:
    resources = load_template()["Resources"]
    depth = _alarm_on(resources, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName",
                      {"Fn::GetAtt": ["EventsDeadLetterQueue", "QueueName"]})
    assert depth["Threshold"] == 1
    _alarm_on(resources, "AWS/SNS", "NumberOfNotificationsFailed", "TopicName",
              {"Fn::GetAtt": ["NotificationTopic", "TopicName"]})


def test_every_alarm_notifies_a_topic_cloudwatch_can_publish_to_not_the_one_it_watches() -> None:
    resources = load_template()["Resources"]
    alarms = _alarms(resources)
    assert len(alarms) >= 6 + 3 + 2
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        # The topic policy admits alarms named <stack>-*.
        assert alarm["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), name
    # CloudWatch cannot use the AWS managed key alias/aws/sns: the alarm topic has its own key,
    # whose policy lets CloudWatch encrypt.
    topic = resources["AlarmTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key = resources["AlarmTopicKey"]["Properties"]
    [cloudwatch] = [s for s in key["KeyPolicy"]["Statement"]
                    if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert key["EnableKeyRotation"] is True
    [publish] = [s for s in resources["AlarmTopicPolicy"]["Properties"]["PolicyDocument"][
        "Statement"] if s["Effect"] == "Allow"]  # beside the TLS-only deny
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = publish["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert source_arn.endswith(":alarm:${AWS::StackName}-*")
    subscription = resources["AlarmSubscription"]["Properties"]
    assert subscription["TopicArn"] == {"Ref": "AlarmTopic"}
    assert subscription["Endpoint"] == {
        "Fn::If": ["AlarmEmailGiven", {"Ref": "AlarmEmail"}, {"Ref": "NotificationEmail"}]
    }


# ---------------------------------------------------------------- the smaller defects
def test_egress_to_redshift_uses_the_port_parameter() -> None:
    resources = load_template()["Resources"]
    egress = resources["WorkerSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    redshift = [rule for rule in egress if rule["Description"].startswith("Redshift")]
    assert len(redshift) == 1
    assert redshift[0]["FromPort"] == redshift[0]["ToPort"] == {"Ref": "RedshiftPort"}
    assert "5439" not in json.dumps(resources)  # the default lives in the parameter only


# Events a state adds to a Standard execution's history: a Task (service integration) enters,
# is scheduled, starts, succeeds or fails, and exits; a Choice, Wait or Pass enters and exits
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
HISTORY_EVENTS = {"Task": 5, "Choice": 2, "Wait": 2, "Pass": 2}
# An execution fails at 25,000 history events
# (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
HISTORY_LIMIT = 25_000
# What a run may add besides its lock wait: the trigger and settings states, Land, Transform,
# Summarize (and its statement polls), the notices and the release, retries included.
REST_OF_RUN = 2_500


def _lock_wait_cycles(states: dict[str, Any], wait: str) -> list[list[str]]:
    """Every simple cycle through the lock-wait Wait state: one pass of the queued run's loop."""
    cycles: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for target in set(_targets(states[path[-1]])):
            if target == wait:
                cycles.append(path)
            elif target not in path:
                walk([*path, target])

    walk([wait])
    return cycles


def test_the_lock_wait_budget_keeps_an_execution_under_the_history_limit() -> None:
    """A queued run polls the lock at most LockWaitMaxPolls times (then gives up and says so),
    whatever LockPollSeconds is: the largest budget allowed, times the events of the longest
    pass of the lock-wait loop (through either of its Wait states), plus the rest of a run and
    StopWork, stays under the history limit. Computed from the definition as it is now, so a
    longer loop fails here until the maximum follows."""
    definition = load_definition()
    states = definition["States"]
    waits = [name for name, state in states.items() if state["Type"] == "Wait"
             and state.get("SecondsPath") == "$.run.lock_poll_seconds"]
    assert sorted(waits) == ["WaitForLock", "WaitForWaitingSlot"]
    cycles = [cycle for wait in waits for cycle in _lock_wait_cycles(states, wait)]
    assert cycles, "the lock wait loops back to its Wait states"
    events_per_poll = max(sum(HISTORY_EVENTS[states[n]["Type"]] for n in c) for c in cycles)
    budget = load_template()["Parameters"]["LockWaitMaxPolls"]
    stop_work = 2 * 40 * (2 + 5 + 2 + 2 + 2)  # each branch: 40 polls of Wait, Task, Pass, ...
    assert budget["MaxValue"] * events_per_poll + stop_work + REST_OF_RUN <= HISTORY_LIMIT, (
        events_per_poll)
    assert budget["MinValue"] <= budget["Default"] <= budget["MaxValue"]


def test_deleting_the_stack_keeps_the_data_and_docs_and_empties_the_image_repository() -> None:
    """CloudFormation cannot delete a bucket or repository that holds objects: each store says
    what happens to it, so that a stack deletion completes."""
    resources = load_template()["Resources"]
    for bucket in ("DataBucket", "DocsBucket"):
        assert resources[bucket]["DeletionPolicy"] == "Retain", bucket
        assert resources[bucket]["UpdateReplacePolicy"] == "Retain", bucket
    repository = resources["DbtRepository"]
    assert repository["DeletionPolicy"] == "Delete"
    assert repository["Properties"]["EmptyOnDelete"] is True
    stores = {"AWS::S3::Bucket", "AWS::ECR::Repository"}
    for name, resource in resources.items():
        if resource["Type"] in stores:
            assert "DeletionPolicy" in resource and "UpdateReplacePolicy" in resource, name


def test_every_glue_artifact_key_is_under_the_versioned_artifact_prefix() -> None:
    """deploy.sh gives every version its own ArtifactPrefix (test_deploy.py): so every artifact
    key the job reads must start with it, or an update would overwrite what a rollback needs."""
    job = load_template()["Resources"]["LandingJob"]["Properties"]
    keys = [job["Command"]["ScriptLocation"]["Fn::Sub"]]
    keys += [value["Fn::Sub"] for value in job["DefaultArguments"].values()
             if isinstance(value, dict) and "${ArtifactBucket}" in str(value.get("Fn::Sub"))]
    assert len(keys) >= 2  # the script and the airline_landing package
    for key in keys:
        for location in key.split(","):
            assert location.startswith("s3://${ArtifactBucket}/${ArtifactPrefix}"), location


def test_both_state_machines_log_their_failures_to_a_log_group_of_their_own() -> None:
    resources = load_template()["Resources"]
    groups = set()
    for machine, role in (("StateMachine", "StateMachineRole"),
                          ("SafetyNetStateMachine", "SafetyNetRole")):
        logging = resources[machine]["Properties"]["LoggingConfiguration"]
        assert logging["Level"] in {"ERROR", "ALL"}, machine
        [destination] = logging["Destinations"]
        group = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"]
        assert group[1] == "Arn" and resources[group[0]]["Type"] == "AWS::Logs::LogGroup"
        assert "RetentionInDays" in resources[group[0]]["Properties"]
        groups.add(group[0])
        granted = set()
        for statement in _statements(resources, role):
            granted |= set(_as_list(statement["Action"]))
        assert {"logs:CreateLogDelivery", "logs:PutResourcePolicy",
                "logs:DescribeLogGroups"} <= granted, role
    assert len(groups) == 2


def test_the_stack_builds_only_the_target_its_summary_reads() -> None:
    """Summarize reads airlines.daily_flights_fact; the dev target writes dev_<user> schemas, so
    a stack may only build prod (issue 19: DbtTarget=dev broke Summarize)."""
    from airline_elt.run_summary import FACT_ROWS_BY_DATE

    assert "airlines.daily_flights_fact" in FACT_ROWS_BY_DATE
    assert load_template()["Parameters"]["DbtTarget"]["AllowedValues"] == ["prod"]


def test_the_dbt_task_gets_the_reference_list_guards_settings() -> None:
    """Issue 20: the guard in the dbt image (build_guard.py) reads the same settings as the
    local install; the stack passes them to the container, not forced by default, with the
    local default share."""
    from airline_elt.reference_loss import DEFAULT_MAX_LOSS, MAX_LOSS_ENV, max_loss

    template = load_template()
    [container] = template["Resources"]["DbtTaskDefinition"]["Properties"][
        "ContainerDefinitions"]
    environment = {item["Name"]: item["Value"] for item in container["Environment"]}
    assert environment[MAX_LOSS_ENV] == {"Ref": "MaxReferenceLoss"}
    assert environment["AIRLINE_ELT_FORCE_REFERENCE_LISTS"] == {"Ref": "ForceReferenceLists"}
    guard = (ORCHESTRATION / "dbt_image" / "build_guard.py").read_text(encoding="utf-8")
    assert 'FORCE_ENV = "AIRLINE_ELT_FORCE_REFERENCE_LISTS"' in guard
    parameters = template["Parameters"]
    assert parameters["ForceReferenceLists"]["Default"] == "false"
    assert max_loss({MAX_LOSS_ENV: parameters["MaxReferenceLoss"]["Default"]}) == DEFAULT_MAX_LOSS
    pattern = re.compile(parameters["MaxReferenceLoss"]["AllowedPattern"])
    assert all(pattern.fullmatch(value) for value in ["1%", "0.01", "2.5%", ".5"])
    assert not any(pattern.fullmatch(value) for value in ["", "1 %", "-1%", "x"])


def test_the_production_build_leaves_out_dbt_unit_tests_as_local_runs_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The task's environment reaches `dbt build` as --exclude-resource-type unit_test (the
    installed dbt's own command line reads it here), the option the local pipeline passes
    itself (airline_elt.dbt_step.without_unit_tests)."""
    from dbt.cli.main import cli

    from airline_elt.dbt_step import without_unit_tests

    template = load_template()
    [container] = template["Resources"]["DbtTaskDefinition"]["Properties"][
        "ContainerDefinitions"]
    environment = {item["Name"]: item["Value"] for item in container["Environment"]}
    monkeypatch.setenv("DBT_PROFILES_DIR", str(tmp_path))
    monkeypatch.setenv("DBT_EXCLUDE_RESOURCE_TYPES", environment["DBT_EXCLUDE_RESOURCE_TYPES"])
    project = str(ORCHESTRATION.parent)
    build = cli.commands["build"].make_context("build", ["--project-dir", project])
    assert build.params["exclude_resource_types"] == ("unit_test",)
    monkeypatch.delenv("DBT_EXCLUDE_RESOURCE_TYPES")
    assert without_unit_tests([]) == ["--exclude-resource-type", "unit_test"]
