"""The raw tables' DDL, rendered from the one file dbt also runs (raw_tables.sql).

The file is read as package data (importlib.resources), not through `__file__`: on Glue the
package arrives as a zip on the Python path (`--extra-py-files`), where there is no folder to
open a file in.
"""

from __future__ import annotations

from importlib import resources
from types import SimpleNamespace

import jinja2

DDL_RESOURCE = "raw_tables.sql"


def raw_tables_sql() -> str:
    """The text of raw_tables.sql, from a folder or from a zip alike."""
    return resources.files(__package__).joinpath(DDL_RESOURCE).read_text(encoding="utf-8")


def raw_tables_ddl(target_type: str = "postgres") -> list[str]:
    """The statements that create the raw schema and tables, for `postgres` or `redshift`."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    template = env.from_string(raw_tables_sql())
    module = template.make_module({"target": SimpleNamespace(type=target_type)})
    sql = str(module.create_raw_tables())
    return [statement.strip() for statement in sql.split(";") if statement.strip()]
