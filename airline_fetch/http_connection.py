"""One HTTP(S) request with time-outs: connect (TCP and the TLS handshake) within
connect_timeout, then every read within read_timeout; redirects followed, never to plain http
from https."""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from airline_fetch.http_errors import FetchError
from airline_fetch.http_proxy import Proxy, connect_to_proxy, open_tunnel, proxy_for
from airline_fetch.tls import connect_tls

MAX_REDIRECTS = 5
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class Timeouts:
    connect: float
    read: float


def parse_target(url: str) -> Target:
    """The parts of an http(s) URL; FetchError naming the URL when it is not one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"Cannot download {url!r}: not an http:// or https:// URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError(f"Cannot download {url!r}: the port is not a number") from None
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(url, parts.scheme, parts.hostname, port, path)


class ConnectTimeout(TimeoutError):
    """No connection (TCP, and for https the TLS handshake) within connect_timeout."""


class _Connection(http.client.HTTPConnection):
    """An HTTPConnection whose socket comes from connect_tls for https (verified, AIA-completed;
    through a proxy's CONNECT tunnel if the environment names one), and whose reads time out
    after read_timeout seconds without a byte."""

    def __init__(
        self, target: Target, timeouts: Timeouts, ca_bundle: Path | None, proxy: Proxy | None
    ) -> None:
        super().__init__(target.host, target.port, timeout=timeouts.connect)
        self._target = target
        self._timeouts = timeouts
        self._ca_bundle = ca_bundle
        self._proxy = proxy

    def connect(self) -> None:
        try:
            self.sock = self._connect()
        except TimeoutError as error:
            raise ConnectTimeout(str(error)) from None
        self.sock.settimeout(self._timeouts.read)

    def _connect(self) -> socket.socket:
        host, port, timeout, proxy = (
            self._target.host,
            self._target.port,
            self._timeouts.connect,
            self._proxy,
        )
        if self._target.scheme == "https":
            open_tcp = None if proxy is None else partial(open_tunnel, proxy, host, port, timeout)
            return connect_tls(
                host, port, timeout=timeout, ca_bundle=self._ca_bundle, open_tcp=open_tcp
            )
        if proxy is not None:
            return connect_to_proxy(proxy, timeout)
        return socket.create_connection((host, port), timeout=timeout)


@dataclass
class Opened:
    """A response whose headers have arrived; close() when done with its body."""

    url: str  # after redirects
    connection: http.client.HTTPConnection
    response: http.client.HTTPResponse
    redirected: bool

    def close(self) -> None:
        self.connection.close()


def open_response(
    method: str, url: str, headers: dict[str, str], timeouts: Timeouts, ca_bundle: Path | None
) -> Opened:
    """Sends the request and reads the status and headers, following redirects."""
    target = parse_target(url)
    for redirects in range(MAX_REDIRECTS + 1):
        proxy = proxy_for(target.scheme, target.host)
        connection = _Connection(target, timeouts, ca_bundle, proxy)
        path, request_headers = target.path, headers
        if proxy is not None and target.scheme == "http":
            # absolute form to the proxy; http.client takes the Host header from it
            path = target.url
            if proxy.authorization:
                request_headers = {**headers, "Proxy-Authorization": proxy.authorization}
        try:
            connection.request(method, path, headers=request_headers)
            response = connection.getresponse()
        except BaseException:
            connection.close()
            raise
        location = response.getheader("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return Opened(target.url, connection, response, redirected=redirects > 0)
        connection.close()
        next_target = parse_target(urljoin(target.url, location))
        if target.scheme == "https" and next_target.scheme != "https":
            raise FetchError(
                f"Cannot download {url}: it redirects to {next_target.url}, plain http after "
                "https; refused"
            )
        target = next_target
    raise FetchError(f"Cannot download {url}: more than {MAX_REDIRECTS} redirects")
