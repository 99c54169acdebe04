"""Files shaped exactly as real users download them from the BTS site, generated.

- The on-time month ("Reporting Carrier On-Time Performance (1987-present)",
  prezipped CSV): 109 quoted column names and a trailing comma (110 fields on
  every line); strings quoted (`"Newark, NJ"` holds a comma), numbers bare, delays
  as `-5.00`, clock times quoted and zero-padded (`"0605"`), every field of a
  cancelled flight's departure and arrival empty; a whole month in one file.
- The airport lookup `L_AIRPORT_ID.csv`: `"Code","Description"`, descriptions
  like `"Atlanta, GA: Hartsfield-Jackson Atlanta International"`, foreign
  airports as `"Toronto, Canada: ..."`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

_DIVERSION = ("Airport", "AirportID", "AirportSeqID", "WheelsOn", "TotalGTime",
              "LongestGTime", "WheelsOff", "TailNum")
BTS_ONTIME_COLUMNS: tuple[str, ...] = (
    "Year", "Quarter", "Month", "DayofMonth", "DayOfWeek", "FlightDate",
    "Reporting_Airline", "DOT_ID_Reporting_Airline", "IATA_CODE_Reporting_Airline",
    "Tail_Number", "Flight_Number_Reporting_Airline",
    "OriginAirportID", "OriginAirportSeqID", "OriginCityMarketID", "Origin", "OriginCityName",
    "OriginState", "OriginStateFips", "OriginStateName", "OriginWac",
    "DestAirportID", "DestAirportSeqID", "DestCityMarketID", "Dest", "DestCityName",
    "DestState", "DestStateFips", "DestStateName", "DestWac",
    "CRSDepTime", "DepTime", "DepDelay", "DepDelayMinutes", "DepDel15", "DepartureDelayGroups",
    "DepTimeBlk", "TaxiOut", "WheelsOff", "WheelsOn", "TaxiIn",
    "CRSArrTime", "ArrTime", "ArrDelay", "ArrDelayMinutes", "ArrDel15", "ArrivalDelayGroups",
    "ArrTimeBlk", "Cancelled", "CancellationCode", "Diverted",
    "CRSElapsedTime", "ActualElapsedTime", "AirTime", "Flights", "Distance", "DistanceGroup",
    "CarrierDelay", "WeatherDelay", "NASDelay", "SecurityDelay", "LateAircraftDelay",
    "FirstDepTime", "TotalAddGTime", "LongestAddGTime",
    "DivAirportLandings", "DivReachedDest", "DivActualElapsedTime", "DivArrDelay", "DivDistance",
    *(f"Div{n}{part}" for n in range(1, 6) for part in _DIVERSION),
)
assert len(BTS_ONTIME_COLUMNS) == 109


@dataclass(frozen=True)
class Airport:
    airport_id: int
    code: str  # three-letter code, as in the on-time file's Origin/Dest
    city: str
    state: str  # empty for a foreign airport
    name: str
    country: str = ""  # only for foreign airports (the lookup's "City, Country: Name")

    @property
    def city_name(self) -> str:
        """The on-time file's OriginCityName: `"Newark, NJ"`."""
        return f"{self.city}, {self.state or self.country}"


# Busy US airports (US DOT ids), shared by the real-data tests.
US_AIRPORTS = (
    Airport(10397, "ATL", "Atlanta", "GA", "Hartsfield-Jackson Atlanta International"),
    Airport(11618, "EWR", "Newark", "NJ", "Newark Liberty International"),
    Airport(12892, "LAX", "Los Angeles", "CA", "Los Angeles International"),
    Airport(13930, "ORD", "Chicago", "IL", "Chicago O'Hare International"),
    Airport(11298, "DFW", "Dallas/Fort Worth", "TX", "Dallas/Fort Worth International"),
    Airport(14747, "SEA", "Seattle", "WA", "Seattle/Tacoma International"),
    Airport(12478, "JFK", "New York", "NY", "John F. Kennedy International"),
    Airport(14107, "PHX", "Phoenix", "AZ", "Phoenix Sky Harbor International"),
    Airport(11292, "DEN", "Denver", "CO", "Denver International"),
    Airport(13204, "MCO", "Orlando", "FL", "Orlando International"),
    Airport(14492, "RDU", "Raleigh/Durham", "NC", "Raleigh-Durham International"),
    Airport(12266, "IAH", "Houston", "TX", "George Bush Intercontinental/Houston"),
)


@dataclass(frozen=True)
class Flight:
    flight_date: dt.date
    carrier: str
    number: int
    origin: Airport
    dest: Airport
    dep_delay: int | None  # None: cancelled (every departure/arrival field empty)
    arr_delay: int | None

    @property
    def flight_id(self) -> str:
        return f"{self.carrier}{self.number}"


def _q(value: object) -> str:
    return f'"{value}"'


def _money(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes:.2f}"


