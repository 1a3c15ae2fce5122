"""Statuses that are never retried are not told to "try again later" (review of 5c9d2d30).

A 505, 507 or 511 (none in the retry set: 408, 429, 500, 502, 503, 504) was asked once and
then said "The server is failing or overloaded (the request was retried ...): try again
later". The advice now follows the retry set itself: a never-retried 5xx says the server
cannot answer, a 511 (Network Authentication Required) that a captive portal asks for a
network login. Under TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED a 400 said "Check the handle."
before the remark that the server may lack the format: the remark comes first now. Real
local server.
"""

from __future__ import annotations

import pytest
from tests._helpers.http_server import answer_status

import tfhub as hub
from tfhub import errors


def _refused(server, status: int) -> str:
    server.state.behaviours.append(answer_status("/m.tar.gz", status))
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("/m.tar.gz"))
    assert len(server.state.requests) == 1  # Never retried.
    return str(info.value)


@pytest.mark.parametrize("status", [505, 507])
def test_a_never_retried_5xx_is_not_told_to_try_again_later(server, status) -> None:
    message = _refused(server, status)
    assert f"HTTP {status} is not retried" in message, message
    assert "try again later" not in message and "retried;" not in message, message
    assert "overloaded" not in message, message


def test_a_511_says_the_network_asks_for_a_login(server) -> None:
    message = _refused(server, 511)
    assert "captive portal" in message and "Log in to the network" in message, message
    assert "try again later" not in message and "overloaded" not in message, message


def test_a_503_is_still_retried_and_told_to_try_again_later(server, monkeypatch) -> None:
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "1")
    server.state.behaviours.append(answer_status("/m.tar.gz", 503))
    server.state.behaviours.append(answer_status("/m.tar.gz", 503))
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("/m.tar.gz"))
    assert len(server.state.requests) == 2
    assert "failing or overloaded" in str(info.value) and "try again later" in str(info.value)


def test_an_uncompressed_400_says_the_format_before_check_the_handle(server, monkeypatch) -> None:
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    server.state.behaviours.append(answer_status("/m/1", 400))
    with pytest.raises(errors.InvalidHandleError) as info:
        hub.resolve(server.url("/m/1"))
    message = str(info.value)
    remark = message.index("The server may not offer the uncompressed format")
    assert remark < message.index("Check the handle"), message
