"""Runs glue/landing_job.py as Glue does: a fresh Python process, the script run as __main__
with Glue's argv, the landing package importable only from the zip on the Python path
(PYTHONPATH, as --extra-py-files does), `awsglue` from the stand-in beside this file.

AWS is moto, in this process (S3 and Secrets Manager: control-plane APIs and object storage):
the bucket and the secret are created from the JSON spec (argv[1]) before the script runs, and
each object is also written to the S3 mirror folder Spark reads through
(MirrorS3FileSystem). After the run, the bucket's keys and the exit status go to the spec's
`result` file. Usage: run_glue_job.py SPEC SCRIPT [GLUE ARGS...]

The bucket is versioned, as the template's data bucket is. Faults the spec may ask for, injected
here through botocore's event hooks on the job's S3 client (never in product code):
- `fail_reads`: keys whose GetObject fails as a lost connection does (a passing failure);
- `rewrite_after_read`: key -> new bytes (base64) uploaded, and written to the mirror Spark
  reads, right after the job's GetObject of that key returned: a re-upload between the job's
  hashing and Spark's read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import runpy
import sys
import traceback
from pathlib import Path

import boto3
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws


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
    status = 0
    with mock_aws():
        boto3.setup_default_session()
        armed = inject_faults(spec, mirror)
        s3 = boto3.client("s3")
        bucket = spec["bucket"]
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        for key, body64 in spec["objects"].items():
            body = base64.b64decode(body64)
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            path = mirror / bucket / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        secret_arn = boto3.client("secretsmanager").create_secret(
            Name="redshift-landing", SecretString=json.dumps(spec["secret"])
        )["ARN"]
        sys.argv = [script, *(a.replace("{secret_arn}", secret_arn) for a in glue_args)]
        armed["job"] = True
        try:
            runpy.run_path(script, run_name="__main__")
        except BaseException:  # what Glue would report as the job run's error
            traceback.print_exc()
            status = 1
        armed["job"] = False
        keys = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                keys[item["Key"]] = hashlib.sha256(body).hexdigest()
    Path(spec["result"]).write_text(json.dumps({"status": status, "objects": keys}))
    return status


if __name__ == "__main__":
    sys.exit(main())
