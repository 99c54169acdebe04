"""What the Glue job may import, as AWS Glue 5.0 documents it, and the shipped wheels.

GLUE_PROVIDED: the part of "Python modules already provided in AWS Glue" (Glue 5.0 column) the
job relies on: boto3 (1.34.131 there) with the packages boto3 itself depends on, pyspark (Spark
3.5) with py4j, and awsglue. Source:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html
(section "Python modules already provided in AWS Glue"). Jinja2 and redshift_connector are not
in that list: they are shipped (orchestration/deploy.sh, GLUE_WHEELS).

`wheels_in_template` reads the wheel file names from the template's --additional-python-modules;
`shipped_modules` maps each to the top-level modules it installs (from the wheel's
installed copy in this environment: the same version, the files pip would put on Glue's path).
"""

from __future__ import annotations

import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

GLUE_PROVIDED_DISTRIBUTIONS = (
    "boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six",
)
GLUE_PROVIDED_MODULES = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six",
     "pyspark", "py4j", "awsglue"}
)
_WHEEL = re.compile(r"glue/wheels/(?P<file>(?P<name>[^-/]+)-(?P<version>[^-/]+)-[^/]+\.whl)$")


def wheels_in_template(additional_python_modules: str) -> list[tuple[str, str, str]]:
    """(file, distribution, version) of each s3:// wheel entry; raises on any other entry."""
    wheels = []
    for entry in additional_python_modules.split(","):
        match = _WHEEL.search(entry.strip())
        if not entry.strip().startswith("s3://") or match is None:
            raise ValueError(f"not a shipped wheel's S3 path: {entry!r}")
        wheels.append((match["file"], match["name"], match["version"]))
    return wheels


def top_level_modules(distribution: str) -> set[str]:
    files = metadata.distribution(distribution).files or []
    return {
        Path(str(f)).parts[0].removesuffix(".py")
        for f in files
        if not str(f).startswith(("..", "__pycache__"))
        and ".dist-info" not in Path(str(f)).parts[0]
    }


def copy_distribution(distribution: str, target: Path) -> None:
    """The installed files of `distribution` (with its dist-info) copied into `target`, as
    `pip install --no-deps --target` lays a wheel out."""
    dist = metadata.distribution(distribution)
    root = Path(str(dist.locate_file("")))
    for file in dist.files or []:
        source = root / file
        if str(file).startswith("..") or "__pycache__" in file.parts or not source.is_file():
            continue
        (target / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / file)


def stdlib_path() -> list[str]:
    """This interpreter's sys.path without any site-packages."""
    return [p for p in sys.path if p and "site-packages" not in p and "dist-packages" not in p]
