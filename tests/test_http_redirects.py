"""Redirects a hostile or misconfigured server sends: from https to plain http (a downgrade),
and to a host name that cannot be encoded; real servers on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import (
    LocalServer,
    archive_gets,
    enable_tls,
    redirect_to,
    serve_folder,
)

import tfhub as hub
from tfhub import errors


@pytest.fixture
def plain_server(tmp_path) -> Iterator[LocalServer]:
    """A second, plain-http server with the archive `m.tar.gz` (and no TLS)."""
    folder = tmp_path / "plain"
    folder.mkdir()
    make_tar_gz(folder / "m.tar.gz")
    with serve_folder(os.fspath(folder)) as running:
        yield running


def test_an_https_download_is_not_redirected_to_plain_http(
    server, certificate, monkeypatch, plain_server, isolated_cache
):
    """requests followed https -> http redirects: the archive then came over plain http, where
    anyone on the path could replace the model, though the handle said https."""
    base = enable_tls(server, *certificate)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    server.state.behaviours.append(redirect_to("m.tar.gz", plain_server.url("m.tar.gz")))
    with pytest.raises(errors.InsecureRedirectError) as info:
        hub.resolve(base + "m.tar.gz")
    message = str(info.value)
    assert plain_server.url("m.tar.gz") in message and "use the http:// address" in message
    assert info.value.url == plain_server.url("m.tar.gz")
    assert info.value.source == base + "m.tar.gz?tf-hub-format=compressed"
    assert archive_gets(plain_server, "m.tar.gz") == []  # Never asked.
    assert [n for n in os.listdir(isolated_cache) if n != ".locks"] == []


def test_the_uncompressed_format_is_not_redirected_to_plain_http(
    server, certificate, monkeypatch, plain_server
):
    """The UNCOMPRESSED format follows its plain redirects itself, by the same rule."""
    base = enable_tls(server, *certificate)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    server.state.behaviours.append(redirect_to("/m", plain_server.url("m")))
    with pytest.raises(errors.InsecureRedirectError, match="plain http"):
        hub.resolve(base + "m")
    assert archive_gets(plain_server, "/m") == []


def test_an_http_to_https_redirect_is_still_followed(
    server, served_dir, certificate, monkeypatch, tmp_path
):
    """Upgrades stay allowed (tfhub.dev's http:// handles redirect to https)."""
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    target = enable_tls(server, *certificate) + "m.tar.gz"
    with serve_folder(os.fspath(tmp_path)) as plain:
        plain.state.behaviours.append(redirect_to("old.tar.gz", target))
        path = hub.resolve(plain.url("old.tar.gz"))
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))


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
