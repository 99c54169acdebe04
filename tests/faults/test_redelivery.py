"""Redelivery: the same file delivered 100 times lands once (99 duplicates, its rows once);
the same folder delivered again through `airline-elt run` changes nothing; a corrected file
under the same key replaces the old rows, a delayed flight it removes leaves the fact, and a
flight it moves to another date leaves the old date and reaches the new one.

The 100 deliveries go through land_folder in-process (the session's SparkSession and
warehouse: a Spark start per delivery would cost minutes); the runs through the command
line are the session's reference runs (conftest.reference)."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from conftest import BIG_DAY, EXTRA_DAY, SAMPLE_DAYS, Reference, key

from airline_landing.local import land_folder

REDELIVERY_KEY = "daily_flights/date=2023-10-01/flights.csv"


def test_one_file_delivered_100_times_lands_once(spark, connection, tmp_path: Path) -> None:
    # Content of this test's own (a unique flight), so no other test landed it before.
    marker = uuid.uuid4().hex[:12]
    content = (
        "FlightID,Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay\n"
        f"R{marker},DL,10397,12892,95,90\n"
        "R2,WN,14107,11292,,\n"
        "R3,AA,13930,11298,5,-2\n"
    )
    run_ids = []
    statuses = []
    for delivery in range(100):
        folder = tmp_path / f"delivery-{delivery % 3}"  # the same key, from three folders
        (folder / REDELIVERY_KEY).parent.mkdir(parents=True, exist_ok=True)
        (folder / REDELIVERY_KEY).write_text(content)
        run_id = f"redelivery-{marker}-{delivery}"
        run_ids.append(run_id)
        report = land_folder(spark, folder, connection.url(), run_id)
        (result,) = report.files
        statuses.append(result.status)
        assert report.rows_read == report.rows_landed + report.rows_rejected
    assert statuses == ["landed"] + ["duplicate"] * 99

    with psycopg.connect(connection.url(), autocommit=True) as db:
        rows = db.execute(
            "select status, count(*), sum(rows_landed) from raw.landed_files "
            "where run_id = any(%s) group by 1 order by 1",
            (run_ids,),
        ).fetchall()
        assert rows == [("duplicate", 99, 0), ("landed", 1, 3)]
        (landed_version,) = db.execute(
            "select file_version_id from raw.landed_files where run_id = %s", (run_ids[0],)
        ).fetchone()
        assert db.execute(
            "select count(*) from raw.flights_landing where flight_id = %s", (f"R{marker}",)
        ).fetchone() == (1,)
        assert db.execute(
            "select count(*) from raw.flights_landing where file_version_id = %s",
            (landed_version,),
        ).fetchone() == (3,)
        # The key's current version is the one landed first: duplicates replaced nothing.
        assert db.execute(
            "select file_version_id from raw.landed_files where file_key = %s "
            "and status = 'landed' order by file_version_id desc limit 1",
            (REDELIVERY_KEY,),
        ).fetchone() == (landed_version,)


@pytest.mark.slow
def test_the_same_folder_run_again_is_all_duplicates_and_changes_nothing(
    reference: Reference,
) -> None:
    first, again, _ = reference.summaries
    assert first["totals"]["files_landed"] == 4
    assert first["totals"]["rows_read"] == (
        first["totals"]["rows_landed"] + first["totals"]["rows_rejected"]
    )
    assert again["totals"] == {
        "files_landed": 0, "files_duplicate": 4, "files_failed": 0,
        "rows_read": 0, "rows_landed": 0, "rows_rejected": 0,
    }
    assert again["fact_rows_by_date"] == {}
    assert reference.again == reference.v1


def fact_flights(snap: dict, day: str) -> set[str]:
    return {row[0] for row in snap["fact"] if str(row[1]) == day}


@pytest.mark.slow
def test_a_correction_replaces_the_old_rows_and_rebuilds_both_dates(
    reference: Reference,
) -> None:
    change, v1, v2 = reference.change, reference.v1, reference.v2
    old_day, new_day = change["from"], change["to"]
    assert old_day == SAMPLE_DAYS[0] and new_day == EXTRA_DAY

    # Before: both flights are delayed flights of the old date.
    assert {change["removed"], change["moved"]} <= fact_flights(v1, old_day)
    # After: the removed one is gone, the moved one is on the new date only.
    assert change["removed"] not in {row[0] for row in v2["fact"]}
    assert change["moved"] not in fact_flights(v2, old_day)
    assert change["moved"] in fact_flights(v2, new_day)
    assert fact_flights(v2, old_day) == fact_flights(v1, old_day) - {
        change["removed"], change["moved"]
    }
    # Other dates untouched.
    for day in (BIG_DAY, *SAMPLE_DAYS[1:]):
        assert fact_flights(v2, day) == fact_flights(v1, day)

    # The control table: the old version superseded, its rows gone, the new one landed.
    corrected = key(old_day)
    versions = sorted(
        (row[2], row[3]) for row in v2["landed_files"] if row[0] == corrected
    )
    assert [status for status, _ in versions] == ["landed", "superseded"]
    assert len([r for r in v2["flights_landing"] if r[0] == corrected]) == dict(versions)[
        "landed"
    ]

    # The run said so: it rebuilt both dates and reported their fact rows.
    summary = reference.summaries[2]
    assert summary["totals"]["files_landed"] == 2
    assert summary["totals"]["files_duplicate"] == 3
    by_date = summary["fact_rows_by_date"]
    assert set(by_date) >= {old_day, new_day}
    assert by_date[old_day] == len(fact_flights(v2, old_day))
    assert by_date[new_day] == len(fact_flights(v2, new_day))

