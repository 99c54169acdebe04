#!/usr/bin/env bash
# Entrypoint of the dbt image (ECS Fargate, Transform step of the state machine).
#
#   airline-elt-dbt dbt build --target prod     (the state machine's container override)
#
# 1. Runs the given dbt command; its exit code is the task's exit code, which the state
#    machine checks (a non-zero exit fails the Transform step and sends the failure mail).
#    DBT_EXTRA_ARGS (scheduled and manual starts only) adds checked flags: dbt_args.py.
# 2. Then, when DOCS_S3_URI is set (scheduled and manual starts; file events leave the docs
#    alone), whatever the build's outcome, generates the docs site as one static page
#    (`dbt docs generate --static`) and uploads it to $DOCS_S3_URI (index.html) for analysts.
#    Then writes the delay report (publish_report.py: the charts of `airline-elt report`, from
#    the marts) and uploads it beside the site ($DOCS_S3_URI report.html).
#    A docs or report failure is logged, not fatal: the data is what the run is for.
# Around a `dbt build` (build_guard.py, issue 20): before it, the image's airports and carriers
#    seeds are checked against the lists in force in the warehouse and the landed flights (a
#    list that would leave more than AIRLINE_ELT_MAX_REFERENCE_LOSS of them without their
#    airport or carrier is refused, exit 65, unless AIRLINE_ELT_FORCE_REFERENCE_LISTS=true);
#    when the build from a changed list fails, the warehouse is rebuilt from the lists in force
#    (seeds-in-force/), so the previous lists stay in force; after it, the build's outcome is
#    recorded for the report's failed-build banner.
# Credentials: REDSHIFT_USER and DBT_ENV_SECRET_REDSHIFT_PASSWORD come from the Secrets Manager
# secret, REDSHIFT_HOST and REDSHIFT_PORT from the task definition; none are in the image.
set -uo pipefail

if [ "$#" -eq 0 ]; then
  set -- dbt build --target "${DBT_TARGET:-prod}"
fi
for required in REDSHIFT_HOST REDSHIFT_USER; do
  if [ -z "${!required:-}" ]; then
    echo "airline-elt-dbt: $required is not set (the task definition reads it from the Redshift secret)" >&2
    exit 64
  fi
done

# Extra dbt arguments of a scheduled or manual start (DBT_EXTRA_ARGS, a JSON list), checked
# against an allow-list (dbt_args.py) before anything runs.
if [ -n "${DBT_EXTRA_ARGS:-}" ] && [ "${DBT_EXTRA_ARGS}" != "[]" ]; then
  extra_file="$(mktemp)"
  python3 "${DBT_ARGS_CHECKER:-/opt/airline-elt/dbt_args.py}" "$DBT_EXTRA_ARGS" > "$extra_file" || exit 64
  mapfile -d '' extra < "$extra_file"
  rm -f "$extra_file"
  set -- "$@" "${extra[@]}"
fi

echo "airline-elt-dbt: run ${AIRLINE_ELT_RUN_ID:-manual}: $*"
guard="${BUILD_GUARD:-/opt/airline-elt/build_guard.py}"
building=false
if [ "${1:-}" = dbt ] && [ "${2:-}" = build ]; then building=true; fi
limit="${DBT_TIMEOUT_SECONDS:-4500}"
started_epoch="$(date -u +%s)"
started="$(date -u +%Y-%m-%dT%H:%M:%S+00:00)"
if $building; then
  # The reference lists: checked before anything is built; a refusal (65) or a check that
  # could not run (10 minutes at most: a few small queries) fails the Transform step with the
  # warehouse untouched.
  timeout --kill-after=10 600 python3 "$guard" check || exit $?
fi
# dbt's own limit (DBT_TIMEOUT_SECONDS, set below the Transform step's TimeoutSeconds): a build
# that hangs is ended here (TERM, then KILL a minute later), exits 124, and the state machine
# reports it as dbt's failure instead of timing out with the task still running.
timeout --kill-after=60 "$limit" "$@"
status=$?
if [ "$status" -eq 124 ]; then
  echo "airline-elt-dbt: '$*' ran past DBT_TIMEOUT_SECONDS ($limit s) and was stopped" >&2
fi
echo "airline-elt-dbt: '$*' exited with $status"
if $building; then
  python3 "$guard" record "$status" "$started" \
    || echo "airline-elt-dbt: WARNING: the build's outcome was not recorded" >&2
  if [ "$status" -ne 0 ] && [ -d seeds-in-force ]; then
    # The build from the image's new lists failed: rebuild from the lists in force, within
    # what is left of dbt's limit, so they stay in force and the warehouse is as it was.
    left=$(( limit - ($(date -u +%s) - started_epoch) ))
    if [ "$left" -gt 60 ] && AIRLINE_ELT_SEED_DIR=seeds-in-force \
        timeout --kill-after=60 "$left" dbt build --target "${DBT_TARGET:-prod}"; then
      echo "airline-elt-dbt: the build from the image's new reference lists failed; the lists in force stay, the warehouse was rebuilt from them" >&2
    else
      echo "airline-elt-dbt: the build from the image's new reference lists failed and the rebuild from the lists in force did not finish; the next run tries again" >&2
    fi
  fi
  rm -rf seeds-in-force
fi

if [ -n "${DOCS_S3_URI:-}" ]; then
  if dbt docs generate --static --target "${DBT_TARGET:-prod}"; then
    python - "$DOCS_S3_URI" <<'PY' || echo "airline-elt-dbt: WARNING: docs upload failed" >&2
import sys
from urllib.parse import urlparse

import boto3

uri = urlparse(sys.argv[1])
key = uri.path.lstrip("/") + "index.html"
boto3.client("s3").upload_file(
    "target/static_index.html", uri.netloc, key, ExtraArgs={"ContentType": "text/html"}
)
print(f"airline-elt-dbt: docs published to s3://{uri.netloc}/{key}")
PY
  else
    echo "airline-elt-dbt: WARNING: dbt docs generate failed; docs not published" >&2
  fi
  python3 "${REPORT_PUBLISHER:-/opt/airline-elt/publish_report.py}" "$DOCS_S3_URI" \
    || echo "airline-elt-dbt: WARNING: delay report not published" >&2
fi
exit "$status"
