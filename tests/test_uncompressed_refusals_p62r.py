"""Probes (session 62): what a server that does not offer a format says through tfhub.

A hub without the uncompressed format may refuse `?tf-hub-format=uncompressed` as a bad
request (400) or as not implemented (501). Under TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED those
answers said "Check the handle." (the handle was fine: COMPRESSED downloads it) or "failing or
overloaded ... try again later" (a 501 is never retried: trying again cannot help), never the
setting that asked for the format. A 501 in the compressed format was told to try later too.
A server of the uncompressed format only (a 303 naming a gs:// folder in its body) was "Check
the handle." under COMPRESSED. Real local servers; each refusal answered once.
"""

from __future__ import annotations

import pytest
from tests._helpers.http_server import answer_body, answer_status
from tests._helpers.uncompressed_refusals import refused_uncompressed

import tfhub as hub
from tfhub import errors

_SWITCH = "Unset TFHUB_MODEL_LOAD_FORMAT (or set it to COMPRESSED)"
_NOT_IMPLEMENTED = "does not implement this request; trying again will not help"


@pytest.mark.parametrize(
    ("status", "text"),
    [(400, None), (400, b"unknown tf-hub-format: uncompressed\n"), (501, None)],
    ids=["400", "400-text", "501"],
)
def test_uncompressed_refused_by_the_server_names_the_setting(
    server, monkeypatch, status, text
) -> None:
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    message = refused_uncompressed(server, status, text)  # Upstream's error, message first.
    assert _SWITCH in message and "try again later" not in message, message
    if text is not None:
        assert 'The server says: "unknown tf-hub-format: uncompressed."' in message, message
    assert len(server.state.requests) == 1  # Neither is retried.


def test_compressed_501_is_not_told_to_try_again(server) -> None:
    server.state.behaviours.append(answer_status("/m/1", 501))
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("/m/1"))
    message = str(info.value)
    assert "501" in message and _NOT_IMPLEMENTED in message, message
    assert "try again later" not in message and "overloaded" not in message, message
    assert len(server.state.requests) == 1


def test_compressed_asked_but_a_303_names_a_gcs_folder(server) -> None:
    """A server of the uncompressed format only (its 303 names the gs:// folder in the body,
    as upstream's resolver read it, with no Location) was "Check the handle.", quoting the
    folder with a period added ("gs://bucket/model/1.")."""
    body = b"gs://bucket/model/1\n"
    server.state.behaviours.append(answer_body("/m/1", 303, "text/plain", body))
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("/m/1"))
    message = str(info.value)
    assert "303 See Other" in message and "Check the handle" not in message, message
    assert "gs://bucket/model/1 " in message and "gs://bucket/model/1." not in message, message
    assert "set TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED" in message, message
