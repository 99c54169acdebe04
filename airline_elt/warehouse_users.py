"""The warehouse's users by job: who creates them, with which password, and their grants.

`warehouse_users.sql` (package data) holds the grants, the same on PostgreSQL and Redshift.
Neither has `create user if not exists`, so a user is created here only when pg_user (present
on both) does not list it; its password is then the one given, and an existing user's password
is set again, so the local warehouse's settings stay the truth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LANDING = "airline_elt_landing"
DBT = "airline_elt_dbt"
READER = "airline_elt_reader"
USERS = (LANDING, DBT, READER)
SQL_RESOURCE = "warehouse_users.sql"
# Who owns which schema and everything in it (warehouse_users.sql; dbt's schemas on `local`).
SCHEMA_OWNERS = {"raw": LANDING, "staging": DBT, "intermediate": DBT, "airlines": DBT}
# The ALTER for each pg_class.relkind a schema may hold (indexes and the row types of tables
# follow their table).
_ALTER_BY_KIND = {"r": "table", "p": "table", "v": "view", "m": "materialized view",
                  "S": "sequence", "f": "foreign table"}
# Relations of those schemas owned by anyone but their schema's user; a sequence that belongs to
# a column (serial, identity) is left out: it follows its table, and may not be altered alone.
_MISOWNED_SQL = """
select c.relkind, n.nspname, c.relname
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any(%(schemas)s)
  and c.relkind = any(%(kinds)s)
  and pg_get_userbyid(c.relowner) <> (%(owners)s::jsonb ->> n.nspname)
  and not (c.relkind = 'S' and exists (
      select 1 from pg_depend d
      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')))
order by c.relkind = 'S', n.nspname, c.relname
"""


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def grants_sql(database: str) -> list[str]:
    """The grant statements of warehouse_users.sql for `database`, comments left out."""
    text = Path(__file__).with_name(SQL_RESOURCE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    sql = "\n".join(lines).replace("{{ database }}", quote_identifier(database))
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


def ensure_users(conn: Any, database: str, passwords: dict[str, str]) -> None:
    """Create the missing users with their passwords (set again on existing ones), then grant.
    `conn`: an autocommit psycopg connection of an admin to `database`."""
    for user in USERS:
        exists = conn.execute("select 1 from pg_user where usename = %s", (user,)).fetchone()
        verb = "alter" if exists else "create"
        # DDL takes no bound parameters: the password is a quoted literal.
        conn.execute(f"{verb} user {user} password {quote_literal(passwords[user])}")
    for statement in grants_sql(database):
        conn.execute(statement)


def migrate_ownership(conn: Any) -> list[str]:
    """Give each schema of SCHEMA_OWNERS, and every relation in it, to its user: a warehouse
    made before the users by job holds them as the admin's (the local owner, a superuser), and
    the landing and dbt users could then neither alter nor replace them. Idempotent (only what
    is owned by someone else is altered); PostgreSQL only (pg_depend, jsonb): the local
    warehouse. Returns the statements run. `conn`: an autocommit connection of an admin."""
    statements = [
        f"alter schema {quote_identifier(schema)} owner to {owner}"
        for (schema, owner) in conn.execute(
            "select nspname, %(owners)s::jsonb ->> nspname from pg_namespace"
            " where nspname = any(%(schemas)s)"
            " and pg_get_userbyid(nspowner) <> (%(owners)s::jsonb ->> nspname)",
            {"owners": json.dumps(SCHEMA_OWNERS), "schemas": list(SCHEMA_OWNERS)},
        ).fetchall()
    ]
    rows = conn.execute(_MISOWNED_SQL, {
        "schemas": list(SCHEMA_OWNERS), "kinds": list(_ALTER_BY_KIND),
        "owners": json.dumps(SCHEMA_OWNERS),
    }).fetchall()
    statements += [
        f"alter {_ALTER_BY_KIND[kind]} {quote_identifier(schema)}.{quote_identifier(name)}"
        f" owner to {SCHEMA_OWNERS[schema]}"
        for (kind, schema, name) in rows
    ]
    for statement in statements:
        conn.execute(statement)
    return statements


if __name__ == "__main__":  # print the grants for a database: DEPLOY.md, "Warehouse users"
    import sys

    print(";\n\n".join(grants_sql(sys.argv[1] if len(sys.argv) > 1 else "dev")) + ";")
