"""Real local servers for the fetch tests: HTTP(S) on 127.0.0.1, port 0, in threads.

`http_server` serves files (with Range, If-Range, ETag and Last-Modified as a real server does)
and misbehaves on request: each path has a queue of faults, one taken per request (a status, a
body cut short, a stall mid-body, a dropped connection, a Range ignored); once the queue is
empty the file is served normally. Every request is recorded (method, path, headers, time).
`https_server_factory` starts the same server behind TLS with a given certificate chain.
`proxy_server` is a forward proxy (CONNECT tunnels and absolute-form requests) that records
what it was asked. No test takes a proxy from the environment unless it sets one itself.
"""

from __future__ import annotations

import select
import socket
import socketserver
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest


@dataclass
class ServedFile:
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = "application/zip"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived


@dataclass(frozen=True)
class Status:
    """Answer with this status and headers instead of the file."""

    code: int
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Cut:
    """Announce the full Content-Length, send `after_bytes` of the body, close the connection."""

    after_bytes: int


@dataclass(frozen=True)
class Stall:
    """Send `after_bytes` of the body, then nothing for `seconds`, then close."""

    after_bytes: int
    seconds: float


@dataclass(frozen=True)
class Silence:
    """Read the request, then say nothing for `seconds` before closing."""

    seconds: float


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering."""


@dataclass(frozen=True)
class IgnoreRange:
    """Answer a Range request with the whole file (200), as servers without range support do."""


@dataclass(frozen=True)
class WrongRange:
    """Answer a Range request with 206 and a Content-Range that starts at byte 0."""


Fault = Status | Cut | Stall | Silence | Drop | IgnoreRange | WrongRange


class Faults:
    """The faults by name, for tests through the `faults` fixture (a test module cannot import
    this conftest reliably: every test folder has a module named conftest)."""

    Status = Status
    Cut = Cut
    Stall = Stall
    Silence = Silence
    Drop = Drop
    IgnoreRange = IgnoreRange
    WrongRange = WrongRange


@dataclass
class _State:
    files: dict[str, ServedFile] = field(default_factory=dict)
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        state = self.server.state
        with state.lock:
            state.requests.append(
                Recorded(self.command, self.path, dict(self.headers.items()), time.monotonic())
            )
            queue = state.faults.get(self.path)
            fault = queue.popleft() if queue else None
            served = state.files.get(self.path)
        if isinstance(fault, Silence):
            time.sleep(fault.seconds)
            self.close_connection = True
            return
        if isinstance(fault, Drop):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if isinstance(fault, Status):
            self._status(fault)
            return
        if served is None:
            self._status(Status(404))
            return
        start = self._range_start(served, fault)
        if start is None:
            self.send_response(200)
            body = served.body
        elif start >= len(served.body):
            self._status(Status(416, (("Content-Range", f"bytes */{len(served.body)}"),)))
            return
        else:
            self.send_response(206)
            content_range_start = 0 if isinstance(fault, WrongRange) else start
            self.send_header(
                "Content-Range",
                f"bytes {content_range_start}-{len(served.body) - 1}/{len(served.body)}",
            )
            body = served.body[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", served.content_type)
        self.send_header("Accept-Ranges", "bytes")
        if served.etag:
            self.send_header("ETag", served.etag)
        if served.last_modified:
            self.send_header("Last-Modified", served.last_modified)
        self.end_headers()
        if not send_body:
            return
        self._send_body(body, fault)

    def _range_start(self, served: ServedFile, fault: Fault | None) -> int | None:
        """Where a Range request starts, or None to send the whole file (no Range, Range ignored,
        or an If-Range that no longer matches, as RFC 9110 section 13.1.5 says)."""
        requested = self.headers.get("Range")
        if requested is None or isinstance(fault, IgnoreRange):
            return None
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range not in (served.etag, served.last_modified):
            return None
        if not requested.startswith("bytes=") or not requested.endswith("-"):
            return None
        return int(requested[len("bytes=") : -1])

    def _send_body(self, body: bytes, fault: Fault | None) -> None:
        if isinstance(fault, Cut):
            self.wfile.write(body[: fault.after_bytes])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if isinstance(fault, Stall):
            self.wfile.write(body[: fault.after_bytes])
            self.wfile.flush()
            time.sleep(fault.seconds)
            self.close_connection = True
            return
        self.wfile.write(body)

    def _status(self, status: Status) -> None:
        message = f"status {status.code}\n".encode()
        self.send_response(status.code)
        for name, value in status.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(message)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(message)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-answer (the tests' time-outs) is expected: stay quiet."""


