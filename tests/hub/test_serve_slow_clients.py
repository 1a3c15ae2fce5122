"""The in-process hub server (uvicorn, as `tfhub serve --server uvicorn`) closes a connection
whose request headers are late: one that sends nothing, or a request's headers a byte at a time
(slowloris), no longer holds its connection for ever. Requests that come in time, in pieces or
kept alive, are answered. The deadline is shortened to 1 s here (30 s when serving). Nor does a
client that stops reading an archive hold its connection: dropped when it takes no byte for
1 s here (60 s when serving), while a slow reader gets the whole archive."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import write_model_doc

from tfhub.hub import uvicorn_h11
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings

DEADLINE = 1.0
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
ARCHIVE = (
    b"GET /acme/big/1?tf-hub-format=compressed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
)
BIG = 16 << 20


@pytest.fixture
def server(tmp_path, monkeypatch) -> Iterator[BackgroundServer]:
    monkeypatch.setattr(uvicorn_h11, "HEADER_TIMEOUT_SECONDS", DEADLINE)
    monkeypatch.setattr(uvicorn_h11, "WRITE_STALL_SECONDS", DEADLINE)
    doc = write_model_doc(tmp_path, "acme/big/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"), {"saved_model.pb": os.urandom(BIG)}, compression="")
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


def _reader(server: BackgroundServer) -> socket.socket:
    """A connection asking for the big archive, with a small receive buffer."""
    connection = socket.socket()
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    connection.connect((server.host, server.port))
    connection.settimeout(10)
    connection.sendall(ARCHIVE)
    return connection


def _read_all(connection: socket.socket, *, pause: float = 0.0) -> int:
    """Bytes received until the server closes (or resets) the connection."""
    received = 0
    try:
        while data := connection.recv(65536):
            received += len(data)
            time.sleep(pause)
    except ConnectionResetError:
        pass
    return received


def test_a_client_that_stops_reading_is_dropped(server) -> None:
    """It held its connection and 1 MiB of the archive for as long as it stayed connected."""
    with _reader(server) as connection:
        assert connection.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(DEADLINE * 3)  # Reads nothing.
        assert _read_all(connection) < BIG // 2  # Dropped: the rest never came.


def test_a_slow_reader_gets_the_whole_archive(server) -> None:
    with _reader(server) as connection:
        start = time.monotonic()
        received = 0
        while time.monotonic() - start < DEADLINE * 3:  # Slow, but never stopped.
            received += len(connection.recv(65536))
            time.sleep(0.05)
        received += _read_all(connection)
        assert received > BIG
