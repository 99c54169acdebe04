"""Glue 5.0's Python environment as the tests build it, and the wheels the deploy ships.

`glue5-base-requirements.txt` (beside this file) pins what Glue 5.0 provides that the job or
the shipped wheels' requirements name, from awslabs/aws-glue-libs (branch glue-5.0,
base-requirements.txt). `make setup-test` downloads those and the shipped wheels
(orchestration/glue_wheels.sh) into the venv's `glue5/` folder; `build_glue5` installs them
into a fresh virtual environment as Glue does: its own modules first, then
`pip install --no-index` of exactly the wheel files the template's --additional-python-modules
names.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DOWNLOADS = Path(sys.prefix) / "glue5"  # make setup-test: base/ and wheels/
BASE_REQUIREMENTS = Path(__file__).with_name("glue5-base-requirements.txt")
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


@dataclass(frozen=True)
class Glue5:
    """A Glue 5.0-like Python: `python` (its site-packages hold Glue's modules and the shipped
    wheels, nothing else) and `install`, the output of the `pip install --no-index` of the
    shipped wheels."""

    python: Path
    site_packages: Path
    install: subprocess.CompletedProcess[str]


def build_glue5(root: Path, wheel_files: list[str]) -> Glue5:
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "install",
           "--quiet", "--no-index"]
    subprocess.run(
        [*pip, "--find-links", str(DOWNLOADS / "base"), "-r", str(BASE_REQUIREMENTS)],
        check=True, capture_output=True, text=True,
    )
    install = subprocess.run(  # what Glue runs with --python-modules-installer-option --no-index
        [*pip, *(str(DOWNLOADS / "wheels" / file) for file in wheel_files)],
        check=False, capture_output=True, text=True,
    )
    site = next((venv / "lib").glob("python3*/site-packages"))
    return Glue5(venv / "bin" / "python", site, install)


def stdlib_path() -> list[str]:
    """The standard library's entries of this interpreter's sys.path (no site-packages, none of
    the folders pytest adds)."""
    return [
        p for p in sys.path
        if p.startswith(sys.base_prefix) and "site-packages" not in p and "dist-packages" not in p
    ]
