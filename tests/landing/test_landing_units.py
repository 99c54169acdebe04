"""Unit tests of the plain-Python parts of landing: header, key dates, file checks, job args."""

from __future__ import annotations

import json
from datetime import date

import pytest

from airline_landing.columns import MissingColumnsError, resolve_columns, split_header
from airline_landing.dates import flight_date_from_key
from airline_landing.file_limits import FileLimits
from airline_landing.glue_args import (
    REQUIRED_ARGS,
    JobArgumentError,
    job_arg_names,
    parse_job_args,
    redshift_connect_params,
)
from airline_landing.plausibility import Plausibility
from airline_landing.source import hadoop_path, inspect_file, split_s3_uri
from airline_landing.targets import key_lock_id, redshift_copy_sql

ROLE = "arn:aws:iam::123456789012:role/redshift-copy"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift-AbCdEf"


def test_header_any_order_any_case_extra_columns_ignored():
    columns = resolve_columns(
        split_header("arrdelay,EXTRA,depDelay,DESTAIRPORTID,originairportid,CARRIER,flightdate")
    )
    assert columns.field_count == 7
    assert columns.positions == {
        "arr_delay": 0,
        "dep_delay": 2,
        "dest_airport_id": 3,
        "origin_airport_id": 4,
        "carrier": 5,
        "flight_date": 6,
    }


def test_bts_names_are_aliases_and_quoted_header_with_bom():
    header = (
        '\ufeff"Year","FlightDate","Reporting_Airline","IATA_CODE_Reporting_Airline",'
        '"Flight_Number_Reporting_Airline","OriginAirportID","DestAirportID","DepDelay",'
        '"ArrDelay",'
    )
    columns = resolve_columns(split_header(header))
    assert columns.field_count == 10  # BTS's trailing comma makes an empty last column
    assert columns.position("carrier") == 2  # Reporting_Airline preferred over IATA_CODE_...
    assert columns.position("flight_number") == 4
    assert columns.position("flight_id") is None
    assert columns.position("flight_date") == 1


def test_iata_code_alone_is_the_carrier():
    columns = resolve_columns(
        split_header("IATA_CODE_Reporting_Airline,OriginAirportID,DestAirportID,DepDelay,ArrDelay")
    )
    assert columns.position("carrier") == 0


def test_missing_required_column_names_what_is_missing():
    with pytest.raises(MissingColumnsError, match=r"DestAirportID, ArrDelay"):
        resolve_columns(split_header("Carrier,OriginAirportID,DepDelay,FlightDate"))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("daily_flights/date=2023-11-15/flights.csv", date(2023, 11, 15)),
        ("daily_flights/flights_20231116.csv", date(2023, 11, 16)),
        ("daily_flights/2023-11-17.csv", date(2023, 11, 17)),
        ("daily_flights/date=2023-02-30/flights.csv", None),
        ("daily_flights/monthly/On_Time_2023_11.csv", None),
        ("daily_flights/xdate=2023-11-15/flights.csv", None),
    ],
)
def test_flight_date_from_key(key, expected):
    assert flight_date_from_key(key) == expected


def _chunks(data: bytes, size: int = 3):
    return iter([data[i : i + size] for i in range(0, len(data), size)] or [b""])


def test_inspect_file_hashes_and_reads_header_across_chunks():
    data = "\ufeffCarrier,Ü\r\nAA,1\r\n".encode()
    facts = inspect_file(_chunks(data))
    import hashlib

    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert facts.size == len(data)
    assert facts.header_line == "Carrier,Ü"
    assert facts.problem is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "no header line"),
        (b"\r\nCarrier\r\n", "no header line"),
        (b"Carrier,\xff\xfeOrigin\n", "not UTF-8 text: undecodable byte at offset 8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text: undecodable byte at offset 0"),
        (b"Carrier\nAA\x00\x01\x02", "not a text file: NUL byte at offset 10"),
        ("Carrier\n".encode("utf-16"), "not UTF-8 text"),
        (b"Carrier,\xc3", "ends inside a multi-byte character"),
    ],
)
def test_inspect_file_problems(data, problem):
    facts = inspect_file(_chunks(data))
    assert facts.problem is not None and problem in facts.problem
    assert facts.header_line is None


LIMITS = FileLimits(max_file_bytes=40, max_line_bytes=8, max_header_chars=5)


@pytest.mark.parametrize("chunk", [1, 3, 8, 64])
@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"Carr\n12345678\n1\n", None),  # a line of exactly 8 bytes: at the limit
        (b"Carr\r\n1\r\n12345678\r\n", None),
        (b"Carr\n1\n123456789\n2\n", "a line longer than 8 bytes (it starts at byte offset 7)"),
        (b"Carr\n1\n123456789", "a line longer than 8 bytes (it starts at byte offset 7)"),
        (b"Carrier\n1\n", "the header line is longer than 5 characters"),
        (b"Carr\n" + b"1234\n" * 7, None),  # exactly 40 bytes: at the limit
        # binary bytes are named as such, not as a long line
        (b"Carr\n\x00" + b"x" * 20, "not a text file: NUL byte at offset 5"),
        (b"Carr\n" + b"1234\n" * 8, "over the file size limit: more than 40 bytes"),
    ],
)
def test_inspect_file_limits_whatever_the_chunking(data, problem, chunk):
    """Each limit on both sides of its boundary, the long line cut across chunks or not."""
    facts = inspect_file(_chunks(data, chunk), limits=LIMITS)
    if problem is None:
        assert facts.problem is None
    else:
        assert facts.problem is not None and problem in facts.problem


