"""A proxy from the environment, read as urllib and curl read it (https_proxy, http_proxy,
no_proxy, either case): https goes through a CONNECT tunnel, so TLS stays end to end and is
verified against the site's own certificate; plain http is an absolute-form request to the
proxy (RFC 9112 section 3.2.2). Credentials in the proxy URL (http://user:pass@proxy:3128) are
sent as Basic Proxy-Authorization."""

from __future__ import annotations

import base64
import socket
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from airline_fetch.http_errors import FetchError

MAX_PROXY_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Proxy:
    host: str
    port: int
    authorization: str | None  # the Proxy-Authorization header's value

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class ProxyUnreachable(ConnectionError):
    """The proxy itself could not be reached; str() says which and why."""


class TunnelRefused(ConnectionError):
    """The proxy answered CONNECT with a status other than 2xx."""

    def __init__(self, proxy: Proxy, status: int, reason: str) -> None:
        super().__init__(f"the proxy {proxy.address} answered {status} {reason}".rstrip())
        self.status = status


def proxy_for(scheme: str, host: str) -> Proxy | None:
    """The proxy the environment names for scheme ("http" or "https"), None when there is none
    or no_proxy covers host. FetchError for a proxy URL this client cannot use."""
    url = urllib.request.getproxies_environment().get(scheme)
    if not url or urllib.request.proxy_bypass_environment(host):
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme != "http" or not parts.hostname:
        raise FetchError(
            f"The {scheme}_proxy setting {url!r} cannot be used: give the proxy as "
            "http://host:port (TLS to the site is tunnelled through it)"
        )
    authorization = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
    try:
        port = parts.port or 80
    except ValueError:
        raise FetchError(
            f"The {scheme}_proxy setting {url!r} has a port that is not a number"
        ) from None
    return Proxy(parts.hostname, port, authorization)


def connect_to_proxy(proxy: Proxy, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((proxy.host, proxy.port), timeout=timeout)
    except TimeoutError:
        raise
    except OSError as error:
        reason = error.strerror or str(error)
        raise ProxyUnreachable(
            f"the proxy {proxy.address} could not be reached ({reason})"
        ) from None


def open_tunnel(proxy: Proxy, host: str, port: int, timeout: float) -> socket.socket:
    """A socket connected to host:port through the proxy (CONNECT, RFC 9110 section 9.3.6)."""
    tunnel = connect_to_proxy(proxy, timeout)
    try:
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        request = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
        if proxy.authorization:
            request += f"Proxy-Authorization: {proxy.authorization}\r\n"
        tunnel.sendall(f"{request}\r\n".encode("ascii"))
        status, reason = _read_answer_head(tunnel, proxy)
        if not 200 <= status < 300:
            raise TunnelRefused(proxy, status, reason)
        return tunnel
    except BaseException:
        tunnel.close()
        raise


def _read_answer_head(tunnel: socket.socket, proxy: Proxy) -> tuple[int, str]:
    """The status of the proxy's answer to CONNECT, read up to its blank line and no further
    (what follows belongs to the tunnel; the proxy sends nothing more until we speak)."""
    head = b""
    while b"\r\n\r\n" not in head:
        if len(head) > MAX_PROXY_ANSWER_BYTES:
            raise ProxyUnreachable(f"the proxy {proxy.address} sent an answer without an end")
        piece = tunnel.recv(4096)
        if not piece:
            raise ProxyUnreachable(f"the proxy {proxy.address} closed the connection on CONNECT")
        head += piece
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    fields = status_line.split(" ", 2)
    if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
        raise ProxyUnreachable(f"the proxy {proxy.address} answered CONNECT with {status_line!r}")
    return int(fields[1]), fields[2] if len(fields) > 2 else ""
