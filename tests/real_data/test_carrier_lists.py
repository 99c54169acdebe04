"""Reading a user's carriers file (`--carriers`): the seed's own header, or the BTS lookup
`L_UNIQUE_CARRIERS.csv` as downloaded; installing it beside the bundled seeds. Plain
functions, no warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from airline_elt.errors import AirlineEltError
from airline_elt.seeds import (
    AIRPORTS_FILE,
    CARRIERS_FILE,
    home_seed_dir,
    install_airports,
    install_carriers,
    own_seed_files,
    read_carriers,
    seed_dir_override,
)
from airline_elt.state import project_dir


def write(tmp_path: Path, text: str, name: str = "carriers.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_the_bts_lookup_is_read_as_downloaded(tmp_path: Path) -> None:
    path = write(tmp_path, '\ufeff"Code","Description"\r\n"02Q","Titan Airways"\r\n'
                 '"DL","Delta Air Lines Inc."\r\n"EV","ExpressJet Airlines LLC d/b/a aha!"\r\n'
                 '\r\n', "L_UNIQUE_CARRIERS.csv")
    assert read_carriers(path) == [["02Q", "Titan Airways"], ["DL", "Delta Air Lines Inc."],
                                   ["EV", "ExpressJet Airlines LLC d/b/a aha!"]]


def test_the_seed_header_in_any_order_and_an_empty_name(tmp_path: Path) -> None:
    path = write(tmp_path, "carrier_name,carrier\nDelta Air Lines Inc.,DL\n,ZZ\n")
    assert read_carriers(path) == [["DL", "Delta Air Lines Inc."], ["ZZ", ""]]


def test_the_bundled_seed_reads_as_it_is() -> None:
    rows = read_carriers(project_dir() / "seeds" / CARRIERS_FILE)
    assert ["DL", "Delta Air Lines Inc."] in rows and len(rows) >= 20


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('"Code","Description"\n"DL","Delta"\n"DL","Delta again"\n', "carrier DL repeats line 2"),
        ('"Code","Description"\n"DL"\n', "1 field(s), the BTS lookup has 2"),
        ("carrier,carrier_name\n,Nameless\n", "line 2: the carrier code is empty"),
        ("carrier,carrier_name\nTOOLONGCODE1,X\n", "longer than 10 characters"),
        ("carrier,carrier_name\nDL," + "x" * 300 + "\n", "longer than 256 bytes"),
        ("carrier;carrier_name\nDL;Delta\n", "the file is separated by ';', not ','"),
        ("code,name\nDL,Delta\n", "missing column(s) carrier, carrier_name"),
        ("carrier,carrier_name\n", "holds no carriers"),
    ],
)
def test_bad_carrier_files_say_what_is_wrong(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(AirlineEltError) as error:
        read_carriers(write(tmp_path, text))
    assert words in str(error.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AirlineEltError, match="carriers file not found"):
        read_carriers(tmp_path / "nope.csv")


def test_own_carriers_and_airports_live_side_by_side(tmp_path: Path) -> None:
    home = tmp_path / "home"
    carriers = write(tmp_path, "carrier,carrier_name\nDL,Delta\n")
    airports = write(tmp_path, "airport_id,city,state,name\n10397,Atlanta,GA,ATL\n",
                     "airports.csv")
    folder = home_seed_dir(home)
    assert install_carriers(carriers, home) == 1
    assert own_seed_files(folder) == {CARRIERS_FILE}
    # The bundled airports are copied beside the user's carriers: dbt finds every seed.
    bundled = project_dir() / "seeds"
    assert (folder / AIRPORTS_FILE).read_bytes() == (bundled / AIRPORTS_FILE).read_bytes()
    assert seed_dir_override(home) is not None
    install_airports(airports, home)
    assert own_seed_files(folder) == {CARRIERS_FILE, AIRPORTS_FILE}
    # Back to the bundled carriers: the user's airports stay.
    install_carriers(bundled / CARRIERS_FILE, home)
    assert own_seed_files(folder) == {AIRPORTS_FILE}
    seed_dir_override(home)  # each dbt command refreshes the bundled files
    assert (folder / CARRIERS_FILE).read_bytes() == (bundled / CARRIERS_FILE).read_bytes()
    assert "ATL" in (folder / AIRPORTS_FILE).read_text()
    # And back to the bundled airports too: nothing of the user's is left.
    install_airports(bundled / AIRPORTS_FILE, home)
    assert not folder.exists() and seed_dir_override(home) is None


def test_a_folder_from_before_carriers_keeps_its_airports(tmp_path: Path) -> None:
    """A state folder made when only airports could be the user's (no .own-seeds file)."""
    home = tmp_path / "home"
    folder = home_seed_dir(home)
    folder.mkdir(parents=True)
    (folder / AIRPORTS_FILE).write_text("airport_id,city,state,name\n10397,Atlanta,GA,ATL\n")
    assert own_seed_files(folder) == {AIRPORTS_FILE}
    install_carriers(write(tmp_path, "carrier,carrier_name\nDL,Delta\n"), home)
    assert own_seed_files(folder) == {AIRPORTS_FILE, CARRIERS_FILE}
    assert "ATL" in (folder / AIRPORTS_FILE).read_text()
