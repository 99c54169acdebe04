"""Runs glue/landing_job.py as Glue does: a fresh Python process, the script run as __main__
with Glue's argv. The test starts this process with a Glue 5.0-like Python (its own modules and
the shipped wheels, glue_runtime/shipped.py) and a PYTHONPATH of this folder (the test
stand-ins: awsglue, redshift_connector), Spark's Python side and the airline_landing zip (as
--extra-py-files puts it on the path): nothing else is importable.
Usage: run_glue_job.py SPEC SCRIPT [GLUE ARGS...]

AWS (S3, Secrets Manager) is a moto server in the test's process, reached through
AWS_ENDPOINT_URL; the test creates the versioned bucket, its objects (also written to the S3
mirror folder Spark reads through, MirrorS3FileSystem) and the secret before this runs, and lists
the bucket after. This process writes the exit status, and the file each imported module came
from, to the spec's `result` file.

Faults the spec may ask for, injected here through botocore's event hooks on the job's S3 client
(never in product code):
- `fail_reads`: keys whose GetObject fails as a lost connection does (a passing failure);
- `rewrite_after_read`: key -> new bytes (base64) uploaded, and written to the mirror Spark
  reads, right after the job's GetObject of that key returned: a re-upload between the job's
  hashing and Spark's read.
"""

from __future__ import annotations

import base64
import json
import os
import runpy
import sys
import traceback
from pathlib import Path

import boto3
from botocore.exceptions import EndpointConnectionError


def inject_faults(spec: dict, mirror: Path) -> dict[str, bool]:  # type: ignore[type-arg]
    """Register the spec's faults on the default session (the job's `boto3.client("s3")`
    is made from it); they act only while `armed["job"]` is set."""
    armed = {"job": False}
    bucket = spec["bucket"]
    fail_reads = set(spec.get("fail_reads", []))
    rewrites = {k: base64.b64decode(v) for k, v in spec.get("rewrite_after_read", {}).items()}

    def before_get(params: dict, context: dict, **_: object) -> None:  # type: ignore[type-arg]
        context["fault_key"] = params.get("Key")
        if armed["job"] and params.get("Key") in fail_reads:
            raise EndpointConnectionError(endpoint_url=f"https://{bucket}.s3.amazonaws.com")

    def after_get(context: dict, **_: object) -> None:  # type: ignore[type-arg]
        key = context.get("fault_key")
        if armed["job"] and key in rewrites:
            body = rewrites.pop(key)
            armed["job"] = False  # the upload below is the test's, not the job's
            boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
            armed["job"] = True
            (mirror / bucket / key).write_bytes(body)

    events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
    events.register("before-parameter-build.s3.GetObject", before_get)
    events.register("after-call.s3.GetObject", after_get)
    return armed


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    script, glue_args = sys.argv[2], sys.argv[3:]
    mirror = Path(os.environ["AIRLINE_TEST_S3_MIRROR"])
    boto3.setup_default_session()
    armed = inject_faults(spec, mirror)
    sys.argv = [script, *glue_args]
    status = 0
    armed["job"] = True
    try:
        runpy.run_path(script, run_name="__main__")
    except BaseException:  # what Glue would report as the job run's error
        traceback.print_exc()
        status = 1
    armed["job"] = False
    modules = {
        name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())
    }
    Path(spec["result"]).write_text(json.dumps({"status": status, "modules": modules}))
    return status


if __name__ == "__main__":
    sys.exit(main())
