"""What a run is given, resolved at the edge once (flags, then the environment, then the
defaults) and checked before anything starts: the limits of the landing, the landing folder,
the reference lists. Nothing below reads the environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airline_elt.errors import AirlineEltError
from airline_elt.seeds import WINDOWS_1252, list_encoding, read_airports, read_carriers
from airline_landing.scan import DEFAULT_PREFIX

if TYPE_CHECKING:
    from airline_elt.pipeline import RunUI
    from airline_landing.bounds import BatchBounds
    from airline_landing.plausibility import Plausibility
    from airline_landing.thresholds import RejectLimits


def reject_limits(max_ratio: float | None, max_rows: int | None) -> RejectLimits:
    """The reject limits: the flags given, then the environment, then the defaults."""
    from airline_landing.thresholds import LimitError, limits_from

    try:
        return limits_from(max_ratio, max_rows)
    except LimitError as error:
        raise AirlineEltError(str(error), "see `airline-elt run --help`") from error


def batch_bounds() -> BatchBounds:
    """How many files and rows one landing batch may hold (airline_landing.bounds):
    $AIRLINE_ELT_BATCH_FILES and $AIRLINE_ELT_BATCH_ROWS, else the defaults."""
    from airline_landing.bounds import BoundsError, bounds_from

    try:
        return bounds_from()
    except BoundsError as error:
        raise AirlineEltError(str(error), "unset it, or give a whole number from 1") from error


def plausibility() -> Plausibility:
    """The plausibility window and delay bounds (airline_landing.plausibility):
    $AIRLINE_ELT_FIRST_FLIGHT_DATE, $AIRLINE_ELT_FUTURE_DAYS, $AIRLINE_ELT_MIN_DELAY and
    $AIRLINE_ELT_MAX_DELAY, else the defaults."""
    from airline_landing.plausibility import PlausibilityError, plausibility_from

    try:
        return plausibility_from()
    except PlausibilityError as error:
        raise AirlineEltError(str(error), "unset it, or fix its value") from error


@dataclass(frozen=True)
class LandingSettings:
    """The limits a landing runs under (pipeline.Run's)."""

    limits: RejectLimits
    bounds: BatchBounds
    plausible: Plausibility

    @classmethod
    def resolve(cls, max_ratio: float | None, max_rows: int | None) -> LandingSettings:
        return cls(reject_limits(max_ratio, max_rows), batch_bounds(), plausibility())


def landing_dir(path: Path) -> Path:
    if not path.is_dir():
        raise AirlineEltError(
            f"landing folder not found: {path}",
            f"give a folder holding {DEFAULT_PREFIX}... CSV files, e.g. sample_data/landing",
        )
    return path.resolve()


def checked_list(path: Path | None, read: Callable[[Path], Any], ui: RunUI) -> Path | None:
    """A reference list (`read` is seeds.read_airports or read_carriers), read whole before
    anything starts so that a bad file fails fast; its encoding said when not UTF-8."""
    if path is None:
        return None
    read(path)
    if list_encoding(path) == WINDOWS_1252:
        # As BTS ships L_AIRPORT_ID.csv; a wrong guess would show in names.
        ui.info(f"{path} is not UTF-8: read as Windows-1252 (as BTS ships its lookups)")
    return path.resolve()


def checked_airports(path: Path | None, ui: RunUI) -> Path | None:
    return checked_list(path, read_airports, ui)


def checked_carriers(path: Path | None, ui: RunUI) -> Path | None:
    return checked_list(path, read_carriers, ui)
