"""A real HTTP server on 127.0.0.1 (random port) for the tests, with fault injection.

It serves the files of a folder. A request for `/NAME?tf-hub-format=compressed` is answered with
`NAME.tar.gz` when `NAME` itself is not a file (the hosting protocol). Tests change `behaviour`
to inject faults; `requests` records what the server was asked.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tfhub.server import ModelRequestHandler, ModelServer

# A behaviour takes (handler, path, query) and returns True if it answered the request itself.
Behaviour = Callable[["_Handler", str, dict[str, list[str]]], bool]


@dataclass
class ServerState:
    """How the server answers, and what it was asked; shared with the handler threads."""

    behaviours: list[Behaviour] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(ModelRequestHandler):
    """tfhub's own hosting-protocol handler, plus request recording and injected behaviours."""

    state: ServerState  # set on the subclass made per server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        with self.state.lock:
            self.state.requests.append(("GET", self.path, dict(self.headers)))
        for behaviour in list(self.state.behaviours):
            if behaviour(self, parsed.path, query):
                return
        super().do_GET()


class LocalServer(ModelServer):
    """A running server; `url(path)` gives the address of a file below the root."""

    def __init__(self, root: str) -> None:
        self.state = ServerState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        super().__init__(root, handler=handler)


@contextmanager
def serve_folder(root: str) -> Iterator[LocalServer]:
    """Starts a LocalServer over `root` and stops it on exit."""
    server = LocalServer(root).start()
    try:
        yield server
    finally:
        server.stop()


# --- Fault injection: behaviours for `server.state.behaviours` --------------------------------


def _matches(path: str, suffix: str) -> bool:
    return path.endswith(suffix)


class _Counter:
    """Counts how often a behaviour fired; `times=None` means always."""

    def __init__(self, times: int | None) -> None:
        self.times = times
        self.fired = 0

    def fire(self) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        self.fired += 1
        return True


def answer_status(suffix: str, status: int, *, times: int | None = None) -> Behaviour:
    """Answers `status` (with a small HTML body) to paths ending in `suffix`."""
    counter = _Counter(times)

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix) or not counter.fire():
            return False
        handler.send_error_page(status, "Injected")
        return True

    return behaviour


def answer_html(suffix: str) -> Behaviour:
    """Answers 200 with an HTML page (a login or model page) instead of the archive."""

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix):
            return False
        body = b"<!DOCTYPE html><html><head><title>Model</title></head><body>hi</body></html>"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return True

    return behaviour


def drop_mid_body(
    suffix: str, *, after: int, times: int | None = 1, on_drop: Callable[[], None] | None = None
) -> Behaviour:
    """Sends the headers of the whole file, `after` bytes of body, then closes the connection.

    Requests with a Range header are left to the normal handler (so resume works). `on_drop`
    runs after the drop (e.g. to replace the file before the client resumes).
    """
    counter = _Counter(times)

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix) or handler.headers.get("Range") or not counter.fire():
            return False
        local = handler.local_path(path, query)
        with open(local, "rb") as served:
            body = served.read()
        stat = os.stat(local)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-tar")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("ETag", f'"{stat.st_size}-{stat.st_mtime_ns}"')
        handler.end_headers()
        handler.wfile.write(body[:after])
        handler.wfile.flush()
        if on_drop is not None:
            on_drop()
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)
        return True

    return behaviour


def ignore_range(suffix: str) -> Behaviour:
    """Serves the whole file with 200 even when a Range is asked (a server that cannot resume)."""

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix) or not handler.headers.get("Range"):
            return False
        del handler.headers["Range"]
        handler.serve_file(handler.local_path(path, query))
        return True

    return behaviour


def delay(
    suffix: str, seconds: float, *, stall_after: int | None = None, times: int | None = None
) -> Behaviour:
    """Waits `seconds` before answering (or, with `stall_after`, after that many body bytes).

    With `stall_after`, requests with a Range header are left to the normal handler.
    """
    counter = _Counter(times)

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix):
            return False
        if stall_after is not None and handler.headers.get("Range"):
            return False
        if not counter.fire():
            return False
        if stall_after is None:
            time.sleep(seconds)
            return False
        with open(handler.local_path(path, query), "rb") as served:
            body = served.read()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-tar")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[:stall_after])
        handler.wfile.flush()
        time.sleep(seconds)
        try:
            handler.wfile.write(body[stall_after:])
        except OSError:
            pass
        return True

    return behaviour


def see_other(suffix: str, location: str) -> Behaviour:
    """Answers `?tf-hub-format=uncompressed` with 303 and `location` in the body."""

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix) or query.get("tf-hub-format") != ["uncompressed"]:
            return False
        body = location.encode()
        handler.send_response(303)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return True

    return behaviour


def archive_gets(server: LocalServer, suffix: str) -> list[tuple[str, str, dict[str, str]]]:
    """Returns the GET requests whose path (without query) ends in `suffix`."""
    with server.state.lock:
        return [
            request
            for request in server.state.requests
            if urllib.parse.urlsplit(request[1]).path.endswith(suffix)
        ]


def enable_tls(server: LocalServer, certfile: str, keyfile: str) -> str:
    """Makes a (not yet used) server speak HTTPS; returns its https:// base URL."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
    return f"https://127.0.0.1:{server.port}/"
