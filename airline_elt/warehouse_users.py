"""The warehouse's users by job: who creates them, with which password, and their grants.

`warehouse_users.sql` (package data) holds the grants, the same on PostgreSQL and Redshift.
Neither has `create user if not exists`, so a user is created here only when pg_user (present
on both) does not list it; its password is then the one given, and an existing user's password
is set again, so the local warehouse's settings stay the truth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LANDING = "airline_elt_landing"
DBT = "airline_elt_dbt"
READER = "airline_elt_reader"
USERS = (LANDING, DBT, READER)
SQL_RESOURCE = "warehouse_users.sql"


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


if __name__ == "__main__":  # print the grants for a database: DEPLOY.md, "Warehouse users"
    import sys

    print(";\n\n".join(grants_sql(sys.argv[1] if len(sys.argv) > 1 else "dev")) + ";")
