#!/usr/bin/env bash
# Deploy the airline-elt stack in one command (see orchestration/DEPLOY.md for what it needs).
#
#   STACK=airline-elt ARTIFACT_BUCKET=my-artifacts NOTIFICATION_EMAIL=ops@example.com \
#   REDSHIFT_CLUSTER_ID=airline-elt REDSHIFT_SECRET_ARN=arn:... REDSHIFT_COPY_ROLE_ARN=arn:... \
#   VPC_ID=vpc-... SUBNET_IDS=subnet-a,subnet-b  orchestration/deploy.sh
set -euo pipefail
cd "$(dirname "$0")/.."

: "${STACK:=airline-elt}" "${ARTIFACT_PREFIX:=airline-elt/}" "${DBT_TARGET:=prod}"
for name in ARTIFACT_BUCKET NOTIFICATION_EMAIL REDSHIFT_CLUSTER_ID REDSHIFT_SECRET_ARN \
            REDSHIFT_COPY_ROLE_ARN VPC_ID SUBNET_IDS; do
  [ -n "${!name:-}" ] || { echo "deploy.sh: set $name (see orchestration/DEPLOY.md)" >&2; exit 64; }
done
region="$(aws configure get region || true)"; region="${AWS_REGION:-${region:?set AWS_REGION}}"
account="$(aws sts get-caller-identity --query Account --output text)"
tag="$(git rev-parse --short HEAD)"
repo="$STACK-dbt"
image="$account.dkr.ecr.$region.amazonaws.com/$repo:$tag"
build="$(mktemp -d)"; trap 'rm -rf "$build"' EXIT

echo "1/4 Glue script and the airline_landing package -> s3://$ARTIFACT_BUCKET/$ARTIFACT_PREFIX"
zip -qr "$build/airline_landing.zip" airline_landing -x "*/__pycache__/*"
aws s3 cp glue/landing_job.py "s3://$ARTIFACT_BUCKET/${ARTIFACT_PREFIX}glue/landing_job.py"
aws s3 cp "$build/airline_landing.zip" "s3://$ARTIFACT_BUCKET/${ARTIFACT_PREFIX}glue/airline_landing.zip"

echo "2/4 dbt image -> $image"
aws ecr describe-repositories --repository-names "$repo" >/dev/null 2>&1 \
  || aws ecr create-repository --repository-name "$repo" --image-scanning-configuration scanOnPush=true >/dev/null
aws ecr get-login-password | docker login --username AWS --password-stdin "$account.dkr.ecr.$region.amazonaws.com"
docker build -f orchestration/dbt_image/Dockerfile -t "$image" .
docker push "$image"

echo "3/4 package: upload the state machine definition"
aws cloudformation package --template-file orchestration/template.yaml \
  --s3-bucket "$ARTIFACT_BUCKET" --s3-prefix "${ARTIFACT_PREFIX}cloudformation" \
  --output-template-file "$build/packaged.yaml"

echo "4/4 deploy stack $STACK"
aws cloudformation deploy --template-file "$build/packaged.yaml" --stack-name "$STACK" \
  --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
  --parameter-overrides \
    NotificationEmail="$NOTIFICATION_EMAIL" ArtifactBucket="$ARTIFACT_BUCKET" \
    ArtifactPrefix="$ARTIFACT_PREFIX" RedshiftClusterIdentifier="$REDSHIFT_CLUSTER_ID" \
    RedshiftDatabase="${REDSHIFT_DATABASE:-dev}" RedshiftSecretArn="$REDSHIFT_SECRET_ARN" \
    RedshiftCopyRoleArn="$REDSHIFT_COPY_ROLE_ARN" VpcId="$VPC_ID" SubnetIds="$SUBNET_IDS" \
    DbtImageUri="$image" DbtTarget="$DBT_TARGET"
aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].Outputs' --output table
