"""Fetch BTS months into a store: download, check, compress, publish; one outcome per month.

A month's failure writes nothing and the other months still come. A month whose CSV has
the same sha256 as the stored one is UNCHANGED (nothing written); a changed one (BTS
revises months) is REPLACED, and the landing's replace rule rebuilds its dates. With
`check_remote`, a month whose remote validators (ETag, Last-Modified, size, from a HEAD
request) equal the stored ones is UNCHANGED without being downloaded: the monthly check
on AWS stays cheap.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from airline_fetch.bts_zip import BtsZipError, NotAZipError, write_month_gzip
from airline_fetch.http import (
    FetchError,
    HttpSettings,
    NotFoundError,
    Progress,
    Remote,
    download,
    head,
)
from airline_fetch.months import BTS_PREZIP, DEFAULT_PREFIX, Month
from airline_fetch.stores import MonthStore, StoredMonth


class Status(enum.StrEnum):
    WRITTEN = "written"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    NOT_FOUND = "not_found"
    FAILED = "failed"


SUCCEEDED = frozenset({Status.WRITTEN, Status.REPLACED, Status.UNCHANGED})


@dataclass(frozen=True)
class MonthOutcome:
    month: Month
    status: Status
    key: str
    csv_rows: int | None = None  # rows of the CSV fetched (None when none was read)
    stored_bytes: int | None = None  # bytes of the gzip written (None when none was)
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCEEDED


@dataclass(frozen=True)
class FetchResult:
    outcomes: tuple[MonthOutcome, ...]

    @property
    def succeeded(self) -> bool:
        return all(outcome.succeeded for outcome in self.outcomes)

    def count(self, status: Status) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status is status)


ProgressFactory = Callable[[Month], Progress | None]


def fetch_months(
    months: Sequence[Month],
    store: MonthStore,
    *,
    source: str = BTS_PREZIP,
    settings: HttpSettings | None = None,
    progress_factory: ProgressFactory | None = None,
    workdir: Path,
    prefix: str = DEFAULT_PREFIX,
    check_remote: bool = False,
    on_outcome: Callable[[MonthOutcome], None] | None = None,
) -> FetchResult:
    """Fetch each month into `store` (downloads and temporary files in `workdir`)."""
    settings = settings or HttpSettings()
    outcomes = []
    for month in months:
        outcome = fetch_month(month, store, source=source, settings=settings,
                              progress=progress_factory(month) if progress_factory else None,
                              workdir=workdir, prefix=prefix, check_remote=check_remote)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return FetchResult(tuple(outcomes))


def fetch_month(
    month: Month,
    store: MonthStore,
    *,
    source: str,
    settings: HttpSettings,
    progress: Progress | None,
    workdir: Path,
    prefix: str = DEFAULT_PREFIX,
    check_remote: bool = False,
) -> MonthOutcome:
    key = month.landing_key(prefix)
    url = month.zip_url(source)
    workdir.mkdir(parents=True, exist_ok=True)
    zip_path = workdir / f"bts_{month.year:04d}_{month.month:02d}.zip.download"
    gz_path = workdir / f"bts_{month.year:04d}_{month.month:02d}.csv.gz.tmp"
    try:
        stored = store.stored(key)
        if check_remote and stored is not None and _same_remote(head(url, settings), stored):
            return MonthOutcome(month, Status.UNCHANGED, key,
                                message="the site serves the same file as stored (ETag, "
                                "Last-Modified and size): not downloaded")
        downloaded = download(url, zip_path, settings, progress)
        month_csv = write_month_gzip(zip_path, gz_path)
        if stored is not None and stored.csv_sha256 == month_csv.csv_sha256:
            return MonthOutcome(month, Status.UNCHANGED, key, month_csv.rows,
                                message="same content as stored: nothing written")
        store.put(key, gz_path, StoredMonth(month_csv.csv_sha256, downloaded.etag,
                                            downloaded.last_modified, downloaded.size))
        return MonthOutcome(
            month, Status.WRITTEN if stored is None else Status.REPLACED, key,
            month_csv.rows, month_csv.gz_bytes,
            "new" if stored is None else "content changed since the last fetch (BTS revised "
            "the month): the landing rebuilds its dates")
    except NotFoundError as error:
        return MonthOutcome(month, Status.NOT_FOUND, key,
                            message=f"{error}; BTS publishes a month six to eight weeks after "
                            "it ends")
    except NotAZipError as error:
        return MonthOutcome(month, Status.NOT_FOUND if error.html else Status.FAILED, key,
                            message=f"{url} {error}")
    except (FetchError, BtsZipError) as error:
        return MonthOutcome(month, Status.FAILED, key, message=str(error))
    except OSError as error:
        return MonthOutcome(month, Status.FAILED, key,
                            message=f"{error.strerror or error}: {error.filename or key}")
    finally:
        zip_path.unlink(missing_ok=True)
        gz_path.unlink(missing_ok=True)


def _same_remote(remote: Remote | None, stored: StoredMonth) -> bool:
    """Every validator the site gave equals the stored one (and at least one was given)."""
    if remote is None:
        return False
    pairs = [(remote.etag, stored.source_etag),
             (remote.last_modified, stored.source_last_modified),
             (remote.size, stored.source_size)]
    given = [(now, then) for now, then in pairs if now is not None]
    return bool(given) and all(now == then for now, then in given)
