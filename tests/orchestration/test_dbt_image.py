"""The dbt image's entrypoint (bash), run with a stand-in `dbt` on PATH: no image build here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import ORCHESTRATION

ENTRYPOINT = ORCHESTRATION / "dbt_image" / "entrypoint.sh"
DOCKERFILE = ORCHESTRATION / "dbt_image" / "Dockerfile"


def _run(tmp_path: Path, build_exit: int, env: dict[str, str], *command: str):  # type: ignore[no-untyped-def]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls.txt"
    fake_dbt = bin_dir / "dbt"
    fake_dbt.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$*" >> {calls}\n'
        f'if [ "$1" = build ]; then exit {build_exit}; fi\n'
        "exit 0\n"
    )
    fake_dbt.chmod(0o755)
    full_env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", **env}
    result = subprocess.run(
        ["bash", str(ENTRYPOINT), *command],
        env=full_env, cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    lines = calls.read_text().splitlines() if calls.exists() else []
    return result, lines


CREDENTIALS = {"REDSHIFT_HOST": "cluster.example", "REDSHIFT_USER": "dbt"}


def test_the_entrypoint_runs_the_given_command_and_exits_with_its_code(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, 1, CREDENTIALS, "dbt", "build", "--target", "prod")
    assert result.returncode == 1
    assert calls == ["build --target prod"]  # no DOCS_S3_URI: no docs step


def test_the_entrypoint_generates_static_docs_even_after_a_failed_build(tmp_path: Path) -> None:
    env = {**CREDENTIALS, "DOCS_S3_URI": "s3://docs-bucket/dbt-docs/", "DBT_TARGET": "prod"}
    result, calls = _run(tmp_path, 2, env, "dbt", "build", "--target", "prod")
    assert calls == ["build --target prod", "docs generate --static --target prod"]
    assert result.returncode == 2  # the build's code, not the docs upload's
    assert "docs upload failed" in result.stderr  # no static_index.html / no AWS here


def test_the_entrypoint_refuses_to_start_without_redshift_credentials(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, 0, {"REDSHIFT_USER": "dbt"}, "dbt", "build")
    assert result.returncode == 64
    assert "REDSHIFT_HOST is not set" in result.stderr
    assert calls == []


def test_the_dockerfile_copies_what_the_dbt_project_needs() -> None:
    text = DOCKERFILE.read_text()
    for path in ["dbt_project.yml", "models", "macros", "seeds", "tests/dbt",
                 "airline_landing/raw_tables.sql", "profiles.yml.example"]:
        assert f"COPY {path}" in text
        assert (ORCHESTRATION.parent / path).exists(), path
    assert "dbt-core==1.11.16" in text and "dbt-redshift==1.11.1" in text
    assert 'ENTRYPOINT ["/usr/local/bin/airline-elt-dbt"]' in text
