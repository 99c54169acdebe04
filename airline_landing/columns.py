"""Which header column holds which field: by name, case-insensitively, in any order.

The short names of the design (`Carrier, OriginAirportID, ...`) and the full BTS
on-time names (`Reporting_Airline`, `Flight_Number_Reporting_Airline`, ...) are
both accepted; extra columns are ignored. The BTS cause, schedule and cancellation
columns (`CRSDepTime`, `Cancelled`, `CarrierDelay`, `Origin`, `Dest`, ...) are optional: a file
without them lands NULL in them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from airline_landing.separators import wrong_separator_message

# Field -> accepted header names (normalised: lower case, no spaces/underscores), in
# order of preference when a file holds more than one of them.
ALIASES: dict[str, tuple[str, ...]] = {
    "carrier": (
        "carrier",
        "reportingairline",
        "iatacodereportingairline",
        "opuniquecarrier",
        "opcarrier",
        "uniquecarrier",
    ),
    "flight_id": ("flightid",),
    "flight_number": ("flightnumberreportingairline", "opcarrierflnum", "flightnum"),
    "origin_airport_id": ("originairportid",),
    "dest_airport_id": ("destairportid",),
    "dep_delay": ("depdelay",),
    "arr_delay": ("arrdelay",),
    "flight_date": ("flightdate", "fldate"),
    # Optional BTS on-time columns (landed when the header has them, else NULL).
    "scheduled_dep_time": ("crsdeptime",),
    "cancelled": ("cancelled",),
    "diverted": ("diverted",),
    "cancellation_code": ("cancellationcode",),
    "carrier_delay": ("carrierdelay",),
    "weather_delay": ("weatherdelay",),
    "nas_delay": ("nasdelay",),
    "security_delay": ("securitydelay",),
    "late_aircraft_delay": ("lateaircraftdelay",),
    "distance_miles": ("distance",),
    "tail_number": ("tailnumber", "tailnum"),
    # The airports' 3-letter codes (BTS `Origin`/`Dest`, e.g. ATL), beside their ids.
    "origin_airport_code": ("origin",),
    "dest_airport_code": ("dest",),
}
REQUIRED_FIELDS = ("carrier", "origin_airport_id", "dest_airport_id", "dep_delay", "arr_delay")
# The names a person would look for in an error message.
DISPLAY_NAMES = {
    "carrier": "Carrier",
    "origin_airport_id": "OriginAirportID",
    "dest_airport_id": "DestAirportID",
    "dep_delay": "DepDelay",
    "arr_delay": "ArrDelay",
}


class MissingColumnsError(ValueError):
    """The header lacks a required column: the file cannot be landed at all."""


@dataclass(frozen=True)
class ColumnMap:
    """Where each field sits (0-based) in a file's rows, and how many fields a row has."""

    field_count: int
    positions: dict[str, int]
    header_names: dict[str, str]

    def position(self, field: str) -> int | None:
        return self.positions.get(field)


def normalise(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch not in " _-")


def split_header(header_line: str) -> list[str]:
    """The header's column names (a CSV line; quoted names allowed; BOM dropped)."""
    line = header_line.lstrip("\ufeff")
    try:
        rows = list(csv.reader([line], strict=False))
    except csv.Error as error:  # e.g. one name longer than the csv module's field limit
        raise MissingColumnsError(
            f"the header line cannot be read ({error}; it starts {line[:40]!r}, "
            f"{len(line):,} characters): required column(s) missing"
        ) from error
    return rows[0] if rows else []


def resolve_columns(header_fields: list[str]) -> ColumnMap:
    """Map the header's names to the landing fields; raise MissingColumnsError if any
    required column is absent."""
    first_position: dict[str, int] = {}
    for index, name in enumerate(header_fields):
        first_position.setdefault(normalise(name), index)
    positions: dict[str, int] = {}
    header_names: dict[str, str] = {}
    for field, names in ALIASES.items():
        for alias in names:
            if alias in first_position:
                positions[field] = first_position[alias]
                header_names[field] = header_fields[first_position[alias]].strip()
                break
    missing = [DISPLAY_NAMES[f] for f in REQUIRED_FIELDS if f not in positions]
    if missing and (separator_problem := wrong_separator_message(header_fields)):
        raise MissingColumnsError(separator_problem)
    if missing:
        shown = ", ".join(name.strip() for name in header_fields[:12])
        more = ", ..." if len(header_fields) > 12 else ""
        raise MissingColumnsError(
            f"required column(s) missing from the header: {', '.join(missing)} "
            f"(header has: {shown}{more})"
        )
    return ColumnMap(len(header_fields), positions, header_names)
