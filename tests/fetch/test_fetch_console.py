"""What `airline-elt fetch` prints while downloading: a rich bar on a terminal, one plain line
otherwise (logs, CI); and the per-month lines."""

from __future__ import annotations

import io

from rich.console import Console

from airline_elt.fetch_console import DownloadDisplay, megabytes, month_line
from airline_fetch.fetch import MonthOutcome, Status
from airline_fetch.months import Month

URL = "http://127.0.0.1:1/PREZIP/On_Time_Reporting_Carrier_On_Time_Performance_1987_present_2013_1.zip"


def test_off_a_terminal_a_download_is_one_plain_line() -> None:
    out = io.StringIO()
    display = DownloadDisplay(Console(file=out, force_terminal=False, width=200), "2013-01")
    display.start(URL, 21_300_000)
    display.advance(1_000_000)
    display.finish()
    assert out.getvalue() == f"  2013-01: downloading {URL} (21.3 MB)\n"


def test_on_a_terminal_a_bar_runs_and_a_retry_starts_it_again() -> None:
    out = io.StringIO()
    display = DownloadDisplay(Console(file=out, force_terminal=True, width=120), "2013-01")
    display.start(URL, 2_000_000)
    display.advance(1_000_000)
    assert display._progress is not None and display._task is not None
    task = display._progress.tasks[0]
    assert (task.completed, task.total) == (1_000_000, 2_000_000)
    display.start(URL, 2_000_000)  # a retry that starts over
    assert display._progress.tasks[0].completed == 0
    display.advance(2_000_000)
    display.finish()
    assert display._progress is None
    assert "downloading" not in out.getvalue()  # the bar, not the plain line


def test_month_lines_say_the_status_the_key_and_why() -> None:
    written = MonthOutcome(Month(2013, 1), Status.WRITTEN, Month(2013, 1).landing_key(),
                           605_765, 21_300_000, "new")
    failed = MonthOutcome(Month(2013, 2), Status.FAILED, Month(2013, 2).landing_key(),
                          message="the zip is damaged")
    assert month_line(written) == ("[green]written  [/] 2013-01 -> daily_flights/bts_ontime_"
                                   "2013_01.csv.gz (605,765 rows, 21.3 MB gzip)  [dim]new[/]")
    assert month_line(failed).endswith("bts_ontime_2013_02.csv.gz: the zip is damaged")
    assert megabytes(57_000) == "57.0 kB"
