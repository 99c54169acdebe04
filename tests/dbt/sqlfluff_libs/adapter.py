"""dbt's `adapter` for sqlfluff's jinja templater: `adapter.dispatch(name)` finds the macro as
dbt does for the target sqlfluff renders (`target.type`): `<type>__name`, else `default__name`."""

from __future__ import annotations

from typing import Any

import jinja2


@jinja2.pass_context
def dispatch(context: jinja2.runtime.Context, macro_name: str, macro_namespace: Any = None) -> Any:
    """The macro dbt's dispatch would call for the target being rendered."""
    del macro_namespace  # one project: its macros are all in the context
    target_type = context.resolve("target").type
    for candidate in (f"{target_type}__{macro_name}", f"default__{macro_name}"):
        macro = context.resolve(candidate)
        if not isinstance(macro, jinja2.Undefined):
            return macro
    raise jinja2.TemplateError(f"no {target_type}__ or default__ implementation of {macro_name}")
