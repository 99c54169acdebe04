"""`--airports FILE`: a user's airports list replaces the bundled seed for one warehouse,
without editing the repository, and stays in force for that warehouse."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from cli_helpers import REPO, Cli

pytestmark = pytest.mark.slow

BUNDLED_SEED = REPO / "seeds" / "airports_dim.csv"
DAY = "2023-11-25"
FLIGHTS = (
    "FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay,FlightDate\n"
    f"ZZ100,ZZ,99999,12892,90,85,{DAY}\n"  # from an airport the bundled seed lacks
    f"ZZ101,ZZ,10397,12892,70,64,{DAY}\n"
    f"ZZ102,ZZ,10397,12892,10,4,{DAY}\n"
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("landing")
    path = folder / "daily_flights" / f"date={DAY}" / "flights.csv"
    path.parent.mkdir(parents=True)
    path.write_text(FLIGHTS)
    return folder


@pytest.fixture(scope="module")
def my_airports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled list plus one airport, columns in another order (header names count)."""
    with BUNDLED_SEED.open(newline="") as handle:
        bundled = list(csv.DictReader(handle))
    path = tmp_path_factory.mktemp("mine") / "my_airports.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["name", "airport_id", "state", "city"])
        writer.writeheader()
        writer.writerows(bundled)
        writer.writerow({"name": "Testville Municipal", "airport_id": "99999", "state": "TX",
                         "city": "Testville"})
    return path


def fact_flights(cli: Cli) -> dict[str, str]:
    return dict(cli.query(
        "select flight_id, dep_city from airlines.daily_flights_fact where flight_date = %s",
        (DAY,),
    ))


def test_unknown_airport_is_rejected_with_the_bundled_seed(cli: Cli, landing: Path) -> None:
    result = cli("run", "--landing", str(landing))
    assert result.returncode == 0, result.stdout + result.stderr
    assert fact_flights(cli) == {"ZZ101": "Atlanta"}
    assert cli.query(
        "select flight_id, reason from airlines.rejected_flights where flight_date = %s",
        (DAY,),
    ) == [("ZZ100", "unknown_origin_airport")]


def test_run_with_my_airports_brings_the_flight_into_the_fact(
    cli: Cli, landing: Path, my_airports: Path
) -> None:
    bundled_before = digest(BUNDLED_SEED)
    result = cli("run", "--landing", str(landing), "--airports", str(my_airports))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replace the bundled seed" in result.stdout
    assert fact_flights(cli) == {"ZZ100": "Testville", "ZZ101": "Atlanta"}
    assert cli.query(
        "select count(*) from airlines.rejected_flights where flight_date = %s", (DAY,)
    ) == [(0,)]
    assert cli.query(
        "select city, state, name from airlines.airports_dim where airport_id = 99999"
    ) == [("Testville", "TX", "Testville Municipal")]
    assert digest(BUNDLED_SEED) == bundled_before  # the repository is not edited


def test_my_airports_stay_in_force_for_this_warehouse(cli: Cli, my_airports: Path) -> None:
    result = cli("transform")
    assert result.returncode == 0, result.stdout + result.stderr
    assert cli.query("select count(*) from airlines.airports_dim where airport_id = 99999") == [
        (1,)
    ]
    assert fact_flights(cli)["ZZ100"] == "Testville"
    env = cli("warehouse", "env").stdout
    assert "export AIRLINE_ELT_SEED_DIR=" in env


def test_a_list_losing_landed_airports_is_refused_and_the_list_in_force_stays(
    cli: Cli, tmp_path: Path
) -> None:
    in_force = cli.home / "seeds" / "airports_dim.csv"
    before = digest(in_force)
    one_row = tmp_path / "one.csv"
    one_row.write_text("airport_id,city,state,name,country\n10397,Atlanta,GA,Hartsfield,US\n")
    result = cli("transform", "--airports", str(one_row))
    assert result.returncode == 1
    assert ("the new airports list would leave 3 of the 3 landed flights (100.0%, more than "
            "the 1.0% allowed) without their airport; the ids it lacks: 12892 (3 flights), "
            "99999 (1 flight). Nothing installed") in result.stderr
    assert "--force" in result.stderr
    assert digest(in_force) == before
    assert not (cli.home / "seeds.next").exists()
    assert fact_flights(cli) == {"ZZ100": "Testville", "ZZ101": "Atlanta"}
