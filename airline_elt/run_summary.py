"""The run summary's SQL: one definition the state machine's Summarize step and the local
warehouse both run.

The state machine (orchestration/state_machine.asl.json, step Summarize) sends these statements
through the Redshift Data API with named parameters (`:run_id`); a test keeps its copies equal
to the ones here, and another runs them on the local warehouse after a local landing and
compares them with what the local run reported. Plain SQL both Redshift and PostgreSQL run;
the schema is written "raw" because RAW is a reserved word on Redshift.

- FILES: the run's files, those needing attention (failed, rows rejected) first, at most 100,
  so a notification stays small whatever the run's size (the totals count every file).
- TOTALS: the run's counts (landed_counts.TOTALS, beside the other counts of landed files).
- FACT_ROWS_BY_DATE: for each date the run's files held (landed or rejected rows), the fact
  rows that date has now; the 62 latest dates, one JSON object text per row.
"""

from __future__ import annotations

from typing import Any

from airline_elt.landed_counts import TOTALS, for_psycopg, totals_of

FILES_LIMIT = 100
FACT_DATES_LIMIT = 62

FILES = (
    "select file_key, status, rows_read, rows_landed, rows_rejected from \"raw\".landed_files"
    " where run_id = :run_id"
    " order by case when status = 'failed' or rows_rejected > 0 then 0 else 1 end,"
    f" file_version_id limit {FILES_LIMIT}"
)
FACT_ROWS_BY_DATE = (
    "select '{\"' || cast(d.flight_date as varchar(10)) || '\": '"
    " || cast(count(f.flight_date) as varchar(20)) || '}' as fact_rows"
    " from (select l.flight_date from \"raw\".flights_landing l"
    " join \"raw\".landed_files v on v.file_version_id = l.file_version_id"
    " where v.run_id = :run_id and v.status = 'landed'"
    " union select r.flight_date from \"raw\".flights_rejected r"
    " join \"raw\".landed_files v on v.file_version_id = r.file_version_id"
    " where v.run_id = :run_id and v.status = 'landed' and r.flight_date is not null) d"
    " left join airlines.daily_flights_fact f on f.flight_date = d.flight_date"
    f" group by d.flight_date order by d.flight_date desc limit {FACT_DATES_LIMIT}"
)
QUERIES = {"files": FILES, "totals": TOTALS, "fact_rows_by_date": FACT_ROWS_BY_DATE}


def run_summary(conn: Any, run_id: str, started_at: str, finished_at: str) -> dict[str, Any]:
    """The summary of one run, read from a warehouse (a psycopg connection)."""
    params = {"run_id": run_id, "started_at": started_at, "finished_at": finished_at}
    files = conn.execute(for_psycopg(FILES), params).fetchall()
    totals = _one_row_by_name(conn.execute(for_psycopg(TOTALS), params))
    dates = conn.execute(for_psycopg(FACT_ROWS_BY_DATE), params).fetchall()
    file_fields = ("key", "status", "rows_read", "rows_landed", "rows_rejected")
    fact_rows: dict[str, int] = {}
    for (text,) in dates:
        key, _, count = text.strip("{}").partition(": ")
        fact_rows[key.strip('"')] = int(count)
    return {
        "files": [
            dict(zip(file_fields, row, strict=True)) for row in files
        ],
        "totals": totals_of(totals),
        "duration_seconds": float(totals["duration_seconds"]),
        "fact_rows_by_date": dict(sorted(fact_rows.items())),
    }


def _one_row_by_name(cursor: Any) -> dict[str, Any]:
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))
