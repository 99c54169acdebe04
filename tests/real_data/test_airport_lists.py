"""Reading a user's airports file (`--airports`): the seed's own header, or the BTS lookup
`L_AIRPORT_ID.csv` as downloaded. Plain functions, no warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from airline_elt.bts_lookup import BtsAirport, parse_description
from airline_elt.errors import AirlineEltError
from airline_elt.seeds import read_airports


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Atlanta, GA: Hartsfield-Jackson Atlanta International",
         BtsAirport("Atlanta", "GA", "Hartsfield-Jackson Atlanta International", "")),
        ("Dallas/Fort Worth, TX: Dallas/Fort Worth International",
         BtsAirport("Dallas/Fort Worth", "TX", "Dallas/Fort Worth International", "")),
        ("Toronto, Canada: Toronto Pearson International",
         BtsAirport("Toronto", "", "Toronto Pearson International", "Canada")),
        ("San Juan, PR: Luis Munoz Marin International",
         BtsAirport("San Juan", "PR", "Luis Munoz Marin International", "")),
        ("Guam, TT: Guam International", BtsAirport("Guam", "TT", "Guam International", "")),
        # A comma inside the city: the country or state is what follows the last comma.
        ("Hong Kong, Hong Kong, China: Hong Kong International",
         BtsAirport("Hong Kong, Hong Kong", "", "Hong Kong International", "China")),
        # A colon inside the name stays in the name.
        ("Fort Yukon, AK: Fort Yukon: Seaplane",
         BtsAirport("Fort Yukon", "AK", "Fort Yukon: Seaplane", "")),
        ("Unknown Point in Alaska", BtsAirport("", "", "Unknown Point in Alaska", "")),
        ("Wake Island: Wake Island Airfield",
         BtsAirport("Wake Island", "", "Wake Island Airfield", "")),
        ("Bad Place, ga: Lower Case", BtsAirport("Bad Place", "GA", "Lower Case", "")),
    ],
)
def test_bts_descriptions_split_into_city_state_and_name(description, expected) -> None:
    assert parse_description(description) == expected


def write(tmp_path: Path, text: str, name: str = "airports.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_the_bts_lookup_is_recognised_by_its_header(tmp_path: Path) -> None:
    path = write(tmp_path, '\ufeff"Code","Description"\r\n'
                 '10397,"Atlanta, GA: Hartsfield-Jackson Atlanta International"\r\n'
                 '16133,"Toronto, Canada: Toronto Pearson International"\r\n\r\n')
    assert read_airports(path) == [
        ["10397", "Atlanta", "GA", "Hartsfield-Jackson Atlanta International"],
        ["16133", "Toronto", "", "Toronto Pearson International"],
    ]


def test_the_seed_header_may_have_empty_descriptive_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "airport_id,city,state,name\n10001,,,Afognak Lake Airport\n"
                 "15016,St. Louis,MO,\n")
    assert read_airports(path) == [["10001", "", "", "Afognak Lake Airport"],
                                   ["15016", "St. Louis", "MO", ""]]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('"Code","Description"\n"ATL","Atlanta, GA: Hartsfield-Jackson Atlanta International"\n',
         "use L_AIRPORT_ID.csv, not L_AIRPORT.csv"),
        ('"Code","Description"\n10397,"Atlanta, GA: X"\n10397,"Atlanta, GA: Y"\n',
         "airport_id 10397 repeats line 2"),
        ('"Code","Description"\n10397\n', "1 field(s), the BTS lookup has 2"),
        ("airport_id,city,state,name\n,Atlanta,GA,X\n", "airport_id '' is not a number"),
        ("airport_id;city;state;name\n10397;Atlanta;GA;X\n",
         "the file is separated by ';', not ','"),
        ("airport_id\tcity\tstate\tname\n10397\tAtlanta\tGA\tX\n",
         "the file is separated by tabs, not ','"),
        ("id,town\n10397,Atlanta\n", "missing column(s) airport_id, city, state, name"),
    ],
)
def test_bad_airport_files_say_what_is_wrong(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(AirlineEltError) as error:
        read_airports(write(tmp_path, text))
    assert words in str(error.value)
