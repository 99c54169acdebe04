"""dbt's `target` for sqlfluff's jinja templater: the local PostgreSQL target."""

type = "postgres"
name = "local"
schema = "airlines"