def test_header_columns_limit():
    assert FileLimits().header_columns_problem(1000) is None
    assert FileLimits().header_columns_problem(1001) == (
        "over the header width limit: 1,001 columns, the limit is 1,000"
    )


def test_hadoop_path_escapes_glob_characters():
    assert hadoop_path("/a/b[1]/c*.csv") == "/a/b\\[1\\]/c\\*.csv"


def test_split_s3_uri():
    assert split_s3_uri("s3://bucket/daily_flights/") == ("bucket", "daily_flights/")
    with pytest.raises(ValueError, match="not an s3"):
        split_s3_uri("/local/path")


def test_job_arg_names_adds_optional_run_id_only_when_given():
    assert job_arg_names(["script.py", "--JOB_NAME", "x"]) == list(REQUIRED_ARGS)
    assert job_arg_names(["script.py", "--run_id", "r1"]) == [*REQUIRED_ARGS, "run_id"]


def _resolved(**overrides):
    resolved = {
        "JOB_NAME": "airline-landing",
        "landing_uri": "s3://flights-bucket/daily_flights",
        "failed_uri": "s3://flights-bucket/failed/",
        "redshift_secret_arn": SECRET,
        "redshift_iam_role": ROLE,
        "TempDir": "s3://flights-bucket/glue-temp/",
        "JOB_RUN_ID": "jr_123",
    }
    resolved.update(overrides)
    return resolved


def test_parse_job_args_normalises_and_defaults_run_id():
    args = parse_job_args(_resolved())
    assert args.landing_uri == "s3://flights-bucket/daily_flights/"
    assert args.run_id == "jr_123"
    assert parse_job_args(_resolved(run_id="run-9")).run_id == "run-9"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"landing_uri": "flights-bucket/daily_flights/"}, "--landing_uri must be an s3://"),
        ({"redshift_iam_role": "admin"}, "--redshift_iam_role is not an IAM role ARN"),
        ({"redshift_secret_arn": "password123"}, "not a Secrets Manager ARN"),
        ({"TempDir": ""}, "missing job argument(s): --TempDir"),
    ],
)
def test_parse_job_args_rejects_bad_values(override, message):
    with pytest.raises(JobArgumentError) as error:
        parse_job_args(_resolved(**override))
    assert message in str(error.value)


def test_parse_job_args_sets_the_plausibility_rules():
    """The Glue job takes the same plausibility settings as the CLI (as job arguments)."""
    assert parse_job_args(_resolved()).plausible == Plausibility()
    args = parse_job_args(
        _resolved(first_flight_date="2000-01-01", future_days="3", min_delay="-60",
                  max_delay="600")
    )
    assert args.plausible == Plausibility(date(2000, 1, 1), 3, -60, 600)
    assert "max_delay" in job_arg_names(["script.py", "--max_delay", "600"])
    with pytest.raises(JobArgumentError, match="is not a whole number"):
        parse_job_args(_resolved(max_delay="lots"))


def test_redshift_connect_params_from_secret():
    params = redshift_connect_params(
        json.dumps({"host": "h", "port": "5439", "username": "u", "password": "p", "dbname": "d"})
    )
    assert params == {"host": "h", "port": 5439, "user": "u", "password": "p", "database": "d"}
    with pytest.raises(JobArgumentError, match="lacks: password"):
        redshift_connect_params(json.dumps({"host": "h", "username": "u"}))


def test_redshift_copy_sql_validates_what_it_embeds():
    sql = redshift_copy_sql("raw.flights_landing", ["a", "b"], "s3://tmp-bucket/landing/7/", ROLE)
    assert sql.startswith("copy raw.flights_landing (a, b) from 's3://tmp-bucket/landing/7/'")
    assert f"iam_role '{ROLE}'" in sql and "csv" in sql
    with pytest.raises(ValueError, match="unsafe S3 prefix"):
        redshift_copy_sql("t", ["a"], "s3://b/x'; drop table t; --", ROLE)
    with pytest.raises(ValueError, match="not an IAM role"):
        redshift_copy_sql("t", ["a"], "s3://tmp-bucket/x/", "role' or 1=1")


def test_key_lock_id_is_stable_and_signed_64_bit():
    assert key_lock_id("a") == key_lock_id("a") != key_lock_id("b")
    assert -(2**63) <= key_lock_id("daily_flights/x.csv") < 2**63
