"""`airline-elt docs`: generate the dbt docs site and serve it on localhost."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

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
