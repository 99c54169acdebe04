#!/usr/bin/env bash
# Deploy the airline-elt stack in one command (orchestration/DEPLOY.md says what it needs).
#
#   STACK=airline-elt ARTIFACT_BUCKET=my-artifacts NOTIFICATION_EMAIL=ops@example.com \
#   REDSHIFT_CLUSTER_ID=airline-elt REDSHIFT_SECRET_ARN=arn:... DBT_SECRET_ARN=arn:... \
#   VPC_ID=vpc-... SUBNET_IDS=subnet-a,subnet-b [ROUTE_TABLE_IDS=rtb-a,rtb-b] \
#   [INTERFACE_ENDPOINTS=true] orchestration/deploy.sh [--dry-run]
#
# --dry-run prints every command instead of running it (lookups included; their answers are
# then placeholders such as <account>), and needs neither AWS credentials nor Docker.
# Optional: REDSHIFT_HOST (default: looked up from REDSHIFT_CLUSTER_ID), REDSHIFT_PORT,
# REDSHIFT_DATABASE, ARTIFACT_PREFIX, DBT_TARGET, ALLOW_DIRTY=1 (deploy uncommitted changes,
# tagged <sha>-dirty-<time>), REDSHIFT_SECURITY_GROUP_ID (default: the cluster's first VPC
# security group), PYTHON_IMAGE (the dbt image's base, by digest; default: the Dockerfile's);
# the landing job's plausibility rules under their local names,
# AIRLINE_ELT_FIRST_FLIGHT_DATE, AIRLINE_ELT_FUTURE_DAYS, AIRLINE_ELT_MIN_DELAY and
# AIRLINE_ELT_MAX_DELAY (default: the local defaults, airline_landing/plausibility.py); the
# reference-list guard's AIRLINE_ELT_MAX_REFERENCE_LOSS (default 1%) and, for this deploy only,
# AIRLINE_ELT_FORCE_REFERENCE_LISTS=true (build from the image's lists whatever they take).
#
# The monthly feed (DEPLOY.md, "The monthly feed"), all optional: FETCH_ENABLED (true/false),
# FETCH_SCHEDULE, FETCH_FIRST_MONTH (YYYY-MM), FETCH_REVISION_MONTHS, FETCH_SOURCE_URL. Each is
# passed only when set, so a later deploy keeps what an earlier one set (the template's default
# on the first). `orchestration/deploy.sh --fetch-zip OUT.zip` only builds the feed's function
# zip (what the deploy uploads; the tests build it so).
set -euo pipefail

die() { echo "deploy.sh: $*" >&2; exit 64; }

dry_run=false
fetch_zip_only=""
case "${1:-}" in
  --dry-run) dry_run=true ;;
  --fetch-zip)
    [ -n "${2:-}" ] || die "--fetch-zip needs the path of the zip to write"
    fetch_zip_only="$(realpath -m "$2")" ;;
esac
cd "$(dirname "$0")/.."

# The feed's Lambda function: airline_fetch/, airline_landing/ (the fetch checks a month's header
# with the landing's own column rule, airline_landing.columns, which imports no Spark) and
# certifi (its CA bundle; pure Python, one wheel, pinned) at the zip's top, as Lambda unpacks it
# into /var/task. Lambda's python3.11 runtime provides boto3. CERTIFI_VERSION is the version
# pyproject.toml pins.
CERTIFI_VERSION=2026.10.19.post1
# fetch_zip OUT: build the function's zip at OUT (an absolute path).
fetch_zip() {
  local out="$1" stage
  stage="$(mktemp -d)"
  python3 -m pip download --quiet --only-binary=:all: --no-deps --dest "$stage/wheel" \
    "certifi==$CERTIFI_VERSION"
  mkdir -p "$stage/package"
  python3 -m zipfile -e "$stage/wheel/certifi-$CERTIFI_VERSION-py3-none-any.whl" "$stage/package"
  cp -R airline_fetch airline_landing "$stage/package/"
  rm -f "$out"
  (cd "$stage/package" && zip -qrX "$out" . -x '*/__pycache__/*' '*.pyc')
  rm -rf "$stage"
}
if [ -n "$fetch_zip_only" ]; then
  fetch_zip "$fetch_zip_only"
  echo "fetch function zip -> $fetch_zip_only"
  exit 0
