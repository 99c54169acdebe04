"""fetch_months against the local BTS site: every outcome, what each writes (and that a
failure writes nothing while the other months still come), and the HEAD check that skips an
unchanged month's download."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from bts_site import BtsSite, flights_of_month, month_csv

from airline_fetch.fetch import FetchResult, Status, fetch_months
from airline_fetch.http import HttpSettings
from airline_fetch.months import Month, parse_months
from airline_fetch.stores import LocalStore

FAST = HttpSettings(attempts=1, backoff_seconds=0.01, connect_timeout=5, read_timeout=5)
JAN, FEB, MAR, APR = parse_months(["2013-01..2013-04"])


def _fetch(site: BtsSite, store: LocalStore, months: list[Month], **options: bool) -> FetchResult:
    return fetch_months(months, store, source=site.prezip, settings=FAST,
                        workdir=store.work_dir, **options)


def _landed(store: LocalStore, month: Month) -> bytes:
    return gzip.decompress((store.landing_dir / month.landing_key()).read_bytes())


def _left_behind(store: LocalStore) -> list[str]:
    """Files other than the published months and the manifest."""
    return sorted(str(path.relative_to(store.landing_dir))
                  for path in store.landing_dir.rglob("*")
                  if path.is_file() and path.name != "manifest.json"
                  and not path.name.endswith(".csv.gz"))


def test_written_then_unchanged_then_replaced(site: BtsSite, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "landing")
    first = month_csv(flights_of_month(2013, 1, 4))
    site.publish(2013, 1, first)

    written = _fetch(site, store, [JAN]).outcomes[0]
    assert written.status is Status.WRITTEN
    assert written.key == "daily_flights/bts_ontime_2013_01.csv.gz"
    assert written.csv_rows == 31 * 4
    assert written.stored_bytes == (store.landing_dir / written.key).stat().st_size
    assert _landed(store, JAN) == first

    stamp = (store.landing_dir / written.key).stat().st_mtime_ns
    unchanged = _fetch(site, store, [JAN]).outcomes[0]
    assert unchanged.status is Status.UNCHANGED
    assert unchanged.stored_bytes is None
    assert (store.landing_dir / written.key).stat().st_mtime_ns == stamp  # not written again

    revised = month_csv(flights_of_month(2013, 1, 4, seed=8))
    site.publish(2013, 1, revised)
    replaced = _fetch(site, store, [JAN]).outcomes[0]
    assert replaced.status is Status.REPLACED
    assert _landed(store, JAN) == revised
    assert _left_behind(store) == []


def test_missing_and_unpublished_months_are_not_found_and_the_others_come(
        site: BtsSite, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "landing")
    site.publish(2013, 1, month_csv(flights_of_month(2013, 1, 2)))
    site.html_page(2013, 2)  # BTS: status 200, an HTML page
    site.publish(2013, 4, month_csv(flights_of_month(2013, 4, 2)))  # March: 404
    result = _fetch(site, store, [JAN, FEB, MAR, APR])
    assert [o.status for o in result.outcomes] == [
        Status.WRITTEN, Status.NOT_FOUND, Status.NOT_FOUND, Status.WRITTEN]
    assert not result.succeeded
    feb, mar = result.outcomes[1], result.outcomes[2]
    assert "answered with an HTML page, not a zip: the month is probably not published yet" in (
        feb.message)
    assert "404" in mar.message and "six to eight weeks" in mar.message
    assert sorted(p.name for p in (store.landing_dir / "daily_flights").iterdir()) == [
        "bts_ontime_2013_01.csv.gz", "bts_ontime_2013_04.csv.gz"]
    assert _left_behind(store) == []


@pytest.mark.parametrize(("serve", "says"), [
    (lambda site: site.serve_raw(2013, 2, b"Year,Month\r\n2013,2\r\n", "text/csv"),
     "not a zip"),
    (lambda site: site.publish(2013, 2, month_csv(flights_of_month(2013, 2, 1)), extra_csv=True),
     "holds 2 .csv files"),
    (lambda site: site.publish(2013, 2, b'"Year","Month"\r\n2013,2\r\n'),
     "required column(s) missing from the header"),
])
def test_a_bad_month_fails_writes_nothing_and_the_others_come(
        site: BtsSite, tmp_path: Path, serve: object, says: str) -> None:
    store = LocalStore(tmp_path / "landing")
    site.publish(2013, 1, month_csv(flights_of_month(2013, 1, 2)))
    serve(site)  # type: ignore[operator]
    site.publish(2013, 3, month_csv(flights_of_month(2013, 3, 2)))
    result = _fetch(site, store, [JAN, FEB, MAR])
    assert [o.status for o in result.outcomes] == [Status.WRITTEN, Status.FAILED, Status.WRITTEN]
    assert says in result.outcomes[1].message
    assert not (store.landing_dir / FEB.landing_key()).exists()
    assert _left_behind(store) == []


def test_a_failed_revision_keeps_the_stored_month(site: BtsSite, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "landing")
    good = month_csv(flights_of_month(2013, 1, 2))
    site.publish(2013, 1, good)
    _fetch(site, store, [JAN])
    site.serve_raw(2013, 1, b"PK\x03\x04 cut short")
    outcome = _fetch(site, store, [JAN]).outcomes[0]
    assert outcome.status is Status.FAILED
    assert _landed(store, JAN) == good
    assert _left_behind(store) == []


def test_no_server_is_a_failure_with_the_address(tmp_path: Path, closed_port: int) -> None:
    port = closed_port
    store = LocalStore(tmp_path / "landing")
    outcome = fetch_months([JAN], store, source=f"http://127.0.0.1:{port}/PREZIP/",
                           settings=FAST, workdir=store.work_dir).outcomes[0]
    assert outcome.status is Status.FAILED
    assert f"127.0.0.1:{port}" in outcome.message
    assert not (store.landing_dir / "daily_flights").exists()


def test_the_head_check_skips_a_month_the_site_serves_unchanged(
        site: BtsSite, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "landing")
    site.publish(2013, 1, month_csv(flights_of_month(2013, 1, 2)))
    _fetch(site, store, [JAN])
    downloads = site.gets(site.zip_path(2013, 1))
    skipped = _fetch(site, store, [JAN], check_remote=True).outcomes[0]
    assert skipped.status is Status.UNCHANGED
    assert "not downloaded" in skipped.message
    assert site.gets(site.zip_path(2013, 1)) == downloads  # a HEAD only

    site.publish(2013, 1, month_csv(flights_of_month(2013, 1, 2, seed=9)))  # revised
    assert _fetch(site, store, [JAN], check_remote=True).outcomes[0].status is Status.REPLACED
    assert site.gets(site.zip_path(2013, 1)) == downloads + 1


def test_without_the_manifest_the_same_content_is_still_unchanged(
        site: BtsSite, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "landing")
    site.publish(2013, 1, month_csv(flights_of_month(2013, 1, 2)))
    _fetch(site, store, [JAN])
    (store.work_dir / "manifest.json").unlink()
    assert _fetch(site, store, [JAN]).outcomes[0].status is Status.UNCHANGED


def test_tls_trouble_fails_the_month_and_writes_nothing(site: BtsSite, tmp_path: Path) -> None:
    """An https address whose server does not speak TLS: the month fails with the address in
    the message; certificate checks are never relaxed to get past it."""
    store = LocalStore(tmp_path / "landing")
    site.publish(2013, 1, month_csv(flights_of_month(2013, 1, 1)))
    source = site.prezip.replace("http://", "https://")
    outcome = fetch_months([JAN], store, source=source, settings=FAST,
                           workdir=store.work_dir).outcomes[0]
    assert outcome.status is Status.FAILED
    assert "127.0.0.1" in outcome.message
    assert not (store.landing_dir / "daily_flights").exists()
    assert _left_behind(store) == []
