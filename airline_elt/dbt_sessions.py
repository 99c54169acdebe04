"""dbt's PostgreSQL sessions kept from one node to the next within a dbt command, in every
local dbt process: the one a run or a watch keeps or forks (airline_elt/dbt_worker.py) and
the dbt command line (airline_elt/dbt_cli.py).

dbt closes a thread's connection after every node and opens a new one for the next
(dbt-adapters, `BaseConnectionManager.release`: "always close the connection"). A build of
~140 nodes therefore opens ~140 PostgreSQL sessions: each a backend process forked, a
SCRAM-SHA-256 exchange computed on both sides and the new backend's catalog caches filled
again, about 10 ms of the machine's CPU each on this 2-core machine against 0.03 ms for the
same query on an open session.

`SessionKeepingConnectionManager.release` leaves the session open instead and gives the
next node what a new session would be:

- the node's transaction is rolled back, as `close()` does before it closes (dbt commits
  what a node keeps itself, so nothing committed is lost and nothing uncommitted is kept),
  and psycopg2's own with it, the autocommit setting it had kept;
- `DISCARD ALL` then resets the session to its state at connection: settings (to the
  values the connection started with), temporary tables, prepared statements, cursors,
  advisory locks (https://www.postgresql.org/docs/current/sql-discard.html).

A connection that is not open, or one that fails any of this, is closed as dbt closes it.
A profile with a `role` is closed as well: `DISCARD ALL` resets the role that dbt set when
it opened the session. The sessions end when dbt's command does (dbt closes every thread's
connection at its end: `cleanup_all`). Only the local PostgreSQL warehouse's dbt is
changed; dbt on Redshift (the dbt image on AWS) keeps dbt's own behaviour.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.contracts.connection import ConnectionState
from dbt.adapters.postgres.connections import PostgresConnectionManager
from dbt.adapters.postgres.impl import PostgresAdapter
from psycopg2.extensions import STATUS_READY, TRANSACTION_STATUS_IDLE


class SessionKeepingConnectionManager(PostgresConnectionManager):
    """dbt-postgres's connection manager, but a node's session is reset, not closed."""

    def release(self) -> None:
        with self.lock:
            connection = self.get_if_exists()
        if (connection is None or connection.state != ConnectionState.OPEN
                or getattr(connection.credentials, "role", None)):
            super().release()
            return
        try:
            if connection.transaction_open:
                self._rollback(connection)
            handle = connection.handle
            _end_psycopg2_transaction(handle)
            autocommit = handle.autocommit
            handle.autocommit = True  # DISCARD ALL cannot run inside a transaction
            try:
                with handle.cursor() as cursor:
                    cursor.execute("discard all")
            finally:
                handle.autocommit = autocommit
        except Exception:  # any doubt about the session: close it, as dbt would
            super().release()


def _end_psycopg2_transaction(handle: Any) -> None:
    """Roll back the transaction psycopg2 began, if it began one, without a warning in the
    server's log: dbt commits with an SQL `COMMIT`, which psycopg2 does not see, so after
    a node that committed psycopg2 still counts a transaction the server has ended, and
    its ROLLBACK would get "there is no transaction in progress" (a WARNING line in the
    warehouse's log for every such node). A `BEGIN` first gives the ROLLBACK one to end."""
    if handle.status == STATUS_READY:
        return  # psycopg2 began nothing
    if handle.info.transaction_status == TRANSACTION_STATUS_IDLE:
        with handle.cursor() as cursor:
            cursor.execute("begin")
    handle.rollback()


def keep_sessions_between_nodes() -> None:
    """Make dbt's PostgreSQL adapter, in this process, keep its sessions between nodes.
    Called before dbt's first command in the process (dbt builds its adapter per command)."""
    PostgresAdapter.ConnectionManager = SessionKeepingConnectionManager
