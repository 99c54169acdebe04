"""dbt's `target` for sqlfluff's jinja templater: the Redshift production target, so every
`target.type == 'redshift'` branch is rendered and parsed (orchestration/sqlfluff-redshift.cfg)."""

type = "redshift"
name = "prod"
schema = "airlines"
