"""Response headers that DRIP (a header line each 0.05 s) while the retry budget
(TFHUB_HTTP_RETRY_TIMEOUT) is nearly spent: the wait for them is cut when the budget runs out
(`_http_deadline.bounded_by`), and the give-up says so, for a plain http request through a
proxy and for a server reached directly.

Before: the give-up's last failure said "the proxy P did not answer within 1 s" (through a
proxy) or "timed out (ReadTimeout: no answer within timeout 1 s; TFHUB_HTTP_TIMEOUT sets it)"
(no proxy): TFHUB_HTTP_TIMEOUT's words, though the peer was answering and the retry budget cut
it. Raw servers on 127.0.0.1: the first connection is closed at once (the failure that starts
the series), the next ones drip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests._helpers.proxies import clear_proxy_settings
from tests._helpers.raw_server import dripping_after_a_close

import tfhub as hub
from tfhub import errors

PASSWORD = "pr0xy-SECRET"


@pytest.fixture(autouse=True)
def _settings(monkeypatch):
    clear_proxy_settings(monkeypatch)
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "5")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "1.5")  # Less than the 2 s headers' deadline.


@pytest.fixture
def dripping() -> Iterator[int]:
    """A server dripping its headers (a line each 0.05 s, never ending them)."""
    with dripping_after_a_close(b"HTTP/1.1 200 OK\r\n", b"X-Slow: a\r\n") as port:
        yield port


@pytest.fixture
def silent() -> Iterator[int]:
    """A server (or proxy) that never answers."""
    with dripping_after_a_close(b"", b"") as port:
        yield port


@pytest.fixture
def dripping_body() -> Iterator[int]:
    """A server whose headers come at once, then its body a byte each 0.05 s."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nContent-Type: application/x-tar\r\n\r\n"
    with dripping_after_a_close(head, b"\x00") as port:
        yield port


def test_headers_dripping_through_a_proxy_cut_by_the_budget_say_so(monkeypatch, dripping):
    monkeypatch.setenv("HTTP_PROXY", f"http://user:{PASSWORD}@127.0.0.1:{dripping}")
    with pytest.raises(errors.RetryTimeoutError) as caught:
        hub.resolve("http://models.example.invalid/m/1")
    message = str(caught.value)
    assert PASSWORD not in message
    assert (
        f"the last: timed out: the proxy http://***@127.0.0.1:{dripping} had not finished its "
        "answer (the server behind it may be the slow one) when TFHUB_HTTP_RETRY_TIMEOUT ran out"
    ) in message, message
    assert "within 1 s" not in message, message


def test_headers_dripping_from_the_server_cut_by_the_budget_say_so(dripping):
    with pytest.raises(errors.RetryTimeoutError) as caught:
        hub.resolve(f"http://127.0.0.1:{dripping}/m/1")
    message = str(caught.value)
    assert (
        "the last: timed out: the server had not finished its answer when "
        "TFHUB_HTTP_RETRY_TIMEOUT ran out"
    ) in message, message
    assert "within timeout 1 s" not in message, message


def test_a_silent_proxy_cut_by_the_budget_names_the_budget(monkeypatch, silent):
    """Silent, not dripping: a timeout's words, but the wait was what the budget had left
    (before: "cannot be reached (ProxyError: ...)", urllib3 wrapping the cut as a proxy's)."""
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.8")  # The 2nd attempt gets ~0.5 s.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{silent}")
    with pytest.raises(errors.RetryTimeoutError) as caught:
        hub.resolve("http://models.example.invalid/m/1")
    message = str(caught.value)
    assert f"the last: the proxy http://127.0.0.1:{silent} did not answer within 0." in message
    assert "s, what TFHUB_HTTP_RETRY_TIMEOUT had left" in message, message
    assert "TFHUB_HTTP_TIMEOUT sets" not in message and "cannot be reached" not in message


def test_a_body_dripping_after_a_failure_is_cut_by_the_minimum_speed(monkeypatch, dripping_body):
    """The body case: bytes keep coming, so the budget never cuts it; the minimum speed does,
    and the error says so (not a timeout's words)."""
    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", "1000")
    with pytest.raises(errors.DownloadTooSlowError) as caught:
        hub.resolve(f"http://127.0.0.1:{dripping_body}/m/1")
    message = str(caught.value)
    assert "less than TFHUB_DOWNLOAD_MIN_SPEED=1000 bytes/s" in message, message
    assert "within" not in message and "TFHUB_HTTP_RETRY_TIMEOUT" not in message, message