fi

# run CMD...: run it, or print it on a dry run.
run() {
  if $dry_run; then printf '+'; printf ' %q' "$@"; printf '\n'; else "$@"; fi
}

# ask PLACEHOLDER CMD...: a read-only lookup's answer; on a dry run, printed and PLACEHOLDER.
ask() {
  local placeholder="$1"; shift
  if $dry_run; then printf '+' >&2; printf ' %q' "$@" >&2; printf '\n' >&2; echo "$placeholder"
  else "$@"; fi
}

: "${STACK:=airline-elt}" "${ARTIFACT_PREFIX:=airline-elt/}" "${DBT_TARGET:=prod}"
: "${REDSHIFT_DATABASE:=dev}" "${REDSHIFT_PORT:=5439}" "${ROUTE_TABLE_IDS:=}"
: "${INTERFACE_ENDPOINTS:=false}"
: "${AIRLINE_ELT_FIRST_FLIGHT_DATE:=1987-10-01}" "${AIRLINE_ELT_FUTURE_DAYS:=1}"
: "${AIRLINE_ELT_MIN_DELAY:=-1440}" "${AIRLINE_ELT_MAX_DELAY:=4320}"
: "${AIRLINE_ELT_MAX_REFERENCE_LOSS:=1%}" "${AIRLINE_ELT_FORCE_REFERENCE_LISTS:=false}"
for name in ARTIFACT_BUCKET NOTIFICATION_EMAIL REDSHIFT_CLUSTER_ID REDSHIFT_SECRET_ARN \
            DBT_SECRET_ARN VPC_ID SUBNET_IDS; do
  [ -n "${!name:-}" ] || die "set $name (see orchestration/DEPLOY.md)"
done
# The stack names the ECR repository <stack>-dbt, and ECR names are lower-case only.
[[ "$STACK" =~ ^[a-z][a-z0-9-]{0,62}$ ]] \
  || die "STACK must be lower-case letters, digits and '-', starting with a letter (ECR repository names are lower-case): got '$STACK'"

# The dbt image's base only by digest (the Dockerfile's PYTHON_IMAGE says why).
if [ -n "${PYTHON_IMAGE:-}" ]; then
  [[ "$PYTHON_IMAGE" == *@sha256:* ]] || die "PYTHON_IMAGE must name a digest (...@sha256:<digest>): got '$PYTHON_IMAGE'"
fi

# The image tag is the commit; uncommitted changes would ship under a clean commit's name.
commit="$(git rev-parse --short HEAD)"
if [ -n "$(git status --porcelain)" ]; then
  [ "${ALLOW_DIRTY:-}" = 1 ] \
    || die "the working tree has uncommitted changes: commit them, or set ALLOW_DIRTY=1 to deploy them as $commit-dirty-<time>"
  tag="$commit-dirty-$(date -u +%Y%m%dT%H%M%SZ)"
else
  tag="$commit"
fi
# Each version's Glue artifacts under a prefix of their own (the template's ArtifactPrefix): an
# update never overwrites what the running stack uses, and a rollback finds its own again.
artifact_prefix="${ARTIFACT_PREFIX}$tag/"

region="${AWS_REGION:-$(ask '<region>' aws configure get region || true)}"
[ -n "$region" ] || die "set AWS_REGION"
account="$(ask '<account>' aws sts get-caller-identity --query Account --output text)"
redshift_host="${REDSHIFT_HOST:-$(ask '<redshift-host>' aws redshift describe-clusters \
  --cluster-identifier "$REDSHIFT_CLUSTER_ID" --query 'Clusters[0].Endpoint.Address' --output text)}"
