"""A long URL whose request arrives in pieces gets the hub's 414 from uvicorn too (session 53).

h11, under uvicorn, refused a request head of more than 16 KB that had not all arrived yet with
its own 400 "Invalid HTTP request received." (no security headers), so a 40 KB URL got the hub's
414 only when the kernel handed its head over in one read: the fresh clone's run saw the 400
once. The head of up to 64 KB (granian's own limit) now reaches the hub, however it arrives.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import HubProcess, serve_hub, write_model_doc, write_publisher


@pytest.fixture(scope="module", params=["granian", "uvicorn"])
def running(request, tmp_path_factory) -> Iterator[HubProcess]:
    root = tmp_path_factory.mktemp("hub")
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"))
    log = tmp_path_factory.mktemp("log") / "serve.log"
    with serve_hub(Path(root), log, "--server", request.param, "--rescan", "0") as server:
        yield server


def _status_of_a_request_sent_in_pieces(port: int, head: bytes, piece: int) -> bytes:
    """The status line of the answer to `head`, sent `piece` bytes at a time with a pause
    between pieces, so the server reads it in several reads."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for start in range(0, len(head), piece):
            sock.sendall(head[start : start + piece])
            time.sleep(0.05)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


@pytest.mark.parametrize("length", [20_000, 40_000, 60_000])
def test_a_long_url_sent_in_pieces_is_the_hubs_414(running, length):
    head = b"GET /" + b"a" * length + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    status = _status_of_a_request_sent_in_pieces(running.port, head, 8192)
    assert status.startswith(b"HTTP/1.1 414"), status
