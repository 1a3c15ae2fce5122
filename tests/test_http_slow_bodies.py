"""A server that drips the small bodies tfhub reads (a redirect's, a 303's gs:// location, an
error's text) a byte at a time, each byte within TFHUB_HTTP_TIMEOUT: the per-read timeout alone
let it hold a download for hours. A real server on 127.0.0.1."""

from __future__ import annotations

import time

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import drip_body

import tfhub as hub
from tfhub import errors


@pytest.fixture(autouse=True)
def _short_timeout(monkeypatch):
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")  # Headers and small bodies: 2 s.
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")


def test_a_dripping_redirect_body_is_not_waited_for(server, served_dir):
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(drip_body("/old", 302, {"Location": "/m.tar.gz"}, length=65536))
    started = time.monotonic()
    assert read_tree(hub.resolve(server.url("old"))) == MODEL_FILES
    assert time.monotonic() - started < 5


def test_a_dripping_303_location_is_cut_at_the_deadline(server, monkeypatch):
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    server.state.behaviours.append(drip_body("/m", 303, {"Location": "gs://b/m"}, length=4000))
    started = time.monotonic()
    with pytest.raises(errors.DownloadTooSlowError, match="to send its 303 answer's body"):
        hub.resolve(server.url("m"))
    assert time.monotonic() - started < 8


def test_a_dripping_error_text_is_cut_and_the_status_stays(server):
    server.state.behaviours.append(
        drip_body("m.tar.gz", 404, {"Content-Type": "text/plain"}, length=2000)
    )
    started = time.monotonic()
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("m.tar.gz"))
    assert time.monotonic() - started < 8
    assert info.value.code == 404