def _clock(minutes_after_midnight: int) -> str:
    minutes = minutes_after_midnight % (24 * 60)
    return _q(f"{minutes // 60:02d}{minutes % 60:02d}")


def ontime_line(flight: Flight) -> str:
    """One data line of the BTS month: 109 fields and the trailing comma."""
    day = flight.flight_date
    crs_dep = 360 + (flight.number * 7) % 900
    cancelled = flight.dep_delay is None
    dep = {} if cancelled else {
        "DepTime": _clock(crs_dep + flight.dep_delay),
        "DepDelay": _money(flight.dep_delay),
        "DepDelayMinutes": _money(max(flight.dep_delay, 0)),
        "DepDel15": "1.00" if flight.dep_delay >= 15 else "0.00",
        "DepartureDelayGroups": str(max(-2, min(12, flight.dep_delay // 15))),
        "TaxiOut": "14.00", "WheelsOff": _clock(crs_dep + flight.dep_delay + 14),
    }
    arr = {} if cancelled or flight.arr_delay is None else {
        "WheelsOn": _clock(crs_dep + 120 + flight.arr_delay - 8), "TaxiIn": "8.00",
        "ArrTime": _clock(crs_dep + 120 + flight.arr_delay),
        "ArrDelay": _money(flight.arr_delay),
        "ArrDelayMinutes": _money(max(flight.arr_delay, 0)),
        "ArrDel15": "1.00" if flight.arr_delay >= 15 else "0.00",
        "ArrivalDelayGroups": str(max(-2, min(12, flight.arr_delay // 15))),
        "ActualElapsedTime": "120.00", "AirTime": "98.00",
    }
    values = {
        "Year": str(day.year), "Quarter": str((day.month - 1) // 3 + 1), "Month": str(day.month),
        "DayofMonth": str(day.day), "DayOfWeek": str(day.isoweekday()),
        "FlightDate": day.isoformat(),
        "Reporting_Airline": _q(flight.carrier), "DOT_ID_Reporting_Airline": "19790",
        "IATA_CODE_Reporting_Airline": _q(flight.carrier), "Tail_Number": _q("N123DL"),
        "Flight_Number_Reporting_Airline": _q(flight.number),
        "CRSDepTime": _clock(crs_dep), "DepTimeBlk": _q("0600-0659"),
        "CRSArrTime": _clock(crs_dep + 120), "ArrTimeBlk": _q("0800-0859"),
        "Cancelled": "1.00" if cancelled else "0.00",
        "CancellationCode": _q("B" if cancelled else ""), "Diverted": "0.00",
        "CRSElapsedTime": "120.00", "Flights": "1.00", "Distance": "745.00",
        "DistanceGroup": "3", "DivAirportLandings": "0",
        **dep, **arr,
    }
    for side, airport in (("Origin", flight.origin), ("Dest", flight.dest)):
        values |= {
            f"{side}AirportID": str(airport.airport_id),
            f"{side}AirportSeqID": f"{airport.airport_id}05",
            f"{side}CityMarketID": str(30000 + airport.airport_id % 1000),
            side: _q(airport.code), f"{side}CityName": _q(airport.city_name),
            f"{side}State": _q(airport.state), f"{side}StateFips": _q("34"),
            f"{side}StateName": _q("New Jersey"), f"{side}Wac": "21",
        }
    return ",".join(values.get(name, "") for name in BTS_ONTIME_COLUMNS) + ","


def write_ontime_month(path: Path, flights: list[Flight]) -> Path:
    """The month as BTS ships it: quoted header with trailing comma, CRLF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ",".join(_q(name) for name in BTS_ONTIME_COLUMNS) + ","
    lines = [header, *(ontime_line(flight) for flight in flights)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def write_airport_lookup(path: Path, airports: list[Airport]) -> Path:
    """`L_AIRPORT_ID.csv` as downloaded: both columns quoted, "City, ST: Name"."""
    lines = ['"Code","Description"']
    for airport in airports:
        place = f"{airport.city}, {airport.state or airport.country}"
        lines.append(f'{airport.airport_id},"{place}: {airport.name}"')
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def month_of_flights(airports: list[Airport], first_day: dt.date, days: int,
                     flights_per_day: int, seed: int = 7) -> list[Flight]:
    """A deterministic month: delays early and late, around the threshold, cancellations."""
    rng = random.Random(seed)
    carriers = ("DL", "AA", "UA", "WN", "B6")
    flights = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        for index in range(flights_per_day):
            origin, dest = rng.sample(airports, 2)
            kind = rng.random()
            if kind < 0.05:
                dep_delay = arr_delay = None
            else:
                dep_delay = rng.choice((-5, 0, 12, 59, 60, 61, 75, 140, rng.randint(-15, 200)))
                arr_delay = dep_delay + rng.randint(-20, 20)
            flights.append(Flight(day, carriers[index % len(carriers)], 1000 + offset * 100 + index,
                                  origin, dest, dep_delay, arr_delay))
    return flights
