"""`tfhub serve` (granian and uvicorn, real processes on 127.0.0.1) and the HTTP edge cases
clients and attackers send: encoded separators in paths, repeated header fields."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import (
    HubProcess,
    raw_request,
    serve_hub,
    write_model_doc,
    write_publisher,
)

BIG = 48 << 20  # Larger than what the server and the kernels buffer for a client.


@pytest.fixture(scope="module", params=["granian", "uvicorn"])
def running(request, tmp_path_factory) -> Iterator[HubProcess]:
    root = tmp_path_factory.mktemp("hub")
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"))
    big = write_model_doc(root, "acme/big/1", asset="1.tar.gz")
    make_tar_gz(big.with_name("1.tar.gz"), {"saved_model.pb": os.urandom(BIG)}, compression="")
    log = tmp_path_factory.mktemp("log") / "serve.log"
    with serve_hub(Path(root), log, "--server", request.param, "--rescan", "0") as server:
        yield server


@pytest.mark.parametrize(
    "path",
    [
        "/acme%2femb%2f1?tf-hub-format=compressed",
        "/acme%2Femb/1?tf-hub-format=compressed",
        "/acme/emb%2F1",
        "/acme%5cemb/1?tf-hub-format=compressed",
    ],
)
def test_an_encoded_slash_is_refused_not_an_alias(running, path):
    """The server decoded `%2F` before the path was checked: `/acme%2femb%2f1` was the
    archive of acme/emb/1 (docs/hub.md says encoded slashes are refused)."""
    status, _, body = raw_request(running.port, path)
    assert status == 400, (path, status, body[:80])


def test_encoded_letters_and_the_api_with_an_encoded_slash(running):
    archive = (running.root / "assets/docs/acme/models/emb/1.tar.gz").read_bytes()
    status, _, body = raw_request(running.port, "/acme/%65mb/1?tf-hub-format=compressed")  # %65: e.
    assert (status, body) == (200, archive)
    assert raw_request(running.port, "/api/models/acme/emb")[0] == 200
    assert raw_request(running.port, "/api/models/acme%2Femb")[0] == 404


def test_a_client_gone_mid_archive_stops_the_sending(running):
    """A client that closed its connection after the first bytes: the servers take further
    body messages silently (uvicorn's ASGI 2.3 send, granian), so the whole archive was read
    from disk after it left, and the access log said it was all sent."""
    with socket.socket() as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(("127.0.0.1", running.port))
        client.sendall(b"GET /acme/big/1?tf-hub-format=compressed HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(4096).startswith(b"HTTP/1.1 200")
    line = re.compile(r'"GET /acme/big/1\?tf-hub-format=compressed" 200 (\d+) ')
    deadline = time.monotonic() + 20
    while not (found := line.search(running.access_log())) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert found, running.access_log()[-2000:]
    assert int(found[1]) < BIG // 2  # What was handed to the server before it noticed.


def test_a_repeated_header_field_is_one_list(running):
    """Only the last line of a repeated field was read: an ETag in the first of two
    If-None-Match lines answered 200, not 304, and two Range lines the last range (206)."""
    url = "/acme/emb/1?tf-hub-format=compressed"
    etag = raw_request(running.port, url)[1]["ETag"]
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
    for lines, expected in (
        ([("If-None-Match", etag), ("If-None-Match", '"other"')], 304),
        ([("Range", "bytes=0-1"), ("Range", "bytes=5-9")], 200),
    ):
        connection.putrequest("GET", url)
        for name, value in lines:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        assert response.status == expected, lines
    connection.close()


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def test_no_cleartext_http2_that_escapes_the_header_deadline(running):
    """granian also spoke HTTP/2 without TLS (prior knowledge), where its 30 s deadline for
    request headers does not apply: a connection sending the preface and then nothing (or half
    a HEADERS frame) was still open after 70 s. No client of a hub speaks it (browsers use
    HTTP/2 over TLS only; tensorflow_hub, requests and nginx's proxy_pass speak HTTP/1.1)."""
    with socket.create_connection(("127.0.0.1", running.port), timeout=5) as connection:
        connection.sendall(H2_PREFACE)
        answer = b""
        while data := connection.recv(65536):  # Until the server closes (else: timeout).
            answer += data
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer[:100]


def test_favicon_ico_is_the_hubs_icon(running):
    """Browsers ask /favicon.ico for every answer that names no icon (the API's JSON, plain-text
    errors, archives): it was the hub's 404 page, a 404 in the console and the access log on
    each visit. It is now the icon the pages name (/static/favicon.svg)."""
    status, headers, body = raw_request(running.port, "/favicon.ico")
    svg_status, _, svg = raw_request(running.port, "/static/favicon.svg")
    assert (status, svg_status) == (200, 200)
    assert body == svg and headers["Content-Type"] == "image/svg+xml"
    assert headers["Cache-Control"] == "public, no-cache"  # As /static/*: a new icon at once.
    assert headers["X-Content-Type-Options"] == "nosniff"  # The hub's security headers too.
    assert raw_request(running.port, "/favicon.ico?tf-hub-format=compressed")[0] == 200


@pytest.mark.parametrize("length", [9_000, 40_000])
def test_a_url_too_long_is_the_hubs_414_with_its_headers(running, length):
    """A 20 KB path was answered a 40 KB 404 page (the path shown twice), and granian's own
    414 (past ~64 KB) has none of the hub's security headers: the hub answers 414 itself from
    8 KB on."""
    status, headers, body = raw_request(running.port, "/" + "a" * length)
    assert status == 414, (status, body[:100])
    assert body.startswith(b"414 URI Too Long: this hub answers URLs of at most 8,192 bytes")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    query = raw_request(running.port, "/?q=" + "x" * length)
    assert query[0] == 414
    assert raw_request(running.port, "/?q=" + "x" * 8000)[0] == 200  # Below the bound: answered.


def test_granian_drops_a_client_that_stops_reading(tmp_path):
    """granian waits for a client that stops reading an archive with no deadline (still
    holding the connection, its buffers and the file after 150 s); uvicorn_h11 drops such a
    client after WRITE_STALL_SECONDS, and the app now does so under granian. The deadline is
    1 s here (60 s when serving)."""
    doc = write_model_doc(tmp_path, "acme/big/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"), {"saved_model.pb": os.urandom(BIG)}, compression="")
    prelude = "import tfhub.hub.files as files; files.WRITE_STALL_SECONDS = 1.0"
    with serve_hub(tmp_path, tmp_path / "serve.log", prelude=prelude) as server:
        with socket.socket() as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.connect(("127.0.0.1", server.port))
            client.sendall(b"GET /acme/big/1?tf-hub-format=compressed HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
            time.sleep(4)  # Not reading: the server's sending stalls, then its deadline passes.
            client.settimeout(20)
            received, started = 0, time.monotonic()
            with contextlib.suppress(ConnectionResetError):
                while data := client.recv(1 << 20):  # What was buffered, then the close.
                    received += len(data)
            assert time.monotonic() - started < 15
        assert received < BIG // 2, received


def _status_of_a_request_sent_in_pieces(port: int, head: bytes, piece: int) -> bytes:
    """The status line of the answer to `head`, sent `piece` bytes at a time with a pause
    between pieces, so the server reads it in several reads."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for start in range(0, len(head), piece):
            sock.sendall(head[start : start + piece])
            time.sleep(0.05)
        with sock.makefile("rb") as answer:
            return answer.readline().rstrip(b"\r\n")


@pytest.mark.parametrize("length", [20_000, 40_000, 60_000])
def test_a_long_url_sent_in_pieces_is_the_hubs_414(running, length):
    """h11, under uvicorn, refused a request head of more than 16 KB that had not all arrived
    with its own 400 "Invalid HTTP request received." (no security headers): a 40 KB URL got
    the hub's 414 only when its head came in one read (session 53); up to 64 KB now reaches
    the hub, as under granian."""
    head = b"GET /" + b"a" * length + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    status = _status_of_a_request_sent_in_pieces(running.port, head, 8192)
    assert status.startswith(b"HTTP/1.1 414"), status
