"""Resolving probed in combinations (p63r, session 63).

A download bar in a log:

With TFHUB_DOWNLOAD_PROGRESS=1 and stderr a file or a pipe (a CI log, `2> file`), the bar was
redrawn every 0.5 s, as in a terminal: a log reader (a CI page splits tqdm's carriage returns
into lines) got two lines a second, 1,200 for a 10-minute download. tensorflow_hub printed its
progress to a log every 15 s. A text bar on a stream that is no terminal is now redrawn at most
every 15 s (its first and final states are always written).

An IPv6 literal handle with a user name and password, a query and a fragment (promised, was
untested in this combination): the request goes to [::1] with the query before tfhub's format
parameter and without the fragment; the password goes in the Authorization header only, never
into the cache's files or an error's text.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import LocalServer
from tests._helpers.hub_server import has_ipv6_loopback

import tfhub as hub

pytest.importorskip("tqdm")


def _drip_without_length(suffix: str, *, chunks: int, every: float):
    """Answers with the file's bytes in `chunks` parts, one every `every` seconds, and no
    Content-Length (the body ends when the connection closes): a bar without a total."""

    def behaviour(handler, path: str, query: dict[str, list[str]]) -> bool:
        if not path.endswith(suffix):
            return False
        with open(handler.local_path(path, query), "rb") as served:
            body = served.read()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-tar")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        step = -(-len(body) // chunks)
        for start in range(0, len(body), step):
            handler.wfile.write(body[start : start + step])
            handler.wfile.flush()
            time.sleep(every)
        return True

    return behaviour


def _redraws(written: str) -> list[str]:
    """The lines a reader of the log sees: tqdm's redraws (after a carriage return) split."""
    return [line for line in re.split(r"[\r\n]", written) if line.strip()]


def test_a_bar_in_a_log_is_not_redrawn_twice_a_second(
    server: LocalServer, served_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(64 << 10)})
    server.state.behaviours.append(_drip_without_length("m.tar.gz", chunks=8, every=0.25))
    url = server.url("m.tar.gz")
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "1")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    log = tmp_path / "stderr.log"
    with open(log, "w", encoding="utf-8") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        folder = hub.resolve(url)
    assert os.path.getsize(os.path.join(folder, "saved_model.pb")) == 64 << 10
    lines = _redraws(log.read_text(encoding="utf-8"))
    # ~2 s of download: its first state and its final one, not a redraw every 0.5 s.
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"Downloading {url}: 0.00B"), lines  # No total: no percent.
    assert re.match(rf"Downloading {re.escape(url)}: \d+(\.\d+)?kB \[", lines[1]), lines


_PASSWORD = "pw-p63r-Zq"


class _Ipv6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True


@pytest.fixture
def ipv6_archive_server(tmp_path: Path) -> Iterator[tuple[int, list[tuple[str, dict[str, str]]]]]:
    """A server on [::1] answering /m/1 with a .tar.gz (else 404); yields (port, requests)."""
    if not has_ipv6_loopback():
        pytest.skip("This machine cannot listen on ::1 (no IPv6 loopback).")
    body = open(make_tar_gz(tmp_path / "m.tar.gz"), "rb").read()
    asked: list[tuple[str, dict[str, str]]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            asked.append((self.path, dict(self.headers)))
            found = self.path.startswith("/m/1?")
            self.send_response(200 if found else 404)
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

    server = _Ipv6Server(("::1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1], asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_an_ipv6_handle_with_credentials_query_and_fragment(
    ipv6_archive_server: tuple[int, list[tuple[str, dict[str, str]]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, asked = ipv6_archive_server
    cache = tmp_path / "cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache))
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    handle = f"http://ann:{_PASSWORD}@[::1]:{port}/m/1?v=2#part"
    folder = hub.resolve(handle)
    assert os.path.isfile(os.path.join(folder, "saved_model.pb"))
    # Keyed by the URL without its credentials, as docs/resolving.md says.
    unsigned = f"http://[::1]:{port}/m/1?v=2#part"
    assert os.path.basename(folder) == hashlib.sha1(unsigned.encode()).hexdigest()
    ((path, headers),) = asked
    assert path == "/m/1?v=2&tf-hub-format=compressed"
    assert headers["Host"] == f"[::1]:{port}"
    assert (
        headers["Authorization"]
        == "Basic " + base64.b64encode(f"ann:{_PASSWORD}".encode()).decode()
    )
    with pytest.raises(hub.errors.HTTPStatusError) as info:
        hub.resolve(f"http://ann:{_PASSWORD}@[::1]:{port}/other/1#part")
    assert _PASSWORD not in str(info.value) and "***@[::1]" in str(info.value)
    for root, _, names in os.walk(cache):
        for name in names:
            assert _PASSWORD.encode() not in Path(root, name).read_bytes(), name
