"""A server that answers an archive download (TFHUB_MODEL_LOAD_FORMAT=COMPRESSED, the default
for an http(s) handle) with `302 Location: gs://...`: an http download does not follow it. Both
tensorflow_hub 0.10.0 and 0.16.1 raised urllib's HTTPError (code 302, "Redirection to url
'gs://...' is not allowed"), checked side by side in session 51; tfhub said only that the
address "cannot be fetched (InvalidSchema...)", with nothing the user could do. Real servers
on 127.0.0.1."""

from __future__ import annotations

import os
import pickle
import traceback
import urllib.error

import pytest
from tests._helpers.http_server import redirect_to, see_other

import tfhub as hub
from tfhub import errors
from tfhub.resolvers import gcs

_SIGNED = "gs://bucket/path/model.tar.gz?X-Goog-Signature=s3cr3tsig"


@pytest.mark.parametrize("load_format", ["", "COMPRESSED"])
def test_a_redirect_to_gs_says_what_to_do_and_is_urllibs_http_error(
    server, monkeypatch, isolated_cache, load_format
):
    if load_format:
        monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", load_format)
    server.state.behaviours.append(redirect_to("/models/m/1", _SIGNED))
    handle = server.url("models/m/1")
    with pytest.raises(errors.DownloadError) as info:
        hub.resolve(handle)
    err = info.value
    message = str(err)
    assert isinstance(err, urllib.error.HTTPError) and err.code == 302  # As upstream's.
    assert isinstance(err, errors.UnfollowableRedirectError)
    assert err.target == "gs://bucket/path/model.tar.gz?X-Goog-Signature=***"
    assert handle in message and err.target in message  # Where.
    assert "an http download does not follow" in message  # What.
    assert "use gs://bucket/path/model.tar.gz as the handle" in message
    assert "TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED" in message  # What to do.
    assert "InvalidSchema" not in message
    assert "s3cr3tsig" not in "".join(traceback.format_exception(err))
    assert [n for n in os.listdir(isolated_cache) if n != ".locks"] == []
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == message
    assert (again.code, again.target, again.url) == (302, err.target, err.url)


def test_a_redirect_to_another_scheme_is_refused_with_the_same_class(server):
    """requests fetches http(s) only: any other scheme's redirect is refused before it."""
    server.state.behaviours.append(redirect_to("m.tar.gz", "ftp://mirror.example/m.tar.gz"))
    with pytest.raises(errors.UnfollowableRedirectError) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    assert "ftp://mirror.example/m.tar.gz" in message and "tell the server's owner" in message
    assert "gs://" not in message


def test_a_303_to_gs_in_the_uncompressed_format_is_still_its_answer(server, monkeypatch):
    """The refusal is for redirects requests would follow: the UNCOMPRESSED protocol's 303
    naming a gs:// folder is read, not followed."""
    monkeypatch.setattr(gcs, "exists", lambda path: path == "gs://bucket/m")
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    server.state.behaviours.append(see_other("/models/m/1", "gs://bucket/m"))
    assert hub.resolve(server.url("models/m/1")) == "gs://bucket/m"
