"""Helpers of the bad-input tests: CSV text, files in a landing folder, raw-table counts."""

from __future__ import annotations

from pathlib import Path

from airline_landing.local import create_raw_tables

HEADER = "FlightDate,Carrier,FlightID,OriginAirportID,DestAirportID,DepDelay,ArrDelay"
DAY = "2023-11-15"
KEY = f"daily_flights/date={DAY}/flights.csv"


def good_rows(n: int, day: str = DAY, start: int = 0) -> list[str]:
    return [f"{day},AA,AA{i},10397,12478,{i % 120},{i % 90}" for i in range(start, start + n)]


def csv_bytes(rows: list[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def write(folder: Path, key: str, content: bytes | str) -> Path:
    path = folder / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def empty_raw(conn) -> None:
    create_raw_tables(conn)
    conn.execute("truncate raw.flights_landing, raw.flights_rejected, raw.landed_files")


def raw_counts(conn, version: int) -> tuple[int, int]:
    """(rows in raw.flights_landing, rows in raw.flights_rejected) of one file version."""
    landed = conn.execute(
        "select count(*) from raw.flights_landing where file_version_id = %s", (version,)
    ).fetchone()[0]
    rejected = conn.execute(
        "select count(*) from raw.flights_rejected where file_version_id = %s", (version,)
    ).fetchone()[0]
    return landed, rejected


def file_row(conn, version: int) -> tuple:
    return conn.execute(
        "select file_key, status, rows_read, rows_landed, rows_rejected, error_text "
        "from raw.landed_files where file_version_id = %s",
        (version,),
    ).fetchone()
