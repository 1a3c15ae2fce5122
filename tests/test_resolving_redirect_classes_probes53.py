"""Redirects a download cannot follow are errors of the classes tensorflow_hub 0.10.0 raised
(rf53b-F1), checked side by side with 0.10.0 in session 53:

- a redirect loop: urllib's HTTPError (code 302, "...would lead to an infinite loop") for an
  archive download; ValueError ("Expected 303 See other HTTP response but received code 302")
  under TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED. tfhub raised a bare DownloadError, an OSError
  only: neither `except urllib.error.HTTPError` nor `except ValueError` caught it.
- under UNCOMPRESSED, a plain redirect to an address that is not http(s) (`file://`): upstream's
  ValueError (urllib refused to follow it, and any answer but a 303 was a ValueError).
- a redirect whose Location cannot be parsed (`http://[::1/x`): urllib.parse's ValueError in
  both formats.

Real servers on 127.0.0.1."""

from __future__ import annotations

import os
import pickle
import urllib.error

import pytest
from tests._helpers.http_server import redirect_to

import tfhub as hub
from tfhub import errors

_FORMATS = ["COMPRESSED", "UNCOMPRESSED"]


def _entries(cache: os.PathLike[str]) -> list[str]:
    """What a failed resolve left in the cache besides tfhub's lock folder."""
    return [name for name in os.listdir(cache) if name != ".locks"] if os.path.isdir(cache) else []


@pytest.mark.parametrize("load_format", _FORMATS)
def test_a_redirect_loop_is_upstreams_http_error_and_value_error(
    server, monkeypatch, isolated_cache, load_format
):
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", load_format)
    server.state.behaviours.append(redirect_to("/loop", "/loop"))
    handle = server.url("loop")
    with pytest.raises(errors.DownloadError) as info:
        hub.resolve(handle)
    err = info.value
    # What 0.10.0 raised: HTTPError (302) for an archive, ValueError under UNCOMPRESSED.
    assert isinstance(err, urllib.error.HTTPError) and err.code == 302
    assert isinstance(err, ValueError)
    assert isinstance(err, errors.RedirectLoopError)
    message = str(err)
    assert handle in message and "redirects in a loop" in message  # What and where.
    assert "more than 30 redirects" in message
    assert "Check the handle, or tell the server's owner." in message  # What to do.
    assert err.target == server.url("loop")  # Where the last redirect led.
    assert _entries(isolated_cache) == []


def test_a_redirect_loop_error_pickles_with_its_data():
    err = errors.RedirectLoopError(
        "Cannot download 'https://u:pw@h/m': the server redirects in a loop.",
        status=301,
        url="https://***@h/m",
        target="https://***@h/m",
        redirects=30,
    )
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is errors.RedirectLoopError and str(again) == str(err)
    assert (again.code, again.url, again.target, again.redirects) == (
        301,
        "https://***@h/m",
        "https://***@h/m",
        30,
    )
    assert "pw" not in str(err)


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://elsewhere/m"])
def test_uncompressed_redirect_to_another_scheme_is_a_value_error(server, monkeypatch, location):
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    server.state.behaviours.append(redirect_to("/elsewhere", location))
    handle = server.url("elsewhere")
    with pytest.raises(ValueError) as info:  # As upstream's: "Expected 303 See other ...".
        hub.resolve(handle)
    err = info.value
    assert isinstance(err, errors.DownloadError)  # As tfhub raised it before.
    assert isinstance(err, urllib.error.HTTPError) and err.code == 302
    assert handle in str(err) and location in str(err)
    assert "not an http(s) address" in str(err)


@pytest.mark.parametrize("load_format", _FORMATS)
def test_a_redirect_that_cannot_be_parsed_is_a_value_error(
    server, monkeypatch, isolated_cache, load_format
):
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", load_format)
    server.state.behaviours.append(redirect_to("/odd", "http://[::1/x"))
    handle = server.url("odd")
    with pytest.raises(ValueError) as info:  # urllib.parse's, which upstream let through.
        hub.resolve(handle)
    err = info.value
    assert isinstance(err, errors.DownloadError)  # As tfhub raised it before.
    assert isinstance(err, errors.UnreadableRedirectError)
    assert "cannot be read" in str(err) and "http://[::1/x" in str(err)
    assert _entries(isolated_cache) == []
