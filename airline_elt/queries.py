"""Read-only questions the runner asks the warehouse (summary and status)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg

FACT_TABLE = "airlines.daily_flights_fact"
CARRIER_MART = "airlines.mv_carrier_delays"
ROUTE_MART = "airlines.mv_delay_prone_routes"
# A carrier is ranked by its delay rate only with at least this many operated flights in
# the warehouse: a carrier that flew three times and was late twice says nothing yet.
MIN_CARRIER_FLIGHTS = 50
UNKNOWN_AIRPORTS = "airlines.unknown_airports"


@dataclass(frozen=True)
class DelayRank:
    """A carrier or route in a delay ranking (a row of a mart)."""

    label: str
    flights_operated: int
    flights_delayed: int
    delay_rate: float | None  # a fraction, delay_rate_pct / 100 (0.051 for 5.1 %)
    avg_delay_of_delayed: float | None
    delay_rate_pct: float | None = None  # as the mart has it, rounded to 1 decimal: 5.1


def table_exists(conn: psycopg.Connection, qualified_name: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", (qualified_name,)).fetchone()
    return bool(row and row[0])


def fact_rows_by_date(conn: psycopg.Connection, dates: Iterable[str]) -> dict[str, int]:
    """Fact rows for each of `dates` (ISO strings); a date without delayed flights gives 0."""
    wanted = sorted(set(dates))
    if not wanted:
        return {}
    counts = dict.fromkeys(wanted, 0)
    rows = conn.execute(
        f"select flight_date, count(*) from {FACT_TABLE} "
        "where flight_date = any(%s::date[]) group by flight_date",
        (wanted,),
    ).fetchall()
    for flight_date, count in rows:
        counts[flight_date.isoformat()] = int(count)
    return counts


@dataclass(frozen=True)
class UnknownAirport:
    """An airport id landed flights use that airports_dim lacks (a row of unknown_airports)."""

    airport_id: int
    flights: int
    flights_delayed: int


SHOWN_UNKNOWN_AIRPORTS = 3


def unknown_airports(conn: psycopg.Connection) -> list[UnknownAirport]:
    """Every unknown airport, the most used first."""
    rows = conn.execute(
        f"select airport_id, flights, flights_delayed from {UNKNOWN_AIRPORTS} "
        "order by flights desc, airport_id"
    ).fetchall()
    return [UnknownAirport(airport_id=int(airport_id), flights=int(flights),
                           flights_delayed=int(delayed)) for airport_id, flights, delayed in rows]


def unknown_airports_line(airports: list[UnknownAirport]) -> str | None:
    """One line for the run summary naming the model (and the most used ids); None if none."""
    if not airports:
        return None
    shown = "; ".join(f"{airport.airport_id}: {airport.flights:,} flights, "
                      f"{airport.flights_delayed:,} delayed"
                      for airport in airports[:SHOWN_UNKNOWN_AIRPORTS])
    more = (f"; {len(airports) - SHOWN_UNKNOWN_AIRPORTS:,} more"
            if len(airports) > SHOWN_UNKNOWN_AIRPORTS else "")
    return (
        f"{len(airports):,} airport id(s) used by landed flights are not in airports_dim "
        f"({shown}{more}): see {UNKNOWN_AIRPORTS}, add them to your airports list "
        f"(--airports FILE) and their flights reach the fact on the next run"
    )


def top_delayed_carriers(
    conn: psycopg.Connection, limit: int = 5, min_flights: int = MIN_CARRIER_FLIGHTS
) -> list[DelayRank]:
    """The carriers with the highest delay rate among those with at least `min_flights`
    operated flights (ties: more delayed flights first); volume beside each."""
    rows = conn.execute(
        f"""
        select case when carrier_name = carrier then carrier
                    else carrier_name || ' (' || carrier || ')' end,
               flights_operated, flights_delayed, delay_rate_pct,
               avg_dep_delay_of_delayed_minutes
        from {CARRIER_MART}
        where flights_delayed > 0 and flights_operated >= %s
        order by delay_rate_pct desc, flights_delayed desc, carrier
        limit %s
        """,
        (min_flights, limit),
    ).fetchall()
    return [_rank(row) for row in rows]


def top_delayed_routes(conn: psycopg.Connection, limit: int = 5) -> list[DelayRank]:
    """The most delay-prone routes: mv_delay_prone_routes (routes with at least the dbt var
    `min_route_flights` operated flights) by its delay_rank."""
    rows = conn.execute(
        f"""
        select coalesce(origin_city, origin_airport, 'airport ' || origin_airport_id) || ' -> '
               || coalesce(dest_city, dest_airport, 'airport ' || dest_airport_id),
               flights_operated, flights_delayed, delay_rate_pct,
               avg_dep_delay_of_delayed_minutes
        from {ROUTE_MART}
        where flights_delayed > 0
        order by delay_rank, 1
        limit %s
        """,
        (limit,),
    ).fetchall()
    return [_rank(row) for row in rows]


def _rank(row: tuple[Any, ...]) -> DelayRank:
    label, operated, delayed, rate_pct, avg_delay = row
    return DelayRank(
        label=str(label),
        flights_operated=int(operated or 0),
        flights_delayed=int(delayed or 0),
        delay_rate=None if rate_pct is None else float(rate_pct) / 100,
        avg_delay_of_delayed=None if avg_delay is None else float(avg_delay),
        delay_rate_pct=None if rate_pct is None else float(rate_pct),
    )


@dataclass(frozen=True)
class LandedFile:
    file_version_id: int
    file_key: str
    status: str
    rows_read: int
    rows_landed: int
    rows_rejected: int
    landed_at: dt.datetime
    run_id: str | None
    error_text: str | None


def landed_files(conn: psycopg.Connection, limit: int | None = None) -> list[LandedFile]:
    """raw.landed_files, newest first (empty when nothing has landed yet)."""
    if not table_exists(conn, "raw.landed_files"):
        return []
    rows = conn.execute(
        """
        select file_version_id, file_key, status, rows_read, rows_landed, rows_rejected,
               landed_at, run_id, error_text
        from raw.landed_files
        order by landed_at desc, file_version_id desc
        limit %s
        """,
        (limit,),
    ).fetchall()
    return [LandedFile(*row) for row in rows]


def landed_file_counts(conn: psycopg.Connection) -> dict[str, int]:
    """How many file versions have each status."""
    if not table_exists(conn, "raw.landed_files"):
        return {}
    rows = conn.execute(
        "select status, count(*) from raw.landed_files group by status order by status"
    ).fetchall()
    return {status: int(count) for status, count in rows}


def latest_hash_by_key(conn: psycopg.Connection) -> dict[str, str]:
    """For each file key, the content hash of its latest delivery, whatever its status."""
    if not table_exists(conn, "raw.landed_files"):
        return {}
    rows = conn.execute(
        """
        select distinct on (file_key) file_key, content_sha256
        from raw.landed_files
        order by file_key, file_version_id desc
        """
    ).fetchall()
    return {key: digest.strip() for key, digest in rows}
