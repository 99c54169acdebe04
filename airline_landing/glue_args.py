"""The Glue job's arguments: names, validation, and the Redshift secret, without awsglue.

glue/landing_job.py passes `job_arg_names(sys.argv)` to getResolvedOptions and the
result to `parse_job_args`; everything here is plain Python, tested locally.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from airline_landing.plausibility import (
    ENV_FIRST_FLIGHT_DATE,
    ENV_FUTURE_DAYS,
    ENV_MAX_DELAY,
    ENV_MIN_DELAY,
    Plausibility,
    PlausibilityError,
    plausibility_from,
)
from airline_landing.thresholds import (
    DEFAULT_MAX_RATIO,
    DEFAULT_MAX_ROWS,
    LimitError,
    RejectLimits,
    limits_from,
)

REQUIRED_ARGS = (
    "JOB_NAME",
    "landing_uri",
    "failed_uri",
    "redshift_secret_arn",
    "redshift_iam_role",
    "TempDir",
)
OPTIONAL_ARGS = (
    "run_id",
    "max_reject_ratio",
    "max_reject_rows",
    "redshift_host",
    "redshift_port",
    "redshift_database",
    "first_flight_date",
    "future_days",
    "min_delay",
    "max_delay",
)
# The plausibility job arguments and the settings they stand for (airline_landing.plausibility).
_PLAUSIBILITY_ARGS = {
    "first_flight_date": ENV_FIRST_FLIGHT_DATE,
    "future_days": ENV_FUTURE_DAYS,
    "min_delay": ENV_MIN_DELAY,
    "max_delay": ENV_MAX_DELAY,
}

_S3_PREFIX = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]/([^\s]*/)?$")
_SECRET_ARN = re.compile(r"^arn:aws[a-z\-]*:secretsmanager:[a-z0-9\-]+:[0-9]{12}:secret:.+$")
IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/\-]+$")


class JobArgumentError(ValueError):
    """A job argument is missing or malformed."""


@dataclass(frozen=True)
class LandingJobArgs:
    job_name: str
    landing_uri: str  # s3://bucket/daily_flights/
    failed_uri: str  # s3://bucket/failed/
    redshift_secret_arn: str
    redshift_iam_role: str
    temp_dir: str  # s3://.../ (Glue's TempDir)
    run_id: str
    # A file is failed whole when its rejected rows pass both (airline_landing.thresholds).
    max_reject_ratio: float = DEFAULT_MAX_RATIO
    max_reject_rows: int = DEFAULT_MAX_ROWS
    # The endpoint, when the secret does not hold it (a Redshift-managed secret holds only
    # username and password); these win over the secret's host, port and dbname.
    redshift_host: str | None = None
    redshift_port: int | None = None
    redshift_database: str | None = None
    # The window of flight dates and the delay bounds a row must fall in.
    plausible: Plausibility = field(default_factory=Plausibility)

    @property
    def limits(self) -> RejectLimits:
        return RejectLimits(self.max_reject_ratio, self.max_reject_rows)


def job_arg_names(argv: list[str]) -> list[str]:
    """The names to resolve: the required ones, plus optional ones present on argv."""
    present = {arg[2:].split("=", 1)[0] for arg in argv if arg.startswith("--")}
    return [*REQUIRED_ARGS, *(name for name in OPTIONAL_ARGS if name in present)]


def _s3_prefix(name: str, value: str) -> str:
    value = value.strip()
    if not value.endswith("/"):
        value += "/"
    if not _S3_PREFIX.match(value):
        raise JobArgumentError(f"--{name} must be an s3://bucket/prefix/ URI, got {value!r}")
    return value


def parse_job_args(resolved: dict[str, str]) -> LandingJobArgs:
    """Validate the resolved arguments (getResolvedOptions' dict)."""
    missing = [name for name in REQUIRED_ARGS if not resolved.get(name)]
    if missing:
        raise JobArgumentError(f"missing job argument(s): {', '.join('--' + m for m in missing)}")
    secret = resolved["redshift_secret_arn"].strip()
    if not _SECRET_ARN.match(secret):
        raise JobArgumentError(f"--redshift_secret_arn is not a Secrets Manager ARN: {secret!r}")
    role = resolved["redshift_iam_role"].strip()
    if not IAM_ROLE_ARN.match(role):
        raise JobArgumentError(f"--redshift_iam_role is not an IAM role ARN: {role!r}")
    run_id = (resolved.get("run_id") or resolved.get("JOB_RUN_ID") or "").strip()
    try:
        limits = limits_from(
            resolved.get("max_reject_ratio"), resolved.get("max_reject_rows"), environ={}
        )
    except LimitError as error:
        raise JobArgumentError(f"--max_reject_ratio / --max_reject_rows: {error}") from error
    try:
        plausible = plausibility_from(
            {
                setting: resolved[name]
                for name, setting in _PLAUSIBILITY_ARGS.items()
                if resolved.get(name)
            }
        )
    except PlausibilityError as error:
        raise JobArgumentError(
            f"--first_flight_date / --future_days / --min_delay / --max_delay: {error}"
        ) from error
    port = (resolved.get("redshift_port") or "").strip()
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise JobArgumentError(f"--redshift_port is not a port number: {port!r}")
    return LandingJobArgs(
        job_name=resolved["JOB_NAME"],
        landing_uri=_s3_prefix("landing_uri", resolved["landing_uri"]),
        failed_uri=_s3_prefix("failed_uri", resolved["failed_uri"]),
        redshift_secret_arn=secret,
        redshift_iam_role=role,
        temp_dir=_s3_prefix("TempDir", resolved["TempDir"]),
        run_id=run_id or "glue",
        max_reject_ratio=limits.max_ratio,
        max_reject_rows=limits.max_rows,
        redshift_host=(resolved.get("redshift_host") or "").strip() or None,
        redshift_port=int(port) if port else None,
        redshift_database=(resolved.get("redshift_database") or "").strip() or None,
        plausible=plausible,
    )


def redshift_connect_params(
    secret_string: str, args: LandingJobArgs | None = None
) -> dict[str, Any]:
    """redshift_connector.connect() keyword arguments from a Secrets Manager secret.

    Both shapes are accepted: the one a Redshift-managed admin secret has (username and
    password only) and the "Credentials for Amazon Redshift" one (also host, port, dbname).
    The endpoint in the job arguments wins; without either, the error says what is missing."""
    try:
        secret = json.loads(secret_string)
    except json.JSONDecodeError as error:
        raise JobArgumentError("the Redshift secret is not JSON") from error
    if not isinstance(secret, dict):
        raise JobArgumentError("the Redshift secret is not a JSON object")
    missing = [name for name in ("username", "password") if not secret.get(name)]
    host = (args.redshift_host if args else None) or secret.get("host")
    if not host:
        missing.append("host (neither --redshift_host nor the secret's host)")
    if missing:
        raise JobArgumentError(f"the Redshift secret lacks: {', '.join(missing)}")
    return {
        "host": host,
        "port": int((args.redshift_port if args else None) or secret.get("port") or 5439),
        "user": secret["username"],
        "password": secret["password"],
        "database": (args.redshift_database if args else None)
        or secret.get("dbname")
        or secret.get("database")
        or "dev",
    }
