# The Glue job's dependencies that Glue 5.0 does not provide, pinned, as wheels for its Python
# 3.11 on x86_64 Linux (orchestration/DEPLOY.md, "No PyPI at run time"). Sourced by deploy.sh,
# which uploads them, and by the Makefile, which downloads them for the tests: the template's
# --additional-python-modules names exactly these files (tests/orchestration/test_glue_units.py),
# and tests/orchestration/test_glue_job.py installs them with `pip install --no-index` over
# Glue 5.0's own modules (glue_runtime/glue5-base-requirements.txt), as Glue does, then runs the
# job there. The set is what pip needs offline there: redshift_connector 2.1.11 is the newest
# that accepts Glue 5.0's boto3 1.34.131 (2.1.12 and later require boto3 >= 1.42.22), and its
# requirements Glue 5.0 lacks (lxml < 6, beautifulsoup4 with soupsieve and typing_extensions,
# scramp with asn1crypto) ship with it; Jinja2 and MarkupSafe for the DDL templates.
# One wheel per line: name-version-tags.whl.
GLUE_WHEELS=(
  redshift_connector-2.1.11-py3-none-any.whl
  scramp-1.4.6-py3-none-any.whl
  asn1crypto-1.5.1-py2.py3-none-any.whl
  lxml-5.4.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
  beautifulsoup4-4.13.4-py3-none-any.whl
  soupsieve-2.7-py3-none-any.whl
  typing_extensions-4.14.0-py3-none-any.whl
  jinja2-3.1.6-py3-none-any.whl
  markupsafe-3.0.4-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl
)

# glue_wheel_download DEST NAME VERSION: the pip command that fetches one of them for Glue 5.0.
glue_wheel_download() {
  python3 -m pip download --quiet --only-binary=:all: --no-deps \
    --platform manylinux2014_x86_64 --python-version 3.11 --implementation cp \
    --dest "$1" "$2==$3"
}
