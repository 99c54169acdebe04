"""TLS for the downloads: verification always on, trust = certifi's pinned bundle + the system's
default paths + the user's --ca-bundle, and a missing intermediate fetched the way browsers do.

Why the intermediate fetching: transtats.bts.gov has been seen serving its leaf certificate
without the intermediate, which clients without an AIA fetcher reject with "unable to get
local issuer certificate" while browsers load the page:
- https://github.com/GoogleCloudPlatform/data-science-on-gcp/issues/140 (curl (60) on the
  PREZIP monthly zip, 2022-02; the browser worked)
- https://github.com/TomAugspurger/effective-pandas/issues/35 (Python requests,
  CERTIFICATE_VERIFY_FAILED unable to get local issuer certificate, 2021-04)
- https://github.com/eyalroz/usdt-ontime-tools/issues/18 (wget "doesn't have a known
  issuer", 2021-03)
Those threads turned verification off (curl -k, verify=False). This module never does: on that
one verification failure it reads the server's leaf certificate over a second handshake made
ONLY to read it (no request is ever sent on it), takes the "CA Issuers" URL from the leaf's
Authority Information Access extension (RFC 5280 section 4.2.2.1; see tls_der.py), downloads
that certificate (DER, PEM or a certs-only PKCS #7), adds it to the verify store and does the
handshake again WITH full verification. Fetched certificates are cached per process, and a host
whose chain they completed gets them at its next first handshake.

What keeps a fetched certificate from ever being trusted on its own:
- VERIFY_X509_PARTIAL_CHAIN is cleared, so an added intermediate is not a trust anchor: the
  chain must still reach a trusted root;
- a self-issued certificate (a root) from a CA Issuers URL is never added: in the verify store
  OpenSSL would take it as a trust anchor, and the server names that URL;
- after the handshake, the verified chain must end at a root from the trust store, not at a
  fetched certificate (OpenSSL compares names case-insensitively, which the byte comparison
  of the previous check does not).
Any other failure (expired, wrong host, self-signed, an intermediate that does not match) is a
TlsError naming the host, OpenSSL's reason and what the user can do.
"""

from __future__ import annotations

import _ssl
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path

import certifi

from airline_fetch.http_errors import TlsError
from airline_fetch.tls_der import DerError, ca_issuers_urls, certificates_in, is_self_issued

# OpenSSL's X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: the issuer of a certificate in the
# chain is neither sent by the server nor in the trust store; the only failure AIA can fix.
UNABLE_TO_GET_LOCAL_ISSUER = 20
# How many missing certificates one chain may need fetched (leaf -> intermediate -> ...).
MAX_FETCHED_ISSUERS = 4
# An intermediate certificate is 1-2 KB; anything much larger is not one.
MAX_ISSUER_BYTES = 64 * 1024

WHAT_TO_DO = (
    "Nothing was downloaded. If you reach the site through a private mirror or a proxy with "
    "its own certificate authority, pass that CA's certificate with --ca-bundle FILE (PEM)"
)


class _IssuerCache:
    """Per process: each fetched certificate by its URL, and which URLs completed a host's chain,
    so later connections to that host verify at the first handshake."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_url: dict[str, list[bytes]] = {}
        self._urls_by_host: dict[tuple[str, int], list[str]] = {}

    def for_host(self, host: str, port: int) -> list[bytes]:
        with self._lock:
            urls = self._urls_by_host.get((host, port), [])
            return [der for url in urls for der in self._by_url[url]]

    def get(self, url: str) -> list[bytes] | None:
        with self._lock:
            return self._by_url.get(url)

    def put(self, url: str, certificates: list[bytes]) -> None:
        with self._lock:
            self._by_url[url] = certificates

    def remember_chain(self, host: str, port: int, urls: list[str]) -> None:
        with self._lock:
            known = self._urls_by_host.setdefault((host, port), [])
            known.extend(url for url in urls if url not in known)


_ISSUERS = _IssuerCache()


def verifying_context(ca_bundle: Path | None, intermediates: list[bytes]) -> ssl.SSLContext:
    """A client context that verifies the chain and the host name, trusting certifi's roots,
    the system's default paths and ca_bundle; `intermediates` (DER) help build the chain only."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.set_default_verify_paths()
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError) as error:
            raise TlsError(
                f"The CA bundle {ca_bundle} could not be used ({_reason(error)}): "
                "--ca-bundle takes a PEM file of CA certificates"
            ) from None
    for der in intermediates:
        context.load_verify_locations(cadata=der)
    context.verify_flags &= ~ssl.VERIFY_X509_PARTIAL_CHAIN
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    return context


OpenTcp = Callable[[], socket.socket]


