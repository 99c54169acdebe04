"""dbt's `run_started_at` for sqlfluff's jinja templater: a fixed instant."""

from datetime import UTC, datetime

_INSTANT = datetime(2023, 11, 16, tzinfo=UTC)


def strftime(fmt: str) -> str:
    return _INSTANT.strftime(fmt)
