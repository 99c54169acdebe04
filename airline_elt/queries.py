"""Read-only questions the runner asks the warehouse (summary and status)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import dict_row

from airline_elt import landed_counts
from airline_elt.report_data import Airport
from airline_elt.wording import plural
from airline_landing.results import FileStatus

if TYPE_CHECKING:
    from airline_elt.warehouse import Connection

FACT_TABLE = "airlines.daily_flights_fact"
CARRIER_MART = "airlines.mv_carrier_delays"
ROUTE_MART = "airlines.mv_delay_prone_routes"
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
        f"{plural(len(airports), 'airport id')} used by landed flights "
        f"{'is' if len(airports) == 1 else 'are'} not in airports_dim "
        f"({shown}{more}): see {UNKNOWN_AIRPORTS}, add them to your airports list "
        f"(--airports FILE) and their flights reach the fact on the next run"
    )


# The warn-severity dbt test on int_flights_enriched stores its rows here (one per pair of
# file keys that carry the same flights): the summary names the keys.
OVERLAPPING_DELIVERIES = "intermediate.flights_carried_by_two_files"
OVERLAP_TEST = "flights_carried_by_two_files"
SHOWN_OVERLAPS = 3


@dataclass(frozen=True)
class Overlap:
    """Two file keys that both carry the same flights (a stored failure of the dbt test)."""

    first_key: str
    second_key: str
    shared_flights: int
    first_date: dt.date
    last_date: dt.date


def overlapping_deliveries(conn: psycopg.Connection) -> list[Overlap]:
    """The pairs of keys the last build's overlap test found, the most shared first."""
    if not table_exists(conn, OVERLAPPING_DELIVERIES):
        return []
    rows = conn.execute(
        "select first_key, second_key, shared_flights, first_flight_date, last_flight_date "
        f"from {OVERLAPPING_DELIVERIES} order by shared_flights desc, first_key, second_key"
    ).fetchall()
    return [Overlap(first, second, int(shared), first_date, last_date)
            for first, second, shared, first_date, last_date in rows]


def overlapping_deliveries_line(overlaps: list[Overlap]) -> str | None:
    """One line for the run summary naming the keys that carry the same flights."""
    if not overlaps:
        return None
    shown = "; ".join(
        f"{item.first_key} and {item.second_key} share {plural(item.shared_flights, 'flight')}"
        f" ({_span(item.first_date, item.last_date)})"
        for item in overlaps[:SHOWN_OVERLAPS]
    )
    more = (f"; {len(overlaps) - SHOWN_OVERLAPS:,} more pairs"
            if len(overlaps) > SHOWN_OVERLAPS else "")
    flights = sum(item.shared_flights for item in overlaps)
    return (
        f"{plural(flights, 'flight')} landed from two different files (overlapping "
        f"deliveries, both copies count in the fact and the marts): {shown}{more}; see "
        f"{OVERLAPPING_DELIVERIES}, and replace or remove one of the files"
    )


