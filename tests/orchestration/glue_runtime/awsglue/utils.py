"""getResolvedOptions as Glue's: `--name value` (or `--name=value`) pairs; a missing one fails."""

from __future__ import annotations


class GlueArgumentError(Exception):
    pass


def getResolvedOptions(args: list[str], options: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    index = 1
    while index < len(args):
        arg = args[index]
        if arg.startswith("--"):
            name, sep, value = arg[2:].partition("=")
            if not sep:
                index += 1
                value = args[index] if index < len(args) else ""
            values[name] = value
        index += 1
    missing = [name for name in options if name not in values]
    if missing:
        raise GlueArgumentError(f"the following arguments are required: {', '.join(missing)}")
    return {name: values[name] for name in options}
