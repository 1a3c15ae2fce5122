"""TFHUB_HTTP_RETRY_TIMEOUT: a download that keeps failing without receiving a byte (a stalled
server, one failing slowly, one asking to wait) gives up after it, with an error saying how long
tfhub tried, how often and what failed last; one receiving data is never cut. Also what tfhub
logs when it waits because a server asked (Retry-After). Real servers on 127.0.0.1.

Before TFHUB_HTTP_RETRY_TIMEOUT, only the counts bounded a download: its requests' retries
(TFHUB_HTTP_RETRIES), the resumes of its body and its restarts multiply, so a server answering
each request slowly (headers just inside 2 x TFHUB_HTTP_TIMEOUT, then 503 with a long
Retry-After) and stalling each body held `hub.resolve` for about 5 hours at the defaults.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import answer_status, archive_gets
from tests._helpers.raw_server import accept_each

import tfhub as hub
from tfhub import errors


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.02)
    monkeypatch.setattr("tfhub._http.BACKOFF_MAX_SEC", 0.05)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server on 127.0.0.1 that accepts connections, reads the request and never answers
    (until the client hangs up); yields its URL of m.tar.gz."""
    held: list[socket.socket] = []  # Kept open, never answered.
    listener = accept_each(held.append, backlog=64)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/m.tar.gz"
    listener.close()
    for connection in held:
        connection.close()


def _assert_cache_clean(cache_dir: os.PathLike[str]) -> None:
    """No entry, no temporary folder, no lock file: nothing a later resolve would trip on."""
    left = sorted(os.listdir(cache_dir)) if os.path.isdir(cache_dir) else []
    assert not [name for name in left if not name.startswith(".")], left


def test_a_server_that_never_answers_is_given_up_after_the_retry_timeout(
    silent_server, isolated_cache, monkeypatch
):
    """Each request timed out and was retried: 60 s x 5 plus backoffs at the defaults, and
    without end with more retries; now the retries stop at TFHUB_HTTP_RETRY_TIMEOUT."""
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "20")  # 20 x 0.3 s: the count would not stop it.
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(errors.RetryTimeoutError) as info:
        hub.resolve(silent_server)
    took = time.monotonic() - started
    assert took < 1 + 3 * 0.3 + 1.5, took  # The limit, one request under way, and slack.
    err = info.value
    assert isinstance(err, errors.DownloadError) and isinstance(err, TimeoutError)
    assert 2 <= err.attempts <= 5 and err.limit == 1.0 and err.seconds >= 0.6
    message = str(err)
    assert f"from {silent_server}" in message
    assert f"without receiving any data ({err.attempts} failed attempts" in message
    assert "the last: timed out" in message
    # The last attempt had the full TFHUB_HTTP_TIMEOUT, or (on a busy machine) only what was
    # left of the retry timeout when it started; the message names the one that bounded it.
    assert (
        "TFHUB_HTTP_TIMEOUT sets it" in message
        or "what TFHUB_HTTP_RETRY_TIMEOUT had left" in message
    ), message
    assert "TFHUB_HTTP_RETRY_TIMEOUT=1 s bounds that" in message
    assert "set TFHUB_HTTP_RETRY_TIMEOUT higher" in message
    _assert_cache_clean(isolated_cache)


def test_the_error_redacts_a_signed_url(silent_server, monkeypatch):
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.2")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.5")
    url = silent_server + "?X-Amz-Signature=topsecret"
    with pytest.raises(errors.RetryTimeoutError) as info:
        hub.resolve(url)
    assert "topsecret" not in str(info.value) and "topsecret" not in info.value.url
    assert "X-Amz-Signature=***" in str(info.value)


