"""A run with nothing new does not start dbt: nothing landed, no seed or project file changed
since the last successful plain build. Anything else builds."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from airline_elt import dbt_step
from airline_elt.dbt_step import NOTHING_NEW, dbt_build_unless_nothing_new
from airline_elt.seeds import install_airports
from airline_elt.state import project_dir

DAY = date(2023, 11, 1)


@pytest.fixture(scope="module")
def project(dbt_project):
    dbt_project.land("daily_flights/date=2023-11-01/flights.csv",
                     [("AA1", "AA", 10397, 11292, 90, 85, DAY)])
    return dbt_project


def build(project, tmp_path, *args: str):
    return dbt_build_unless_nothing_new(project.connection, project.home,
                                        tmp_path / "dbt.log", args)


def test_a_first_build_runs_and_a_second_with_nothing_new_does_not(project, tmp_path):
    first = build(project, tmp_path)
    assert first.succeeded and not first.skipped
    second = build(project, tmp_path)
    assert second.succeeded and second.skipped
    assert NOTHING_NEW in second.describe()
    assert NOTHING_NEW in (tmp_path / "dbt.log").read_text()


def test_a_landed_file_version_builds(project, tmp_path):
    project.land("daily_flights/date=2023-11-02/flights.csv",
                 [("AA2", "AA", 10397, 11292, 95, 85, date(2023, 11, 2))])
    assert not build(project, tmp_path).skipped
    assert build(project, tmp_path).skipped
    assert [row[0] for row in project.fact()] == ["AA2", "AA1"]


def test_a_changed_airports_file_builds(project, tmp_path):
    airports = tmp_path / "airports.csv"
    shutil.copyfile(project_dir() / "seeds" / "airports_dim.csv", airports)
    with airports.open("a", encoding="utf-8") as out:
        out.write("19999,Springfield,IL,Abraham Lincoln Capital\n")
    install_airports(airports, project.home)
    assert not build(project, tmp_path).skipped
    assert build(project, tmp_path).skipped


def test_dbt_arguments_always_build(project, tmp_path):
    assert not build(project, tmp_path, "--select", "daily_flights_fact").skipped


def test_a_plain_build_after_one_with_other_vars_runs(project, tmp_path):
    """A build with other vars leaves another warehouse than the last plain build: the next
    plain build must put it back, not be skipped as nothing new."""
    assert build(project, tmp_path).succeeded
    other = build(project, tmp_path, "--vars", "{delay_threshold_minutes: 95}")
    assert other.succeeded and not other.skipped
    assert project.fact() == []  # AA1's 90 minutes are not over 95
    again = build(project, tmp_path)
    assert again.succeeded and not again.skipped
    assert "AA1" in [row[0] for row in project.fact()]
    assert build(project, tmp_path).skipped


def test_a_failed_build_is_not_remembered(project, tmp_path, monkeypatch):
    project.land("daily_flights/date=2023-11-03/flights.csv",
                 [("AA3", "AA", 10397, 11292, 99, 85, date(2023, 11, 3))])

    def failing_dbt(args, connection, home=None, capture=False, seeds=None):
        return subprocess.CompletedProcess(args, 2, stdout="Encountered an error\nboom\n",
                                           stderr="")

    with monkeypatch.context() as patch:
        patch.setattr(dbt_step, "run_dbt", failing_dbt)
        assert not build(project, tmp_path).succeeded
    outcome = build(project, tmp_path)
    assert outcome.succeeded and not outcome.skipped
    assert "AA3" in [row[0] for row in project.fact()]
