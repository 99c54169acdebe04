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
        # A rebuild from the lists in force (AIRLINE_ELT_SEED_DIR) succeeds.
        'if [ "$1" = build ] && [ -n "${AIRLINE_ELT_SEED_DIR:-}" ]; then exit 0; fi\n'
        f'if [ "$1" = build ]; then exit {build_exit}; fi\n'
        "exit 0\n"
    )
    fake_dbt.chmod(0o755)
    full_env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", **_build_guard(tmp_path), **env}
    result = subprocess.run(
        ["bash", str(ENTRYPOINT), *command],
        env=full_env, cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    lines = calls.read_text().splitlines() if calls.exists() else []
    return result, lines


CREDENTIALS = {"REDSHIFT_HOST": "cluster.example", "REDSHIFT_USER": "dbt"}


def _build_guard(tmp_path: Path) -> dict[str, str]:
    """A stand-in for build_guard.py (which needs Redshift): records its arguments in
    guard.txt; `check` exits with $GUARD_CHECK_EXIT and, with $GUARD_STAGES set, leaves a
    seeds-in-force folder as the real one does when a list changes."""
    guard = tmp_path / "build_guard.py"
    guard.write_text(
        "import os, sys\n"
        f"with open({str(tmp_path / 'guard.txt')!r}, 'a') as calls:\n"
        "    calls.write(' '.join(sys.argv[1:]) + '\\n')\n"
        "if sys.argv[1] == 'check' and os.environ.get('GUARD_STAGES'):\n"
        "    os.makedirs('seeds-in-force', exist_ok=True)\n"
        "sys.exit(int(os.environ.get('GUARD_CHECK_EXIT', '0')) if sys.argv[1] == 'check' else 0)\n"
    )
    return {"BUILD_GUARD": str(guard)}


def _guard_calls(tmp_path: Path) -> list[str]:
    path = tmp_path / "guard.txt"
    return [line.split()[0] + (" " + line.split()[1] if line.startswith("record") else "")
            for line in path.read_text().splitlines()] if path.exists() else []


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
                 "orchestration/dbt_image/publish_report.py",
                 "orchestration/dbt_image/build_guard.py"]:
        assert f"COPY {path}" in text
        assert (ORCHESTRATION.parent / path).exists(), path
    assert "dbt-core==1.11.16" in text and "dbt-redshift==1.11.1" in text
    report_files = re.search(r"^COPY (airline_elt/\S+(?: airline_elt/\S+)*) \./airline_elt/$",
                             text, re.MULTILINE)
    assert report_files, "the Dockerfile copies the report's modules into ./airline_elt/"
    copied = report_files.group(1).split()
    for path in copied:
        assert (ORCHESTRATION.parent / path).is_file(), path
    ours = _modules_the_image_scripts_import()
    assert sorted(copied) == sorted(p for p in ours if p.startswith("airline_elt/"))
    landing = re.search(r"^COPY (airline_landing/\S+\.py(?: airline_landing/\S+\.py)*) "
                        r"\./airline_landing/$", text, re.MULTILINE)
    assert landing, "the Dockerfile copies the guard's airline_landing modules"
    assert sorted(landing.group(1).split()) == sorted(
        p for p in ours if p.startswith("airline_landing/"))
    pyproject = (ORCHESTRATION.parent / "pyproject.toml").read_text()
    plotly_pin = re.search(r'"(plotly==[0-9.]+)"', pyproject)
    assert plotly_pin and plotly_pin.group(1) in text  # the image draws with the same plotly
    assert 'ENTRYPOINT ["/usr/local/bin/airline-elt-dbt"]' in text


def _modules_the_image_scripts_import() -> list[str]:
    """The project's files publish_report.py and build_guard.py need, found by importing them
    in a fresh Python: the modules they load, plus the report's template; and they load no
    driver or Spark (the image has dbt-redshift and boto3, no psycopg, no Spark)."""
    probe = (
        "import sys\n"
        f"sys.path.insert(0, {str(ORCHESTRATION / 'dbt_image')!r})\n"
        "import publish_report, build_guard\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=ORCHESTRATION.parent)
    modules = result.stdout.split()
    for heavy in ["psycopg", "pyspark", "rich", "airline_landing.landing", "airline_elt.cli"]:
        assert heavy not in modules, f"an image script imports {heavy}: not in the image"
    ours = [name for name in modules
            if name.startswith(("airline_elt.", "airline_landing.")) or name == "airline_landing"]
    assert {"airline_elt.report", "airline_elt.build_record", "airline_elt.reference_loss",
            "airline_elt.seeds"} <= set(ours)
    files = [f"{name.replace('.', '/')}.py" for name in ours if name != "airline_landing"]
    if "airline_landing" in ours:
        files.append("airline_landing/__init__.py")
    return [*files, "airline_elt/report_template.html"]


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
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", **CREDENTIALS, "DBT_TIMEOUT_SECONDS": "1",
           **_build_guard(tmp_path)}
    result = subprocess.run(["bash", str(ENTRYPOINT), "dbt", "build"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, check=False, timeout=20)
    assert result.returncode == 124
    assert "ran past DBT_TIMEOUT_SECONDS (1 s) and was stopped" in result.stderr


def test_a_build_is_guarded_before_and_recorded_after(tmp_path: Path) -> None:
    """Issue 20 on AWS: build_guard.py checks the reference lists before `dbt build` and
    records the build's outcome (with dbt's exit code) after it; other dbt commands are not
    guarded."""
    result, calls = _run(tmp_path, 1, CREDENTIALS, "dbt", "build", "--target", "prod")
    assert result.returncode == 1
    assert calls == ["build --target prod"]  # no list changed: no rebuild
    assert _guard_calls(tmp_path) == ["check", "record 1"]
    started = (tmp_path / "guard.txt").read_text().splitlines()[1].split()[2]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", started)

    (tmp_path / "guard.txt").unlink()
    (tmp_path / "calls.txt").unlink()
    result, calls = _run(tmp_path, 0, CREDENTIALS, "dbt", "debug")
    assert result.returncode == 0 and calls == ["debug"]
    assert _guard_calls(tmp_path) == []


def test_a_refused_list_fails_the_task_before_dbt_runs(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, 0, {**CREDENTIALS, "GUARD_CHECK_EXIT": "65"},
                         "dbt", "build", "--target", "prod")
    assert result.returncode == 65  # the Transform step fails and notifies
    assert calls == []  # nothing built, the warehouse untouched
    assert _guard_calls(tmp_path) == ["check"]


def test_a_failed_build_from_new_lists_rebuilds_from_the_lists_in_force(tmp_path: Path) -> None:
    """When the guard staged the lists in force (a list of the image changed) and the build
    fails, the warehouse is rebuilt from them and the task still fails with dbt's code."""
    env = {**CREDENTIALS, "GUARD_STAGES": "1"}
    result, calls = _run(tmp_path, 1, env, "dbt", "build", "--target", "prod")
    assert result.returncode == 1
    assert calls == ["build --target prod", "build --target prod"]
    assert "the lists in force stay" in result.stderr
    assert not (tmp_path / "seeds-in-force").exists()  # never left for a later task

    (tmp_path / "calls.txt").unlink()
    result, calls = _run(tmp_path, 0, env, "dbt", "build", "--target", "prod")
    assert result.returncode == 0
    assert calls == ["build --target prod"]  # it succeeded: the new lists are in force
    assert not (tmp_path / "seeds-in-force").exists()
