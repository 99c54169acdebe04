"""BTS lookups are read as they are shipped: UTF-8 first, Windows-1252 when the bytes are not
UTF-8 (L_AIRPORT_ID is reported to be Windows-1252), never a guess that loses a name."""

from __future__ import annotations

from pathlib import Path

import pytest

from airline_elt.errors import AirlineEltError
from airline_elt.seeds import (
    UTF8,
    WINDOWS_1252,
    list_encoding,
    read_airports,
    read_carriers,
)

AIRPORTS = ('"Code","Description"\r\n'
            '10397,"Atlanta, GA: Hartsfield-Jackson Atlanta International"\r\n'
            '16271,"Montréal, Canada: Montréal-Trudeau International"\r\n')


def test_a_windows_1252_airport_lookup_reads_with_its_accents(tmp_path: Path) -> None:
    path = tmp_path / "L_AIRPORT_ID.csv"
    path.write_bytes(AIRPORTS.encode("cp1252"))
    assert b"Montr\xe9al" in path.read_bytes()  # not UTF-8: é is one byte
    rows = read_airports(path)
    assert rows[1] == ["16271", "Montréal", "", "Montréal-Trudeau International"]
    assert list_encoding(path) == WINDOWS_1252


def test_a_utf8_lookup_stays_utf8(tmp_path: Path) -> None:
    path = tmp_path / "L_AIRPORT_ID.csv"
    path.write_bytes(AIRPORTS.encode("utf-8"))
    assert read_airports(path)[1][1] == "Montréal"
    assert list_encoding(path) == UTF8


def test_a_windows_1252_carrier_lookup(tmp_path: Path) -> None:
    path = tmp_path / "L_UNIQUE_CARRIERS.csv"
    path.write_bytes('"Code","Description"\r\n"9X","Société Aérienne"\r\n'.encode("cp1252"))
    assert read_carriers(path) == [["9X", "Société Aérienne"]]


def test_bytes_that_are_neither_are_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "L_AIRPORT_ID.csv"
    path.write_bytes(b'"Code","Description"\r\n10397,"Atlanta \x81 \x8d"\r\n')
    with pytest.raises(AirlineEltError, match="neither UTF-8 nor Windows-1252"):
        read_airports(path)
