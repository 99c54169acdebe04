"""What a new airports or carriers list would take from the landed flights, and the rule that
refuses it: one module for the local install (airline_elt.reference) and the dbt image on AWS
(orchestration/dbt_image/build_guard.py), so both apply the same check. Plain Python and SQL
that PostgreSQL and Redshift both run ("raw" quoted: RAW is a Redshift reserved word); no
driver.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from airline_elt.errors import AirlineEltError
from airline_elt.wording import plural

MAX_LOSS_ENV = "AIRLINE_ELT_MAX_REFERENCE_LOSS"
DEFAULT_MAX_LOSS = 0.01
IDS_SHOWN = 10

LANDED_AIRPORT_PAIRS = """
select flights.origin_airport_id, flights.dest_airport_id, count(*)
from "raw".flights_landing as flights
inner join "raw".landed_files as landed_files
    on flights.file_version_id = landed_files.file_version_id
where landed_files.status = 'landed'
group by flights.origin_airport_id, flights.dest_airport_id
"""
LANDED_CARRIERS = """
select flights.carrier, count(*)
from "raw".flights_landing as flights
inner join "raw".landed_files as landed_files
    on flights.file_version_id = landed_files.file_version_id
where landed_files.status = 'landed'
group by flights.carrier
"""


@dataclass(frozen=True)
class Loss:
    """What a new list would take from the landed flights: those that have their airport
    (or carrier name) under the list in force and would not under the new one."""

    list_name: str  # "airports" or "carriers"
    flights: int
    landed: int  # all landed flights
    ids: tuple[tuple[str, int], ...]  # (id, its landed flights), most flights first

    @property
    def share(self) -> float:
        return self.flights / self.landed if self.landed else 0.0

    def consequence(self) -> str:
        """What installing it anyway does to those flights."""
        if self.list_name == "airports":
            return "flights without their airport move to airlines.rejected_flights"
        return "flights without their carrier's name show its code instead"

    def describe(self, limit: float) -> str:
        what = "their airport" if self.list_name == "airports" else "their carrier's name"
        shown = ", ".join(f"{item} ({plural(count, 'flight')})"
                          for item, count in self.ids[:IDS_SHOWN])
        more = len(self.ids) - IDS_SHOWN
        return (
            f"the new {self.list_name} list would leave {self.flights:,} of the "
            f"{self.landed:,} landed flights ({self.share:.1%}, more than the {limit:.1%} "
            f"allowed) without {what}; the ids it lacks: {shown}"
            + (f" and {more:,} more" if more > 0 else "")
        )


def max_loss(environ: Mapping[str, str] | None = None) -> float:
    """The share of landed flights a new list may take their airport or carrier from."""
    text = (environ if environ is not None else os.environ).get(MAX_LOSS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_LOSS
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError as error:
        raise AirlineEltError(f"{MAX_LOSS_ENV}={text!r} is not a share (e.g. 0.01 or 1%)",
                              "unset it, or give a share between 0 and 1") from error
    if not 0 <= share <= 1:
        raise AirlineEltError(f"{MAX_LOSS_ENV}={text!r} is not between 0 and 1 (0% and 100%)")
    return share


def airport_loss(pairs: Sequence[tuple[int, int, int]], before: set[int],
                 after: set[int]) -> Loss:
    """`pairs`: (origin, destination, flights) of the landed flights. A flight from and to
    the same lost airport counts once, for the flights and for that id."""
    lost = before - after
    flights = 0
    by_id: Counter[str] = Counter()
    for origin, dest, count in pairs:
        ids = {airport for airport in (origin, dest) if airport in lost}
        if ids:
            flights += count
            by_id.update({str(airport): count for airport in ids})
    return Loss("airports", flights, sum(count for _, _, count in pairs), _most_first(by_id))


def carrier_loss(counts: Sequence[tuple[str, int]], before: set[str], after: set[str]) -> Loss:
    lost = before - after
    by_code = Counter({code: count for code, count in counts if code in lost})
    return Loss("carriers", sum(by_code.values()), sum(count for _, count in counts),
                _most_first(by_code))


def _most_first(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def refuse_if_lossy(found: Sequence[Loss], limit: float, force: bool,
                    force_flag: str = "--force") -> list[str]:
    """Raise when a list would take too much (and not forced); else the lines to show
    about what a forced list does take. `force_flag`: how the user forces it."""
    too_much = [loss for loss in found if loss.share > limit]
    if too_much and not force:
        raise AirlineEltError(
            "; ".join(loss.describe(limit) for loss in too_much) + ". Nothing installed, "
            "the list in force stays",
            f"add them to the list, or give {force_flag} to install it anyway ("
            + "; ".join(loss.consequence() for loss in too_much)
            + f"); the share allowed is ${MAX_LOSS_ENV}",
        )
    return [f"{force_flag}: {loss.describe(limit)}" for loss in too_much]
