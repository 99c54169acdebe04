"""Untrusted input never becomes SQL (issue 21): the --vars a pipeline start may pass to dbt are
only the vars dbt_project.yml declares, each checked by type and range by
orchestration/dbt_image/dbt_args.py before dbt starts, and dbt gets the checked values
re-written as JSON. (tests/transform/test_checked_vars.py: dbt's own check where it renders.)"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest
import yaml
from conftest import ORCHESTRATION, REPO

CHECKER = ORCHESTRATION / "dbt_image" / "dbt_args.py"


def _load():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("dbt_args_vars", CHECKER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DBT_ARGS = _load()  # one module, so its DbtArgsError is the one raised


def _module():  # type: ignore[no-untyped-def]
    return DBT_ARGS


def _vars(text: str) -> list[str]:
    return _module().checked_dbt_args(json.dumps(["--vars", text]))


def test_the_checker_knows_exactly_the_vars_the_project_declares() -> None:
    declared = set(yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"])
    assert declared == _module().VARS


def test_the_bounds_are_the_ones_the_models_check_where_they_render() -> None:
    macros = (REPO / "macros" / "checked_vars.sql").read_text()
    for name, (lowest, highest) in _module().WHOLE_NUMBERS.items():
        assert f"whole_number_var('{name}', {lowest}, {highest})" in macros, name


HOSTILE = [
    ('{delay_threshold_minutes: "60; drop table x"}',
     "delay_threshold_minutes must be a whole number from 0 to 1440, got '60; drop table x' (str)"),
    ("{delay_threshold_minutes: 45.5}",
     "delay_threshold_minutes must be a whole number from 0 to 1440, got 45.5 (float)"),
    ("{delay_threshold_minutes: 60.0}",
     "delay_threshold_minutes must be a whole number from 0 to 1440, got 60.0 (float)"),
    ("{delay_threshold_minutes: true}",
     "delay_threshold_minutes must be a whole number from 0 to 1440, got True (bool)"),
    ("{delay_threshold_minutes: 99999999999999999999}",
     "delay_threshold_minutes must be a whole number from 0 to 1440, got 99999999999999999999"),
    ("{delay_threshold_minutes: -1}", "must be a whole number from 0 to 1440, got -1 (int)"),
    ("{min_sample_flights: 0}", "min_sample_flights must be a whole number from 1 to 1000000"),
    ("{min_sample_flights: [1, 2]}", "min_sample_flights must be a whole number"),
    ("{min_sample_flights: {a: 1}}", "min_sample_flights must be a whole number"),
    ("{min_route_flights: 10}",
     "min_route_flights was renamed min_sample_flights (one minimum sample for every rate"
     " and ranking); set min_sample_flights instead"),
    ("{drop_everything: 1}", "'drop_everything' is not a var this project declares"),
    ("{'x; drop table y': 1}", "is not a var this project declares"),
    ("{test_all_dates: 'true; drop'}", "test_all_dates must be true or false"),
    ('{build_log_schema: "x; drop schema airlines cascade"}',
     "build_log_schema must be a lower-case schema name"),
    ("{build_log_schema: Intermediate}", "build_log_schema must be a lower-case schema name"),
]


@pytest.mark.parametrize(("given", "message"), HOSTILE)
def test_a_hostile_var_is_refused_with_a_clear_message(given: str, message: str) -> None:
    module = _module()
    with pytest.raises(module.DbtArgsError, match=re.escape(message)):
        _vars(given)


def test_declared_vars_in_their_bounds_pass_rewritten_as_json() -> None:
    assert _vars("{delay_threshold_minutes: 45, min_sample_flights: 50}") == [
        "--vars", '{"delay_threshold_minutes": 45, "min_sample_flights": 50}']
    assert _vars('{"test_all_dates": true, "build_log_schema": "build_log"}') == [
        "--vars", '{"test_all_dates": true, "build_log_schema": "build_log"}']
    # YAML's own tricks come out as plain JSON values or are refused.
    assert _vars("{delay_threshold_minutes: 0x2d}") == ["--vars", '{"delay_threshold_minutes": 45}']
    with pytest.raises(_module().DbtArgsError, match="not YAML"):
        _vars("{delay_threshold_minutes: !!python/object/apply:os.system [ls]}")


def test_the_command_line_refuses_before_dbt_with_exit_64() -> None:
    result = subprocess.run(
        [sys.executable, str(CHECKER), json.dumps(["--vars", '{delay_threshold_minutes: "1;x"}'])],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 64
    assert result.stdout == ""
    expected = "airline-elt-dbt: --vars: delay_threshold_minutes must be a whole number"
    assert expected in result.stderr
