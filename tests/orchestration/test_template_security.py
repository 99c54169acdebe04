"""The template's security properties (issue 21): what checkov checks and what it does not
(trust conditions, KMS through Secrets Manager, TLS-only topics, egress), without an AWS account.
`make lint` runs checkov itself; the test below runs it too where `make lint` installed it."""

from __future__ import annotations

import json
import subprocess
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, TEMPLATE_FILE, load_template

CHECKOV = REPO / ".venv" / "checkov" / "bin" / "checkov"

# Every checkov skip, where it is: a check skipped anywhere else fails the test.
CHECKOV_SKIPS = {
    ("AccessLogBucket", "CKV_AWS_18"),  # the log bucket does not log to itself
    ("LockTable", "CKV_AWS_28"),  # a lock needs no point-in-time recovery
    ("LockTable", "CKV_AWS_119"),  # execution ARNs only, AWS owned key
    ("EventsDeadLetterQueue", "CKV_AWS_27"),  # SSE-SQS, which the check does not read
    ("DbtRepository", "CKV_AWS_136"),  # AES-256 by default; KMS would replace the repository
    ("FetchFunction", "CKV_AWS_117"),  # outside a VPC on purpose: the internet without a NAT
    ("FetchFunction", "CKV_AWS_116"),  # invoked synchronously; a DLQ is for async invokes
    ("FetchFunction", "CKV_AWS_115"),  # concurrency bounded by the Map; reserving may fail
    ("FetchFunction", "CKV_AWS_173"),  # no secret in its environment
}


def _resources() -> dict[str, Any]:
    return load_template()["Resources"]


def _statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources[role]["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_checkov_skips_are_in_place_each_with_its_reason() -> None:
    skips = set()
    for name, resource in _resources().items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip.get("comment", "")) > 30, f"{name}: {skip['id']} without a reason"
            skips.add((name, skip["id"]))
    assert skips == CHECKOV_SKIPS


@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov is installed by `make lint`")
def test_checkov_passes_with_no_failed_check() -> None:
    result = subprocess.run(
        [str(CHECKOV), "--file", str(TEMPLATE_FILE), "--framework", "cloudformation",
         "--skip-download", "--output", "json"],
        capture_output=True, text=True, check=False,
    )
    summary = json.loads(result.stdout)["summary"]
    assert result.returncode == 0 and summary["failed"] == 0, result.stdout[-3000:]
    assert summary["skipped"] == len(CHECKOV_SKIPS)


