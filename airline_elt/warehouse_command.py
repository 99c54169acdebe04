"""`airline-elt warehouse ACTION`: start, stop, inspect the local warehouse, or print how to
connect to it."""

from __future__ import annotations

import shlex
import sys

from rich.console import Console

from airline_elt import workers
from airline_elt.dbt import dbt_environment
from airline_elt.warehouse import Warehouse
from airline_elt.warehouse_users import DBT


def start(console: Console, warehouse: Warehouse, with_workers: bool = True) -> None:
    connection = warehouse.start()
    console.print(
        f"warehouse running on {connection.host}:{connection.port}, database "
        f"{connection.dbname} (data: {warehouse.status().get('data_dir')})"
    )
    console.print('connect: psql "$(airline-elt warehouse url)"')
    if with_workers and workers.enabled():
        for info in workers.start_workers(warehouse.home):
            console.print(f"{info.kind} worker {info.state} (pid {info.pid}, log {info.log})")


def stop(console: Console, warehouse: Warehouse) -> None:
    for kind in workers.stop_workers(warehouse.home):
        console.print(f"{kind} worker stopped")
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
    for kind in workers.MODULES:
        info = workers.read_worker(warehouse.home, kind)
        console.print(f"{kind} worker {info.state}: pid {info.pid}, log {info.log}"
                      if info is not None else
                      f"no {kind} worker (`airline-elt warehouse start` starts it)")


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
