"""A file whose rejected rows pass the limits (default: more than 5 % of its rows AND more
than 10 rows) is failed whole: nothing of it lands, it is copied to failed/, and its
raw.landed_files row counts every row read as rejected (read = landed + rejected)."""

from __future__ import annotations

import pytest
from bad_input_helpers import DAY, KEY, csv_bytes, file_row, good_rows, raw_counts, write

from airline_landing.glue_args import JobArgumentError, parse_job_args
from airline_landing.local import land_folder
from airline_landing.thresholds import (
    ENV_MAX_RATIO,
    ENV_MAX_ROWS,
    LimitError,
    RejectLimits,
    limits_from,
    parse_ratio,
)


def bad_rows(n: int) -> list[str]:
    return [f"{DAY},AA,B{i},10397,12478,late,6" for i in range(n)]


@pytest.mark.parametrize(
    ("good", "bad", "fails"),
    [
        (2, 1, False),  # 33 % but one row: a bad line in a small file
        (10, 10, False),  # 50 % but not more than 10 rows
        (989, 11, False),  # 11 rows but 1.1 %
        (89, 11, True),  # 11 rows and 11 %
        (0, 40, True),  # nothing readable
        (380, 20, False),  # exactly 5 % (20 of 400), more than 10 rows: at the limit, lands
        (379, 21, True),  # 21 of 400 = 5.25 %: over
        (90, 10, False),  # exactly 10 rows (10 %): at the row limit, lands
    ],
    ids=["one_bad_line_small_file", "ten_rows", "one_percent", "eleven_percent", "all_bad",
         "exactly_five_percent", "just_over_five_percent", "exactly_ten_rows"],
)
def test_default_limits(good, bad, fails):
    assert RejectLimits().exceeded(good + bad, bad) is fails


def test_over_the_limit_the_file_fails_whole_and_says_why(spark, raw, landing, connection):
    write(landing, KEY, csv_bytes([*good_rows(89), *bad_rows(10), f"{DAY},AA,X,1,2"]))
    write(landing, "daily_flights/date=2023-11-16/flights.csv",
          csv_bytes([*good_rows(5, "2023-11-16"), *bad_rows(1)]))
    report = land_folder(spark, landing, connection.url(), "r")
    broken, small = report.files
    assert (broken.status, broken.rows_read, broken.rows_landed, broken.rows_rejected) == (
        "failed", 100, 0, 100
    )
    assert raw_counts(raw, broken.file_version_id) == (0, 0)  # nothing of it landed
    assert file_row(raw, broken.file_version_id)[1:5] == ("failed", 100, 0, 100)
    error = broken.error
    assert error.startswith("rejected whole (file_rejected_over_threshold): 11 of 100 rows")
    assert "more than 5 % of its rows and more than 10 rows" in error
    assert "bad_dep_delay 10 (first at line 91)" in error
    assert "wrong_field_count 1 (first at line 101)" in error
    assert (landing / "failed" / KEY).read_bytes() == (landing / KEY).read_bytes()
    reasons = {r.reason_code: r.rows for r in broken.reasons}
    assert reasons == {"bad_dep_delay": 10, "wrong_field_count": 1,
                       "file_rejected_over_threshold": 89}
    assert sum(reasons.values()) == broken.rows_rejected
    # the run went on: one bad line in a small file lands the rest
    assert (small.status, small.rows_landed, small.rows_rejected) == ("landed", 5, 1)
    # the same bytes again: a duplicate of the failed version, not failed again
    (landing / "failed" / KEY).unlink()
    again = land_folder(spark, landing, connection.url(), "r2").files[0]
    assert again.status == "duplicate" and "rejected whole" in again.error
    assert not (landing / "failed" / KEY).exists()
    # once the limits are raised, the same bytes are tried again and land
    loose = RejectLimits(max_ratio=0.5, max_rows=10)
    third = land_folder(spark, landing, connection.url(), "r3", limits=loose).files[0]
    assert (third.status, third.rows_landed, third.rows_rejected) == ("landed", 89, 11)


def test_limits_passed_in_change_the_verdict(spark, raw, landing, connection):
    write(landing, KEY, csv_bytes([*good_rows(20), *bad_rows(1)]))
    strict = RejectLimits(max_ratio=0.0, max_rows=0)
    (result,) = land_folder(spark, landing, connection.url(), "r", limits=strict).files
    assert (result.status, result.rows_rejected) == ("failed", 21)
    assert "more than 0 % of its rows and more than 0 rows" in result.error


def test_the_landing_does_not_read_the_environment(spark, raw, landing, connection, monkeypatch):
    """The limits are resolved once at the edge (the CLI's flags and environment, the Glue
    job's arguments: test_cli_bad_input, test_glue_job_arguments_set_the_limits); below it
    they are passed in, and a caller that passes none gets the documented defaults."""
    monkeypatch.setenv(ENV_MAX_RATIO, "0")
    monkeypatch.setenv(ENV_MAX_ROWS, "0")
    write(landing, KEY, csv_bytes([*good_rows(20), *bad_rows(1)]))
    (result,) = land_folder(spark, landing, connection.url(), "r").files
    assert (result.status, result.rows_landed, result.rows_rejected) == ("landed", 20, 1)


def test_limit_values():
    assert limits_from(environ={}) == RejectLimits(0.05, 10)
    assert limits_from(environ={ENV_MAX_RATIO: "10%", ENV_MAX_ROWS: "3"}) == RejectLimits(0.1, 3)
    assert limits_from("0.2", None, environ={ENV_MAX_RATIO: "0.5"}).max_ratio == 0.2
    assert parse_ratio(" 5% ") == 0.05
    for bad in ("lots", "150%", "-0.1"):
        with pytest.raises(LimitError):
            parse_ratio(bad)
    with pytest.raises(LimitError):
        limits_from(None, "-1", environ={})


GLUE_ARGS = {
    "JOB_NAME": "land",
    "landing_uri": "s3://bucket/daily_flights/",
    "failed_uri": "s3://bucket/failed/",
    "redshift_secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rs",
    "redshift_iam_role": "arn:aws:iam::123456789012:role/copy",
    "TempDir": "s3://bucket/glue-temp/",
}


def test_glue_job_arguments_set_the_limits():
    assert parse_job_args(GLUE_ARGS).limits == RejectLimits()
    args = parse_job_args({**GLUE_ARGS, "max_reject_ratio": "0.2", "max_reject_rows": "50"})
    assert args.limits == RejectLimits(0.2, 50)
    with pytest.raises(JobArgumentError, match="max_reject"):
        parse_job_args({**GLUE_ARGS, "max_reject_ratio": "many"})
