"""BTS-shaped lines for tests that need a monthly on-time file among other input (the fault
tests' big file, the adversarial set): the header quoted with BTS's trailing comma and CRLF
line ends, strings and clock times quoted, minutes as `75.00`, the five delay causes filled
for flights 15+ minutes late (as BTS does), the cancellation flags and codes, and a few of
the columns the landing ignores. tests/real_data/bts_files.py writes the full 109 columns."""

from __future__ import annotations

from dataclasses import dataclass

BTS_COLUMNS = (
    "Year",
    "Month",
    "FlightDate",
    "Reporting_Airline",
    "Tail_Number",
    "Flight_Number_Reporting_Airline",
    "OriginAirportID",
    "Origin",
    "DestAirportID",
    "Dest",
    "CRSDepTime",
    "DepDelay",
    "ArrDelay",
    "Cancelled",
    "CancellationCode",
    "Diverted",
    "Distance",
    "CarrierDelay",
    "WeatherDelay",
    "NASDelay",
    "SecurityDelay",
    "LateAircraftDelay",
)
CAUSES = ("CarrierDelay", "WeatherDelay", "NASDelay", "SecurityDelay", "LateAircraftDelay")
HEADER = ",".join(f'"{name}"' for name in BTS_COLUMNS) + ","


@dataclass(frozen=True)
class BtsFlight:
    flight_date: str  # YYYY-MM-DD
    carrier: str
    number: int
    origin: int
    dest: int
    dep_delay: int | None  # None: cancelled (no departure, no arrival)
    arr_delay: int | None  # None with a departure: diverted
    scheduled: int = 900  # hhmm
    cancellation_code: str = ""

    @property
    def flight_id(self) -> str:
        return f"{self.carrier}{self.number}"

    @property
    def cancelled(self) -> bool:
        return self.dep_delay is None

    @property
    def diverted(self) -> bool:
        return self.dep_delay is not None and self.arr_delay is None

    def causes(self) -> dict[str, int]:
        """BTS fills the five causes (summing to the arrival delay) for flights 15+ late."""
        if self.arr_delay is None or self.arr_delay < 15:
            return {}
        carrier = self.arr_delay // 2
        weather = self.arr_delay // 5
        return {
            "CarrierDelay": carrier,
            "WeatherDelay": weather,
            "NASDelay": 0,
            "SecurityDelay": 0,
            "LateAircraftDelay": self.arr_delay - carrier - weather,
        }

    def fields(self) -> dict[str, str]:
        def minutes(value: int | None) -> str:
            return "" if value is None else f"{value:.2f}"

        year, month, _ = self.flight_date.split("-")
        causes = self.causes()
        return {
            "Year": year,
            "Month": str(int(month)),
            "FlightDate": self.flight_date,
            "Reporting_Airline": f'"{self.carrier}"',
            "Tail_Number": f'"N{self.number % 900}XY"',
            "Flight_Number_Reporting_Airline": str(self.number),
            "OriginAirportID": str(self.origin),
            "Origin": '"AAA"',
            "DestAirportID": str(self.dest),
            "Dest": '"BBB"',
            "CRSDepTime": f'"{self.scheduled:04d}"',
            "DepDelay": minutes(self.dep_delay),
            "ArrDelay": minutes(self.arr_delay),
            "Cancelled": "1.00" if self.cancelled else "0.00",
            "CancellationCode": f'"{self.cancellation_code}"',
            "Diverted": "1.00" if self.diverted else "0.00",
            "Distance": "745.00",
            **{name: minutes(causes.get(name)) for name in CAUSES},
        }


def bts_line(flight: BtsFlight, **changes: str) -> str:
    """One data line; `changes` overwrite fields as written (to break one on purpose)."""
    values = flight.fields() | changes
    return ",".join(values[name] for name in BTS_COLUMNS) + ","


def bts_file(lines: list[str]) -> bytes:
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode("utf-8")
