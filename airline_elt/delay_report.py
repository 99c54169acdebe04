"""`airline-elt report`: read the marts (the warehouse started if needed) and write the delay
report (airline_elt.report) to a file."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from airline_elt import queries
from airline_elt.build_record import last_build
from airline_elt.docs import report_path
from airline_elt.errors import AirlineEltError
from airline_elt.state import project_dir
from airline_elt.warehouse import Warehouse
from airline_elt.warehouse_users import DBT


def write_delay_report(console: Console, home: Path, output: Path | None) -> Path:
    """Write the report to `output` (default: beside the docs site); its path."""
    from airline_elt.report import write_report
    from airline_elt.report_data import ReportDataError, load_report_data

    target = (output or report_path(home)).expanduser().resolve()
    warehouse = Warehouse(home)
    if not warehouse.exists():
        raise AirlineEltError(f"no warehouse yet in {warehouse.folder}",
                              "`make run` (or `airline-elt run --landing DIR`) fills one first")
    if not warehouse.is_running():
        console.print("starting the warehouse to read the marts "
                      "(`airline-elt warehouse stop` stops it again)")
    connection = warehouse.start_as(DBT)
    with queries.read_only(connection) as conn:
        try:
            data = load_report_data(conn, project_dir=project_dir())
        except ReportDataError as error:
            raise AirlineEltError(str(error), "build them first: `make run` or "
                                  "`airline-elt transform`") from error
    try:
        write_report(data, target, last_build=last_build(home))
    except OSError as error:
        raise AirlineEltError(f"cannot write the report to {target}: "
                              f"{error.strerror or error}", "give another --output FILE") from error
    console.print(f"delay report written: {target}")
    console.print(f"open it in a browser: {target.as_uri()}")
    return target
