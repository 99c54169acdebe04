"""Runs never overlap: a PostgreSQL advisory lock, held on a connection of its own.

The lock lives in the warehouse, so it guards every process that writes to it,
whoever started it. When the holding process dies its connection closes and the
server frees the lock: a crash never leaves a stale lock behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg

# pg_advisory_lock(int, int): the pair shows up in pg_locks as (classid, objid).
LOCK_CLASS = 1_970_010
LOCK_ID = 1
APPLICATION_PREFIX = "airline-elt run "


@dataclass(frozen=True)
class LockHolder:
    pid: int
    run_id: str | None
    since: str | None


class RunLock:
    """`with RunLock(url, run_id).held(on_wait):` — waits while another run holds it."""

    def __init__(self, conninfo: str, run_id: str) -> None:
        self.conninfo = conninfo
        self.run_id = run_id
        self._conn: psycopg.Connection | None = None

    def acquire(self, on_wait: Callable[[LockHolder | None], None] | None = None) -> None:
        conn = psycopg.connect(
            self.conninfo, autocommit=True, application_name=APPLICATION_PREFIX + self.run_id
        )
        try:
            got = conn.execute(
                "select pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, LOCK_ID)
            ).fetchone()
            if not (got and got[0]):
                if on_wait is not None:
                    on_wait(current_holder(conn))
                conn.execute("select pg_advisory_lock(%s, %s)", (LOCK_CLASS, LOCK_ID))
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            if not self._conn.closed:
                self._conn.execute("select pg_advisory_unlock(%s, %s)", (LOCK_CLASS, LOCK_ID))
        finally:
            self._conn.close()
            self._conn = None


def current_holder(conn: psycopg.Connection) -> LockHolder | None:
    """Who holds the run lock now (None when nobody does)."""
    row = conn.execute(
        """
        select a.pid, a.application_name, a.backend_start::text
        from pg_locks l
        join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted
          and l.classid = %s and l.objid = %s and l.objsubid = 2
        """,
        (LOCK_CLASS, LOCK_ID),
    ).fetchone()
    if row is None:
        return None
    pid, application, since = row
    run_id = application[len(APPLICATION_PREFIX):] if application.startswith(
        APPLICATION_PREFIX
    ) else None
    return LockHolder(pid=pid, run_id=run_id, since=since)