def _span(first: dt.date, last: dt.date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def top_delayed_carriers(
    conn: psycopg.Connection, min_flights: int, limit: int = 5
) -> list[DelayRank]:
    """The carriers with the highest delay rate among those with at least `min_flights`
    operated flights (min_sample.min_sample_flights; ties: more delayed flights first);
    volume beside each."""
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(
            f"""
            select case when carrier_name = carrier then carrier
                        else carrier_name || ' (' || carrier || ')' end as label,
                   flights_operated, flights_delayed, delay_rate_pct,
                   avg_dep_delay_of_delayed_minutes
            from {CARRIER_MART}
            where flights_delayed > 0 and flights_operated >= %s
            order by delay_rate_pct desc, flights_delayed desc, carrier
            limit %s
            """,
            (min_flights, limit),
        ).fetchall()
    return [_delay_rank(row["label"], row) for row in rows]


def top_delayed_routes(conn: psycopg.Connection, limit: int = 5) -> list[DelayRank]:
    """The most delay-prone routes: mv_delay_prone_routes (routes with at least the dbt var
    min_sample_flights operated flights) by its delay_rank, ties by label. A route reads as
    the report names airports: `ORD · Chicago, IL -> ATL · Atlanta, GA`."""
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(
            f"""
            select *
            from {ROUTE_MART}
            where flights_delayed > 0 and delay_rank <= (
                select max(delay_rank) from (
                    select delay_rank from {ROUTE_MART}
                    where flights_delayed > 0 order by delay_rank limit %s) as first_ranks)
            """,
            (limit,),
        ).fetchall()
    labelled = sorted(((row["delay_rank"], _route_label(row), row) for row in rows),
                      key=lambda item: item[:2])
    return [_delay_rank(label, row) for _, label, row in labelled[:limit]]


def _route_label(row: dict[str, Any]) -> str:
    """`ORD · Chicago, IL -> ATL · Atlanta, GA`; a mart built before the airport codes has
    no code columns (select * reads it all the same)."""
    origin, dest = (Airport(airport_id=row[f"{side}_airport_id"],
                            code=row.get(f"{side}_airport_code"), city=row[f"{side}_city"],
                            state=row[f"{side}_state"], name=row[f"{side}_airport"])
                    for side in ("origin", "dest"))
    return f"{origin.label} -> {dest.label}"


def _delay_rank(label: str, row: dict[str, Any]) -> DelayRank:
    """A mart's row (flights_operated, flights_delayed, delay_rate_pct,
    avg_dep_delay_of_delayed_minutes) as a DelayRank named `label`."""
    rate_pct, avg_delay = row["delay_rate_pct"], row["avg_dep_delay_of_delayed_minutes"]
    return DelayRank(
        label=str(label),
        flights_operated=int(row["flights_operated"] or 0),
        flights_delayed=int(row["flights_delayed"] or 0),
        delay_rate=None if rate_pct is None else float(rate_pct) / 100,
        avg_delay_of_delayed=None if avg_delay is None else float(avg_delay),
        delay_rate_pct=None if rate_pct is None else float(rate_pct),
    )


@dataclass(frozen=True)
class LandedFile:
    """One delivery of a file key (a row of raw.landed_files), with its per-key version."""

    file_version_id: int  # the control table's id: one counter over every key
    file_key: str
    status: str
    rows_read: int
    rows_landed: int
    rows_rejected: int
    landed_at: dt.datetime
    run_id: str | None
    error_text: str | None
    # 1 for a key's first delivery, 2 for its first with other content, ...; a duplicate
    # has the version it repeats.
    version: int
    # Later deliveries of this version's content (0 for a duplicate itself).
    duplicates: int


def landed_files(
    conn: psycopg.Connection, limit: int | None = None, include_duplicates: bool = False
) -> list[LandedFile]:
    """raw.landed_files, newest first (empty when nothing has landed yet). Duplicates are
    left out (counted on the version they repeat) unless `include_duplicates`."""
    if not table_exists(conn, "raw.landed_files"):
        return []
    rows = conn.execute(
        """
        with versions as (
            select
                file_version_id, file_key, status, rows_read, rows_landed, rows_rejected,
                landed_at, run_id, error_text,
                greatest(1, count(*) filter (where status <> 'duplicate') over (
                    partition by file_key order by file_version_id
                    rows between unbounded preceding and current row
                )) as version
            from raw.landed_files
        ),
        repeats as (
            select file_key, version, count(*) as duplicates
            from versions
            where status = 'duplicate'
            group by file_key, version
        )
        select
            v.file_version_id, v.file_key, v.status, v.rows_read, v.rows_landed,
            v.rows_rejected, v.landed_at, v.run_id, v.error_text, v.version,
            case when v.status = 'duplicate' then 0 else coalesce(r.duplicates, 0) end
        from versions as v
        left join repeats as r on r.file_key = v.file_key and r.version = v.version
        where %(all)s or v.status <> 'duplicate'
        order by v.landed_at desc, v.file_version_id desc
        limit %(limit)s
        """,
        {"all": include_duplicates, "limit": limit},
    ).fetchall()
    return [
        LandedFile(file_version_id=version_id, file_key=key, status=status, rows_read=read,
                   rows_landed=landed, rows_rejected=rejected, landed_at=landed_at,
                   run_id=run_id, error_text=error_text, version=int(version),
                   duplicates=int(duplicates))
        for (version_id, key, status, read, landed, rejected, landed_at, run_id, error_text,
             version, duplicates) in rows
    ]


def landed_file_counts(conn: psycopg.Connection) -> dict[str, int]:
    """How many file versions have each status."""
    if not table_exists(conn, "raw.landed_files"):
        return {}
    rows = conn.execute(landed_counts.files_by_status()).fetchall()
    return {str(FileStatus(str(status).strip())): int(files) for status, files in rows}


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


def read_only(connection: Connection) -> psycopg.Connection:
    """An autocommit connection whose transactions may only read. `status` and `report` read
    raw.landed_files (and the marts): the dbt user reads both, the reader no raw table, so they
    connect as the dbt user (as the report and the summary do on AWS), in read-only mode."""
    return psycopg.connect(connection.url(), autocommit=True,
                           options="-c default_transaction_read_only=on")