def connect_tls(
    host: str,
    port: int,
    *,
    timeout: float,
    ca_bundle: Path | None,
    open_tcp: OpenTcp | None = None,
) -> ssl.SSLSocket:
    """A verified TLS connection to host:port; TlsError when the certificate cannot be verified.
    open_tcp makes each TCP connection it needs (a proxy's tunnel; directly by default).
    Connection trouble (refused, reset, timed out) is raised as the OSError it is."""
    if open_tcp is None:
        open_tcp = partial(socket.create_connection, (host, port), timeout=timeout)
    intermediates = _ISSUERS.for_host(host, port)
    try:
        return _handshake(verifying_context(ca_bundle, intermediates), host, open_tcp)
    except ssl.SSLCertVerificationError as error:
        if error.verify_code != UNABLE_TO_GET_LOCAL_ISSUER:
            raise _verification_failed(host, port, error) from None
        failure = error
    certificate = _read_unverified_leaf(host, port, open_tcp)
    used_urls: list[str] = []
    for _ in range(MAX_FETCHED_ISSUERS):
        urls = _ca_issuers(certificate, host, port)
        if not urls:
            raise _verification_failed(
                host, port, failure, "and its certificate names no CA Issuers URL to fetch from"
            )
        url, fetched = _fetch_issuer(urls, timeout, host, port)
        used_urls.append(url)
        intermediates.extend(fetched)
        certificate = fetched[0]
        try:
            tls_socket = _handshake(verifying_context(ca_bundle, intermediates), host, open_tcp)
        except ssl.SSLCertVerificationError as error:
            if error.verify_code != UNABLE_TO_GET_LOCAL_ISSUER:
                raise _verification_failed(
                    host, port, error, f"even with the intermediate from {url}"
                ) from None
            failure = error
            continue
        _refuse_fetched_anchor(tls_socket, intermediates, host, port)
        _ISSUERS.remember_chain(host, port, used_urls)
        return tls_socket
    raise _verification_failed(
        host, port, failure, f"even with the certificates from {', '.join(used_urls)}"
    )


def _refuse_fetched_anchor(
    tls_socket: ssl.SSLSocket, fetched: list[bytes], host: str, port: int
) -> None:
    """A second guard besides refusing self-issued certificates: OpenSSL's verified chain must
    end at a root from the trust store, never at a certificate fetched through AIA (a fetched
    self-signed certificate in the verify store would be a trust anchor). The verified chain
    is CPython's _sslobj.get_verified_chain() (3.10+; SSLSocket.get_verified_chain in 3.13)."""
    chain = tls_socket._sslobj.get_verified_chain()  # type: ignore[union-attr]
    anchor = chain[-1].public_bytes(_ssl.ENCODING_DER) if chain else b""
    if anchor in fetched:
        tls_socket.close()
        raise TlsError(
            f"The TLS certificate of {host}:{port} could not be verified: its chain ends at a "
            f"certificate fetched from its own CA Issuers URL, not at a trusted root. {WHAT_TO_DO}"
        )


def _handshake(context: ssl.SSLContext, host: str, open_tcp: OpenTcp) -> ssl.SSLSocket:
    raw = open_tcp()
    try:
        return context.wrap_socket(raw, server_hostname=host)
    except BaseException:
        raw.close()
        raise


def _read_unverified_leaf(host: str, port: int, open_tcp: OpenTcp) -> bytes:
    """The server's own certificate (DER), read over a handshake WITHOUT verification. Used
    only to read the AIA URL: no request is ever sent on this connection, closed at once."""
    reader = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    reader.check_hostname = False
    reader.verify_mode = ssl.CERT_NONE
    with _handshake(reader, host, open_tcp) as unverified:
        der = unverified.getpeercert(binary_form=True)
    if not der:
        raise TlsError(f"The server {host}:{port} sent no certificate. {WHAT_TO_DO}")
    return der


def _ca_issuers(certificate_der: bytes, host: str, port: int) -> list[str]:
    try:
        return ca_issuers_urls(certificate_der)
    except DerError as error:
        raise TlsError(
            f"A certificate in the chain of {host}:{port} could not be read ({error}). {WHAT_TO_DO}"
        ) from None


def _fetch_issuer(urls: list[str], timeout: float, host: str, port: int) -> tuple[str, list[bytes]]:
    """The certificates the first of `urls` that answers gives (from the cache if fetched
    before), roots left out. Plain http is fine: they are only used inside a verified chain."""
    problems: list[str] = []
    for url in urls:
        cached = _ISSUERS.get(url)
        if cached is not None:
            return url, cached
        try:
            certificates = _download_certificates(url, timeout)
        except (OSError, ValueError, ssl.SSLError) as error:
            problems.append(f"{url}: {_reason(error)}")
            continue
        # A self-issued certificate in the verify store would be a trust anchor: never add one.
        intermediates = [der for der in certificates if not is_self_issued(der)]
        if not intermediates:
            raise TlsError(
                f"The TLS certificate of {host}:{port} could not be verified: unable to get local "
                f"issuer certificate, and the certificate from its CA Issuers URL {url} is a root "
                f"(self-issued), which is trusted only from the trust store. {WHAT_TO_DO}"
            )
        _ISSUERS.put(url, intermediates)
        return url, intermediates
    raise TlsError(
        f"The TLS certificate of {host}:{port} could not be verified: unable to get local issuer "
        f"certificate, and the missing intermediate could not be fetched "
        f"({'; '.join(problems)}). {WHAT_TO_DO}"
    )


def _download_certificates(url: str, timeout: float) -> list[bytes]:
    if not url.startswith(("http://", "https://")):
        raise ValueError("not an http(s) URL")
    https_context = verifying_context(None, [])
    with urllib.request.urlopen(url, timeout=timeout, context=https_context) as response:
        body = response.read(MAX_ISSUER_BYTES + 1)
    if len(body) > MAX_ISSUER_BYTES:
        raise ValueError(f"larger than {MAX_ISSUER_BYTES:,} bytes, not a certificate")
    try:
        return certificates_in(body)
    except DerError as error:
        raise ValueError(
            f"not a certificate (DER or PEM) or a certs-only PKCS #7 message: {error}"
        ) from None


def _verification_failed(
    host: str, port: int, error: ssl.SSLCertVerificationError, detail: str = ""
) -> TlsError:
    reason = (error.verify_message or _reason(error)).rstrip(".")
    detail = f" {detail}" if detail else ""
    return TlsError(
        f"The TLS certificate of {host}:{port} could not be verified: {reason}{detail}. "
        f"{WHAT_TO_DO}"
    )


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"the server answered {error.code}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__
