"""An airports or carriers list goes in with the build that uses it, or not at all
(airline_elt.reference): validated whole, compared with the landed flights, staged, built,
and only then in force; a failed build leaves the previous list and the warehouse as they
were."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from airline_elt.dbt_step import dbt_build_unless_nothing_new
from airline_elt.errors import AirlineEltError
from airline_elt.reference import (
    airport_loss,
    build_with,
    losses,
    max_loss,
    refuse_if_lossy,
)
from airline_elt.seeds import (
    AIRPORTS_FILE,
    CARRIERS_FILE,
    list_in_force,
    read_airports,
    stage_lists,
    staged_seed_dir,
)
from airline_elt.state import project_dir

DAY = date(2023, 11, 6)
BUNDLED = project_dir() / "seeds"
# 10397 Atlanta, 12892 Los Angeles, 11292 Denver, 13930 Chicago O'Hare: all bundled.
FLIGHTS = [
    ("DL1", "DL", 10397, 12892, 90, 85, DAY),
    ("DL2", "DL", 10397, 11292, 75, 70, DAY),
    ("UA3", "UA", 11292, 13930, 65, 50, DAY),
    ("UA4", "UA", 13930, 12892, 5, 0, DAY),
]
BAD_VARS = ("--vars", "{delay_threshold_minutes: 'not a number'}")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def bundled_airports_without(tmp_path: Path, *ids: int, extra: str = "") -> Path:
    with (BUNDLED / AIRPORTS_FILE).open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle)]
    kept = [rows[0], *[row for row in rows[1:] if int(row[0]) not in ids]]
    path = tmp_path / "airports.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(kept)
        handle.write(extra)
    return path


@pytest.fixture(scope="module")
def project(dbt_project):
    dbt_project.land("daily_flights/date=2023-11-06/flights.csv", FLIGHTS)
    dbt_project.run("build")
    return dbt_project


def warehouse_digest(project) -> dict[str, str]:
    """Every table and materialized view of the analysis schemas, as one digest each."""
    names = project.query(
        "select table_schema || '.' || table_name from information_schema.tables"
        " where table_schema in ('airlines', 'intermediate') and table_type = 'BASE TABLE'"
        " union select schemaname || '.' || matviewname from pg_matviews"
        " where schemaname = 'airlines'"
    )
    digests = {}
    for (name,) in names:
        if name.startswith("intermediate.") and ("log" in name or "definitions" in name):
            continue  # build bookkeeping (when each date or relation was built), not data
        digests[name] = project.query(
            f"select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {name} t"
        )[0][0]
    return digests


# -- validation: the whole file, ids as numbers -------------------------------------


def test_an_id_with_leading_zeros_repeats_the_same_number(tmp_path):
    path = write(tmp_path, "a.csv", "airport_id,city,state,name\n10397,A,GA,X\n010397,A,GA,Y\n")
    with pytest.raises(AirlineEltError, match=r"line 3: airport_id 010397 repeats line 2"):
        read_airports(path)


def test_every_problem_is_named_with_its_line_and_nothing_is_staged(tmp_path):
    path = write(tmp_path, "a.csv", "airport_id,city,state,name\n"
                 "ATL,Atlanta,GA,X\n"           # line 2: not a number
                 "10397,Atlanta,GA,X,extra\n"   # line 3: a field more than the header
                 "12892,LA,CA," + "x" * 201 + "\n"  # line 4: name too long for the seed
                 "12892,LA,CA,Y\n")             # line 5: repeats line 4
    with pytest.raises(AirlineEltError) as raised:
        stage_lists(tmp_path / "home", airports=path)
    message = raised.value.message
    assert "4 problems, nothing installed" in message
    for expected in ("line 2: airport_id 'ATL' is not a number",
                     "line 3: 5 fields, the header has 4",
                     "line 4: the name of airport 12892 is longer than 200 bytes",
                     "line 5: airport_id 12892 repeats line 4"):
        assert expected in message
    assert not staged_seed_dir(tmp_path / "home").exists()


# -- the guard against the landed flights -------------------------------------------


def test_a_flight_from_and_to_the_same_lost_airport_counts_once():
    loss = airport_loss([(1, 1, 3), (1, 2, 5), (2, 3, 7)], before={1, 2, 3}, after={2, 3})
    assert (loss.flights, loss.landed, loss.ids) == (8, 15, (("1", 8),))


def test_a_list_losing_landed_airports_is_refused_with_the_count_and_ids(project, tmp_path):
    one_row = write(tmp_path, "one.csv", "airport_id,city,state,name,country\n"
                    "10397,Atlanta,GA,Hartsfield-Jackson,US\n")
    staged = stage_lists(project.home, airports=one_row)
    found = losses(project.connection, project.home, staged)
    with pytest.raises(AirlineEltError) as raised:
        refuse_if_lossy(found, max_loss({}), force=False)
    message = raised.value.message
    assert "would leave 4 of the 4 landed flights (100.0%, more than the 1.0% allowed)" in message
    assert "lacks: 11292 (2 flights), 12892 (2 flights), 13930 (2 flights)" in message
    assert "Nothing installed" in message
    assert refuse_if_lossy(found, max_loss({}), force=True)[0].startswith("--force: ")
    assert list_in_force(project.home, AIRPORTS_FILE) == BUNDLED / AIRPORTS_FILE


def test_the_share_allowed_is_a_setting(project, tmp_path):
    staged = stage_lists(project.home, airports=bundled_airports_without(tmp_path, 13930))
    found = losses(project.connection, project.home, staged)
    assert (found[0].flights, found[0].landed) == (2, 4)
    with pytest.raises(AirlineEltError):
        refuse_if_lossy(found, max_loss({"AIRLINE_ELT_MAX_REFERENCE_LOSS": "49%"}), False)
    assert refuse_if_lossy(found, max_loss({"AIRLINE_ELT_MAX_REFERENCE_LOSS": "0.5"}),
                           False) == []


def test_a_carriers_list_losing_landed_carriers_is_refused(project, tmp_path):
    only_delta = write(tmp_path, "c.csv", "carrier,carrier_name\nDL,Delta Air Lines Inc.\n")
    staged = stage_lists(project.home, carriers=only_delta)
    (loss,) = losses(project.connection, project.home, staged)
    assert (loss.flights, loss.ids) == (2, (("UA", 2),))
    with pytest.raises(AirlineEltError, match="without their carrier's name; the ids it "
                                              "lacks: UA"):
        refuse_if_lossy([loss], 0.01, force=False)


# -- all or nothing -----------------------------------------------------------------


def test_a_failed_build_keeps_the_previous_list_and_the_warehouse(project, tmp_path):
    before = warehouse_digest(project)
    new_list = bundled_airports_without(tmp_path, extra="19999,Springfield,IL,Capital\n")
    staged = stage_lists(project.home, airports=new_list)
    built = build_with(project.connection, project.home, staged, tmp_path / "dbt.log", BAD_VARS)
    assert not built.installed
    assert built.restored is not None and built.restored.succeeded
    assert list_in_force(project.home, AIRPORTS_FILE) == BUNDLED / AIRPORTS_FILE
    assert not staged.folder.exists()
    assert project.query("select count(*) from airlines.airports_dim where airport_id = 19999"
                         ) == [(0,)]
    assert warehouse_digest(project) == before


def test_a_successful_build_puts_the_list_in_force(project, tmp_path):
    new_list = bundled_airports_without(tmp_path, extra="19999,Springfield,IL,Capital\n")
    staged = stage_lists(project.home, airports=new_list)
    built = build_with(project.connection, project.home, staged, tmp_path / "dbt.log")
    assert built.installed and built.restored is None
    assert list_in_force(project.home, AIRPORTS_FILE) == project.home / "seeds" / AIRPORTS_FILE
    assert list_in_force(project.home, CARRIERS_FILE) == BUNDLED / CARRIERS_FILE
    assert project.query("select city from airlines.airports_dim where airport_id = 19999"
                         ) == [("Springfield",)]
    # The warehouse is what a plain build from the list in force gives: nothing to rebuild.
    assert dbt_build_unless_nothing_new(project.connection, project.home,
                                        tmp_path / "again.log").skipped
    back = stage_lists(project.home, airports=BUNDLED / AIRPORTS_FILE)
    assert build_with(project.connection, project.home, back, tmp_path / "back.log").installed
    assert list_in_force(project.home, AIRPORTS_FILE) == BUNDLED / AIRPORTS_FILE
    assert not (project.home / "seeds").exists()
