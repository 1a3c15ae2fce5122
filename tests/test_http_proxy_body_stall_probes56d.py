"""An archive whose body stalls behind an HTTP proxy: the error names the proxy and the
variable to check (rf56d-F1), as the same stall in the headers does
(tests/test_http_proxy_timeout_fix55e.py).

The proxy on 127.0.0.1 answers a plain-http GET with its 200 headers and the first bytes of a
.tar.gz, then says nothing. The error said "timed out (ReadTimeoutError: no answer within
timeout 1 s ...)", and after a restart "the last: the download broke and the server cannot
resume it": the proxy, and the stall, were gone from it.
"""

from __future__ import annotations

import os
import socket

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.proxies import clear_proxy_settings
from tests._helpers.raw_server import accept_each, read_request

import tfhub as hub
from tfhub import errors

PASSWORD = "pr0xy-SECRET"
HANDLE = "http://models.example.invalid/m/1"


@pytest.fixture(autouse=True)
def _settings(monkeypatch):
    clear_proxy_settings(monkeypatch)
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")


@pytest.fixture
def stalling_proxy(tmp_path, monkeypatch):
    """HTTP_PROXY = a proxy that sends the headers and 4,000 bytes of a 20 kB archive, then
    nothing (no ETag: a resume starts over); yields how many requests it answered."""
    files = {"saved_model.pb": os.urandom(20_000), "variables/variables.index": b"i"}
    archive = open(make_tar_gz(tmp_path / "m.tar.gz", files), "rb").read()
    held: list[socket.socket] = []

    def answer(connection: socket.socket) -> None:
        read_request(connection)
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(archive)}\r\n\r\n".encode()
        connection.sendall(head + archive[:4000])
        held.append(connection)

    listener = accept_each(answer)
    port = listener.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://user:{PASSWORD}@127.0.0.1:{port}")
    try:
        yield port
    finally:
        listener.close()
        for connection in held:
            connection.close()


def _names_the_proxy(message: str, port: int) -> None:
    assert f"the proxy http://***@127.0.0.1:{port} did not answer within 1 s" in message, message
    assert "check HTTP_PROXY (or ALL_PROXY)" in message, message
    assert PASSWORD not in message


def test_a_body_stalled_by_the_proxy_names_it(monkeypatch, stalling_proxy):
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    with pytest.raises(errors.DownloadError) as info:
        hub.resolve(HANDLE)
    _names_the_proxy(str(info.value), stalling_proxy)
    assert "at byte 4000" in str(info.value)


def test_after_a_restart_the_give_up_still_names_the_proxy(monkeypatch, stalling_proxy):
    """A restart (the proxy cannot resume) then the retry budget ends it: its "the last: ..."
    says why the download broke, not only that it could not be resumed."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "3")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "1.5")
    with pytest.raises(errors.DownloadError) as info:
        hub.resolve(HANDLE)
    message = str(info.value)
    assert "cannot resume it" in message, message
    _names_the_proxy(message, stalling_proxy)
