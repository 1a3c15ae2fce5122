"""A small file server that speaks TF Hub's hosting protocol, on 127.0.0.1 (random port).

`GET /NAME?tf-hub-format=compressed` answers `NAME.tar.gz` when `NAME` is not itself a file;
plain files are served as they are, with `Range` support. Used by `tfhub demo` to serve the
bundled model offline, and usable to serve a folder of models to a local network.
"""

from __future__ import annotations

import http.server
import logging
import os
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


class ModelRequestHandler(http.server.BaseHTTPRequestHandler):
    """Answers GET requests for the files below `root`, following the hosting protocol.

    Subclasses may override `do_GET` and reuse `local_path`, `serve_file` and
    `send_error_page` (the tests add fault injection this way).
    """

    root: str = ""  # set on the subclass `ModelServer` makes
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        self.serve_file(self.local_path(parsed.path, urllib.parse.parse_qs(parsed.query)))

    def local_path(self, url_path: str, query: dict[str, list[str]]) -> str | None:
        """Maps a URL path to a file below `root` (None if it would leave `root`).

        With `?tf-hub-format=compressed`, `/NAME` maps to `NAME.tar.gz` when `NAME` is not a file.
        """
        relative = os.path.normpath(urllib.parse.unquote(url_path).lstrip("/"))
        if relative.startswith(".."):
            return None
        path = os.path.join(self.root, relative)
        if not os.path.isfile(path) and query.get("tf-hub-format") == ["compressed"]:
            path = path.rstrip("/") + ".tar.gz"
        return path

    def serve_file(self, path: str | None, *, content_type: str = "application/x-tar") -> None:
        """Sends a file (404 if there is none), honouring `Range: bytes=N-` and `If-Range`."""
        if path is None or not os.path.isfile(path):
            self.send_error_page(404, "Not Found")
            return
        stat = os.stat(path)
        size, etag = stat.st_size, f'"{stat.st_size}-{stat.st_mtime_ns}"'
        start = _range_start(self.headers.get("Range"))
        if self.headers.get("If-Range") not in (None, etag):
            start = None  # The file changed since the client's first request: send it whole.
        with open(path, "rb") as served:
            if start is not None and start < size:
                served.seek(start)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
                size -= start
            else:
                self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(size))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", etag)
            self.end_headers()
            shutil.copyfileobj(served, self.wfile, 1 << 20)

    def send_error_page(self, status: int, text: str) -> None:
        """Sends a small HTML error page with `status`."""
        body = f"<html><body>{status} {text}</body></html>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _range_start(header: str | None) -> int | None:
    if not header or not header.startswith("bytes=") or not header.endswith("-"):
        return None
    value = header[len("bytes=") : -1]
    return int(value) if value.isdigit() else None


class ModelServer:
    """A running hosting-protocol server over a folder; `url(path)` gives a model's address."""

    def __init__(
        self,
        root: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        handler: type[ModelRequestHandler] = ModelRequestHandler,
    ) -> None:
        handler = type("Handler", (handler,), {"root": os.path.abspath(root)})
        self._server = http.server.ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "") -> str:
        """Returns the http:// URL of `path` below the served folder."""
        host = str(self._server.server_address[0])
        return f"http://{host}:{self.port}/{path.lstrip('/')}"

    def start(self) -> ModelServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def serve_models(root: str, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[ModelServer]:
    """Serves `root` over HTTP while the block runs.

    Args:
        root: the folder to serve; `root/a/b.tar.gz` is the model `URL/a/b`.
        host: the address to listen on (loopback by default).
        port: the port; 0 picks a free one.

    Yields:
        The running server.
    """
    server = ModelServer(root, host=host, port=port).start()
    try:
        yield server
    finally:
        server.stop()
