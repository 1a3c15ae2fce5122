"""A real HTTP server on 127.0.0.1 (random port) for the tests, with fault injection.

It serves the files of a folder. A request for `/NAME?tf-hub-format=compressed` is answered with
`NAME.tar.gz` when `NAME` itself is not a file (the hosting protocol). Tests change `behaviour`
to inject faults; `requests` records what the server was asked.
"""

from __future__ import annotations

import http.server
import os
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tfhub.hub import protocol

# A behaviour takes (handler, path, query) and returns True if it answered the request itself.
Behaviour = Callable[["_Handler", str, dict[str, list[str]]], bool]


@dataclass
class ServerState:
    """How the server answers, and what it was asked; shared with the handler threads."""

    behaviours: list[Behaviour] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(http.server.BaseHTTPRequestHandler):
    """A thin http.server shell over tfhub's protocol rules (`tfhub.hub.protocol`: the path
    mapping, Range/If-Range/ETag), plus request recording and injected behaviours."""

    root: str = ""  # set on the subclass made per server
    state: ServerState
    protocol_version = "HTTP/1.1"

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
        self.serve_file(self.local_path(parsed.path, query))

    def local_path(self, url_path: str, query: dict[str, list[str]]) -> str | None:
        """The file below `root` for a URL path (None if there is none or the path is odd)."""
        segments = protocol.split_path(urllib.parse.unquote(url_path))
        if segments is None:
            return None
        compressed = protocol.requested_format(query, uncompressed=True) == protocol.COMPRESSED
        return protocol.folder_file(self.root, segments, compressed=compressed)

    def served_bytes(self, url_path: str, query: dict[str, list[str]]) -> tuple[bytes, str]:
        """The bytes of the file `local_path` names for a URL path, and the ETag `serve_file`
        sends for it (for behaviours that answer with the file their own way).

        Raises:
            FileNotFoundError: no file below `root` for that path.
        """
        local = self.local_path(url_path, query)
        if local is None:
            raise FileNotFoundError(f"no file below {self.root} for {url_path}")
        with open(local, "rb") as served:
            stat = os.fstat(served.fileno())
            return served.read(), protocol.file_etag(stat.st_size, stat.st_mtime_ns)

    def serve_file(
        self, path: str | None, *, content_type: str = protocol.ARCHIVE_CONTENT_TYPE
    ) -> None:
        """Sends a file (404 if there is none) as `protocol.plan_file` decides."""
        if path is None:
            self.send_error_page(404, "Not Found")
            return
        with open(path, "rb") as served:
            stat = os.fstat(served.fileno())
            headers = {key.lower(): value for key, value in self.headers.items()}
            etag = protocol.file_etag(stat.st_size, stat.st_mtime_ns)
            plan = protocol.plan_file(
                headers, size=stat.st_size, etag=etag, content_type=content_type
            )
            self.send_response(plan.status)
            for key, value in plan.headers.items():
                self.send_header(key, value)
            self.end_headers()
            served.seek(plan.start)
            remaining = plan.length if plan.status in (200, 206) else 0
            while remaining > 0:
                chunk = served.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

    def send_error_page(
        self, status: int, text: str, *, headers: dict[str, str] | None = None
    ) -> None:
        """Sends a small HTML error page with `status` (and `headers`)."""
        body = f"<html><body>{status} {text}</body></html>".encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _QuietServer(http.server.ThreadingHTTPServer):
    """Leaves out the traceback socketserver prints when a client drops its connection (the
    fault tests do that on purpose); any other handler error is still printed."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalServer:
    """A running server; `url(path)` gives the address of a file below the root."""

    def __init__(self, root: str) -> None:
        self.state = ServerState()
        handler = type("Handler", (_Handler,), {"state": self.state, "root": os.path.abspath(root)})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "") -> str:
        """Returns the http:// URL of `path` below the served folder."""
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


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


