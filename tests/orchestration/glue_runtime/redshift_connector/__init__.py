"""Test-only stand-in for redshift_connector, in the Glue job's own process.

It records every call the job makes (JSON lines in AIRLINE_TEST_REDSHIFT_LOG) and relays each
statement over a Unix socket (AIRLINE_TEST_REDSHIFT_RELAY) to the test's process, which runs it
on the local PostgreSQL (glue_runtime/redshift_relay.py: what it translates, and why), so the
landing's decisions (duplicates, supersedes, counts) are real. It imports the standard library
only: the job's process has nothing else but what Glue 5.0 provides and what the deploy ships.
It stands in front of the real redshift_connector wheel, which the job's path also holds (the
import test loads that one).
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from relay_wire import decode, encode


class Error(Exception):
    """DB-API's base error, as redshift_connector raises it."""


class ProgrammingError(Error):
    pass


def _log(entry: dict[str, Any]) -> None:
    with open(os.environ["AIRLINE_TEST_REDSHIFT_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry, default=str) + "\n")


def connect(**params: Any) -> Connection:
    _log({"connect": {k: v for k, v in params.items() if k != "password"}})
    return Connection()


class Connection:
    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.connect(os.environ["AIRLINE_TEST_REDSHIFT_RELAY"])
        self._replies = self._socket.makefile("rb")

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        self._socket.sendall(json.dumps(request).encode() + b"\n")
        reply: dict[str, Any] = json.loads(self._replies.readline())
        if "error" in reply:
            raise ProgrammingError(reply["error"])
        return reply

    def cursor(self) -> Cursor:
        return Cursor(self)

    def commit(self) -> None:
        _log({"commit": True})
        self.call({"op": "commit"})

    def rollback(self) -> None:
        _log({"rollback": True})
        self.call({"op": "rollback"})

    def close(self) -> None:
        self._replies.close()
        self._socket.close()


class Cursor:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.rows: list[tuple[Any, ...]] = []

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str, params: Any = None) -> Cursor:
        _log({"sql": sql, "params": list(params) if params else None})
        reply = self.connection.call(
            {"op": "execute", "sql": sql, "params": encode(list(params)) if params else None}
        )
        self.rows = [tuple(row) for row in decode(reply["rows"])]
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows.pop(0) if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self.rows = self.rows, []
        return rows
