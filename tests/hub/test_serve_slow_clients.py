"""The in-process hub server (uvicorn, as `tfhub serve --server uvicorn`) closes a connection
whose request headers are late: one that sends nothing, or a request's headers a byte at a time
(slowloris), no longer holds its connection for ever. Requests that come in time, in pieces or
kept alive, are answered. The deadline is shortened to 1 s here (30 s when serving)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tfhub.hub import uvicorn_h11
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings

DEADLINE = 1.0
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture
def server(tmp_path, monkeypatch) -> Iterator[BackgroundServer]:
    monkeypatch.setattr(uvicorn_h11, "HEADER_TIMEOUT_SECONDS", DEADLINE)
    (tmp_path / "assets" / "docs").mkdir(parents=True)
    settings = ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0)
    with BackgroundServer(settings) as running:
        yield running


def _connect(server: BackgroundServer) -> socket.socket:
    connection = socket.create_connection((server.host, server.port), timeout=10)
    connection.settimeout(10)
    return connection


def _closed_after(connection: socket.socket) -> float:
    """Seconds until the server closes the connection (reading and dropping any answer)."""
    start = time.monotonic()
    while connection.recv(65536):
        pass
    return time.monotonic() - start


def _answer(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"closed before the answer; got {data!r}"
        data += chunk
    return data


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\nHost: x\r\n"], ids=["nothing", "half"])
def test_late_headers_close_the_connection(server, sent: bytes) -> None:
    with _connect(server) as connection:
        connection.sendall(sent)
        assert DEADLINE * 0.8 < _closed_after(connection) < DEADLINE + 5


def test_a_byte_at_a_time_ends_at_the_deadline(server) -> None:
    """A slowloris client: each byte restarts no clock."""
    with _connect(server) as connection:
        start, refused = time.monotonic(), False
        for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000:
            if time.monotonic() - start > DEADLINE * 3:
                break
            try:
                connection.send(bytes([byte]))
            except OSError:  # Closed by the server.
                refused = True
                break
            time.sleep(0.05)
        assert refused or _closed_after(connection) < 1  # Closed by then.
        assert time.monotonic() - start < DEADLINE + 5


def test_requests_in_time_are_answered(server) -> None:
    with _connect(server) as connection:
        for piece in (REQUEST[:10], REQUEST[10:20], REQUEST[20:]):  # In pieces, in time.
            connection.sendall(piece)
            time.sleep(DEADLINE / 5)
        assert _answer(connection).startswith(b"HTTP/1.1 200")
        time.sleep(DEADLINE * 1.5)  # Longer than the deadline, idle after an answer...
        connection.sendall(REQUEST)  # ...(uvicorn's keep-alive is 5 s): answered.
        assert _answer(connection).startswith(b"HTTP/1.1 200")
        connection.sendall(REQUEST[:20])  # The next request's headers, late: closed.
        assert _closed_after(connection) < DEADLINE + 5
