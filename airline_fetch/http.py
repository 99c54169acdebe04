"""The network layer of `airline-elt fetch`: download() streams a URL to the caller's temp file
with time-outs, retries with backoff, resumes a cut body with a Range request, and verifies TLS
always (tls.py); head() reads a file's size, date and ETag so a caller can skip an unchanged
month. A proxy named by the environment is used (http_proxy.py). Standard library and certifi
only: it runs inside an AWS Lambda function too.

Every failure is a FetchError whose text names the URL and what happened in plain words.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import socket
import ssl
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import BinaryIO, Protocol

from airline_fetch.http_connection import (
    ConnectTimeout,
    Opened,
    Timeouts,
    open_response,
    parse_target,
)
from airline_fetch.http_errors import (
    FetchError,
    HttpStatusError,
    NetworkError,
    NotFoundError,
    TlsError,
)
from airline_fetch.http_proxy import ProxyUnreachable, TunnelRefused
from airline_fetch.http_retry import (
    RetryableFailure,
    is_retryable_status,
    retry_after_seconds,
    size_text,
    with_retries,
)

__all__ = [
    "Downloaded",
    "FetchError",
    "HttpSettings",
    "HttpStatusError",
    "NetworkError",
    "NotFoundError",
    "Progress",
    "Remote",
    "TlsError",
    "download",
    "head",
]

CHUNK_BYTES = 1 << 20
NOT_FOUND_STATUSES = {404, 410}


def _default_user_agent() -> str:
    try:
        info = metadata.metadata("airline-elt")
    except metadata.PackageNotFoundError:
        return "airline-elt"
    urls = info.get_all("Project-URL") or []
    home = next((url.split(",", 1)[1].strip() for url in urls if "," in url), None)
    return f"airline-elt/{info['Version']}" + (f" (+{home})" if home else "")


@dataclass(frozen=True)
class HttpSettings:
    connect_timeout: float = 30.0
    read_timeout: float = 120.0  # seconds without a byte
    attempts: int = 5  # per download
    backoff_seconds: float = 2.0  # first wait; doubles, with jitter; capped
    ca_bundle: Path | None = None  # extra CA certificates (PEM) trusted besides certifi's
    # A time.monotonic() after which no retry or wait starts (a Lambda function's deadline):
    # the request then fails with what went wrong, before the function is killed mid-wait.
    give_up_at: float | None = None
    # The most a download may bring (a BTS month's zip is ~30 MB): an endless or huge answer
    # (a mirror's mistake, a proxy's page) fails at once instead of filling the disk.
    max_bytes: int | None = 2 << 30
    user_agent: str = field(default_factory=_default_user_agent)

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be more than 0 (got {value!r})"
            for name, value in (
                ("connect_timeout", self.connect_timeout),
                ("read_timeout", self.read_timeout),
                ("attempts", self.attempts),
            )
            if not value > 0
        ]
        if not self.backoff_seconds >= 0:
            problems.append(f"backoff_seconds must be 0 or more (got {self.backoff_seconds!r})")
        if problems:
            raise ValueError("HTTP settings: " + "; ".join(problems))


class Progress(Protocol):
    """start() is called when a try's body begins (again when a retry starts over from zero,
    which resets the count; a resumed try calls advance() with the bytes already on disk)."""

    def start(self, url: str, total_bytes: int | None) -> None: ...
    def advance(self, n_bytes: int) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class Remote:
    size: int | None
    last_modified: str | None
    etag: str | None
    content_type: str | None


@dataclass(frozen=True)
class Downloaded:
    url: str  # where the bytes came from, after any redirects
    path: Path  # the file written (the caller's dest)
    size: int
    sha256: str  # of the bytes downloaded
    last_modified: str | None
    etag: str | None
    content_type: str | None
    attempts: int  # how many tries it took
    resumed: bool  # whether a Range request completed it


def head(url: str, settings: HttpSettings = HttpSettings()) -> Remote | None:
    """The file's size, Last-Modified, ETag and type from a HEAD request (retried like a
    download); None when the server answers 404 or 410."""
    parse_target(url)
    failed = f"Could not check {url}"

    def attempt() -> Remote | None:
        opened = _open("HEAD", url, {}, settings, failed)
        try:
            status = opened.response.status
            if status in NOT_FOUND_STATUSES:
                return None
            _raise_unless_ok(opened, failed)
            return Remote(
                size=_content_length(opened.response),
                last_modified=opened.response.getheader("Last-Modified"),
                etag=opened.response.getheader("ETag"),
                content_type=opened.response.getheader("Content-Type"),
            )
        finally:
            opened.close()

    remote, _ = with_retries(failed, settings.attempts, settings.backoff_seconds, attempt,
                             settings.give_up_at)
    return remote


def download(
    url: str,
    dest: Path,
    settings: HttpSettings = HttpSettings(),
    progress: Progress | None = None,
) -> Downloaded:
    """Streams url to dest (the caller's temp file; the caller renames it) in 1 MiB chunks.
    Retries passing trouble, resuming a cut body where the server allows; on any failure dest
    is removed, so nothing partial is left. Raises a FetchError subclass."""
    parse_target(url)
    dest = Path(dest)
    try:
        with dest.open("wb") as file:
            body = _Body(file)
            try:
                final_url, attempts = with_retries(
                    f"Could not download {url}",
                    settings.attempts,
                    settings.backoff_seconds,
                    lambda: _try_download(url, body, settings, progress),
                    settings.give_up_at,
                )
            finally:
                if progress is not None and body.started:
                    progress.finish()
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return Downloaded(
        url=final_url,
        path=dest,
        size=body.size,
        sha256=body.sha256.hexdigest(),
        last_modified=body.headers.last_modified,
        etag=body.headers.etag,
        content_type=body.headers.content_type,
        attempts=attempts,
        resumed=body.resumed,
    )


@dataclass(frozen=True)
class _Headers:
    """What the 200 answer whose body is on disk said of it (a 206 continues that answer)."""

    last_modified: str | None = None
    etag: str | None = None
    content_type: str | None = None


class _Body:
    """The bytes on disk so far, their hash, and what a resume needs: the full size and the
    validator (ETag or Last-Modified) of the 200 answer they came from."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.total: int | None = None
        self.validator: str | None = None
        self.headers = _Headers()
        self.resumed = False
        self.started = False

    def restart(self, response: http.client.HTTPResponse | None) -> None:
        """Empties the file for the body of `response` (a 200), or for no answer yet."""
        self.file.seek(0)
        self.file.truncate()
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.resumed = False
        if response is None:
            self.total, self.validator, self.headers = None, None, _Headers()
            return
        self.total = _content_length(response)
        self.validator = _validator(response)
        self.headers = _Headers(
            last_modified=response.getheader("Last-Modified"),
            etag=response.getheader("ETag"),
            content_type=response.getheader("Content-Type"),
        )

    def append(self, chunk: bytes) -> None:
        self.file.write(chunk)
        self.sha256.update(chunk)
        self.size += len(chunk)

    def can_resume(self) -> bool:
        return self.size > 0 and self.validator is not None and self.total is not None

    def progress_text(self) -> str:
        total = f" of {size_text(self.total)}" if self.total is not None else ""
        return f"{size_text(self.size)}{total}"


def _try_download(url: str, body: _Body, settings: HttpSettings, progress: Progress | None) -> str:
    """One try: the body from where the file on disk stops (a Range request) or from zero.
    Returns the URL it came from, after redirects."""
    resuming = body.can_resume()
    request_headers: dict[str, str] = {}
    if resuming:
        request_headers["Range"] = f"bytes={body.size}-"
        request_headers["If-Range"] = body.validator or ""
    failed = f"Could not download {url}"
    opened = _open("GET", url, request_headers, settings, failed)
    try:
        response = opened.response
        if response.status in NOT_FOUND_STATUSES:
            raise NotFoundError(
                f"{failed}: the server answered {response.status} {response.reason} (not there)"
            )
        if resuming and response.status == 206:
            _check_content_range(response, body)
            body.resumed = True
        elif resuming and response.status == 416:
            body.restart(None)
            raise RetryableFailure("bad-range", "the server refused to resume (416)")
        else:
            _raise_unless_ok(opened, failed)
            if response.status != 200:
                raise HttpStatusError(
                    f"{failed}: the server answered {response.status} "
                    f"{response.reason} where 200 was expected",
                    response.status,
                )
            body.restart(response)
        if progress is not None:
            progress.start(url, body.total)
            body.started = True
            if body.resumed:
                progress.advance(body.size)
        _stream(url, response, body, progress, settings)
        return opened.url
    finally:
        opened.close()


def _stream(
    url: str,
    response: http.client.HTTPResponse,
    body: _Body,
    progress: Progress | None,
    settings: HttpSettings,
) -> None:
    if settings.max_bytes is not None and (body.total or 0) > settings.max_bytes:
        raise FetchError(f"{url} announces {body.total:,} bytes, more than the "
                         f"{settings.max_bytes:,} a download may bring; not downloaded")
    while chunk := _read_chunk(response, body, settings):
        if settings.max_bytes is not None and body.size + len(chunk) > settings.max_bytes:
            raise FetchError(f"{url} sent more than the {settings.max_bytes:,} "
                             "bytes a download may bring; stopped")
        body.append(chunk)
        if progress is not None:
            progress.advance(len(chunk))
    if body.total is not None and body.size < body.total:
        raise RetryableFailure("cut", f"the connection was cut after {body.progress_text()}")


def _read_chunk(response: http.client.HTTPResponse, body: _Body, settings: HttpSettings) -> bytes:
    """The next chunk of the body (what one socket read brings, at most 1 MiB, so bytes that
    arrived before a stall are kept), b"" at its end; trouble while reading (not while writing
    the file: the caller's disk is no reason to retry) becomes a RetryableFailure."""
    try:
        return response.read1(CHUNK_BYTES)
    except TimeoutError:
        raise RetryableFailure(
            "stalled",
            f"the server sent nothing for {settings.read_timeout:g} s after {body.progress_text()}",
        ) from None
    except (OSError, http.client.HTTPException):
        raise RetryableFailure(
            "cut", f"the connection was cut after {body.progress_text()}"
        ) from None


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def _check_content_range(response: http.client.HTTPResponse, body: _Body) -> None:
    """A 206 answer must continue exactly where the file on disk stops, for the same size."""
    match = _CONTENT_RANGE.fullmatch((response.getheader("Content-Range") or "").strip())
    if match is None or (int(match[1]), int(match[2]) + 1, int(match[3])) != (
        body.size,
        body.total,
        body.total,
    ):
        body.restart(None)
        raise RetryableFailure(
            "bad-range",
            "the server answered a resume with a range that does not continue the file "
            f"(Content-Range: {response.getheader('Content-Range')})",
        )


def _open(
    method: str, url: str, headers: dict[str, str], settings: HttpSettings, failed: str
) -> Opened:
    """Sends the request and reads the answer's headers: connection trouble becomes a
    RetryableFailure, TLS trouble a TlsError (never retried), both in words; `failed` begins
    the message of an error that ends the tries ("Could not download URL")."""
    all_headers = {
        "User-Agent": settings.user_agent,
        "Accept-Encoding": "identity",
        **headers,
    }
    timeouts = Timeouts(settings.connect_timeout, settings.read_timeout)
    try:
        return open_response(method, url, all_headers, timeouts, settings.ca_bundle)
    except TlsError as error:
        raise TlsError(f"{failed}: {error}") from None
    except TunnelRefused as error:
        if error.status == 407:
            raise HttpStatusError(
                f"{failed}: {error}; give the proxy's user and password in the proxy URL "
                "(https_proxy=http://user:password@host:port)",
                error.status,
            ) from None
        if is_retryable_status(error.status):
            raise RetryableFailure(str(error), str(error), status=error.status) from None
        raise HttpStatusError(f"{failed}: {error}", error.status) from None
    except ProxyUnreachable as error:
        raise RetryableFailure("proxy", str(error)) from None
    except ConnectionRefusedError:
        raise RetryableFailure("refused", "the connection was refused") from None
    except ConnectTimeout:
        raise RetryableFailure(
            "connect-timeout", f"no connection within {settings.connect_timeout:g} s"
        ) from None
    except TimeoutError:
        raise RetryableFailure(
            "answer-timeout", f"the server sent no answer for {settings.read_timeout:g} s"
        ) from None
    except socket.gaierror as error:
        raise RetryableFailure(
            "dns", f"the host name could not be resolved ({error.strerror})"
        ) from None
    except (ConnectionResetError, http.client.RemoteDisconnected):
        raise RetryableFailure("reset", "the connection was reset before an answer") from None
    except ssl.SSLError as error:
        raise RetryableFailure("tls-broken", f"the TLS connection failed ({error})") from None
    except (OSError, http.client.HTTPException) as error:
        raise RetryableFailure("network", f"the connection failed ({error})") from None


def _raise_unless_ok(opened: Opened, failed: str) -> None:
    response = opened.response
    if 200 <= response.status < 300:
        return
    if is_retryable_status(response.status):
        raise RetryableFailure(
            str(response.status),
            f"the server answered {response.status}",
            status=response.status,
            retry_after=retry_after_seconds(response.getheader("Retry-After")),
        )
    redirected = f" (redirected to {opened.url})" if opened.redirected else ""
    raise HttpStatusError(
        f"{failed}: the server answered {response.status} {response.reason}".rstrip() + redirected,
        response.status,
    )


def _content_length(response: http.client.HTTPResponse) -> int | None:
    value = response.getheader("Content-Length")
    return int(value) if value is not None and value.strip().isdigit() else None


def _validator(response: http.client.HTTPResponse) -> str | None:
    """What If-Range may carry: a strong ETag, else Last-Modified (RFC 9110 section 13.1.5:
    a weak ETag is not allowed there)."""
    etag = response.getheader("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return response.getheader("Last-Modified")
