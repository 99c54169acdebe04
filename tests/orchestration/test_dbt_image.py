"""The dbt image's entrypoint (bash), run with a stand-in `dbt` on PATH: no image build here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
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


def _report_publisher(tmp_path: Path, exit_code: int) -> dict[str, str]:
    """A stand-in for publish_report.py (which needs Redshift and S3): records its arguments
    in calls.txt, as the stand-in dbt does, and exits with `exit_code`."""
    publisher = tmp_path / "publish_report.py"
    publisher.write_text(
        "import sys\n"
        f"with open({str(tmp_path / 'calls.txt')!r}, 'a') as calls:\n"
        "    calls.write('publish_report ' + ' '.join(sys.argv[1:]) + '\\n')\n"
        f"sys.exit({exit_code})\n"
    )
    return {"REPORT_PUBLISHER": str(publisher)}


def test_the_entrypoint_generates_static_docs_even_after_a_failed_build(tmp_path: Path) -> None:
    env = {**CREDENTIALS, "DOCS_S3_URI": "s3://docs-bucket/dbt-docs/", "DBT_TARGET": "prod",
           **_report_publisher(tmp_path, 0)}
    result, calls = _run(tmp_path, 2, env, "dbt", "build", "--target", "prod")
    assert calls == ["build --target prod", "docs generate --static --target prod",
                     "publish_report s3://docs-bucket/dbt-docs/"]
    assert result.returncode == 2  # the build's code, not the docs upload's
    assert "docs upload failed" in result.stderr  # no static_index.html / no AWS here


def test_the_entrypoint_publishes_the_report_beside_the_docs_and_survives_its_failure(
    tmp_path: Path,
) -> None:
    env = {**CREDENTIALS, "DOCS_S3_URI": "s3://docs-bucket/dbt-docs/",
           **_report_publisher(tmp_path, 1)}
    result, calls = _run(tmp_path, 0, env, "dbt", "build", "--target", "prod")
    assert calls[-1] == "publish_report s3://docs-bucket/dbt-docs/"
    assert "delay report not published" in result.stderr
    assert result.returncode == 0  # a report failure does not fail the run

    (tmp_path / "calls.txt").unlink()
    result, calls = _run(tmp_path, 0, {**CREDENTIALS, **_report_publisher(tmp_path, 0)},
                         "dbt", "build", "--target", "prod")
    assert calls == ["build --target prod"]  # file events (no DOCS_S3_URI): no docs, no report


def test_the_entrypoint_refuses_to_start_without_redshift_credentials(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, 0, {"REDSHIFT_USER": "dbt"}, "dbt", "build")
    assert result.returncode == 64
    assert "REDSHIFT_HOST is not set" in result.stderr
    assert calls == []


def test_the_dockerfile_copies_what_the_dbt_project_needs() -> None:
    text = DOCKERFILE.read_text()
    for path in ["dbt_project.yml", "models", "macros", "seeds", "tests/dbt",
                 "airline_landing/raw_tables.sql", "profiles.yml.example",
                 "orchestration/dbt_image/dbt_args.py",
                 "orchestration/dbt_image/publish_report.py"]:
        assert f"COPY {path}" in text
        assert (ORCHESTRATION.parent / path).exists(), path
    assert "dbt-core==1.11.16" in text and "dbt-redshift==1.11.1" in text
    report_files = re.search(r"^COPY (airline_elt/\S+(?: airline_elt/\S+)*) \./airline_elt/$",
                             text, re.MULTILINE)
    assert report_files, "the Dockerfile copies the report's modules into ./airline_elt/"
    copied = report_files.group(1).split()
    for path in copied:
        assert (ORCHESTRATION.parent / path).is_file(), path
    assert sorted(copied) == sorted(_report_modules_publish_report_imports())
    pyproject = (ORCHESTRATION.parent / "pyproject.toml").read_text()
    plotly_pin = re.search(r'"(plotly==[0-9.]+)"', pyproject)
    assert plotly_pin and plotly_pin.group(1) in text  # the image draws with the same plotly
    assert 'ENTRYPOINT ["/usr/local/bin/airline-elt-dbt"]' in text


def _report_modules_publish_report_imports() -> list[str]:
    """The airline_elt files publish_report.py needs, found by importing it in a fresh Python:
    the modules it loads, plus the report's template; and it loads no driver or Spark."""
    probe = (
        "import sys\n"
        f"sys.path.insert(0, {str(ORCHESTRATION / 'dbt_image')!r})\n"
        "import publish_report\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=ORCHESTRATION.parent)
    modules = result.stdout.split()
    for heavy in ["psycopg", "pyspark", "rich", "airline_landing"]:
        assert heavy not in modules, f"publish_report.py imports {heavy}: not in the image"
    ours = [name for name in modules if name.startswith("airline_elt.")]
    assert ours == ["airline_elt.report", "airline_elt.report_data"]
    return [f"{name.replace('.', '/')}.py" for name in ours] + ["airline_elt/report_template.html"]


def _load_dbt_args():  # type: ignore[no-untyped-def]
    import importlib.util

    path = ORCHESTRATION / "dbt_image" / "dbt_args.py"
    spec = importlib.util.spec_from_file_location("dbt_args", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("given", "passed"),
    [
        ("[]", []),
        ('["--full-refresh"]', ["--full-refresh"]),
        ('["-s", "marts", "+daily_flights_fact"]', ["--select", "marts", "+daily_flights_fact"]),
        ('["--select", "tag:daily", "--exclude", "path:models/staging"]',
         ["--select", "tag:daily", "--exclude", "path:models/staging"]),
        ('["--vars", "{delay_threshold_minutes: 45}", "--full-refresh"]',
         ["--vars", '{"delay_threshold_minutes": 45}', "--full-refresh"]),  # checked, as JSON
        ('["--threads", "8", "--fail-fast"]', ["--threads", "8", "--fail-fast"]),
    ],
)
def test_allowed_dbt_args_pass(given: str, passed: list[str]) -> None:
    assert _load_dbt_args().checked_dbt_args(given) == passed


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ('["--target", "dev"]', "'--target' is not allowed"),
        ('["--profiles-dir", "/tmp"]', "'--profiles-dir' is not allowed"),
        ('["run"]', "'run' is not allowed"),
        ('["--select"]', "--select needs at least one selector"),
        ('["--select", "a;rm -rf /"]', "is not a valid value"),
        ('["--vars", "[1, 2]"]', "--vars must be a mapping"),
        ('["--threads", "0"]', "not a number from 1 to 32"),
        ('"--full-refresh"', "must be a list of strings"),
        ("not json", "not JSON"),
    ],
)
def test_other_dbt_args_are_refused_with_a_reason(given: str, message: str) -> None:
    module = _load_dbt_args()
    with pytest.raises(module.DbtArgsError, match=re.escape(message)):
        module.checked_dbt_args(given)