def test_a_503_storm_asking_to_wait_ends_at_the_retry_timeout(
    server, isolated_cache, monkeypatch, caplog
):
    """Each wait the server asks for is honoured and logged; the storm ends at the limit, not
    after TFHUB_HTTP_RETRIES x the wait."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "10")  # 10 x 1 s by the count alone.
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "2.5")
    server.state.behaviours.append(answer_status("m.tar.gz", 503, headers={"Retry-After": "1"}))
    started = time.monotonic()
    with (
        caplog.at_level(logging.INFO, logger="tfhub"),
        pytest.raises(errors.RetryTimeoutError) as info,
    ):
        hub.resolve(server.url("m.tar.gz"))
    assert time.monotonic() - started < 4.5
    sent = len(archive_gets(server, "m.tar.gz"))
    assert sent == 3  # Two waits of 1 s; a third would end past 2.5 s.
    message = str(info.value)
    assert "the last: HTTP 503, which asks to wait 1 s (Retry-After)" in message
    assert f"({sent} failed attempts;" in message
    waits = [r for r in caplog.records if "as the server asked" in r.getMessage()]
    assert len(waits) == sent - 1 and all(r.levelname == "INFO" for r in waits)
    assert "Waiting 1 s before retrying " in waits[0].getMessage()
    _assert_cache_clean(isolated_cache)


def test_a_retry_after_longer_than_tfhub_waits_is_said_once(server, monkeypatch, caplog):
    """A Retry-After of an hour made each retry wait 30 s, and nothing said so."""
    monkeypatch.setattr("tfhub._http.RETRY_AFTER_MAX_SEC", 0.1)
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "3")
    server.state.behaviours.append(answer_status("m.tar.gz", 429, headers={"Retry-After": "3600"}))
    with caplog.at_level(logging.INFO, logger="tfhub"), pytest.raises(errors.HTTPStatusError):
        hub.resolve(server.url("m.tar.gz"))
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings  # Once per download; the later waits at INFO.
    assert "asks to wait 3600 s before a retry (Retry-After); tfhub waits 0.1 s" in warnings[0]
    assert "TFHUB_HTTP_RETRY_TIMEOUT=600 s" in warnings[0]
    later = [r for r in caplog.records if "as the server asked (3600 s" in r.getMessage()]
    assert len(later) == 2 and all(r.levelname == "INFO" for r in later)


def _http_date(offset: float) -> str:
    return formatdate(time.time() + offset, usegmt=True)


@pytest.mark.parametrize(
    "asked",
    [
        pytest.param(_http_date(-3600), id="date-past"),
        pytest.param(_http_date(3600), id="date-future"),
        pytest.param("-5", id="negative"),
        pytest.param("1e30", id="huge"),
        pytest.param("99999999999999999999999", id="huge-integer"),
        pytest.param("soon", id="garbage"),
        pytest.param("nan", id="nan"),
    ],
)
def test_any_retry_after_then_healing_downloads_correctly(
    server, served_dir, isolated_cache, monkeypatch, asked
):
    monkeypatch.setattr("tfhub._http.RETRY_AFTER_MAX_SEC", 0.1)
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(
        answer_status("m.tar.gz", 503, times=2, headers={"Retry-After": asked})
    )
    started = time.monotonic()
    path = hub.resolve(server.url("m.tar.gz"))
    assert time.monotonic() - started < 5
    assert read_tree(path) == MODEL_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 3


@pytest.mark.parametrize(
    "asked",
    [
        pytest.param("3600", id="seconds"),
        pytest.param(_http_date(3600), id="date"),
        pytest.param("0", id="zero"),
    ],
)
def test_a_retry_after_storm_ends_in_a_clear_error_and_a_clean_cache(
    server, served_dir, isolated_cache, monkeypatch, asked
):
    monkeypatch.setattr("tfhub._http.RETRY_AFTER_MAX_SEC", 0.2)
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "100")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.7")
    server.state.behaviours.append(answer_status("m.tar.gz", 429, headers={"Retry-After": asked}))
    started = time.monotonic()
    with pytest.raises(errors.RetryTimeoutError) as info:
        hub.resolve(server.url("m.tar.gz"))
    assert time.monotonic() - started < 3
    message = str(info.value)
    assert "TFHUB_HTTP_RETRY_TIMEOUT=0.7 s bounds that" in message and info.value.attempts > 1
    # Retry-After: 0 retries at once, so on a busy machine an attempt can start just before the
    # budget ends and be cut by it (seen once in a full run): then that cut is the last failure.
    if asked != "0" or "the last: HTTP 429" in message:
        assert "the last: HTTP 429, which asks to wait " in message, message
    _assert_cache_clean(isolated_cache)
    # The cache stays usable: the server heals, the same handle downloads.
    server.state.behaviours.clear()
    make_tar_gz(served_dir / "m.tar.gz")
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES


def test_a_503_with_retry_after_on_the_final_retry_is_not_waited_for(
    server, isolated_cache, monkeypatch
):
    """The last answer is the error: tfhub does not wait what it asks before failing."""
    monkeypatch.setattr("tfhub._http.RETRY_AFTER_MAX_SEC", 0.4)
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "1")
    server.state.behaviours.append(answer_status("m.tar.gz", 503, headers={"Retry-After": "1"}))
    started = time.monotonic()
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("m.tar.gz"))
    assert time.monotonic() - started < 0.4 + 0.9  # One wait, between the two requests.
    assert info.value.code == 503
    assert "tfhub tried 2 times over 0.4 s" in str(info.value)
    _assert_cache_clean(isolated_cache)


def _stall_then_silence(suffix: str, *, after: int):
    """The first GET: the headers of the whole file, `after` bytes, then a stall; every resume
    (a Range request) is never answered."""

    def behaviour(handler, path, query) -> bool:
        if not path.endswith(suffix):
            return False
        if handler.headers.get("Range"):
            time.sleep(3)  # No answer: the client times out first.
            handler.close_connection = True
            return True
        with open(handler.local_path(path, query), "rb") as served:
            body = served.read()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("ETag", '"v1"')  # tfhub resumes only a named version (review50a-F3).
        handler.end_headers()
        handler.wfile.write(body[:after])
        handler.wfile.flush()
        time.sleep(3)
        handler.close_connection = True
        return True

    return behaviour


def _timed_out(
    server, served_dir, monkeypatch, behaviour, *, retries: int, limit: float
) -> errors.RetryTimeoutError:
    """Serves a 20 KB m.tar.gz with `behaviour` (0.3 s timeouts, `retries`, a retry timeout of
    `limit` s) and returns the RetryTimeoutError of resolving it, checking that it came within
    the limit plus one request's timeouts (3 x 0.3 s) and 1.5 s of slack."""
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", str(retries))
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", str(limit))
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(20000)})
    server.state.behaviours.append(behaviour)
    started = time.monotonic()
    with pytest.raises(errors.RetryTimeoutError) as info:
        hub.resolve(server.url("m.tar.gz"))
    assert time.monotonic() - started < limit + 3 * 0.3 + 1.5
    return info.value