class LocalServer:
    """A running server: put files with serve(), queue faults with fail(), read requests."""

    def __init__(self, server: _Server, scheme: str) -> None:
        self._server = server
        self._scheme = scheme
        self.host = "127.0.0.1"
        self.port = server.server_address[1]

    def url(self, path: str, host: str | None = None) -> str:
        return f"{self._scheme}://{host or self.host}:{self.port}{path}"

    def serve(
        self,
        path: str,
        body: bytes,
        etag: str | None = None,
        last_modified: str | None = None,
        content_type: str = "application/zip",
    ) -> str:
        """Serves body at path from now on; returns its URL."""
        with self._server.state.lock:
            self._server.state.files[path] = ServedFile(body, etag, last_modified, content_type)
        return self.url(path)

    def fail(self, path: str, *faults: Fault) -> None:
        """The next requests for path meet these faults, one each, in order."""
        with self._server.state.lock:
            self._server.state.faults.setdefault(path, deque()).extend(faults)

    @property
    def requests(self) -> list[Recorded]:
        with self._server.state.lock:
            return list(self._server.state.requests)

    def requests_for(self, path: str) -> list[Recorded]:
        return [request for request in self.requests if request.path == path]


def _start(tls: ssl.SSLContext | None) -> tuple[LocalServer, Callable[[], None]]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = _State()
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return LocalServer(server, "https" if tls is not None else "http"), stop


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local servers are reached directly, whatever proxy the machine's environment names."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


class LocalProxy:
    """A forward proxy on 127.0.0.1: CONNECT host:port opens a tunnel, an absolute-form request
    is passed on in origin form; `refuse_with` answers every request with that status."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []  # request line, headers
        self.refuse_with: int | None = None
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._handle(self)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def request_lines(self) -> list[str]:
        return [line for line, _ in self.seen]

    def _handle(self, handler: socketserver.StreamRequestHandler) -> None:
        request_line = handler.rfile.readline().decode("latin-1").rstrip("\r\n")
        header_lines: list[bytes] = []
        headers: dict[str, str] = {}
        while (line := handler.rfile.readline()) not in (b"\r\n", b"\n", b""):
            header_lines.append(line)
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip()] = value.strip()
        self.seen.append((request_line, headers))
        if self.refuse_with is not None:
            handler.wfile.write(
                f"HTTP/1.1 {self.refuse_with} Refused by the test proxy\r\n"
                "Content-Length: 0\r\n\r\n".encode()
            )
            return
        method, target, _ = request_line.split(" ", 2)
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host.strip("[]"), int(port)))
            handler.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            handler.wfile.flush()
        else:
            parts = urlsplit(target)
            upstream = socket.create_connection((parts.hostname, parts.port or 80))
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            upstream.sendall(
                f"{method} {path} HTTP/1.1\r\n".encode() + b"".join(header_lines) + b"\r\n"
            )
        with upstream:
            _relay(handler.connection, upstream)


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    """Passes bytes both ways until either side closes."""
    while True:
        readable, _, _ = select.select([client, upstream], [], [], 30)
        if not readable:
            return
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (upstream if source is client else client).sendall(data)


@pytest.fixture
def proxy_server() -> Iterator[LocalProxy]:
    """A forward proxy on 127.0.0.1 (see LocalProxy); set http(s)_proxy to its url to use it."""
    proxy = LocalProxy()
    yield proxy
    proxy.stop()


@pytest.fixture
def faults() -> type[Faults]:
    """The faults a LocalServer can be told to meet: faults.Status(503), faults.Cut(1000), ..."""
    return Faults


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A plain HTTP server on 127.0.0.1 (see the module docstring)."""
    server, stop = _start(None)
    yield server
    stop()


@pytest.fixture
def https_server_factory() -> Iterator[Callable[[Path, Path], LocalServer]]:
    """Starts an HTTPS server sending the chain in `chain_pem` (leaf first) with `key_pem`."""
    stops: list[Callable[[], None]] = []

    def start(chain_pem: Path, key_pem: Path) -> LocalServer:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain_pem, key_pem)
        server, stop = _start(context)
        stops.append(stop)
        return server

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_address() -> Iterator[tuple[str, int]]:
    """An address where TCP connects (the kernel completes it into the backlog) but nothing is
    ever said: no TLS handshake, no HTTP answer."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()
    listener.close()


@pytest.fixture
def unanswering_address() -> Iterator[tuple[str, int]]:
    """An address whose TCP connect never completes: a listener with a full accept queue that
    never accepts, so the kernel drops further SYNs and the client's connect times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers: list[socket.socket] = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
        fillers.append(filler)
    time.sleep(0.1)
    yield listener.getsockname()
    for filler in fillers:
        filler.close()
    listener.close()


# -- The fetch command's tests (branch i22-fetch) ----------------------------------------------
# `site`: the local stand-in for the BTS site (tests/fetch/bts_site.py), one per test. The CLI
# helpers of tests/cli and the BTS file builder of tests/real_data are importable from here.

import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "real_data"))

from bts_site import BtsSite  # noqa: E402


@pytest.fixture
def site() -> Iterator[BtsSite]:
    """The BTS site on 127.0.0.1 (a free port), serving nothing until a test publishes."""
    with BtsSite() as served:
        yield served
