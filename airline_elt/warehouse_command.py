"""`airline-elt warehouse ACTION`: start, stop, inspect the local warehouse, or print how to
connect to it."""

from __future__ import annotations

import shlex
import sys

from rich.console import Console

from airline_elt.dbt import dbt_environment
from airline_elt.warehouse import Warehouse
from airline_elt.warehouse_users import DBT


def start(console: Console, warehouse: Warehouse) -> None:
    connection = warehouse.start()
    console.print(
        f"warehouse running on {connection.host}:{connection.port}, database "
        f"{connection.dbname} (data: {warehouse.status().get('data_dir')})"
    )
    console.print('connect: psql "$(airline-elt warehouse url)"')


def stop(console: Console, warehouse: Warehouse) -> None:
    stopped = warehouse.stop()
    console.print("warehouse stopped (the data stays)" if stopped
                  else "warehouse was not running")


def status(console: Console, warehouse: Warehouse) -> None:
    state = warehouse.status()
    if not state["exists"]:
        console.print(f"no warehouse yet in {state['folder']}: "
                      "`airline-elt warehouse start` creates one")
        return
    console.print(
        f"warehouse {'running' if state['running'] else 'stopped'}: "
        f"127.0.0.1:{state['port']}, data {state['data_dir']}, log {state['log']}"
    )


def url(warehouse: Warehouse, user: str | None) -> None:
    """The libpq URL on stdout (as `user`, a warehouse_users name, else the owner)."""
    print(warehouse.connection(user).url())
    if not warehouse.is_running():
        print("warning: the warehouse is stopped: `airline-elt warehouse start`",
              file=sys.stderr)


def env(warehouse: Warehouse) -> None:
    """Export lines for your own dbt commands (as the dbt user: your dbt builds what the
    pipeline's dbt owns)."""
    connection = warehouse.connection(DBT)
    environment = dbt_environment(connection, warehouse.home)
    names = [*connection.dbt_env(), "DBT_TARGET", "DBT_PROFILES_DIR", "DBT_TARGET_PATH",
             "DBT_LOG_PATH", "AIRLINE_ELT_SEED_DIR"]
    for name in names:
        if name in environment:
            print(f"export {name}={shlex.quote(environment[name])}")
