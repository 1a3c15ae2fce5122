"""Redirects a hostile or misconfigured server sends: from https to plain http (a downgrade),
and to a host name that cannot be encoded; real servers on 127.0.0.1."""

from __future__ import annotations

import pytest
from tests._helpers.http_server import redirect_to

import tfhub as hub
from tfhub import errors


def test_a_host_name_that_cannot_be_encoded_is_an_invalid_handle(monkeypatch):
    """A host label over 63 characters (which IDNA refuses) was retried as a connection error
    and reported as "after N attempts"."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "3")
    handle = "http://" + "a" * 70 + ".example/m.tar.gz"
    with pytest.raises(errors.InvalidHandleError, match="host name is not valid"):
        hub.resolve(handle)


def test_a_redirect_to_a_host_that_cannot_be_encoded_blames_the_redirect(server):
    server.state.behaviours.append(
        redirect_to("m.tar.gz", "http://" + "b" * 70 + ".example/m.tar.gz")
    )
    with pytest.raises(errors.DownloadError, match="redirected to an address") as info:
        hub.resolve(server.url("m.tar.gz"))
    assert not isinstance(info.value, errors.InvalidHandleError)