def test_a_stalled_body_whose_resumes_fail_shares_one_retry_timeout(
    server, served_dir, isolated_cache, monkeypatch
):
    """The stall and each resume's retries were bounded apart (the resumes' requests by
    TFHUB_HTTP_RETRIES each, the resumes by it too); now by one clock from the last byte."""
    behaviour = _stall_then_silence("m.tar.gz", after=1000)
    error = _timed_out(server, served_dir, monkeypatch, behaviour, retries=6, limit=1.2)
    message = str(error)
    assert "without receiving any data" in message and "the last: timed out" in message
    # The stall counts as an attempt, then each resume request that timed out.
    assert error.attempts >= 3
    _assert_cache_clean(isolated_cache)


def _answer_from_range(handler, path: str, query: str) -> tuple[bytes, int]:
    """Sends the headers of the served file's answer (206 from a Range's start, else 200);
    returns the file's bytes and where the body starts."""
    with open(handler.local_path(path, query), "rb") as served:
        body = served.read()
    asked = handler.headers.get("Range")
    start = int(asked[6:].rstrip("-")) if asked else 0
    handler.send_response(206 if asked else 200)
    if asked:
        handler.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
    handler.send_header("Content-Length", str(len(body) - start))
    handler.send_header("ETag", '"v1"')  # tfhub resumes only a named version (review50a-F3).
    handler.end_headers()
    return body, start


def _trickle(suffix: str, *, count: int):
    """Every connection (a Range request too) sends the headers at once, then `count` bytes
    of the file from where it was asked, then stalls."""

    def behaviour(handler, path, query) -> bool:
        if not path.endswith(suffix):
            return False
        body, start = _answer_from_range(handler, path, query)
        handler.wfile.write(body[start : start + count])
        handler.wfile.flush()
        time.sleep(3)
        handler.close_connection = True
        return True

    return behaviour


def test_a_few_bytes_between_stalls_do_not_restart_the_clock(
    server, served_dir, isolated_cache, monkeypatch
):
    """Each connection brings 50 bytes, then stalls: the stalls' time was never counted
    (the minimum speed is measured over successful reads only), so only the count of
    resumes (TFHUB_HTTP_RETRIES, each with its own retries, times the restarts) ended it."""
    behaviour = _trickle("m.tar.gz", count=50)
    error = _timed_out(server, served_dir, monkeypatch, behaviour, retries=30, limit=1.0)
    message = str(error)
    assert "receiving only " in message and "TFHUB_DOWNLOAD_MIN_SPEED=1024 bytes/s" in message
    assert "the last: the connection broke at byte " in message
    assert error.attempts >= 2
    _assert_cache_clean(isolated_cache)


def _dripping_with_drops(suffix: str, *, chunk: int, pause: float, drops: int):
    """Serves the file (from a Range's start, with 206) in `chunk`-byte pieces `pause` s
    apart; the first `drops` connections break off after two pieces."""
    left = [drops]
    lock = threading.Lock()

    def behaviour(handler, path, query) -> bool:
        if not path.endswith(suffix):
            return False
        body, start = _answer_from_range(handler, path, query)
        with lock:
            drop = left[0] > 0
            left[0] -= drop
        handler.close_connection = True
        for sent, offset in enumerate(range(start, len(body), chunk)):
            if drop and sent == 2:
                handler.connection.shutdown(socket.SHUT_RDWR)
                return True
            handler.wfile.write(body[offset : offset + chunk])
            handler.wfile.flush()
            time.sleep(pause)
        return True

    return behaviour


def test_a_slow_download_with_drops_is_never_cut_while_data_arrives(
    server, served_dir, isolated_cache, monkeypatch
):
    """It takes several times TFHUB_HTTP_RETRY_TIMEOUT and breaks off three times: each
    break's retries are a new series, since data arrived in between."""
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.4")
    files = {"saved_model.pb": os.urandom(24000)}
    make_tar_gz(served_dir / "m.tar.gz", files)
    server.state.behaviours.append(
        _dripping_with_drops("m.tar.gz", chunk=2048, pause=0.15, drops=3)
    )
    started = time.monotonic()
    path = hub.resolve(server.url("m.tar.gz"))
    assert time.monotonic() - started > 3 * 0.4  # Longer than the limit, in all.
    assert read_tree(path) == files
    assert len(archive_gets(server, "m.tar.gz")) == 4  # The first request, then 3 resumes.


def test_a_bad_retry_timeout_setting_is_named(server, monkeypatch):
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "soon")
    with pytest.raises(errors.SettingError, match="TFHUB_HTTP_RETRY_TIMEOUT must be a positive"):
        hub.resolve(server.url("m.tar.gz"))
