"""orchestration/deploy.sh --dry-run, in a throw-away git repository holding the script: every
command it would run is printed, nothing runs (no AWS, no Docker)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ORCHESTRATION, load_template

ENV = {
    "STACK": "airline-elt",
    "ARTIFACT_BUCKET": "artifacts",
    "NOTIFICATION_EMAIL": "ops@example.com",
    "REDSHIFT_CLUSTER_ID": "airline-elt",
    "REDSHIFT_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift-AbC",
    "DBT_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:dbt-AbC",
    "VPC_ID": "vpc-1",
    "SUBNET_IDS": "subnet-a,subnet-b",
    "AWS_REGION": "us-east-1",
}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "orchestration").mkdir()
    shutil.copy(ORCHESTRATION / "deploy.sh", tmp_path / "orchestration" / "deploy.sh")
    shutil.copy(ORCHESTRATION / "glue_wheels.sh", tmp_path / "orchestration" / "glue_wheels.sh")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "deploy")
    return tmp_path


def _dry_run(repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "orchestration/deploy.sh", "--dry-run"],
        cwd=repo, env={"PATH": os.environ["PATH"], "HOME": str(repo), **ENV, **env},
        capture_output=True, text=True, check=False,
    )


def _commands(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line[2:] for line in (result.stdout + result.stderr).splitlines() if line[:2] == "+ "]


def test_a_dry_run_prints_every_command_and_builds_for_the_task_platform(repo: Path) -> None:
    result = _dry_run(repo)
    assert result.returncode == 0, result.stderr
    commands = _commands(result)
    tag = _git(repo, "rev-parse", "--short", "HEAD")
    expected = [
        "zip -qr", "aws s3 cp glue/landing_job.py", "aws s3 cp", "aws cloudformation package",
        "aws sts get-caller-identity", "aws redshift describe-clusters", "aws ec2 describe-subnets",
        "aws ecr describe-repositories", "aws ecr get-login-password", "docker login",
        "docker build --platform linux/amd64", "docker push", "aws cloudformation deploy",
        "aws cloudformation describe-stacks",
    ]
    for start in expected:
        assert any(c.startswith(start) for c in commands), start
    [build] = [c for c in commands if c.startswith("docker build")]
    assert build.endswith(f"airline-elt-dbt:{tag} .")
    # The image is pushed before the stack points the task definition at it.
    order = [next(i for i, c in enumerate(commands) if c.startswith(s))
             for s in ("docker push", "aws cloudformation deploy")]
    assert order == sorted(order)


def test_the_deploy_passes_exactly_the_templates_parameters(repo: Path) -> None:
    [deploy] = [c for c in _commands(_dry_run(repo)) if c.startswith("aws cloudformation deploy")]
    passed = set(re.findall(r" (\w+)=", deploy.split("--parameter-overrides", 1)[1]))
    parameters = load_template()["Parameters"]
    required = {name for name, p in parameters.items() if "Default" not in p}
    assert required <= passed, required - passed
    assert passed <= set(parameters), passed - set(parameters)


def test_uncommitted_changes_are_refused_unless_allowed_and_then_tagged_dirty(
    repo: Path,
) -> None:
    (repo / "orchestration" / "deploy.sh").write_text(
        (repo / "orchestration" / "deploy.sh").read_text() + "\n# edited\n"
    )
    refused = _dry_run(repo)
    assert refused.returncode == 64
    assert "uncommitted changes" in refused.stderr
    assert _commands(refused) == []

    allowed = _dry_run(repo, ALLOW_DIRTY="1")
    assert allowed.returncode == 0, allowed.stderr
    [build] = [c for c in _commands(allowed) if c.startswith("docker build")]
    assert re.search(r":[0-9a-f]+-dirty-\d{8}T\d{6}Z \.$", build)


@pytest.mark.parametrize("stack", ["Airline-ELT", "airline_elt", "1airline"])
def test_a_stack_name_ecr_cannot_take_is_refused(repo: Path, stack: str) -> None:
    result = _dry_run(repo, STACK=stack)
    assert result.returncode == 64
    assert "STACK must be lower-case" in result.stderr
    assert _commands(result) == []


def test_each_version_uploads_its_glue_artifacts_under_a_prefix_of_its_own(repo: Path) -> None:
    """An update must not overwrite the artifacts the running stack (and a rollback) uses: the
    uploads and the stack's ArtifactPrefix name the image tag, which is the commit."""
    result = _dry_run(repo)
    assert result.returncode == 0, result.stderr
    commands = _commands(result)
    tag = _git(repo, "rev-parse", "--short", "HEAD")
    versioned = (f"s3://artifacts/airline-elt/{tag}/glue/",
                 f"s3://artifacts/airline-elt/{tag}/lambda/")
    uploads = [c for c in commands if c.startswith("aws s3 cp")]
    assert len(uploads) >= 3
    for upload in uploads:
        assert upload.split()[-1].startswith(versioned), upload
    [deploy] = [c for c in commands if c.startswith("aws cloudformation deploy")]
    assert f"ArtifactPrefix=airline-elt/{tag}/ " in deploy
    # The next commit uploads elsewhere.
    (repo / "README").write_text("next\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "next")
    later = [c for c in _commands(_dry_run(repo)) if c.startswith("aws s3 cp")]
    assert not {c.split()[-1] for c in later} & {c.split()[-1] for c in uploads}


def _parameters(repo: Path, **env: str) -> dict[str, str]:
    """The parameters a dry run passes to `aws cloudformation deploy`, by name."""
    [deploy] = [c for c in _commands(_dry_run(repo, **env))
                if c.startswith("aws cloudformation deploy")]
    return dict(re.findall(r" (\w+)=(\S+)", deploy.split("--parameter-overrides", 1)[1]))


def test_the_deploy_passes_the_plausibility_rules_under_their_local_names(repo: Path) -> None:
    """The landing job's plausibility rules are set at deploy with the same variables as a
    local run (AIRLINE_ELT_*); unset, the deploy passes the template's defaults, which are
    the local defaults (test_template.py)."""
    parameters = load_template()["Parameters"]
    defaults = _parameters(repo)
    for name in ["FirstFlightDate", "FutureDays", "MinDelayMinutes", "MaxDelayMinutes"]:
        assert defaults[name] == str(parameters[name]["Default"]), name
    given = _parameters(repo, AIRLINE_ELT_FIRST_FLIGHT_DATE="2018-01-01",
                        AIRLINE_ELT_FUTURE_DAYS="0", AIRLINE_ELT_MIN_DELAY="-60",
                        AIRLINE_ELT_MAX_DELAY="600")
    assert [given[name] for name in ["FirstFlightDate", "FutureDays", "MinDelayMinutes",
                                     "MaxDelayMinutes"]] == ["2018-01-01", "0", "-60", "600"]


def test_the_deploy_forces_reference_lists_only_when_told(repo: Path) -> None:
    """AIRLINE_ELT_FORCE_REFERENCE_LISTS=true forces the image's lists for that deploy; every
    deploy without it passes false, so a force never outlives the deploy that asked for it."""
    defaults = _parameters(repo)
    assert (defaults["ForceReferenceLists"], defaults["MaxReferenceLoss"]) == ("false", "1%")
    forced = _parameters(repo, AIRLINE_ELT_FORCE_REFERENCE_LISTS="true",
                         AIRLINE_ELT_MAX_REFERENCE_LOSS="5%")
    assert (forced["ForceReferenceLists"], forced["MaxReferenceLoss"]) == ("true", "5%")


def test_an_image_already_pushed_is_not_pushed_again_to_the_immutable_repository(
    repo: Path,
) -> None:
    """The repository's tags are immutable (the template): the deploy asks whether this commit's
    tag is there before it builds and pushes, and a dry run shows the build and push."""
    commands = _commands(_dry_run(repo))
    tag = _git(repo, "rev-parse", "--short", "HEAD")
    [ask] = [c for c in commands if c.startswith("aws ecr describe-images")]
    assert f"imageTag={tag}" in ask
    assert any(c.startswith("docker push") for c in commands)
    script = (repo / "orchestration" / "deploy.sh").read_text()
    assert "if image_pushed; then" in script


@pytest.mark.parametrize(("aws_answer", "outcome"), [
    ("exit 0", "returned 0"),
    ("echo 'An error occurred (ImageNotFoundException) when calling the DescribeImages "
     "operation: The image with imageId {imageTag:abc} does not exist' >&2; exit 254",
     "returned 1"),
    ("echo 'An error occurred (AccessDeniedException) when calling the DescribeImages "
     "operation: not authorized' >&2; exit 254", "AccessDeniedException"),
    ("echo 'An error occurred (RepositoryNotFoundException) when calling the DescribeImages "
     "operation' >&2; exit 254", "RepositoryNotFoundException"),
])
def test_only_an_absent_tag_reads_as_not_pushed(aws_answer: str, outcome: str) -> None:
    """deploy.sh's image_pushed, run by bash with `aws` answering as the CLI does: the tag is
    there (0), ImageNotFoundException (1: build and push), anything else stops the deploy with
    ECR's words instead of a push that fails later on the immutable tag."""
    script = (ORCHESTRATION / "deploy.sh").read_text()
    function = script[script.index("image_pushed() {"):]
    function = function[: function.index("\n}\n") + 3]
    probe = (f"aws() {{ {aws_answer}; }}\n{function}\n"
             "dry_run=false STACK=s tag=abc region=us-east-1 image=repo:abc\n"
             "image_pushed; echo \"returned $?\"\n")
    result = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=False)
    if outcome.startswith("returned"):
        assert result.stdout.strip() == outcome, result.stderr
        assert result.stderr == ""
    else:
        assert result.returncode == 1 and "returned" not in result.stdout
        assert "could not tell whether repo:abc is already in ECR" in result.stderr
        assert outcome in result.stderr


