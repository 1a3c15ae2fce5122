"""A raw socket server on 127.0.0.1 that answers every request with the same bytes, whatever
they are (not HTTP, a proxy's refusal): for the tests of what tfhub says of such answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


def accept_each(handle: Callable[[socket.socket], None], *, backlog: int = 8) -> socket.socket:
    """Listens on 127.0.0.1 (a free port) and, in a daemon thread, passes each connection to
    `handle` until the returned listening socket is closed."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(backlog)

    def loop() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            handle(connection)

    threading.Thread(target=loop, daemon=True).start()
    return listener


def read_request(connection: socket.socket) -> str:
    """Reads a request up to its blank line (or the connection's end); returns its text."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode("latin-1")


def serve_raw(answer: bytes) -> tuple[socket.socket, list[str]]:
    """Starts the server; returns (its listening socket, the request lines it received).

    Each connection's request (up to its blank line) is read, its first line recorded, then
    `answer` is sent and the connection closed. Close the socket to stop the server.
    """
    seen: list[str] = []

    def reply(connection: socket.socket) -> None:
        with connection:
            seen.append(read_request(connection).split("\r\n")[0])
            connection.sendall(answer)

    return accept_each(reply), seen
