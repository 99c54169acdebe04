#!/usr/bin/env bash
# Print HTTPS links to the stack's dbt docs site and, beside it, the delay report (valid for an
# hour): `make docs-url STACK=...`.
#
# The site is one static page (dbt docs generate --static: manifest and catalog inlined), so one
# presigned URL opens all of it. The docs bucket stays private (public access blocked, TLS only):
# whoever may read the bucket can mint a link, nobody else can open one after it expires.
set -euo pipefail
: "${STACK:=airline-elt}"
bucket="$(aws cloudformation describe-stacks --stack-name "$STACK" \
  --query "Stacks[0].Outputs[?OutputKey=='DocsBucketName'].OutputValue" --output text)"
echo "docs site:    $(aws s3 presign "s3://$bucket/dbt-docs/index.html" --expires-in "${EXPIRES_IN:-3600}")"
echo "delay report: $(aws s3 presign "s3://$bucket/dbt-docs/report.html" --expires-in "${EXPIRES_IN:-3600}")"
