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
    # A link inside means its target's content: the target lands, the link is its duplicate.
    assert results["daily_flights/inside/real.csv"].status == "landed"
    alias = results["daily_flights/alias.csv"]
    assert alias.status == "duplicate"
    assert "same content as daily_flights/inside/real.csv" in alias.error
    assert not (landing / "failed").exists()  # nothing from outside was copied in
    assert raw.execute("select count(*) from raw.flights_landing").fetchone() == (1,)


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


def test_entries_that_cannot_be_landed_are_named_with_why(spark, raw, landing, connection):
    """Nothing under the prefix is skipped in silence: a dangling link, a link loop, a FIFO
    named like a CSV and a link to a folder inside are each a refused (failed) file with why;
    the next run records them as duplicates of that failure, not again as failures."""
    folder = landing / "daily_flights"
    write(landing, "daily_flights/inside/real.csv", csv_bytes(good_rows(1)))
    os.symlink(landing / "gone.csv", folder / "dangling.csv")
    os.symlink(folder / "loop_b.csv", folder / "loop_a.csv")
    os.symlink(folder / "loop_a.csv", folder / "loop_b.csv")
    os.mkfifo(folder / "pipe.csv")
    os.symlink(folder / "inside", folder / "dirlink")
    expected = {
        "daily_flights/dangling.csv": "dangling symlink",
        "daily_flights/loop_a.csv": "symlink loop",
        "daily_flights/loop_b.csv": "symlink loop",
        "daily_flights/pipe.csv": "not a regular file",
        "daily_flights/dirlink": "does not walk folders behind links",
    }
    report = land_folder(spark, landing, connection.url(), "r")
    results = {f.key: f for f in report.files}
    assert results.pop("daily_flights/inside/real.csv").status == "landed"
    assert {key: r.status for key, r in results.items()} == dict.fromkeys(expected, "failed")
    for key, words in expected.items():
        assert results[key].error.startswith(f"refused: {key} ") and words in results[key].error
        assert results[key].final
    again = land_folder(spark, landing, connection.url(), "r2")
    assert {f.key: f.status for f in again.files} == {
        **dict.fromkeys(expected, "duplicate"),
        "daily_flights/inside/real.csv": "duplicate",
    }


def landed_by_key(raw) -> dict[str, int]:
    return dict(
        raw.execute(
            "select source_key, count(*) from raw.flights_landing group by 1"
        ).fetchall()
    )


def test_the_same_content_lands_once_whatever_its_name(spark, raw, landing, connection):
    """A browser's `flights (1).csv` beside `flights.csv`, or a key rewritten with another
    key's bytes: a duplicate of the key that holds them, naming it; nothing lands twice, and
    every date a replaced version touched is in the run's dates to rebuild."""
    a = f"daily_flights/date={DAY}/flights.csv"
    copy = f"daily_flights/date={DAY}/flights (1).csv"
    b = "daily_flights/date=2023-11-16/flights.csv"
    x = csv_bytes(good_rows(3))
    write(landing, a, x)
    write(landing, b, csv_bytes(good_rows(2, day="2023-11-16", start=50)))
    first = land_folder(spark, landing, connection.url(), "r1")
    assert [f.status for f in first.files] == ["landed", "landed"]

    write(landing, copy, x)
    write(landing, b, x)  # b now holds a's bytes: its old version goes
    second = {f.key: f for f in land_folder(spark, landing, connection.url(), "r2").files}
    assert {k: f.status for k, f in second.items()} == dict.fromkeys([a, b, copy], "duplicate")
    a_version = first.files[0].file_version_id
    for key in (copy, b):
        assert f"same content as {a} (version {a_version})" in second[key].error
    assert [d.isoformat() for d in second[b].flight_dates] == ["2023-11-16"]
    assert landed_by_key(raw) == {a: 3}
    assert raw.execute(
        "select status from raw.landed_files where file_version_id = %s",
        (first.files[1].file_version_id,),
    ).fetchone() == ("superseded",)

    # a is replaced: its old bytes are still b's (and the copy's), so they land once, under b
    write(landing, a, csv_bytes(good_rows(4, day="2023-11-17", start=70)))
    third = land_folder(spark, landing, connection.url(), "r3")
    statuses = {f.key: f.status for f in third.files}
    assert statuses == {copy: "duplicate", a: "landed", b: "landed"}
    assert landed_by_key(raw) == {a: 4, b: 3}
    assert {d.isoformat() for d in third.landed_dates} >= {DAY, "2023-11-17"}


def test_the_same_bytes_without_flight_dates_under_two_dates_are_two_days(
    spark, raw, landing, connection
):
    """Rows without a FlightDate take their key's date: identical bytes under two date keys
    are two days of flights, both land (exactly once per content is per flights carried)."""
    content = (
        b"Carrier,FlightID,OriginAirportID,DestAirportID,DepDelay,ArrDelay\n"
        b"AA,AA1,10397,12478,5,6\n"
    )
    days = [f"daily_flights/date=2023-11-1{day}/flights.csv" for day in (5, 6)]
    for key in days:
        write(landing, key, content)
    report = land_folder(spark, landing, connection.url(), "r")
    assert [(f.key, f.status, f.rows_landed) for f in report.files] == [
        (key, "landed", 1) for key in days
    ]
    assert landed_by_key(raw) == dict.fromkeys(days, 1)
