"""`airline-elt docs`: generate the dbt docs site and serve it on localhost."""

from __future__ import annotations

import functools
import http.server
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from airline_elt.dbt_step import dbt_docs_generate
from airline_elt.errors import AirlineEltError
from airline_elt.warehouse import Warehouse
from airline_elt.warehouse_users import DBT

if TYPE_CHECKING:
    from airline_elt.ui import ConsoleUI

SITE_FILES = ("index.html", "manifest.json", "catalog.json")


def docs_site_dir(home: Path) -> Path:
    """Where `dbt docs generate` writes (DBT_TARGET_PATH of the generated profile)."""
    return home / "dbt" / "target"


def report_path(home: Path) -> Path:
    """The delay report's default file (`airline-elt report`): beside the docs site, so the
    docs server serves it too (/report.html), as the AWS stack publishes it beside index.html."""
    return docs_site_dir(home) / "report.html"


def missing_site_files(site: Path) -> list[str]:
    return [name for name in SITE_FILES if not (site / name).is_file()]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def make_server(site: Path, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server for the static docs site (port 0 picks a free port)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    return http.server.ThreadingHTTPServer((host, port), handler)


@dataclass(frozen=True)
class DocsRequest:
    host: str = "127.0.0.1"
    port: int = 8080
    serve: bool = True
    dbt_args: Sequence[str] = ()


def generate_and_serve(ui: ConsoleUI, home: Path, request: DocsRequest) -> None:
    """`dbt docs generate` against the local warehouse, then (unless told not to) serve the
    site on localhost until Ctrl-C; the delay report's link beside it."""
    site = generate(ui, home, request.dbt_args)
    console = ui.console
    report = report_path(home)
    if not request.serve:
        console.print(_report_line(report, report.as_uri()))
        return
    try:
        server = make_server(site, request.host, request.port)
    except OSError as error:
        raise AirlineEltError(
            f"cannot serve on {request.host}:{request.port}: {error.strerror or error}",
            "choose another port, e.g. `airline-elt docs --port 8081`",
        ) from error
    host, port = server.server_address[:2]
    console.print(f"serving the docs site on http://{host!s}:{port}/ (Ctrl-C stops)")
    console.print(_report_line(report, f"http://{host!s}:{port}/{report.name}"))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped serving the docs site")
    finally:
        server.server_close()


def generate(ui: ConsoleUI, home: Path, dbt_args: Sequence[str] = ()) -> Path:
    """`dbt docs generate` (the warehouse started if needed); the site's folder."""
    connection = Warehouse(home).start_as(DBT)
    ui.step_started("dbt docs generate")
    started = time.monotonic()
    outcome = dbt_docs_generate(connection, home, home / "logs" / "dbt-docs.log", dbt_args,
                                stream=ui.dbt_stream())
    site = docs_site_dir(home)
    if outcome.returncode != 0 or missing_site_files(site):
        raise AirlineEltError(
            f"dbt docs generate failed: {outcome.headline()}".rstrip(": "),
            f"dbt's output: {outcome.log_file}; build the models first: `make run`",
        )
    ui.step_finished("dbt docs generate", time.monotonic() - started, f"site in {site}")
    return site


def _report_line(report: Path, url: str) -> str:
    if report.is_file():
        return f"the delay report: {url} (file {report}; `airline-elt report` refreshes it)"
    return f"no delay report yet: `airline-elt report` writes it to {report}"
