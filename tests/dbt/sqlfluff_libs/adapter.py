"""dbt's `adapter` for sqlfluff's jinja templater: `adapter.dispatch(name)` finds the macro as
dbt does for the target sqlfluff renders (`target.type`): `<type>__name`, then the adapters it
is built on (dbt-redshift's plugin declares `dependencies=["postgres"]`, and dbt's
`_get_adapter_macro_prefixes` searches them in that order), else `default__name`."""

from __future__ import annotations

from typing import Any

import jinja2

PARENT_ADAPTERS = {"redshift": ("postgres",)}


@jinja2.pass_context
def dispatch(context: jinja2.runtime.Context, macro_name: str, macro_namespace: Any = None) -> Any:
    """The macro dbt's dispatch would call for the target being rendered."""
    del macro_namespace  # one project: its macros are all in the context
    target_type = context.resolve("target").type
    prefixes = (target_type, *PARENT_ADAPTERS.get(target_type, ()), "default")
    for candidate in (f"{prefix}__{macro_name}" for prefix in prefixes):
        macro = context.resolve(candidate)
        if not isinstance(macro, jinja2.Undefined):
            return macro
    raise jinja2.TemplateError(f"no {'__, '.join(prefixes)}__ implementation of {macro_name}")