def test_the_clusters_security_group_is_looked_up_for_the_workers_egress(repo: Path) -> None:
    commands = _commands(_dry_run(repo))
    assert any("VpcSecurityGroupId" in c for c in commands)
    [deploy] = [c for c in commands if c.startswith("aws cloudformation deploy")]
    assert "RedshiftSecurityGroupId=\\<redshift-security-group\\>" in deploy
    given = _commands(_dry_run(repo, REDSHIFT_SECURITY_GROUP_ID="sg-0123"))
    [deploy] = [c for c in given if c.startswith("aws cloudformation deploy")]
    assert "RedshiftSecurityGroupId=sg-0123" in deploy


def test_a_base_image_is_taken_only_by_digest(repo: Path) -> None:
    refused = _dry_run(repo, PYTHON_IMAGE="public.ecr.aws/docker/library/python:3.11-slim")
    assert refused.returncode == 64
    assert "must name a digest" in refused.stderr
    assert _commands(refused) == []
    digest = "python:3.11-slim@sha256:" + "a" * 64
    given = _dry_run(repo, PYTHON_IMAGE=digest)
    assert given.returncode == 0, given.stderr
    [build] = [c for c in _commands(given) if c.startswith("docker build")]
    assert f"--build-arg PYTHON_IMAGE={digest}" in build


