"""A local stand-in for the BTS site, on 127.0.0.1 (a free port): what `airline-elt fetch`
meets there, served by a real HTTP server.

- `/PREZIP/On_Time_Reporting_Carrier_On_Time_Performance_1987_present_<YEAR>_<MONTH>.zip`:
  a zip holding the month's CSV (the BTS shape of tests/real_data/bts_files.py: 109 quoted
  columns and a trailing comma) and a `readme.html`, as BTS ships them; with ETag,
  Last-Modified and Content-Length, for GET and HEAD; `Range: bytes=N-` answered with 206.
- A month not published: 404 (`missing`), or an HTML page with status 200 (`html_page`),
  which is what BTS does for a month it has not published yet.
- A revised month: `publish` again with other flights; the served bytes (and validators)
  change.
- `/Download_Lookup.asp?Y11x72=<token>`: the lookup tables, optionally answering 500 a
  given number of times first (the endpoint has done so).
- `slow`: the body is sent in small pieces with a pause between them, so that a fetch can
  be killed halfway through a download.

Every request is recorded (method, path) for assertions.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import io
import sys
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "real_data"))

from bts_files import US_AIRPORTS, Flight, month_of_flights, write_ontime_month

ZIP_NAME = "On_Time_Reporting_Carrier_On_Time_Performance_1987_present_{year}_{month}.zip"
CSV_NAME = "On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_{year}_{month}.csv"
README = b"<html><body><h1>Reporting Carrier On-Time Performance</h1></body></html>"
NOT_PUBLISHED_PAGE = (b"<!DOCTYPE html>\r\n<html><head><title>TranStats</title></head><body>"
                      b"<p>The page you requested is not available.</p></body></html>")


@dataclass
class Served:
    body: bytes
    content_type: str = "application/x-zip-compressed"
    status: int = 200
    failures_first: int = 0  # answer 500 this many times before the body
    last_modified: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


def month_csv(flights: list[Flight]) -> bytes:
    """The month's CSV exactly as BTS ships it (tests/real_data/bts_files.py)."""
    with TemporaryDirectory() as folder:
        return write_ontime_month(Path(folder) / "month.csv", flights).read_bytes()


def month_zip(csv_bytes: bytes, year: int, month: int, *, extra_csv: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CSV_NAME.format(year=year, month=month), csv_bytes)
        archive.writestr("readme.html", README)
        if extra_csv:
            archive.writestr("second.csv", csv_bytes)
    return buffer.getvalue()


def flights_of_month(year: int, month: int, flights_per_day: int = 12, seed: int = 7,
                     days: int | None = None) -> list[Flight]:
    first = dt.date(year, month, 1)
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    return month_of_flights(list(US_AIRPORTS), first, days or (next_month - first).days,
                            flights_per_day, seed=seed)


class BtsSite:
    """The fake site; use as a context manager (it serves on a thread until closed)."""

    def __init__(self) -> None:
        self.files: dict[str, Served] = {}
        self.requests: list[tuple[str, str]] = []
        self.slow_seconds = 0.0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site._answer(self, body=True)

            def do_HEAD(self) -> None:
                site._answer(self, body=False)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> BtsSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def prezip(self) -> str:
        return f"{self.base}/PREZIP/"

    @property
    def lookup_source(self) -> str:
        return f"{self.base}/Download_Lookup.asp"

    # -- what the site serves -------------------------------------------------

    def publish(self, year: int, month: int, csv_bytes: bytes, **zip_options: bool) -> bytes:
        """Serve the month's zip (again: a revision); returns the zip's bytes."""
        body = month_zip(csv_bytes, year, month, **zip_options)
        self._set(self.zip_path(year, month), Served(body))
        return body

    def serve_raw(self, year: int, month: int, body: bytes,
                  content_type: str = "application/x-zip-compressed") -> None:
        self._set(self.zip_path(year, month), Served(body, content_type))

    def html_page(self, year: int, month: int) -> None:
        """A month BTS has not published: an HTML page, status 200."""
        self._set(self.zip_path(year, month), Served(NOT_PUBLISHED_PAGE, "text/html"))

    def missing(self, year: int, month: int) -> None:
        with self._lock:
            self.files.pop(self.zip_path(year, month), None)

    def lookup(self, token: str, body: bytes, failures_first: int = 0) -> None:
        self._set(f"/Download_Lookup.asp?Y11x72={token}",
                  Served(body, "text/csv", failures_first=failures_first))

    @staticmethod
    def zip_path(year: int, month: int) -> str:
        return "/PREZIP/" + ZIP_NAME.format(year=year, month=month)

    def gets(self, path_start: str) -> int:
        return sum(1 for method, path in self.requests
                   if method == "GET" and path.startswith(path_start))

    def _set(self, path: str, served: Served) -> None:
        with self._lock:
            self.files[path] = served

    # -- answering ------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler, body: bool) -> None:
        parts = urlsplit(handler.path)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        with self._lock:
            self.requests.append((handler.command, path))
            served = self.files.get(path)
            failing = served is not None and served.failures_first > 0
            if failing and body:
                served.failures_first -= 1
        if served is None:
            self._send(handler, 404, b"<html><body>Not Found</body></html>", "text/html", body)
            return
        if failing:
            self._send(handler, 500, b"<html><body>Server Error</body></html>", "text/html",
                       body)
            return
        start = _range_start(handler.headers.get("Range"), len(served.body))
        data = served.body[start:]
        handler.send_response(206 if start else served.status)
        handler.send_header("Content-Type", served.content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("ETag", served.etag)
        handler.send_header("Last-Modified",
                            email.utils.format_datetime(served.last_modified, usegmt=True))
        handler.send_header("Accept-Ranges", "bytes")
        if start:
            handler.send_header("Content-Range",
                                f"bytes {start}-{len(served.body) - 1}/{len(served.body)}")
        handler.end_headers()
        if body:
            self._write(handler, data)

    def _send(self, handler: BaseHTTPRequestHandler, status: int, data: bytes,
              content_type: str, body: bool) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if body:
            self._write(handler, data)

    def _write(self, handler: BaseHTTPRequestHandler, data: bytes) -> None:
        if not self.slow_seconds:
            handler.wfile.write(data)
            return
        piece = max(1, len(data) // 50)
        for offset in range(0, len(data), piece):
            handler.wfile.write(data[offset:offset + piece])
            handler.wfile.flush()
            threading.Event().wait(self.slow_seconds)


def _range_start(header: str | None, size: int) -> int:
    if not header or not header.startswith("bytes=") or not header.endswith("-"):
        return 0
    try:
        start = int(header[len("bytes="):-1])
    except ValueError:
        return 0
    return start if 0 < start < size else 0
