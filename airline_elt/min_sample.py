"""The one minimum-sample rule for the run summary: a carrier or route is ranked by its delay
rate only with at least this many operated flights (one that flew three times and was late
twice says nothing yet). It is the dbt var `min_sample_flights` of dbt_project.yml, read the way
the report reads it (airline_elt.report_data.min_sample_flights); the marts' `meets_min_sample`
uses the same var."""

from __future__ import annotations

from pathlib import Path

from airline_elt import report_data
from airline_elt.errors import AirlineEltError


def min_sample_flights(project: Path) -> int:
    """The var as the project sets it (a build's `--vars` override is not seen here)."""
    try:
        return report_data.min_sample_flights(report_data.dbt_project_vars(project))
    except report_data.ReportDataError as error:
        raise AirlineEltError(str(error)) from error
