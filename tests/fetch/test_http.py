"""airline_fetch.http against a real HTTP server on 127.0.0.1 that misbehaves on request
(tests/fetch/conftest.py): streaming, time-outs, retries, resume and the words of every error."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from airline_fetch.http import (
    Downloaded,
    FetchError,
    HttpSettings,
    HttpStatusError,
    NetworkError,
    NotFoundError,
    Remote,
    download,
    head,
)

if TYPE_CHECKING:
    from conftest import Faults, LocalProxy, LocalServer

FAST = HttpSettings(connect_timeout=2.0, read_timeout=2.0, attempts=3, backoff_seconds=0.01)
ETAG = '"v1-abc"'
LAST_MODIFIED = "Tue, 05 Nov 2024 10:00:00 GMT"
MONTH_PATH = "/PREZIP/On_Time_2024_1.zip"


def payload(size: int, seed: int = 1) -> bytes:
    """Bytes that differ at every offset, so a resume at the wrong place changes the hash."""
    return hashlib.shake_256(seed.to_bytes(4, "big")).digest(size)


@dataclass
class RecordingProgress:
    events: list[tuple[str, object]] = field(default_factory=list)

    def start(self, url: str, total_bytes: int | None) -> None:
        self.events.append(("start", total_bytes))

    def advance(self, n_bytes: int) -> None:
        self.events.append(("advance", n_bytes))

    def finish(self) -> None:
        self.events.append(("finish", None))

    def advanced(self) -> list[int]:
        return [n for kind, n in self.events if kind == "advance"]  # type: ignore[misc]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_is_streamed_to_dest_in_chunks_with_its_headers(
    http_server: LocalServer, tmp_path: Path
) -> None:
    body = payload(2 * 1024 * 1024 + 123)
    url = http_server.serve(MONTH_PATH, body, etag=ETAG, last_modified=LAST_MODIFIED)
    progress = RecordingProgress()

    result = download(url, tmp_path / "month.zip.part", FAST, progress)

    assert result == Downloaded(
        url=url,
        path=tmp_path / "month.zip.part",
        size=len(body),
        sha256=sha256(body),
        last_modified=LAST_MODIFIED,
        etag=ETAG,
        content_type="application/zip",
        attempts=1,
        resumed=False,
    )
    assert (tmp_path / "month.zip.part").read_bytes() == body
    assert progress.events[0] == ("start", len(body))
    assert progress.events[-1] == ("finish", None)
    assert sum(progress.advanced()) == len(body)
    assert len(progress.advanced()) >= 3  # streamed, not read whole
    assert max(progress.advanced()) <= 1024 * 1024
    [request] = http_server.requests
    assert request.headers["User-Agent"].startswith("airline-elt")
    assert "Range" not in request.headers


def test_head_reads_size_date_etag_and_type_and_none_when_missing(
    http_server: LocalServer,
) -> None:
    url = http_server.serve(MONTH_PATH, payload(5000), etag=ETAG, last_modified=LAST_MODIFIED)
    assert head(url, FAST) == Remote(5000, LAST_MODIFIED, ETAG, "application/zip")
    assert head(http_server.url("/PREZIP/not_published.zip"), FAST) is None
    assert [r.method for r in http_server.requests] == ["HEAD", "HEAD"]


def test_head_failures_say_what_was_asked(http_server: LocalServer, faults: type[Faults]) -> None:
    url = http_server.serve(MONTH_PATH, payload(10))
    http_server.fail(MONTH_PATH, faults.Status(503), faults.Status(503), faults.Status(503))
    with pytest.raises(HttpStatusError) as raised:
        head(url, FAST)
    assert str(raised.value).startswith(
        f"Could not check {url}: the server answered 503 three times over"
    )
    http_server.fail(MONTH_PATH, faults.Status(401))
    with pytest.raises(HttpStatusError, match=r"^Could not check .*: the server answered 401"):
        head(url, FAST)


def test_head_is_retried_like_a_download(http_server: LocalServer, faults: type[Faults]) -> None:
    url = http_server.serve(MONTH_PATH, payload(10), etag=ETAG)
    http_server.fail(MONTH_PATH, faults.Status(503), faults.Drop())
    assert head(url, FAST) == Remote(10, None, ETAG, "application/zip")
    assert len(http_server.requests) == 3


@pytest.mark.parametrize("status", [404, 410])
def test_a_missing_file_is_not_found_at_once_and_leaves_nothing(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path, status: int
) -> None:
    http_server.serve(MONTH_PATH, b"x")
    http_server.fail(MONTH_PATH, faults.Status(status))
    dest = tmp_path / "month.zip.part"
    with pytest.raises(NotFoundError) as raised:
        download(http_server.url(MONTH_PATH), dest, FAST)
    assert http_server.url(MONTH_PATH) in str(raised.value)
    assert f"answered {status}" in str(raised.value)
    assert not dest.exists()
    assert len(http_server.requests) == 1


def test_server_errors_are_retried_until_the_file_comes(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(3000)
    url = http_server.serve(MONTH_PATH, body)
    http_server.fail(MONTH_PATH, faults.Status(503), faults.Status(500))
    result = download(url, tmp_path / "f", FAST)
    assert result.attempts == 3
    assert result.sha256 == sha256(body)


def test_a_server_error_every_time_says_how_often_and_how_long(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    url = http_server.serve(MONTH_PATH, payload(10))
    http_server.fail(MONTH_PATH, *[faults.Status(503)] * 5)
    dest = tmp_path / "f"
    settings = HttpSettings(attempts=5, backoff_seconds=0.01)
    with pytest.raises(HttpStatusError) as raised:
        download(url, dest, settings)
    assert raised.value.status == 503
    message = str(raised.value)
    assert message.startswith(f"Could not download {url}: the server answered 503 five times over")
    assert message.endswith(" s")
    assert "\n" not in message
    assert not dest.exists()
    assert len(http_server.requests) == 5


def test_no_try_or_wait_starts_past_the_deadline(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    """A Lambda function's deadline (give_up_at): the tries stop with what went wrong when
    the next wait would pass it, instead of the function being killed mid-wait."""
    url = http_server.serve(MONTH_PATH, payload(10))
    http_server.fail(MONTH_PATH, *[faults.Status(503)] * 9)
    started = time.monotonic()
    settings = HttpSettings(attempts=10, backoff_seconds=0.4, give_up_at=started + 1.0)
    with pytest.raises(HttpStatusError) as raised:
        download(url, tmp_path / "f", settings)
    assert time.monotonic() - started < 1.0
    assert 1 < len(http_server.requests) < 10
    assert str(raised.value).endswith("; no time left for another try")
    assert not (tmp_path / "f").exists()


def test_a_download_larger_than_the_limit_is_refused_and_leaves_nothing(
    http_server: LocalServer, tmp_path: Path
) -> None:
    url = http_server.serve(MONTH_PATH, payload(5000))
    dest = tmp_path / "f"
    with pytest.raises(FetchError, match="announces 5,000 bytes, more than the 1,000"):
        download(url, dest, HttpSettings(max_bytes=1000, backoff_seconds=0.01))
    assert not dest.exists()
    assert len(http_server.requests) == 1  # not retried: the same answer would come again
    assert download(url, dest, HttpSettings(max_bytes=5000)).size == 5000


def test_waits_between_tries_grow(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    url = http_server.serve(MONTH_PATH, payload(10))
    http_server.fail(MONTH_PATH, *[faults.Status(502)] * 3)
    settings = HttpSettings(attempts=4, backoff_seconds=0.2)
    download(url, tmp_path / "f", settings)
    times = [request.at for request in http_server.requests]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # first wait 0.2 s, then 0.4 s, then 0.8 s, of which at least half is always kept
    assert gaps[0] >= 0.1
    assert gaps[1] >= 0.2
    assert gaps[2] >= 0.4
    assert sum(gaps) < 1.4 + 1.5  # all of each at most, and slack for a busy machine


def test_too_many_requests_waits_as_long_as_retry_after_says(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    url = http_server.serve(MONTH_PATH, payload(10))
    http_server.fail(MONTH_PATH, faults.Status(429, (("Retry-After", "1"),)))
    result = download(url, tmp_path / "f", FAST)
    first, second = http_server.requests
    assert second.at - first.at >= 0.95
    assert result.attempts == 2


def test_a_long_retry_after_ends_the_tries_with_a_clear_message(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    url = http_server.serve(MONTH_PATH, payload(10))
    http_server.fail(MONTH_PATH, faults.Status(429, (("Retry-After", "3600"),)))
    started = time.monotonic()
    with pytest.raises(HttpStatusError) as raised:
        download(url, tmp_path / "f", FAST)
    assert time.monotonic() - started < 1
    assert raised.value.status == 429
    assert "asked to wait 3600 s" in str(raised.value)
    assert "try again later" in str(raised.value)
    assert len(http_server.requests) == 1


def test_request_timeout_is_retried_but_other_client_errors_are_not(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    url = http_server.serve(MONTH_PATH, payload(10))
    http_server.fail(MONTH_PATH, faults.Status(408))
    assert download(url, tmp_path / "f", FAST).attempts == 2

    http_server.fail(MONTH_PATH, faults.Status(403))
    with pytest.raises(HttpStatusError) as raised:
        download(url, tmp_path / "g", FAST)
    assert raised.value.status == 403
    assert str(raised.value) == f"Could not download {url}: the server answered 403 Forbidden"
    assert len(http_server.requests) == 3
    assert not (tmp_path / "g").exists()

    http_server.fail(MONTH_PATH, faults.Status(501))  # the server will never do this request
    with pytest.raises(HttpStatusError, match=r"answered 501 Not Implemented$"):
        download(url, tmp_path / "g", FAST)
    assert len(http_server.requests) == 4


def test_a_refused_connection_is_retried_then_named(closed_port: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port}/x.zip"
    with pytest.raises(NetworkError) as raised:
        download(url, tmp_path / "f", FAST)
    assert str(raised.value).startswith(
        f"Could not download {url}: the connection was refused, three times over"
    )
    assert not (tmp_path / "f").exists()


def test_a_dropped_connection_is_retried(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(100)
    url = http_server.serve(MONTH_PATH, body)
    http_server.fail(MONTH_PATH, faults.Drop(), faults.Drop())
    result = download(url, tmp_path / "f", FAST)
    assert (result.attempts, result.sha256) == (3, sha256(body))


def test_connect_times_out(unanswering_address: tuple[str, int], tmp_path: Path) -> None:
    host, port = unanswering_address
    url = f"http://{host}:{port}/x.zip"
    settings = HttpSettings(connect_timeout=0.3, attempts=2, backoff_seconds=0.01)
    started = time.monotonic()
    with pytest.raises(NetworkError) as raised:
        download(url, tmp_path / "f", settings)
    assert 0.55 < time.monotonic() - started < 5
    assert str(raised.value).startswith(
        f"Could not download {url}: no connection within 0.3 s, twice over"
    )


def test_a_server_that_never_answers_the_request_times_out(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(1000)
    url = http_server.serve(MONTH_PATH, body)
    http_server.fail(MONTH_PATH, faults.Silence(3), faults.Silence(3))
    settings = HttpSettings(read_timeout=0.3, attempts=2, backoff_seconds=0.01)
    with pytest.raises(NetworkError) as raised:
        download(url, tmp_path / "f", settings)
    assert "the server sent no answer for 0.3 s, twice over" in str(raised.value)

    http_server.fail(MONTH_PATH, faults.Silence(3))
    assert download(url, tmp_path / "f", settings).sha256 == sha256(body)


def test_a_stall_mid_body_times_out_and_the_retry_resumes(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(50_000)
    url = http_server.serve(MONTH_PATH, body, etag=ETAG)
    http_server.fail(MONTH_PATH, faults.Stall(after_bytes=20_000, seconds=3))
    settings = HttpSettings(read_timeout=0.3, attempts=3, backoff_seconds=0.01)
    started = time.monotonic()
    result = download(url, tmp_path / "f", settings)
    assert time.monotonic() - started < 2.5
    assert (result.sha256, result.resumed, result.attempts) == (sha256(body), True, 2)
    assert http_server.requests[1].headers["Range"] == "bytes=20000-"


def test_a_server_that_always_stalls_is_named_with_how_far_it_got(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    url = http_server.serve(MONTH_PATH, payload(50_000))
    http_server.fail(MONTH_PATH, faults.Stall(20_000, 2), faults.Stall(20_000, 2))
    settings = HttpSettings(read_timeout=0.3, attempts=2, backoff_seconds=0.01)
    with pytest.raises(NetworkError) as raised:
        download(url, tmp_path / "f", settings)
    assert (
        "the server sent nothing for 0.3 s after 20,000 bytes of 50,000 bytes, twice over"
        in str(raised.value)
    )
    assert not (tmp_path / "f").exists()


def test_a_cut_body_is_resumed_with_range_and_if_range(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(3 * 1024 * 1024)
    url = http_server.serve(MONTH_PATH, body, etag=ETAG, last_modified=LAST_MODIFIED)
    http_server.fail(MONTH_PATH, faults.Cut(1_500_000))
    progress = RecordingProgress()
    result = download(url, tmp_path / "f", FAST, progress)
    first, second = http_server.requests
    assert "Range" not in first.headers
    assert second.headers["Range"] == "bytes=1500000-"
    assert second.headers["If-Range"] == ETAG
    assert (result.resumed, result.attempts, result.size) == (True, 2, len(body))
    assert result.sha256 == sha256(body)
    assert (tmp_path / "f").read_bytes() == body
    # the resumed try counts the bytes already on disk, so a progress bar ends at the total
    second_start = [i for i, e in enumerate(progress.events) if e[0] == "start"][1]
    assert progress.events[second_start : second_start + 2] == [
        ("start", len(body)),
        ("advance", 1_500_000),
    ]


def test_if_range_falls_back_to_last_modified_when_the_etag_is_weak(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(40_000)
    url = http_server.serve(MONTH_PATH, body, etag='W/"weak"', last_modified=LAST_MODIFIED)
    http_server.fail(MONTH_PATH, faults.Cut(10_000))
    result = download(url, tmp_path / "f", FAST)
    assert http_server.requests[1].headers["If-Range"] == LAST_MODIFIED
    assert (result.resumed, result.sha256) == (True, sha256(body))


def test_a_server_that_ignores_range_restarts_from_zero(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(40_000)
    url = http_server.serve(MONTH_PATH, body, etag=ETAG)
    http_server.fail(MONTH_PATH, faults.Cut(10_000), faults.IgnoreRange())
    progress = RecordingProgress()
    result = download(url, tmp_path / "f", FAST, progress)
    assert http_server.requests[1].headers["Range"] == "bytes=10000-"
    assert (result.resumed, result.attempts, result.size) == (False, 2, len(body))
    assert result.sha256 == sha256(body)
    assert (tmp_path / "f").read_bytes() == body
    assert [e for e in progress.events if e[0] == "start"] == [("start", 40_000)] * 2


def test_a_file_changed_between_tries_is_downloaded_whole_in_its_new_version(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    old, new = payload(40_000, seed=1), payload(45_000, seed=2)
    url = http_server.serve(MONTH_PATH, old, etag='"old"')
    http_server.fail(MONTH_PATH, faults.Cut(30_000))

    # The file changes on the server after the first try was cut: If-Range no longer matches,
    # so the server answers 200 with the new file, which must replace the bytes on disk.
    def replace_after_first_request() -> None:
        while not http_server.requests:
            time.sleep(0.005)
        http_server.serve(MONTH_PATH, new, etag='"new"')

    changer = threading.Thread(target=replace_after_first_request)
    changer.start()
    result = download(url, tmp_path / "f", HttpSettings(attempts=3, backoff_seconds=0.2))
    changer.join()
    assert http_server.requests[1].headers["If-Range"] == '"old"'
    assert (result.resumed, result.etag, result.size) == (False, '"new"', len(new))
    assert result.sha256 == sha256(new)
    assert (tmp_path / "f").read_bytes() == new


def test_a_cut_body_without_validator_is_downloaded_again_without_range(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(40_000)
    url = http_server.serve(MONTH_PATH, body)
    http_server.fail(MONTH_PATH, faults.Cut(10_000))
    result = download(url, tmp_path / "f", FAST)
    assert "Range" not in http_server.requests[1].headers
    assert (result.resumed, result.sha256) == (False, sha256(body))


def test_a_partial_answer_at_the_wrong_offset_starts_over(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(40_000)
    url = http_server.serve(MONTH_PATH, body, etag=ETAG)
    http_server.fail(MONTH_PATH, faults.Cut(10_000), faults.WrongRange())
    result = download(url, tmp_path / "f", FAST)
    assert [("Range" in r.headers) for r in http_server.requests] == [False, True, False]
    assert (result.attempts, result.resumed, result.sha256) == (3, False, sha256(body))


def test_a_body_cut_every_time_says_how_far_it_got_and_leaves_nothing(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(31_000_000 // 1000)
    url = http_server.serve(MONTH_PATH, body, etag=ETAG)
    # each resumed try gets a little further, then is cut again
    http_server.fail(MONTH_PATH, faults.Cut(10_000), faults.Cut(5_000), faults.Cut(5_000))
    dest = tmp_path / "f"
    progress = RecordingProgress()
    with pytest.raises(NetworkError) as raised:
        download(url, dest, FAST, progress)
    assert str(raised.value).startswith(
        f"Could not download {url}: the connection was cut after 20,000 bytes of 31,000 bytes, "
        "three times over"
    )
    assert not dest.exists()
    assert progress.events[-1] == ("finish", None)


def test_sizes_in_messages_are_in_megabytes_for_large_files(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    url = http_server.serve(MONTH_PATH, payload(3_100_000), etag=ETAG)
    http_server.fail(MONTH_PATH, faults.Cut(1_250_000))
    with pytest.raises(NetworkError, match=r"cut after 1\.2 MB of 3\.1 MB, once over"):
        download(url, tmp_path / "f", HttpSettings(attempts=1))


def test_mixed_failures_are_each_named_with_their_count(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    url = http_server.serve(MONTH_PATH, payload(10))
    http_server.fail(MONTH_PATH, faults.Status(503), faults.Drop(), faults.Status(503))
    with pytest.raises(HttpStatusError) as raised:
        download(url, tmp_path / "f", FAST)
    assert (
        "the server answered 503 twice and the connection was reset before an answer, once over"
        in str(raised.value)
    )


def test_redirects_are_followed(
    http_server: LocalServer, faults: type[Faults], tmp_path: Path
) -> None:
    body = payload(500)
    http_server.serve("/new/place.zip", body)
    http_server.fail(MONTH_PATH, faults.Status(302, (("Location", "/new/place.zip"),)))
    result = download(http_server.url(MONTH_PATH), tmp_path / "f", FAST)
    assert result.url == http_server.url("/new/place.zip")
    assert result.sha256 == sha256(body)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://transtats.bts.gov/x.zip", "not an http:// or https:// URL"),
        ("transtats.bts.gov/x.zip", "not an http:// or https:// URL"),
        ("https://transtats.bts.gov:port/x.zip", "the port is not a number"),
    ],
)
def test_a_bad_url_is_refused_before_any_file_is_made(
    tmp_path: Path, url: str, problem: str
) -> None:
    with pytest.raises(FetchError) as raised:
        download(url, tmp_path / "f")
    assert str(raised.value) == f"Cannot download {url!r}: {problem}"
    assert os.listdir(tmp_path) == []


def test_settings_that_cannot_work_are_refused_with_each_problem_named() -> None:
    with pytest.raises(ValueError) as raised:
        HttpSettings(connect_timeout=0, attempts=0, backoff_seconds=-1)
    assert str(raised.value) == (
        "HTTP settings: connect_timeout must be more than 0 (got 0); attempts must be more "
        "than 0 (got 0); backoff_seconds must be 0 or more (got -1)"
    )


def test_the_network_layer_needs_only_the_standard_library_and_certifi() -> None:
    """It runs inside an AWS Lambda function, where only what the package ships is there."""
    program = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import airline_fetch.http, airline_fetch.tls\n"
        "print(' '.join({name.split('.')[0] for name in set(sys.modules) - before}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-I", "-c", program], capture_output=True, text=True, check=True
    ).stdout.split()
    outside_stdlib = {name for name in loaded if name not in sys.stdlib_module_names}
    assert outside_stdlib == {"airline_fetch", "certifi"}


def test_a_host_name_that_does_not_resolve_is_named(tmp_path: Path) -> None:
    url = "http://no-such-host.invalid/x.zip"  # .invalid never resolves (RFC 6761 section 6.4)
    with pytest.raises(NetworkError) as raised:
        download(url, tmp_path / "f", HttpSettings(attempts=2, backoff_seconds=0.01))
    assert str(raised.value).startswith(
        f"Could not download {url}: the host name could not be resolved ("
    )
    assert "twice over" in str(raised.value)


def test_a_proxy_from_the_environment_gets_the_request_in_absolute_form(
    http_server: LocalServer,
    proxy_server: LocalProxy,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    body = payload(5000)
    url = http_server.serve(MONTH_PATH, body, etag=ETAG)
    monkeypatch.setenv("http_proxy", proxy_server.url.replace("http://", "http://me:p%40ss@"))
    assert download(url, tmp_path / "f", FAST).sha256 == sha256(body)
    [(request_line, headers)] = proxy_server.seen
    assert request_line == f"GET {url} HTTP/1.1"
    assert headers["Proxy-Authorization"] == "Basic " + base64.b64encode(b"me:p@ss").decode()
    assert [r.path for r in http_server.requests] == [MONTH_PATH]


def test_no_proxy_sends_a_host_directly(
    http_server: LocalServer,
    proxy_server: LocalProxy,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url = http_server.serve(MONTH_PATH, payload(10))
    monkeypatch.setenv("HTTP_PROXY", proxy_server.url)
    monkeypatch.setenv("NO_PROXY", "example.org,127.0.0.1")
    download(url, tmp_path / "f", FAST)
    assert proxy_server.seen == []


def test_an_unreachable_proxy_is_named(
    closed_port: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port}")
    url = "http://transtats.bts.gov/x.zip"
    with pytest.raises(NetworkError) as raised:
        download(url, tmp_path / "f", HttpSettings(attempts=2, backoff_seconds=0.01))
    assert str(raised.value).startswith(
        f"Could not download {url}: the proxy 127.0.0.1:{closed_port} could not be reached "
        "(Connection refused), twice over"
    )


def test_a_proxy_url_this_client_cannot_use_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("https_proxy", "socks5://127.0.0.1:1080")
    with pytest.raises(FetchError) as raised:
        download("https://transtats.bts.gov/x.zip", tmp_path / "f", FAST)
    assert str(raised.value) == (
        "The https_proxy setting 'socks5://127.0.0.1:1080' cannot be used: give the proxy as "
        "http://host:port (TLS to the site is tunnelled through it)"
    )
    assert not (tmp_path / "f").exists()


def test_a_leftover_temp_file_is_replaced_never_appended_to(
    http_server: LocalServer, tmp_path: Path
) -> None:
    body = payload(3000)
    url = http_server.serve(MONTH_PATH, body, etag=ETAG)
    dest = tmp_path / "month.zip.part"
    dest.write_bytes(b"left by a crashed run" * 100)
    result = download(url, dest, FAST)
    assert dest.read_bytes() == body
    assert (result.size, result.resumed) == (len(body), False)
    assert "Range" not in http_server.requests[0].headers
