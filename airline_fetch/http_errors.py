"""The errors a download can end with. str(error) is one plain line for the user that names the
URL and what happened; the subclasses let a caller tell "not published" from "try later"."""

from __future__ import annotations


class FetchError(Exception):
    """A download or HEAD request failed; str(error) says which URL and why, in plain words."""


class NotFoundError(FetchError):
    """The server answered 404 or 410: the file is not there (an unpublished month)."""


class HttpStatusError(FetchError):
    """The server kept answering a non-2xx status other than 404/410 (after any retries)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NetworkError(FetchError):
    """Connection trouble (refused, reset, timed out, body cut short) outlasted the retries."""


class TlsError(FetchError):
    """The server's certificate could not be verified; the message says what and what to do.
    Never retried and never bypassed."""
