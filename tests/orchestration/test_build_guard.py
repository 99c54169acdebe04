"""The dbt image's build_guard.py (issue 20 on AWS), run on the local PostgreSQL warehouse as
the image runs it on Redshift: the reference-list guard before `dbt build` (the same rules as
`airline-elt transform --airports/--carriers`, airline_elt.reference_loss), the lists in force
kept for a rebuild, and the build's outcome recorded for the report's banner."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
from conftest import ORCHESTRATION, REPO

from airline_elt.build_record import last_build
from airline_elt.errors import AirlineEltError
from airline_elt.seeds import read_airports, read_carriers
from airline_elt.warehouse import Connection
from airline_landing.ddl import raw_tables_ddl

DATABASE = "airline_elt_build_guard"
FORCE = "AIRLINE_ELT_FORCE_REFERENCE_LISTS"


def _guard() -> ModuleType:
    sys.path.insert(0, str(ORCHESTRATION / "dbt_image"))  # publish_report, as in the image
    spec = importlib.util.spec_from_file_location(
        "build_guard", ORCHESTRATION / "dbt_image" / "build_guard.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_guard"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


guard = _guard()


@pytest.fixture
def warehouse_db(connection: Connection) -> Iterator[psycopg.Connection]:
    """A warehouse as the last build left it: the bundled lists in the seed tables, and landed
    flights (10397 Atlanta: 30 flights, 12478 New York JFK: 2, of 100; carrier DL on 95)."""
    with psycopg.connect(connection.url(), autocommit=True) as admin:
        admin.execute(f"drop database if exists {DATABASE}")
        admin.execute(f"create database {DATABASE}")
    conninfo = Connection(connection.host, connection.port, connection.user,
                          connection.password, DATABASE).url()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in raw_tables_ddl("postgres"):
            conn.execute(statement)
        conn.execute("create schema airlines")
        conn.execute("create table airlines.airports_dim (airport_id bigint, city varchar(100),"
                     " state varchar(100), name varchar(200))")
        conn.execute("create table airlines.carriers (carrier varchar(10),"
                     " carrier_name varchar(256))")
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into airlines.airports_dim values (%s, nullif(%s, ''), nullif(%s, ''),"
                " nullif(%s, ''))", read_airports(REPO / "seeds" / "airports_dim.csv"))
            cursor.executemany("insert into airlines.carriers values (%s, nullif(%s, ''))",
                               read_carriers(REPO / "seeds" / "carriers.csv"))
        _land(conn, [("DL", 10397, 13930)] * 28 + [("DL", 10397, 12478)] * 2
              + [("DL", 13930, 11298)] * 65 + [("UA", 13930, 11298)] * 5)
        yield conn


def _land(conn: psycopg.Connection, flights: list[tuple[str, int, int]]) -> None:
    version = conn.execute(
        "insert into raw.landed_files (file_key, content_sha256, file_bytes, rows_read,"
        " rows_landed, rows_rejected, status, landed_at) values ('daily_flights/a.csv',"
        " repeat('a', 64), 1, %s, %s, 0, 'landed', now()) returning file_version_id",
        (len(flights), len(flights))).fetchone()
    assert version
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into raw.flights_landing (carrier, origin_airport_id, dest_airport_id,"
            " flight_date, source_key, source_line_number, file_version_id, landed_at)"
            " values (%s, %s, %s, date '2023-11-15', 'daily_flights/a.csv', %s, %s, now())",
            [(c, o, d, n + 2, version[0]) for n, (c, o, d) in enumerate(flights)])


def _image_seeds(tmp_path: Path, airports_without: set[str] = frozenset(),
                 carriers_without: set[str] = frozenset()) -> Path:
    """The seeds/ folder of an image built from a changed checkout."""
    seeds = tmp_path / "image-seeds"
    shutil.copytree(REPO / "seeds", seeds)
    for name, without in (("airports_dim.csv", airports_without),
                          ("carriers.csv", carriers_without)):
        lines = (seeds / name).read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if line.split(",")[0] not in without]
        (seeds / name).write_text("\n".join(kept) + "\n", encoding="utf-8")
    return seeds


def _check(conn: Any, seeds: Path, tmp_path: Path, **env: str) -> list[str]:
    return guard.check(conn, seeds, tmp_path / "seeds-in-force", "airlines", env)


def test_an_unchanged_image_builds_without_a_word(warehouse_db: psycopg.Connection,
                                                   tmp_path: Path) -> None:
    assert _check(warehouse_db, REPO / "seeds", tmp_path) == []
    assert not (tmp_path / "seeds-in-force").exists()  # nothing to rebuild from


def test_a_list_taking_their_airport_from_landed_flights_is_refused_naming_the_ids(
    warehouse_db: psycopg.Connection, tmp_path: Path,
) -> None:
    seeds = _image_seeds(tmp_path, airports_without={"10397", "12478"})
    with pytest.raises(AirlineEltError) as refused:
        _check(warehouse_db, seeds, tmp_path)
    text = str(refused.value)
    assert "would leave 30 of the 100 landed flights (30.0%, more than the 1.0% allowed)" in text
    assert "10397 (30 flights), 12478 (2 flights)" in text  # a flight counts once
    assert f"{FORCE}=true" in text  # how to force it on AWS
    assert not (tmp_path / "seeds-in-force").exists()

    # Within the share allowed (AIRLINE_ELT_MAX_REFERENCE_LOSS), or forced: it goes on, and
    # the lists in force are kept for a rebuild should the build from the new one fail.
    assert _check(warehouse_db, seeds, tmp_path, AIRLINE_ELT_MAX_REFERENCE_LOSS="31%") == [
        "new airports_dim list: "
        f"{len(read_airports(seeds / 'airports_dim.csv')):,} rows (in force: "
        f"{len(read_airports(REPO / 'seeds' / 'airports_dim.csv')):,}); "
        "kept only if the build succeeds"]
    lines = _check(warehouse_db, seeds, tmp_path, **{FORCE: "true"})
    assert lines[0].startswith(f"{FORCE}=true: the new airports list would leave 30 of")
    in_force = tmp_path / "seeds-in-force"
    assert read_airports(in_force / "airports_dim.csv") == read_airports(
        REPO / "seeds" / "airports_dim.csv")  # what the seed table held, as a seed file
    assert (in_force / "_seeds.yml").read_bytes() == (REPO / "seeds" / "_seeds.yml").read_bytes()


def test_a_carriers_list_is_guarded_the_same_way(warehouse_db: psycopg.Connection,
                                                 tmp_path: Path) -> None:
    seeds = _image_seeds(tmp_path, carriers_without={"UA"})
    with pytest.raises(AirlineEltError, match=r"without their carrier's name; the ids it "
                                              r"lacks: UA \(5 flights\)"):
        _check(warehouse_db, seeds, tmp_path)
    seeds_small_loss = _image_seeds(tmp_path / "2", carriers_without={"AA"})  # none landed
    assert _check(warehouse_db, seeds_small_loss, tmp_path)[0].startswith("new carriers list")
    assert read_carriers(tmp_path / "seeds-in-force" / "carriers.csv") == read_carriers(
        REPO / "seeds" / "carriers.csv")


def test_an_invalid_list_is_refused_whole_before_the_warehouse_is_asked(tmp_path: Path) -> None:
    seeds = _image_seeds(tmp_path)
    text = (seeds / "airports_dim.csv").read_text(encoding="utf-8")
    (seeds / "airports_dim.csv").write_text(text + "010397,Atlanta,GA,Again\n", encoding="utf-8")
    with pytest.raises(AirlineEltError, match=r"airport_id 010397 repeats line \d+ \(the same "
                                              r"number as 10397\); nothing installed"):
        _check(None, seeds, tmp_path)


def test_a_fresh_warehouse_has_no_list_in_force_to_guard(connection: Connection,
                                                         tmp_path: Path) -> None:
    conninfo = Connection(connection.host, connection.port, connection.user,
                          connection.password, "postgres").url()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        seeds = _image_seeds(tmp_path, airports_without={"10397"})
        assert _check(conn, seeds, tmp_path) == []


def test_the_check_command_exits_65_naming_the_ids_and_the_warehouse_stays(
    warehouse_db: psycopg.Connection, connection: Connection, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    project = tmp_path / "project"  # the image's /opt/airline-elt
    project.mkdir()
    shutil.copy(REPO / "dbt_project.yml", project)
    shutil.copytree(_image_seeds(tmp_path, airports_without={"10397"}), project / "seeds")
    monkeypatch.setenv("AIRLINE_ELT_PROJECT_DIR", str(project))
    conninfo = Connection(connection.host, connection.port, connection.user,
                          connection.password, DATABASE).url()

    def connect(env: Any) -> Any:
        return psycopg.connect(conninfo, autocommit=True)

    assert guard.main(["check"], {"DBT_TARGET": "prod"}, connect) == guard.REFUSED
    assert "refused, nothing built: the new airports list would leave 30 of the 100" in (
        capsys.readouterr().err)
    assert not (project / "seeds-in-force").exists()
    assert guard.main(["check"], {"DBT_TARGET": "prod", FORCE: "true"}, connect) == 0
    assert (project / "seeds-in-force" / "airports_dim.csv").is_file()
    count = warehouse_db.execute("select count(*) from airlines.airports_dim"
                                 " where airport_id = 10397").fetchone()
    assert count == (1,)  # the check changes nothing in the warehouse


def _run_results(target: Path, generated: dt.datetime, statuses: dict[str, str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").write_text(json.dumps({
        "metadata": {"generated_at": generated.isoformat().replace("+00:00", "Z")},
        "results": [{"unique_id": node, "status": status} for node, status in statuses.items()],
    }))


def test_the_outcome_of_a_build_is_recorded_with_its_failing_nodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)
    target = tmp_path / "target"
    _run_results(target, started + dt.timedelta(minutes=5), {
        "model.airline_elt.daily_flights_fact": "success",
        # A data test's unique_id ends in the hash dbt gives it; the record names the test.
        "test.airline_elt.not_null_mv_delay_correlation_flights_operated.3e9a1c2b7d": "fail",
        "seed.airline_elt.airports_dim": "success",
    })
    record = guard.build_outcome(1, started, target,
                                 finished_at=started + dt.timedelta(minutes=6))
    assert not record.succeeded
    assert record.failing_nodes == ("not_null_mv_delay_correlation_flights_operated",)
    assert record.summary == "fail 1, success 2"
    assert record.finished == "2026-12-03 06:36 UTC"
    # run_results.json of an earlier build says nothing about this one.
    later = guard.build_outcome(2, started + dt.timedelta(hours=1), target)
    assert later.failing_nodes == () and later.error == "dbt exited with 2"
    assert guard.build_outcome(124, started + dt.timedelta(hours=1), target).error == (
        "dbt ran past DBT_TIMEOUT_SECONDS and was stopped")

    # The command the entrypoint runs writes it where publish_report.py reads it.
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO / "dbt_project.yml", project)
    _run_results(project / "target", started + dt.timedelta(minutes=5),
                 {"model.airline_elt.daily_flights_fact": "error"})
    monkeypatch.setenv("AIRLINE_ELT_PROJECT_DIR", str(project))
    home = tmp_path / "home"
    assert guard.main(["record", "1", started.isoformat()], {"AIRLINE_ELT_HOME": str(home)}) == 0
    recorded = last_build(home)
    assert recorded is not None and not recorded.succeeded
    assert recorded.failing_nodes == ("daily_flights_fact",)
    _run_results(project / "target", started + dt.timedelta(minutes=5),
                 {"model.airline_elt.daily_flights_fact": "success"})
    assert guard.main(["record", "0", started.isoformat()], {"AIRLINE_ELT_HOME": str(home)}) == 0
    recorded = last_build(home)
    assert recorded is not None and recorded.succeeded and recorded.summary == "success 1"


def test_dbt_loads_the_lists_in_force_back_from_the_folder_the_check_writes(
    warehouse_db: psycopg.Connection, connection: Connection, tmp_path: Path,
) -> None:
    """The rebuild after a failed build runs dbt with AIRLINE_ELT_SEED_DIR=seeds-in-force: the
    folder the check writes from the seed tables loads, with real dbt, into the same tables."""
    from airline_elt.dbt import run_dbt

    seeds = _image_seeds(tmp_path, airports_without={"10397"}, carriers_without={"UA"})
    _check(warehouse_db, seeds, tmp_path, **{FORCE: "true"})
    before = _tables(warehouse_db)
    warehouse_db.execute("truncate airlines.airports_dim, airlines.carriers")
    loaded = run_dbt(["seed", "--full-refresh"], Connection(
        connection.host, connection.port, connection.user, connection.password, DATABASE),
        home=tmp_path / "home", capture=True, seeds=tmp_path / "seeds-in-force")
    assert loaded.returncode == 0, loaded.stdout[-3000:]
    assert _tables(warehouse_db) == before


def _tables(conn: psycopg.Connection) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return (conn.execute("select * from airlines.airports_dim order by 1").fetchall(),
            conn.execute("select * from airlines.carriers order by 1").fetchall())
