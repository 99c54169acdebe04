"""The BTS airport lookup `L_AIRPORT_ID.csv`, as downloaded from the BTS site.

Its two columns are `"Code","Description"`, the description reading
`"City, ST: Airport Name"` for US airports and `"City, Country: Airport Name"`
for foreign ones (`"Toronto, Canada: Toronto Pearson International"`). The
airports seed wants city, state and name apart; a foreign airport has no state.
"""

from __future__ import annotations

from dataclasses import dataclass

BTS_HEADER = ("code", "description")

# The two-letter codes BTS writes after a US city: the states, DC, and the
# territories (TT is BTS's code for the Pacific trust territories: Guam, Saipan, ...).
US_STATES_AND_TERRITORIES = frozenset(
    (
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
        "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
        "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
        "VA", "WA", "WV", "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP", "TT", "UM",
    )
)


@dataclass(frozen=True)
class BtsAirport:
    city: str
    state: str
    name: str
    country: str  # empty for US airports


def parse_description(description: str) -> BtsAirport:
    """City, state (empty outside the US) and name from a BTS airport description."""
    place, colon, name = description.partition(":")
    if not colon:  # no "place: name" shape: keep it all as the name
        return BtsAirport(city="", state="", name=description.strip(), country="")
    city, comma, region = place.rpartition(",")
    if not comma:
        return BtsAirport(city=place.strip(), state="", name=name.strip(), country="")
    region = region.strip()
    if region.upper() in US_STATES_AND_TERRITORIES and len(region) == 2:
        return BtsAirport(city=city.strip(), state=region.upper(), name=name.strip(), country="")
    return BtsAirport(city=city.strip(), state="", name=name.strip(), country=region)