def test_the_entrypoint_adds_checked_dbt_args_and_refuses_others(tmp_path: Path) -> None:
    shim = tmp_path / "bin" / "python3"
    shim.parent.mkdir(exist_ok=True)
    shim.write_text(f'#!/usr/bin/env bash\nexec {sys.executable} "$@"\n')
    shim.chmod(0o755)
    env = {**CREDENTIALS, "DBT_ARGS_CHECKER": str(ORCHESTRATION / "dbt_image" / "dbt_args.py")}
    extra = {**env, "DBT_EXTRA_ARGS": '["--full-refresh", "--select", "marts"]'}
    result, calls = _run(tmp_path, 0, extra, "dbt", "build", "--target", "prod")
    assert result.returncode == 0, result.stderr
    assert calls == ["build --target prod --full-refresh --select marts"]

    (tmp_path / "calls.txt").unlink()
    refused = {**env, "DBT_EXTRA_ARGS": '["--target", "dev"]'}
    result, calls = _run(tmp_path, 0, refused, "dbt", "build", "--target", "prod")
    assert result.returncode == 64
    assert "'--target' is not allowed" in result.stderr
    assert calls == []  # nothing ran


def test_a_build_past_its_limit_is_stopped_and_exits_124(tmp_path: Path) -> None:
    """dbt's own limit (DBT_TIMEOUT_SECONDS) ends a build that hangs, so the Transform state sees
    dbt's failure (exit 124) instead of timing out with the task still running."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    hanging = bin_dir / "dbt"
    hanging.write_text("#!/usr/bin/env bash\nsleep 30\n")
    hanging.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", **CREDENTIALS, "DBT_TIMEOUT_SECONDS": "1"}
    result = subprocess.run(["bash", str(ENTRYPOINT), "dbt", "build"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, check=False, timeout=20)
    assert result.returncode == 124
    assert "ran past DBT_TIMEOUT_SECONDS (1 s) and was stopped" in result.stderr