redshift_sg="${REDSHIFT_SECURITY_GROUP_ID:-$(ask '<redshift-security-group>' aws redshift \
  describe-clusters --cluster-identifier "$REDSHIFT_CLUSTER_ID" \
  --query 'Clusters[0].VpcSecurityGroups[0].VpcSecurityGroupId' --output text)}"
glue_az="$(ask '<availability-zone>' aws ec2 describe-subnets --subnet-ids "${SUBNET_IDS%%,*}" \
  --query 'Subnets[0].AvailabilityZone' --output text)"
registry="$account.dkr.ecr.$region.amazonaws.com"
image="$registry/$STACK-dbt:$tag"
build="$(mktemp -d)"; trap 'rm -rf "$build"' EXIT

# The repository's tags are immutable: a tag already pushed (the same commit deployed again) is
# the image this commit built, and pushing it again would fail.
image_pushed() {
  if $dry_run; then
    ask '' aws ecr describe-images --repository-name "$STACK-dbt" --image-ids "imageTag=$tag" \
      --region "$region" >/dev/null
    return 1  # a dry run shows the build and push
  fi
  # Only ImageNotFoundException means "not pushed" (ECR API reference, DescribeImages Errors;
  # aws_behaviour.md 12.4): a missing repository, a denied call or throttling is said as it is,
  # rather than read as "build and push" and failing later on the immutable tag.
  local error
  if error="$(aws ecr describe-images --repository-name "$STACK-dbt" --image-ids "imageTag=$tag" \
      --region "$region" 2>&1 >/dev/null)"; then
    return 0
  fi
  case "$error" in
    *ImageNotFoundException*) return 1 ;;
    *) echo "deploy: could not tell whether $image is already in ECR: $error" >&2; exit 1 ;;
  esac
}

