"""`airline-elt redrive KEY...`: put given-up files back in line for the next run."""

from __future__ import annotations

import getpass
from collections.abc import Sequence

import psycopg
from rich.console import Console

from airline_elt.errors import AirlineEltError
from airline_elt.warehouse import Warehouse
from airline_elt.warehouse_users import LANDING
from airline_landing.landing import utc_now
from airline_landing.local import create_raw_tables
from airline_landing.redrive import UnknownKeyError, redrive


def redrive_keys(console: Console, warehouse: Warehouse, keys: Sequence[str]) -> None:
    connection = warehouse.start_as(LANDING)  # raw is the landing user's
    with psycopg.connect(connection.url(), autocommit=True) as conn:
        create_raw_tables(conn)
    with psycopg.connect(connection.url()) as conn, conn.cursor() as cursor:
        try:
            redriven = redrive(cursor, list(keys), by=getpass.getuser(), now=utc_now())
        except UnknownKeyError as error:
            raise AirlineEltError(
                str(error), "`airline-elt status --all` lists the keys landing recorded"
            ) from error
    for key in redriven:
        console.print(f"  {key}: redriven, tried again on the next run")
