"""dbt's `modules` for sqlfluff's jinja templater (macros/checked_vars.sql uses `modules.re`)."""

import re  # noqa: F401  (read as modules.re)
