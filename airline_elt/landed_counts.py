"""The SQL that counts raw.landed_files: a run's six totals (the state machine's Summarize and
the local run summary), a run's file versions and rows by status (the report's last run), and
every file version by status (`status`). Text only, no database driver: the dbt image's report
reads it too (orchestration/dbt_image/Dockerfile copies a few stdlib modules).

The schema is written "raw" (quoted) because RAW is a reserved word on Redshift.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airline_landing.results import FileStatus, RunTotals, StatusCount

# A run's totals, in RunTotals' order, for the Redshift Data API (`:run_id`, and the run's
# start and end for its duration). A version landed by the run and superseded by a later
# run still counts as landed by the run (results.LANDED_BY_ITS_RUN).
TOTALS = (
    "select"
    " cast(coalesce(sum(case when status in ('landed', 'superseded') then 1 else 0 end), 0)"
    " as bigint) as files_landed,"
    " cast(coalesce(sum(case when status = 'duplicate' then 1 else 0 end), 0)"
    " as bigint) as files_duplicate,"
    " cast(coalesce(sum(case when status = 'failed' then 1 else 0 end), 0)"
    " as bigint) as files_failed,"
    " cast(coalesce(sum(rows_read), 0) as bigint) as rows_read,"
    " cast(coalesce(sum(rows_landed), 0) as bigint) as rows_landed,"
    " cast(coalesce(sum(rows_rejected), 0) as bigint) as rows_rejected,"
    " cast(extract(epoch from cast(:finished_at as timestamptz))"
    " - extract(epoch from cast(:started_at as timestamptz)) as double precision)"
    " as duration_seconds"
    " from \"raw\".landed_files where run_id = :run_id"
)


def by_status(raw_schema: str = "raw") -> str:
    """The file versions of one run and their rows by status, the run given as the one
    positional parameter (psycopg's `%s`); a row reads as StatusCount."""
    return (
        "select status, count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_landed), 0),"
        f' coalesce(sum(rows_rejected), 0) from "{raw_schema}".landed_files where run_id = %s'
        " group by status order by status"
    )


def files_by_status(raw_schema: str = "raw") -> str:
    """How many file versions of every run have each status (columns status, files)."""
    return (f'select status, count(*) as files from "{raw_schema}".landed_files'
            " group by status order by status")


def status_counts(rows: Iterable[Sequence[Any]]) -> list[StatusCount]:
    """The rows of `by_status` as StatusCount."""
    return [
        StatusCount(FileStatus(str(status).strip()), int(files), int(read), int(landed),
                    int(rejected))
        for status, files, read, landed, rejected in rows
    ]


def totals_of(row: Mapping[str, Any]) -> RunTotals:
    """A row of TOTALS, by column name, as RunTotals (its columns are named as its fields)."""
    return RunTotals(**{name: int(row[name]) for name in RunTotals.names()})


def for_psycopg(sql: str) -> str:
    """`:name` parameters (the Data API's) as psycopg's `%(name)s`."""
    return re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", r"%(\1)s", sql.replace("%", "%%"))
