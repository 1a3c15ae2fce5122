"""Credentials in a handle (userinfo, a signed URL's query) stay out of everything tfhub prints
or writes: log lines, tracebacks, the progress bar and the cache folder; real servers on
127.0.0.1."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import traceback

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import archive_gets, redirect_to, serve_folder

import tfhub as hub
from tfhub import errors

SECRET = "s1gn4tur3-SECRET"
PASSWORD = "pa55w0rd-SECRET"


def _closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tfhub_log(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("tfhub"))


def test_a_signed_url_stays_out_of_retry_logs_and_tracebacks(caplog, monkeypatch):
    """requests quotes the path and query it sent ("Max retries exceeded with url:
    /m.tar.gz?X-Amz-Signature=..."): the retry log line and the chained errors of the
    traceback showed the signature, though the error's own message was redacted."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "1")
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.01)
    handle = f"http://127.0.0.1:{_closed_port()}/m.tar.gz?X-Amz-Signature={SECRET}"
    with caplog.at_level(logging.INFO, logger="tfhub"):
        with pytest.raises(errors.ConnectionFailedError, match="refused") as info:
            hub.resolve(handle)
    log = _tfhub_log(caplog)
    assert "Retrying" in log and "X-Amz-Signature=***" in log
    assert SECRET not in log
    shown = "".join(traceback.format_exception(info.value))
    assert "connection was refused" in shown
    assert SECRET not in shown


def test_a_plain_url_keeps_the_requests_error_chained(monkeypatch):
    """Without credentials in the URL, the traceback keeps requests' own error for debugging."""
    import requests

    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    with pytest.raises(errors.ConnectionFailedError) as info:
        hub.resolve(f"http://127.0.0.1:{_closed_port()}/m.tar.gz")
    assert isinstance(info.value.__cause__, requests.ConnectionError)


def test_userinfo_goes_to_its_host_only_and_is_never_shown_or_written(
    server, served_dir, tmp_path, monkeypatch, caplog, isolated_cache
):
    """Basic auth from the handle's userinfo reaches its own server, not the one it redirects
    to; the progress bar, the logs and the cache's files never show the password."""
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "1")
    other = tmp_path / "other"
    other.mkdir()
    make_tar_gz(other / "m.tar.gz")
    stderr = io.StringIO()
    with serve_folder(os.fspath(other)) as mirror:
        server.state.behaviours.append(redirect_to("m.tar.gz", mirror.url("m.tar.gz")))
        handle = server.url("m.tar.gz").replace("://", f"://alice:{PASSWORD}@")
        handle += f"?sig={SECRET}"
        with caplog.at_level(logging.DEBUG), contextlib.redirect_stderr(stderr):
            path = hub.resolve(handle)
        (asked,) = archive_gets(mirror, "m.tar.gz")
    ((_, _, first),) = archive_gets(server, "m.tar.gz")
    assert first["Authorization"].startswith("Basic ")
    assert "Authorization" not in asked[2]
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert "Downloading http://***@127.0.0.1" in stderr.getvalue()  # The bar did show.
    for shown in (stderr.getvalue(), _tfhub_log(caplog)):
        assert PASSWORD not in shown and SECRET not in shown
    for root, _, names in os.walk(isolated_cache):
        for name in names:
            with open(os.path.join(root, name), "rb") as written:
                data = written.read()
            assert PASSWORD.encode() not in data and SECRET.encode() not in data, name


def test_a_signed_url_a_redirect_led_to_stays_out_of_the_traceback(server, monkeypatch):
    """A hub redirects to signed storage links: when the link could not be reached, requests'
    error quoted its query, and it was chained into the traceback (the handle held no secret,
    so the chain was kept)."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    signed = f"http://127.0.0.1:{_closed_port()}/blob?X-Amz-Signature={SECRET}"
    server.state.behaviours.append(redirect_to("m.tar.gz", signed))
    with pytest.raises(errors.ConnectionFailedError, match="refused") as info:
        hub.resolve(server.url("m.tar.gz"))
    shown = "".join(traceback.format_exception(info.value))
    assert SECRET not in shown
