"""dbt's `exceptions` for sqlfluff (its `var()` is a placeholder): a refusal renders nothing."""


def raise_compiler_error(message: str) -> str:
    return ""
