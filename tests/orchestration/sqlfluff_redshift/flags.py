"""dbt's `flags` for sqlfluff's jinja templater (it has no dbt runtime): a plain run."""

FULL_REFRESH = False