def test_both_buckets_log_access_to_a_log_bucket_only_s3_logging_of_this_account_writes() -> None:
    resources = _resources()
    for bucket, prefix in (("DataBucket", "data-bucket/"), ("DocsBucket", "docs-bucket/")):
        logging = resources[bucket]["Properties"]["LoggingConfiguration"]
        assert logging == {"DestinationBucketName": {"Ref": "AccessLogBucket"},
                           "LogFilePrefix": prefix}
    assert resources["DocsBucket"]["Properties"]["VersioningConfiguration"] == {
        "Status": "Enabled"}
    log_bucket = resources["AccessLogBucket"]
    assert log_bucket["DeletionPolicy"] == "Retain"
    properties = log_bucket["Properties"]
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert properties["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    deny, deliver = resources["AccessLogBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deliver["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert deliver["Action"] == "s3:PutObject"
    assert deliver["Condition"] == {
        "ArnLike": {"aws:SourceArn": [{"Fn::GetAtt": ["DataBucket", "Arn"]},
                                      {"Fn::GetAtt": ["DocsBucket", "Arn"]}]},
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    }


def test_every_log_group_and_the_glue_jobs_logs_are_encrypted_with_the_stacks_key() -> None:
    resources = _resources()
    groups = [n for n, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"]
    assert len(groups) == 5  # pipeline, safety net, dbt, the feed and its function
    for name in groups:
        assert resources[name]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["LogsKey", "Arn"]}
    key = resources["LogsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    [logs] = [s for s in key["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    # The regional CloudWatch Logs principal, only for log groups named in the encryption context.
    assert logs["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}
    allowed = [a["Fn::Sub"] for a in
               logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]]
    for name in groups:
        group_name = resources[name]["Properties"]["LogGroupName"]["Fn::Sub"]
        assert any(fnmatch(group_name, a.split(":log-group:", 1)[1]) for a in allowed), name
    assert any(a.endswith("log-group:/aws-glue/*") for a in allowed)
    # Glue: a security configuration on the job, every kind of its writes encrypted.
    job = resources["LandingJob"]["Properties"]
    assert job["SecurityConfiguration"] == {"Ref": "GlueSecurityConfiguration"}
    encryption = resources["GlueSecurityConfiguration"]["Properties"]["EncryptionConfiguration"]
    # SSE-S3, not SSE-KMS: Redshift's COPY reads the staged parts with a role that has no KMS.
    assert encryption["S3Encryptions"] == [{"S3EncryptionMode": "SSE-S3"}]
    assert encryption["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    assert encryption["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"
    statements = _statements(resources, "LandingJobRole")
    [associate] = [s for s in statements if "logs:AssociateKmsKey" in _as_list(s["Action"])]
    assert associate["Resource"]["Fn::Sub"].endswith("log-group:/aws-glue/*")
    [use_key] = [s for s in statements if "kms:Encrypt" in _as_list(s["Action"])]
    assert use_key["Resource"] == {"Fn::GetAtt": ["LogsKey", "Arn"]}


def test_image_tags_are_immutable_and_the_repository_is_not_replaced() -> None:
    repository = _resources()["DbtRepository"]["Properties"]
    assert repository["ImageTagMutability"] == "IMMUTABLE"
    # EncryptionConfiguration is create-only: setting it replaces the repository, whose fixed
    # name then fails the update of every stack deployed before (ECR's AES-256 stays).
    assert "EncryptionConfiguration" not in repository


@pytest.mark.parametrize("role", ["LandingJobRole", "DbtExecutionRole", "StateMachineRole"])
def test_each_reader_of_the_secret_may_decrypt_a_customer_key_only_through_secrets_manager(
    role: str,
) -> None:
    statements = _statements(_resources(), role)
    assert any(s["Action"] == "secretsmanager:GetSecretValue" for s in statements)
    [decrypt] = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert decrypt["Condition"] == {"StringEquals": {
        "kms:ViaService": {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}}}
    assert decrypt["Resource"]["Fn::Sub"].endswith(":key/*")


def test_every_service_trust_policy_that_can_be_conditioned_is() -> None:
    """aws:SourceAccount (and aws:SourceArn) where the service documents them for a role it
    assumes: Step Functions, EventBridge, an ECS task role. Glue documents none for a job role,
    ECS none for a task execution role, and Redshift's documented restriction is sts:ExternalId
    naming database users (DEPLOY.md). Lambda's execution role keeps the trust policy Lambda's
    guide shows, with the account only (the function assumes it at every cold start; a
    SourceArn Lambda might not send would stop the feed)."""
    resources = _resources()
    account = {"Ref": "AWS::AccountId"}
    unconditioned = set()
    for name, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        [trust] = resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        service = trust["Principal"]["Service"]
        if "Condition" not in trust:
            unconditioned.add(name)
            continue
        assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": account}, name
        if service == "lambda.amazonaws.com":
            assert set(trust["Condition"]) == {"StringEquals"}, name
            continue
        [(_, arns)] = [(k, v) for k, v in trust["Condition"].items() if k.startswith("Arn")]
        arn = arns["aws:SourceArn"]["Fn::Sub"]
        prefix = {"states.amazonaws.com": ":states:", "events.amazonaws.com": ":events:",
                  "ecs-tasks.amazonaws.com": ":ecs:"}[service]
        assert prefix + "${AWS::Region}:${AWS::AccountId}:" in arn, name
    services = {name: resources[name]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
                ["Principal"]["Service"] for name in unconditioned}
    assert sorted(services.values()) == [
        "ecs-tasks.amazonaws.com", "glue.amazonaws.com", "redshift.amazonaws.com"]
    assert services["DbtExecutionRole"] == "ecs-tasks.amazonaws.com"


@pytest.mark.parametrize(("policy", "topic"), [("NotificationTopicPolicy", "NotificationTopic"),
                                                ("AlarmTopicPolicy", "AlarmTopic")])
def test_both_topics_refuse_plain_http(policy: str, topic: str) -> None:
    statements = _resources()[policy]["Properties"]["PolicyDocument"]["Statement"]
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Principal"] == "*" and deny["Resource"] == {"Ref": topic}
    assert "sns:Publish" in deny["Action"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_workers_reach_redshift_only_in_the_clusters_security_group() -> None:
    egress = _resources()["WorkerSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    [redshift] = [rule for rule in egress if rule["FromPort"] == {"Ref": "RedshiftPort"}]
    assert redshift["DestinationSecurityGroupId"] == {"Ref": "RedshiftSecurityGroupId"}
    assert "CidrIp" not in redshift
    # The one rule open to any address is HTTPS (the AWS APIs through a NAT).
    for rule in egress:
        if rule.get("CidrIp") == "0.0.0.0/0":
            assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)


def test_the_dbt_images_base_is_pinned_by_digest() -> None:
    dockerfile = (Path(REPO) / "orchestration" / "dbt_image" / "Dockerfile").read_text()
    froms = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert froms == ["FROM ${PYTHON_IMAGE}"]
    [default] = [line for line in dockerfile.splitlines() if line.startswith("ARG PYTHON_IMAGE=")]
    assert "python:3.11-slim@sha256:" in default
    assert len(default.rsplit("@sha256:", 1)[1]) == 64


def test_each_job_reads_its_own_warehouse_users_secret() -> None:
    """The Glue job lands as the landing user; the dbt task and the Data API's Summarize read
    as the dbt user (airline_elt/warehouse_users.sql); no role may read both secrets."""
    resources = _resources()
    readers: dict[str, set[str]] = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for statement in _statements(resources, name):
            if statement["Action"] == "secretsmanager:GetSecretValue":
                readers.setdefault(statement["Resource"]["Ref"], set()).add(name)
    assert readers == {"RedshiftSecretArn": {"LandingJobRole"},
                       "DbtSecretArn": {"DbtExecutionRole", "StateMachineRole"}}
    arguments = resources["LandingJob"]["Properties"]["DefaultArguments"]
    assert arguments["--redshift_secret_arn"] == {"Ref": "RedshiftSecretArn"}
    machine = resources["StateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert machine["RedshiftSecretArn"] == {"Ref": "DbtSecretArn"}
    [container] = resources["DbtTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert {s["ValueFrom"]["Fn::Sub"].split(":")[0] for s in container["Secrets"]} == {
        "${DbtSecretArn}"}
