"""A server that keeps answering 429 or 503 (a rate-limit storm): the waits stay bounded and
the error says how long tfhub tried; a real server on 127.0.0.1."""

from __future__ import annotations

import time

import pytest
from tests._helpers.http_server import answer_status, archive_gets

import tfhub as hub
from tfhub import errors


@pytest.mark.parametrize(
    "asked", ["Wed, 21 Oct 2099 07:28:00 GMT", "99999999999999999999999", "-5", "soon", ""]
)
def test_a_429_storm_says_how_long_tfhub_tried(server, monkeypatch, asked):
    """The error only said "the request was retried": not how often, nor that tfhub waited
    less than the server asked for."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "2")
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.05)
    monkeypatch.setattr("tfhub._http.RETRY_AFTER_MAX_SEC", 0.2)
    headers = {"Retry-After": asked} if asked else {}
    server.state.behaviours.append(answer_status("m.tar.gz", 429, headers=headers))
    started = time.monotonic()
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("m.tar.gz"))
    assert time.monotonic() - started < 5  # Each wait capped at RETRY_AFTER_MAX_SEC.
    assert len(archive_gets(server, "m.tar.gz")) == 3
    message = str(info.value)
    assert info.value.code == 429
    assert "tfhub tried 3 times over " in message
    far = asked.startswith(("Wed", "9"))
    assert ("tfhub waits at most 0.2 s at a time" in message) is far


def test_a_503_that_heals_is_not_an_error(server, served_dir):
    from tests._helpers.archives import make_tar_gz

    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(
        answer_status("m.tar.gz", 503, times=2, headers={"Retry-After": "0"})
    )
    assert hub.resolve(server.url("m.tar.gz"))