def test_the_feeds_function_zip_is_uploaded_where_the_template_reads_it(repo: Path) -> None:
    """The function's code is the template's S3Key under this commit's ArtifactPrefix."""
    commands = _commands(_dry_run(repo))
    tag = _git(repo, "rev-parse", "--short", "HEAD")
    function = load_template()["Resources"]["FetchFunction"]["Properties"]
    assert function["Code"]["S3Key"] == {"Fn::Sub": "${ArtifactPrefix}lambda/airline_fetch.zip"}
    [build] = [i for i, c in enumerate(commands) if c.startswith("fetch_zip ")]
    [upload] = [i for i, c in enumerate(commands)
                if c.endswith(f"s3://artifacts/airline-elt/{tag}/lambda/airline_fetch.zip")]
    [deploy] = [i for i, c in enumerate(commands) if c.startswith("aws cloudformation deploy")]
    assert build < upload < deploy


def test_the_feeds_settings_are_passed_only_when_given(repo: Path) -> None:
    """A deploy without FETCH_* keeps what the stack has (aws cloudformation deploy keeps a
    parameter it is not given); one with them passes exactly those."""
    defaults = _parameters(repo)
    assert not {name for name in defaults if name.startswith("Fetch")}
    given = _parameters(repo, FETCH_ENABLED="false", FETCH_FIRST_MONTH="2013-01",
                        FETCH_REVISION_MONTHS="6")
    assert {name: value for name, value in given.items() if name.startswith("Fetch")} == {
        "FetchEnabled": "false", "FetchFirstMonth": "2013-01", "FetchRevisionMonths": "6"}
    parameters = load_template()["Parameters"]
    assert {"FetchEnabled", "FetchFirstMonth", "FetchRevisionMonths", "FetchSchedule",
            "FetchSourceUrl"} <= set(parameters)


def test_the_fetch_zip_holds_the_package_and_the_pinned_certifi_at_its_top(
    tmp_path: Path,
) -> None:
    """`deploy.sh --fetch-zip` (what the deploy uploads) from this checkout: airline_fetch/ and
    certifi/ where Lambda's /var/task puts them on sys.path, no bytecode, no boto3 (the
    runtime's)."""
    out = tmp_path / "fetch.zip"
    result = subprocess.run(["bash", str(ORCHESTRATION / "deploy.sh"), "--fetch-zip", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    import zipfile

    names = zipfile.ZipFile(out).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert {"airline_fetch", "airline_landing", "certifi"} <= tops
    assert not {top for top in tops if top.startswith(("boto3", "botocore"))}
    assert "airline_fetch/lambda_handler.py" in names
    assert "certifi/cacert.pem" in names
    assert not [name for name in names if name.endswith(".pyc")]
    pinned = re.search(r"^CERTIFI_VERSION=(\S+)$", (ORCHESTRATION / "deploy.sh").read_text(),
                       re.MULTILINE)
    assert pinned is not None
    assert any(name.startswith(f"certifi-{pinned.group(1)}.dist-info/") for name in names)


def test_the_function_ships_the_certifi_the_project_pins() -> None:
    """The zip's CA bundle is the one the fetch is tested with locally (pyproject.toml's pin)."""
    pyproject = (ORCHESTRATION.parent / "pyproject.toml").read_text(encoding="utf-8")
    [pinned] = re.findall(r'"certifi==([^"]+)"', pyproject)
    deploy = (ORCHESTRATION / "deploy.sh").read_text(encoding="utf-8")
    assert f"\nCERTIFI_VERSION={pinned}\n" in deploy