push_image() {
  if image_pushed; then
    echo "dbt image $image is already in the repository (immutable tag): not built again"
    return
  fi
  echo "dbt image -> $image (linux/amd64, the task definition's X86_64)"
  aws_password="$(ask '<ecr-password>' aws ecr get-login-password --region "$region")"
  if $dry_run; then
    echo "+ docker login --username AWS --password-stdin $registry"
  else
    docker login --username AWS --password-stdin "$registry" <<< "$aws_password"
  fi
  run docker build --platform linux/amd64 ${PYTHON_IMAGE:+--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE"} \
    -f orchestration/dbt_image/Dockerfile -t "$image" .
  run docker push "$image"
}

deploy_stack() {
  echo "stack $STACK (image tag $tag)"
  run aws cloudformation deploy --template-file "$build/packaged.yaml" --stack-name "$STACK" \
    --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
    --parameter-overrides \
      NotificationEmail="$NOTIFICATION_EMAIL" ArtifactBucket="$ARTIFACT_BUCKET" \
      ArtifactPrefix="$artifact_prefix" RedshiftClusterIdentifier="$REDSHIFT_CLUSTER_ID" \
      RedshiftDatabase="$REDSHIFT_DATABASE" RedshiftSecretArn="$REDSHIFT_SECRET_ARN" \
      DbtSecretArn="$DBT_SECRET_ARN" \
      RedshiftHost="$redshift_host" RedshiftPort="$REDSHIFT_PORT" \
      RedshiftSecurityGroupId="$redshift_sg" \
      VpcId="$VPC_ID" SubnetIds="$SUBNET_IDS" GlueAvailabilityZone="$glue_az" \
      PrivateRouteTableIds="$ROUTE_TABLE_IDS" InterfaceEndpoints="$INTERFACE_ENDPOINTS" \
      DbtImageTag="$tag" DbtTarget="$DBT_TARGET" \
      FirstFlightDate="$AIRLINE_ELT_FIRST_FLIGHT_DATE" FutureDays="$AIRLINE_ELT_FUTURE_DAYS" \
      MinDelayMinutes="$AIRLINE_ELT_MIN_DELAY" MaxDelayMinutes="$AIRLINE_ELT_MAX_DELAY" \
      MaxReferenceLoss="$AIRLINE_ELT_MAX_REFERENCE_LOSS" \
      ForceReferenceLists="$AIRLINE_ELT_FORCE_REFERENCE_LISTS" \
      ${fetch_parameters[@]+"${fetch_parameters[@]}"}
}

echo "Glue script and the airline_landing package -> s3://$ARTIFACT_BUCKET/$artifact_prefix"
run zip -qr "$build/airline_landing.zip" airline_landing -x "*/__pycache__/*"
run aws s3 cp glue/landing_job.py "s3://$ARTIFACT_BUCKET/${artifact_prefix}glue/landing_job.py"
run aws s3 cp "$build/airline_landing.zip" "s3://$ARTIFACT_BUCKET/${artifact_prefix}glue/airline_landing.zip"

# The Glue job installs nothing from PyPI when it starts (orchestration/DEPLOY.md, "No PyPI at
# run time"): GLUE_WHEELS (orchestration/glue_wheels.sh) are uploaded here and the template's
# --additional-python-modules names exactly these files, installed with --no-index.
# shellcheck source=orchestration/glue_wheels.sh
source orchestration/glue_wheels.sh
echo "Glue job's wheels (pinned, no PyPI at run time) -> s3://$ARTIFACT_BUCKET/${artifact_prefix}glue/wheels/"
mkdir -p "$build/wheels"
for wheel in "${GLUE_WHEELS[@]}"; do
  IFS=- read -r name version _ <<< "$wheel"
  run glue_wheel_download "$build/wheels" "$name" "$version"
  $dry_run || [ -f "$build/wheels/$wheel" ] \
    || die "pip download of $name==$version did not give $wheel (update GLUE_WHEELS and the template together)"
  run aws s3 cp "$build/wheels/$wheel" "s3://$ARTIFACT_BUCKET/${artifact_prefix}glue/wheels/$wheel"
done

fetch_parameters=()
[ -z "${FETCH_ENABLED:-}" ] || fetch_parameters+=("FetchEnabled=$FETCH_ENABLED")
[ -z "${FETCH_SCHEDULE:-}" ] || fetch_parameters+=("FetchSchedule=$FETCH_SCHEDULE")
[ -z "${FETCH_FIRST_MONTH:-}" ] || fetch_parameters+=("FetchFirstMonth=$FETCH_FIRST_MONTH")
[ -z "${FETCH_REVISION_MONTHS:-}" ] || fetch_parameters+=("FetchRevisionMonths=$FETCH_REVISION_MONTHS")
[ -z "${FETCH_SOURCE_URL:-}" ] || fetch_parameters+=("FetchSourceUrl=$FETCH_SOURCE_URL")

# The feed's function under the same per-commit prefix: a new commit's zip is a new S3Key, so
# the stack update replaces the function's code (and a rollback finds the old zip).
echo "fetch function -> s3://$ARTIFACT_BUCKET/${artifact_prefix}lambda/airline_fetch.zip"
run fetch_zip "$build/airline_fetch.zip"
run aws s3 cp "$build/airline_fetch.zip" "s3://$ARTIFACT_BUCKET/${artifact_prefix}lambda/airline_fetch.zip"

echo "package: upload the state machine definitions"
run aws cloudformation package --template-file orchestration/template.yaml \
  --s3-bucket "$ARTIFACT_BUCKET" --s3-prefix "${ARTIFACT_PREFIX}cloudformation" \
  --output-template-file "$build/packaged.yaml"

# The repository belongs to the stack. Once it exists, the image is pushed before the stack
# points the task definition at it; on the first deploy the stack must create it first.
repo_exists=false
if $dry_run; then
  ask yes aws ecr describe-repositories --repository-names "$STACK-dbt" --region "$region" >/dev/null
  repo_exists=true  # a dry run shows the order of every deploy after the first
elif aws ecr describe-repositories --repository-names "$STACK-dbt" --region "$region" \
       >/dev/null 2>&1; then
  repo_exists=true
fi
if $repo_exists; then
  push_image
  deploy_stack
else
  echo "first deploy: the stack creates the image repository, then the image is pushed"
  deploy_stack
  push_image
fi
run aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].Outputs' --output table
