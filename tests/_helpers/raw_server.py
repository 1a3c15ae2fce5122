"""A raw socket server on 127.0.0.1 that answers every request with the same bytes, whatever
they are (not HTTP, a proxy's refusal): for the tests of what tfhub says of such answers."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections.abc import Callable, Iterator


class _Listener(socket.socket):
    """A listening socket whose accepting thread is stopped before its descriptor is freed.

    Closing a socket that another thread is about to `accept` on frees its descriptor number,
    and the next socket opened (the next test's server) may get it: that thread then accepted
    the other server's connections and answered them with this one's bytes (a "303 See Other"
    to a download of a test run after it). `close` shuts the socket down first (a blocked or a
    later `accept` fails at once), waits for the thread, then frees the descriptor.
    """

    stopping: threading.Event
    thread: threading.Thread | None

    def close(self) -> None:
        if getattr(self, "thread", None) is not None and self.fileno() != -1:
            self.stopping.set()
            try:
                self.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # Not connected: a listening socket on some systems. accept still fails.
            assert self.thread is not None
            self.thread.join(5)  # A handler still running ends on its own; it accepts no more.
        super().close()


def accept_each(handle: Callable[[socket.socket], None], *, backlog: int = 8) -> socket.socket:
    """Listens on 127.0.0.1 (a free port) and, in a daemon thread, passes each connection to
    `handle` until the returned listening socket is closed (which stops the thread first)."""
    listener = _Listener()
    listener.stopping = threading.Event()
    listener.thread = None
    listener.bind(("127.0.0.1", 0))
    listener.listen(backlog)

    def loop() -> None:
        while not listener.stopping.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            handle(connection)

    listener.thread = threading.Thread(target=loop, daemon=True)
    listener.thread.start()
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


@contextlib.contextmanager
def dripping_after_a_close(head: bytes, drip: bytes) -> Iterator[int]:
    """Yields the port of a raw server whose first connection is closed at once (the failure
    that starts a retry series) and whose next ones get `head`, then `drip` each 0.05 s (100
    times; nothing if empty) until the client goes; stopped when the block ends."""
    connections = itertools.count()
    stop = threading.Event()

    def answer(connection: socket.socket) -> None:
        with connection:
            read_request(connection)
            if next(connections) == 0:
                return
            try:
                connection.sendall(head)
                for _ in range(100):
                    if stop.wait(0.05):
                        return
                    if drip:
                        connection.sendall(drip)
            except OSError:
                return  # The client gave up.

    listener = accept_each(answer)
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
