"""Keys: odd but legal ones land under their exact name; keys that try to leave the
landing folder (symlinks out, '..', absolute) are refused before a byte is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bad_input_helpers import DAY, csv_bytes, good_rows, write

from airline_landing.keys import key_problem
from airline_landing.landing import land_files
from airline_landing.local import land_folder
from airline_landing.source import LocalFile
from airline_landing.targets import PostgresTarget
from airline_landing.thresholds import RejectLimits

ODD_KEYS = [
    f"daily_flights/date={DAY}/flights with spaces.csv",
    f"daily_flights/date={DAY}/vols-été-✈.csv",
    f"daily_flights/date={DAY}/100%25 [draft] {{copy}} #1 (b).csv",
    f"daily_flights/date={DAY}/o'brien; drop table raw.landed_files; --.csv",
    "daily_flights/日本/2023-11-16.csv",
]


def test_odd_but_legal_keys_land_under_their_exact_name(spark, raw, landing, connection):
    for number, key in enumerate(ODD_KEYS):
        write(landing, key, csv_bytes(good_rows(2, start=10 * number)))
    report = land_folder(spark, landing, connection.url(), "r")
    assert sorted((f.key, f.status, f.rows_landed) for f in report.files) == sorted(
        (key, "landed", 2) for key in ODD_KEYS
    )
    stored = raw.execute(
        "select distinct source_key from raw.flights_landing order by 1"
    ).fetchall()
    assert [key for (key,) in stored] == sorted(ODD_KEYS)
    assert raw.execute("select count(*) from raw.landed_files").fetchone() == (len(ODD_KEYS),)
    dates = raw.execute(
        "select distinct flight_date::text from raw.flights_landing where source_key like %s",
        ("%日本%",),
    ).fetchall()
    assert dates == [(DAY,)]  # the row's FlightDate, not the key's 2023-11-16


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    write(folder, "secret.csv", csv_bytes(good_rows(3)))
    return folder


def test_symlinks_leading_outside_are_refused_and_not_followed(
    spark, raw, landing, connection, outside
):
    (landing / "daily_flights").mkdir()
    os.symlink(outside / "secret.csv", landing / "daily_flights" / "link.csv")
    os.symlink(outside, landing / "daily_flights" / "dirlink")
    write(landing, "daily_flights/inside/real.csv", csv_bytes(good_rows(1)))
    os.symlink(landing / "daily_flights/inside/real.csv", landing / "daily_flights/alias.csv")
    report = land_folder(spark, landing, connection.url(), "r")
    results = {f.key: f for f in report.files}
    for key in ("daily_flights/link.csv", "daily_flights/dirlink"):
        assert results[key].status == "failed"
        assert "symlink to" in results[key].error and "outside the landing folder" in (
            results[key].error
        )
        assert "not read, not copied" in results[key].error
    assert results["daily_flights/alias.csv"].status == "landed"  # a link inside is fine
    assert results["daily_flights/inside/real.csv"].status == "landed"
    assert not (landing / "failed").exists()  # nothing from outside was copied in
    assert raw.execute("select count(*) from raw.flights_landing").fetchone() == (2,)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("../outside/secret.csv", "climbs out of the landing folder"),
        ("daily_flights/../../outside/secret.csv", "climbs out"),
        ("/etc/secret.csv", "absolute key"),
        ("daily_flights/a\nb.csv", "control character"),
    ],
    ids=["dotdot", "dotdot_inside", "absolute", "newline"],
)
def test_keys_climbing_out_are_refused_before_reading(
    spark, raw, connection, tmp_path, outside, key, words
):
    landing = tmp_path / "landing"
    landing.mkdir()
    import psycopg

    with psycopg.connect(connection.url()) as conn:
        source = LocalFile(landing, key, landing / "failed")
        (result,) = land_files(
            spark, [source], PostgresTarget(conn), "r", limits=RejectLimits()
        ).files
    assert result.status == "failed" and words in result.error
    assert result.error.startswith("refused: ")
    assert not (landing / "failed").exists()
    assert raw.execute("select count(*) from raw.flights_landing").fetchone() == (0,)
    assert raw.execute("select status, file_bytes from raw.landed_files").fetchall() == [
        ("failed", 0)
    ]


@pytest.mark.parametrize("key", [f"daily_flights/date={DAY}/flights.csv", "a b/ü.csv",
                                 "daily_flights/..hidden.csv", "x/.../y.csv"])
def test_legal_keys_pass(key):
    assert key_problem(key) is None
