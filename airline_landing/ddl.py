"""The raw tables' DDL, rendered from the one file dbt also runs (raw_tables.sql)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import jinja2

DDL_FILE = Path(__file__).with_name("raw_tables.sql")


def raw_tables_ddl(target_type: str = "postgres") -> list[str]:
    """The statements that create the raw schema and tables, for `postgres` or `redshift`."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    template = env.from_string(DDL_FILE.read_text(encoding="utf-8"))
    module = template.make_module({"target": SimpleNamespace(type=target_type)})
    sql = str(module.create_raw_tables())
    return [statement.strip() for statement in sql.split(";") if statement.strip()]
