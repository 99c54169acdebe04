"""The one error type the command line turns into a short message (no traceback)."""

from __future__ import annotations


class AirlineEltError(RuntimeError):
    """A failure the user can act on: `message` says what failed, `hint` what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"