def answer_status(
    suffix: str, status: int, *, times: int | None = None, headers: dict[str, str] | None = None
) -> Behaviour:
    """Answers `status` (with a small HTML body, and `headers`) to paths ending in `suffix`."""
    counter = _Counter(times)

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix) or not counter.fire():
            return False
        handler.send_error_page(status, "Injected", headers=headers)
        return True

    return behaviour


def answer_body(
    suffix: str,
    status: int,
    content_type: str,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> Behaviour:
    """Answers `status` with `body` of `content_type` (and any other `headers`, such as
    Content-Encoding) to paths ending in `suffix`."""

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix):
            return False
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return True

    return behaviour


def answer_html(suffix: str) -> Behaviour:
    """Answers 200 with an HTML page (a login or model page) instead of the archive."""
    page = b"<!DOCTYPE html><html><head><title>Model</title></head><body>hi</body></html>"
    return answer_body(suffix, 200, "text/html; charset=utf-8", page)


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
        body, etag = handler.served_bytes(path, query)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-tar")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("ETag", etag)
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
        body, _ = handler.served_bytes(path, query)
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


def drip_body(
    suffix: str, status: int, headers: dict[str, str] | None = None, *, length: int
) -> Behaviour:
    """Answers `status` with `headers` and a body of `length` announced bytes sent one every
    0.2 s (until the client hangs up, or 30 s): each byte within TFHUB_HTTP_TIMEOUT."""

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix):
            return False
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        handler.close_connection = True
        ends = time.monotonic() + 30
        try:
            while time.monotonic() < ends:
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # The client hung up.
        return True

    return behaviour


def see_other(suffix: str, location: str, body: bytes | None = None) -> Behaviour:
    """Answers `?tf-hub-format=uncompressed` with 303 and `location`, in the Location header
    and in the body (or `body` there instead: a hostile or odd one; a client that stops
    reading it is no failure of the server)."""
    sent = location.encode() if body is None else body

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix) or query.get("tf-hub-format") != ["uncompressed"]:
            return False
        handler.send_response(303)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", str(len(sent)))
        handler.end_headers()
        try:
            handler.wfile.write(sent)
        except OSError:
            pass  # The client stopped reading (a body over its cap).
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


def self_signed_certificate(
    folder: str | os.PathLike[str], subject: str, alt_names: str
) -> tuple[str, str]:
    """Makes a self-signed certificate and its key with openssl (in `folder`): `subject` as
    `/CN=...`, `alt_names` as subjectAltName's value (`IP:127.0.0.1`, `DNS:a,DNS:b`). Returns
    (certificate path, key path). The caller skips when openssl is not installed."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", subject, "-addext", f"subjectAltName={alt_names}"),
            *("-keyout", key, "-out", cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def enable_tls(server: LocalServer, certfile: str, keyfile: str) -> str:
    """Makes a (not yet used) server speak HTTPS; returns its https:// base URL."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
    return f"https://127.0.0.1:{server.port}/"


def redirect_to(suffix: str, location: str) -> Behaviour:
    """A behaviour answering 302 to `location` for paths ending in `suffix`."""

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not path.endswith(suffix):
            return False
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    return behaviour


def hold_open_after_body(
    suffix: str, *, claim_more: int | None = None, send: int | None = None, seconds: float = 30
) -> Behaviour:
    """Sends the file's bytes, then keeps the connection open (until the client hangs up, or
    `seconds`), as a server that never ends the body: no Content-Length (the body ends only
    when the connection closes), or with `claim_more` one that many bytes more than it sends.
    With `send`, only the first `send` bytes are sent (a body cut short, held open)."""

    def behaviour(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
        if not _matches(path, suffix):
            return False
        body, _ = handler.served_bytes(path, query)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        if claim_more is not None:
            handler.send_header("Content-Length", str(len(body) + claim_more))
        handler.end_headers()
        handler.close_connection = True
        handler.wfile.write(body if send is None else body[:send])
        handler.wfile.flush()
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:  # Until the client closes (readable: end of stream).
            if select.select([handler.connection], [], [], 0.1)[0]:
                break
        return True

    return behaviour
