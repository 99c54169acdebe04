"""The dbt arguments a scheduled or manual pipeline start may add to `dbt build`, checked.

The state machine passes the execution input's `dbt_args` (a JSON list of strings) as
DBT_EXTRA_ARGS; S3 events never carry any. Only these flags pass, each with the values it takes:

    --full-refresh, --fail-fast                     no value
    --select/-s, --exclude  SELECTOR...             one or more dbt selectors
    --selector NAME                                 one YAML selector
    --vars  '{key: value}'                          one YAML/JSON mapping of the vars below
    --threads N                                     1-32

Anything else (another dbt command, --target, --profiles-dir, a shell word) is refused with a
message naming it. Usage: dbt_args.py JSON  -> the arguments, NUL-separated, on stdout.

Whoever can start an execution chooses these values, and dbt renders vars into SQL text, so
--vars takes only the vars dbt_project.yml declares (VARS: a test keeps the two equal), each
checked by type and range, and dbt is handed the checked mapping re-written as JSON, not the
text it came in. The models check the numbers again where they render them
(macros/checked_vars.sql), for a local `airline-elt transform -- --vars ...` too.
"""

from __future__ import annotations

import json
import re
import sys

import yaml

NO_VALUE = {"--full-refresh", "--fail-fast"}
SELECTORS = {"--select": "--select", "-s": "--select", "--exclude": "--exclude"}
ONE_VALUE = {"--selector", "--vars", "--threads"}
_SELECTOR = re.compile(r"^[A-Za-z0-9_.:+@*/,=][A-Za-z0-9_.:+@*/,=\-]*$")
_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")


# Every var dbt_project.yml declares: (type, lowest, highest) for numbers; a schema name must be
# a plain lower-case identifier (it is rendered into SQL unquoted, as every schema name is).
WHOLE_NUMBERS = {
    "delay_threshold_minutes": (0, 1440),  # the same bounds as macros/checked_vars.sql
    "min_sample_flights": (1, 1_000_000),
}
# Vars renamed since: refused with the new name (a start that still sets the old one would
# otherwise be told only that the project does not declare it).
RENAMED_VARS = {"min_route_flights": "min_sample_flights"}
BOOLEANS = {"test_all_dates"}
SCHEMA_NAMES = {"build_log_schema"}
VARS = set(WHOLE_NUMBERS) | BOOLEANS | SCHEMA_NAMES
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class DbtArgsError(ValueError):
    pass


def checked_dbt_args(text: str) -> list[str]:
    """The arguments in `text` (a JSON list of strings), or DbtArgsError saying what is wrong."""
    try:
        args = json.loads(text or "[]")
    except json.JSONDecodeError as error:
        raise DbtArgsError(f"dbt_args is not JSON: {error}") from error
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise DbtArgsError('dbt_args must be a list of strings, e.g. ["--full-refresh"]')
    checked: list[str] = []
    index = 0
    while index < len(args):
        flag = args[index]
        index += 1
        if flag in NO_VALUE:
            checked.append(flag)
        elif flag in SELECTORS:
            values = []
            while index < len(args) and not args[index].startswith("-"):
                values.append(_value(flag, args[index], _SELECTOR))
                index += 1
            if not values:
                raise DbtArgsError(f"{flag} needs at least one selector")
            checked += [SELECTORS[flag], *values]
        elif flag in ONE_VALUE:
            if index >= len(args):
                raise DbtArgsError(f"{flag} needs a value")
            checked += [flag, _single(flag, args[index])]
            index += 1
        else:
            allowed = ", ".join(sorted(NO_VALUE | set(SELECTORS) | ONE_VALUE))
            raise DbtArgsError(f"{flag!r} is not allowed in dbt_args (allowed: {allowed})")
    return checked


def _value(flag: str, value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.match(value):
        raise DbtArgsError(f"{flag}: {value!r} is not a valid value")
    return value


def _single(flag: str, value: str) -> str:
    if flag == "--selector":
        return _value(flag, value, _NAME)
    if flag == "--threads":
        if not (value.isdigit() and 1 <= int(value) <= 32):
            raise DbtArgsError(f"--threads: {value!r} is not a number from 1 to 32")
        return value
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as error:
        raise DbtArgsError(f"--vars: not YAML: {error}") from error
    if not isinstance(parsed, dict):
        raise DbtArgsError("--vars must be a mapping, e.g. '{delay_threshold_minutes: 45}'")
    return json.dumps({str(name): _checked_var(name, v) for name, v in parsed.items()})


def _shown(value: object) -> str:
    text = repr(value)
    return (text[:60] + "...") if len(text) > 60 else text


def _checked_var(name: object, value: object) -> object:
    if name in RENAMED_VARS:
        raise DbtArgsError(
            f"--vars: {name} was renamed {RENAMED_VARS[name]} (one minimum sample for every "
            f"rate and ranking); set {RENAMED_VARS[name]} instead"
        )
    if name not in VARS:
        raise DbtArgsError(
            f"--vars: {_shown(name)} is not a var this project declares "
            f"(allowed: {', '.join(sorted(VARS))})"
        )
    kind = type(value).__name__
    if name in WHOLE_NUMBERS:
        lowest, highest = WHOLE_NUMBERS[name]
        # bool is an int in Python: true is no number of minutes.
        if not isinstance(value, int) or isinstance(value, bool) or not lowest <= value <= highest:
            raise DbtArgsError(
                f"--vars: {name} must be a whole number from {lowest} to {highest}, "
                f"got {_shown(value)} ({kind})"
            )
    elif name in BOOLEANS:
        if not isinstance(value, bool):
            raise DbtArgsError(
                f"--vars: {name} must be true or false, got {_shown(value)} ({kind})"
            )
    elif not (isinstance(value, str) and _SCHEMA_NAME.match(value)):
        raise DbtArgsError(
            f"--vars: {name} must be a lower-case schema name (letters, digits, _), "
            f"got {_shown(value)} ({kind})"
        )
    return value


def main(argv: list[str]) -> int:
    try:
        args = checked_dbt_args(argv[1] if len(argv) > 1 else "[]")
    except DbtArgsError as error:
        print(f"airline-elt-dbt: {error}", file=sys.stderr)
        return 64
    sys.stdout.write("".join(arg + "\0" for arg in args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
