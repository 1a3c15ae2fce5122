"""An archive whose body (or headers) DRIPS through an HTTP proxy: bytes keep arriving, too
slowly, so TFHUB_DOWNLOAD_MIN_SPEED (the body) or the headers' deadline ends the download. The
error names the proxy and the variable to check, as a stall behind it does
(tests/test_http_proxy_body_stall_probes56d.py): the proxy may be the slow part.

Before: "Cannot download 'h' from URL: only N bytes arrived in 1.0 s, less than
TFHUB_DOWNLOAD_MIN_SPEED=..." and "the server took more than 2 s to send its response
headers": the proxy was not named. A raw proxy on 127.0.0.1; the model's host never resolves.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable

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
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("drip")
    files = {"saved_model.pb": os.urandom(20_000), "variables/variables.index": b"i"}
    return open(make_tar_gz(folder / "m.tar.gz", files), "rb").read()


def _dripping_proxy(monkeypatch, head: bytes, rest: bytes) -> Callable[[], None]:
    """HTTP_PROXY = a proxy that answers with `head` at once, then `rest` a byte each 0.05 s
    until the client goes; returns what stops it."""
    stop = threading.Event()

    def answer(connection: socket.socket) -> None:
        with connection:
            read_request(connection)
            try:
                connection.sendall(head)
                for byte in rest:
                    if stop.wait(0.05):
                        return
                    connection.sendall(bytes([byte]))
            except OSError:
                return  # The client gave up.

    listener = accept_each(answer)
    port = listener.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://user:{PASSWORD}@127.0.0.1:{port}")

    def close() -> None:
        stop.set()
        listener.close()

    close.port = port  # type: ignore[attr-defined]
    return close


def _names_the_proxy(message: str, port: int) -> None:
    assert f"through the proxy http://***@127.0.0.1:{port}" in message, message
    assert "check HTTP_PROXY (or ALL_PROXY)" in message, message
    assert PASSWORD not in message


def test_a_body_dripping_through_the_proxy_names_it(monkeypatch, archive):
    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", "5000")
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(archive)}\r\n\r\n".encode()
    close = _dripping_proxy(monkeypatch, head + archive[:2000], archive[2000:])
    started = time.monotonic()
    try:
        with pytest.raises(errors.DownloadTooSlowError) as info:
            hub.resolve(HANDLE)
    finally:
        close()
    message = str(info.value)
    assert "TFHUB_DOWNLOAD_MIN_SPEED=5000" in message, message
    _names_the_proxy(message, close.port)  # type: ignore[attr-defined]
    assert info.value.min_speed == 5000 and PASSWORD not in info.value.url
    assert time.monotonic() - started < 20


def test_headers_dripping_through_the_proxy_name_it(monkeypatch, archive):
    head = b"HTTP/1.1 200 OK\r\n"
    rest = b"X-Slow: " + b"a" * 400 + b"\r\n\r\n"
    close = _dripping_proxy(monkeypatch, head, rest)
    try:
        with pytest.raises(errors.DownloadTooSlowError) as info:
            hub.resolve(HANDLE)
    finally:
        close()
    message = str(info.value)
    assert "to send its response headers" in message, message
    _names_the_proxy(message, close.port)  # type: ignore[attr-defined]


def test_without_a_proxy_the_drip_names_none(monkeypatch, archive):
    """The same drip from the server itself: no proxy in the message."""
    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", "5000")
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(archive)}\r\n\r\n".encode()
    close = _dripping_proxy(monkeypatch, head + archive[:2000], archive[2000:])
    monkeypatch.delenv("HTTP_PROXY")
    try:
        with pytest.raises(errors.DownloadTooSlowError) as info:
            hub.resolve(f"http://127.0.0.1:{close.port}/m.tar.gz")  # type: ignore[attr-defined]
    finally:
        close()
    assert "proxy" not in str(info.value).lower(), str(info.value)


def test_a_drip_of_short_connections_ended_by_the_retry_budget_names_the_proxy(
    monkeypatch, archive
):
    """Each connection through the proxy brings 100 bytes, then closes (no ETag: each break
    starts over): TFHUB_HTTP_RETRY_TIMEOUT ends it ("receiving only N bytes"); the last
    failure (a close, not a timeout) said nothing of the proxy."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "20")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "1")
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(archive)}\r\n\r\n".encode()
    close = _dripping_proxy(monkeypatch, head + archive[:100], b"")
    try:
        with pytest.raises(errors.RetryTimeoutError) as info:
            hub.resolve(HANDLE)
    finally:
        close()
    message = str(info.value)
    assert "receiving only" in message, message
    _names_the_proxy(message, close.port)  # type: ignore[attr-defined]


def test_an_upstream_style_download_dripping_through_the_proxy_names_it(
    monkeypatch, archive, tmp_path
):
    """A custom resolver's download (upstream's way: urllib, then DownloadManager) through
    HTTP_PROXY: the body held to TFHUB_DOWNLOAD_MIN_SPEED names the proxy too."""
    import urllib.request

    from tfhub import resolver

    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", "5000")
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(archive)}\r\n\r\n".encode()
    close = _dripping_proxy(monkeypatch, head + archive[:2000], archive[2000:])
    url = "http://models.example.invalid/m.tar.gz"
    try:
        # An opener of its own: urlopen's global one keeps the proxy settings of its first
        # use, and would send later tests' requests to this proxy once it is gone.
        with urllib.request.build_opener().open(url, timeout=5) as response:
            with pytest.raises(errors.DownloadTooSlowError) as info:
                resolver.DownloadManager(url).download_and_uncompress(response, str(tmp_path))
    finally:
        close()
    message = str(info.value)
    assert "TFHUB_DOWNLOAD_MIN_SPEED=5000" in message, message
    assert f"the proxy http://***@127.0.0.1:{close.port}" in message, message  # type: ignore[attr-defined]
    assert "check HTTP_PROXY (or ALL_PROXY)" in message and PASSWORD not in message


def test_a_proxy_dripping_its_answer_to_connect_is_cut_at_the_headers_deadline(monkeypatch):
    """HTTPS through a proxy that answers CONNECT with 200, then header lines a byte each
    0.05 s: http.client's tunnel reads them with the per-read timeout only, so the request
    was held as long as the proxy dripped (8 s here; a minute for 60 s) and then blamed on
    TLS. Now the answer gets the headers' deadline (2 x TFHUB_HTTP_TIMEOUT), and the error
    names the proxy."""
    close = _dripping_proxy(
        monkeypatch, b"HTTP/1.1 200 Connection established\r\n", b"X-Slow: a\r\n" * 15
    )
    port = close.port  # type: ignore[attr-defined]
    monkeypatch.delenv("HTTP_PROXY")
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:{PASSWORD}@127.0.0.1:{port}")
    started = time.monotonic()
    try:
        with pytest.raises(errors.DownloadTooSlowError) as info:
            hub.resolve("https://models.example.invalid/m/1")
    finally:
        close()
    assert time.monotonic() - started < 6
    message = str(info.value)
    assert f"the proxy http://***@127.0.0.1:{port}" in message, message
    assert "tunnel to models.example.invalid (CONNECT)" in message, message
    assert "Check HTTPS_PROXY (or ALL_PROXY)" in message and PASSWORD not in message
