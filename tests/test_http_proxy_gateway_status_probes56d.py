"""A plain-http request through a proxy answered 502, 503 or 504 (a proxy's own answer when it
cannot reach the host, or hears nothing from it: Squid's ERR_CONNECT_FAIL page): the error
names the proxy and the variables to check (rf56d-F6). It said "The server is failing or
overloaded ...: try again later, or tell the server's owner", as if the model's server had
answered, while docs/resolving.md says a failing proxy "is named in the error ... rather than
blamed on the model's server".
"""

from __future__ import annotations

import socket

import pytest
from tests._helpers.proxies import clear_proxy_settings
from tests._helpers.raw_server import accept_each, read_request

import tfhub as hub
from tfhub import errors

PAGE = b"<html><body>The requested URL could not be retrieved (ERR_CONNECT_FAIL)</body></html>"


@pytest.fixture(autouse=True)
def _settings(monkeypatch):
    clear_proxy_settings(monkeypatch)
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")


def _answering(status: str):
    """A raw server on 127.0.0.1 answering every request with `status` and Squid's page."""

    def answer(connection: socket.socket) -> None:
        read_request(connection)
        head = (
            f"HTTP/1.1 {status}\r\nServer: squid/5.7\r\nContent-Type: text/html\r\n"
            f"Content-Length: {len(PAGE)}\r\nConnection: close\r\n\r\n"
        )
        connection.sendall(head.encode() + PAGE)
        connection.close()

    return accept_each(answer)


@pytest.mark.parametrize(
    "status", ["502 Bad Gateway", "503 Service Unavailable", "504 Gateway Timeout"]
)
def test_a_gateway_error_through_a_proxy_names_the_proxy(monkeypatch, status):
    listener = _answering(status)
    port = listener.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://user:secret@127.0.0.1:{port}")
    try:
        with pytest.raises(errors.HTTPStatusError) as info:
            hub.resolve("http://models.example.invalid/m/1")
    finally:
        listener.close()
    message = str(info.value)
    assert f"through the proxy http://***@127.0.0.1:{port}" in message, message
    assert "check HTTP_PROXY (or ALL_PROXY) and NO_PROXY" in message, message
    assert "secret" not in message
    assert info.value.status == int(status.split()[0])


def test_without_a_proxy_the_server_is_blamed_as_before(monkeypatch):
    """A loopback URL never goes through a proxy, whatever HTTP_PROXY says."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    listener = _answering("502 Bad Gateway")
    try:
        with pytest.raises(errors.HTTPStatusError) as info:
            hub.resolve(f"http://127.0.0.1:{listener.getsockname()[1]}/m/1")
    finally:
        listener.close()
    message = str(info.value)
    assert "The server is failing or overloaded" in message and "proxy" not in message
