"""The one minimum-sample rule: a carrier or route is ranked by its delay rate only with at
least this many operated flights (one that flew three times and was late twice says nothing
yet). It is the dbt var `min_sample_flights` of dbt_project.yml, which the marts and the
report read too; a project from before its rename has it as `min_route_flights`."""

from __future__ import annotations

from pathlib import Path

from airline_elt.errors import AirlineEltError
from airline_elt.report_data import ReportDataError, dbt_project_vars

MIN_SAMPLE_VAR = "min_sample_flights"
FORMER_NAME = "min_route_flights"


def min_sample_flights(project: Path) -> int:
    """The var as the project sets it (a build's `--vars` override is not seen here)."""
    try:
        project_vars = dbt_project_vars(project)
    except ReportDataError as error:
        raise AirlineEltError(str(error)) from error
    value = project_vars.get(MIN_SAMPLE_VAR, project_vars.get(FORMER_NAME))
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AirlineEltError(
            f"the dbt var {MIN_SAMPLE_VAR} in {project / 'dbt_project.yml'} is not a whole "
            f"number from 1: {value!r}")
    return value
