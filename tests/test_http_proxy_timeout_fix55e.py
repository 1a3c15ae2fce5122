"""A proxy that accepts the connection and never answers: the timeout names the proxy (its
credentials redacted) and the variable to check, not only "timed out" (which sent the user to
the model's server). A raw silent proxy on 127.0.0.1; the model's host never resolves."""

from __future__ import annotations

import socket

import pytest
from tests._helpers.proxies import clear_proxy_settings
from tests._helpers.raw_server import accept_each, read_request

import tfhub as hub
from tfhub import errors

PASSWORD = "pr0xy-SECRET"


@pytest.fixture(autouse=True)
def _settings(monkeypatch):
    clear_proxy_settings(monkeypatch)
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")


@pytest.fixture
def silent_proxy():
    """A proxy on 127.0.0.1 that accepts each connection and never answers; yields its port."""
    held: list[socket.socket] = []
    listener = accept_each(held.append)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        for connection in held:
            connection.close()


def _resolve_error(handle: str) -> str:
    with pytest.raises(errors.ConnectionFailedError) as info:
        hub.resolve(handle)
    return str(info.value)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_silent_proxy_is_named_in_the_timeout(monkeypatch, silent_proxy, scheme):
    variable = f"{scheme.upper()}_PROXY"
    monkeypatch.setenv(variable, f"http://user:{PASSWORD}@127.0.0.1:{silent_proxy}")
    message = _resolve_error(f"{scheme}://models.example.invalid/m.tar.gz")
    if scheme == "https":
        assert "request for a tunnel to models.example.invalid (CONNECT)" in message
    assert f"the proxy http://***@127.0.0.1:{silent_proxy}" in message
    assert "did not answer" in message and "within 1 s" in message
    assert f"check {variable} (or ALL_PROXY)" in message and "TFHUB_HTTP_TIMEOUT" in message
    assert PASSWORD not in message


def test_a_silent_server_behind_a_tunnel_is_not_blamed_on_the_proxy(monkeypatch):
    """The proxy opened the tunnel (CONNECT answered 200); the server behind it never answered
    the TLS handshake: the server timed out, reached through the proxy."""
    held: list[socket.socket] = []

    def tunnel(connection: socket.socket) -> None:
        read_request(connection)
        connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        held.append(connection)

    listener = accept_each(tunnel)
    port = listener.getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:{PASSWORD}@127.0.0.1:{port}")
    try:
        message = _resolve_error("https://models.example.invalid/m.tar.gz")
    finally:
        listener.close()
        for connection in held:
            connection.close()
    assert "timed out" in message and f"through the proxy http://***@127.0.0.1:{port}" in message
    assert "the proxy http://***" not in message.replace("through the proxy http://***", "")
    assert PASSWORD not in message


def test_no_proxy_no_proxy_words(monkeypatch, silent_proxy):
    """Without a proxy the timeout says nothing of one (the silent server is the model's)."""
    message = _resolve_error(f"http://127.0.0.1:{silent_proxy}/m.tar.gz")
    assert "timed out" in message and "proxy" not in message.lower()
