"""`tfhub serve` stops within `--stop-timeout` seconds of SIGTERM or Ctrl-C, even while a
client downloads (session 62).

Both servers waited for every download in flight before they stopped: a `kill PID` or a Ctrl-C
of a hub serving a large model to a slow client (measured: 60 MB at 300 KB/s) left the server
running until that download ended (88 s with uvicorn; granian ignored a second SIGTERM and a
Ctrl-C too), and a client that read nothing held it for the 60 s of the hub's write deadline.
A stop now lets the downloads in flight go on for at most `--stop-timeout` seconds (default
20), then cuts them (a tfhub client resumes the download from another replica, or reports
the cut) and the server exits 0. Each case starts one server and lets a client that reads
nothing hold a download while SIGTERM reaches the server's process group (a Ctrl-C, systemd).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import (
    serve_hub,
    write_model_doc,
    write_model_folder,
    write_publisher,
)

pytest.importorskip("granian")
pytest.importorskip("uvicorn")

ARCHIVE_BYTES = 256 * 2**20  # Far more than the socket buffers hold: the send stays in flight.


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hub whose acme/big/1 is a 256 MiB archive (a sparse file: no disk, no write cost)."""
    root = tmp_path_factory.mktemp("hub")
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/big/1", asset="1.tar.gz")
    with open(doc.with_name("1.tar.gz"), "wb") as archive:
        archive.truncate(ARCHIVE_BYTES)
    return root


def _start_download(port: int) -> socket.socket:
    """A client that asks for the archive, reads its status line and then reads nothing."""
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    client.sendall(b"GET /acme/big/1?tf-hub-format=compressed HTTP/1.1\r\nHost: hub.test\r\n\r\n")
    assert client.recv(4096).startswith(b"HTTP/1.1 200"), "the download did not start"
    return client


def _bytes_until_closed(client: socket.socket) -> int:
    """Reads what the server still sends, until it closes the connection (or cuts it)."""
    received = 0
    try:
        while chunk := client.recv(4 * 2**20):
            received += len(chunk)
    except ConnectionResetError:
        pass
    return received


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_sigterm_stops_the_server_within_the_stop_timeout_while_a_client_downloads(
    hub_root: Path, tmp_path: Path, server: str
) -> None:
    log = tmp_path / "serve.log"
    with serve_hub(
        hub_root, log, "--server", server, "--rescan", "0", "--stop-timeout", "1"
    ) as hub:
        client = _start_download(hub.port)
        with client:
            time.sleep(0.3)  # The server is now blocked on the client's full buffers.
            status, waited = hub.stop_with_sigterm(timeout=20)
            assert _bytes_until_closed(client) < ARCHIVE_BYTES  # Cut, not sent whole.
    assert status == 0, hub.access_log()
    assert waited < 15, (waited, hub.access_log())
    assert "Traceback" not in hub.access_log()


def test_a_negative_stop_timeout_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Refused before a server starts (exit 2, as `--rescan -1`); `--port 0` would stop it
    later if it were taken."""
    code, out, err = run_tfhub(
        capsys, "serve", str(tmp_path), "--port", "0", "--stop-timeout", "-1"
    )
    assert (code, out) == (2, ""), err
    assert err == (
        "tfhub: invalid value: --stop-timeout must be a number of seconds from 0 to 86400 (a "
        "day; 0: a stop cuts the downloads in flight at once). Received: -1\n"
    )


# The pack of a folder version runs in a thread that a stop cannot interrupt: made slow here so
# that the stop comes while it runs (a real one of a large folder takes seconds of CPU).
SLOW_PACK = (
    "import time\n"
    "from tfhub.hub import archives\n"
    "_pack = archives.packed_archive\n"
    "def _slow(*args, **kwargs):\n"
    "    time.sleep(3)\n"
    "    return _pack(*args, **kwargs)\n"
    "archives.packed_archive = _slow\n"
)


def test_a_stop_while_a_folder_version_is_packed_ends_quietly_with_uvicorn(
    hub_root: Path, tmp_path: Path
) -> None:
    """uvicorn cancelled the request still waiting for the pack at its timeout and logged an
    "Exception in ASGI application" traceback; the request, its client cut, now ends quietly,
    and the process exits without waiting for the pack's thread (session 62, fx62e: see
    tests/hub/test_serve_stop_fx62e.py)."""
    doc = write_model_doc(hub_root, "acme/folder/1", asset="1")
    write_model_folder(doc)
    log = tmp_path / "serve.log"
    options = ("--server", "uvicorn", "--rescan", "0", "--stop-timeout", "0")
    with serve_hub(hub_root, log, *options, prelude=SLOW_PACK) as hub:
        with socket.create_connection(("127.0.0.1", hub.port), timeout=30) as client:
            client.sendall(
                b"GET /acme/folder/1?tf-hub-format=compressed HTTP/1.1\r\nHost: hub.test\r\n\r\n"
            )
            time.sleep(0.5)  # The pack is running.
            status, _ = hub.stop_with_sigterm(timeout=20)
            assert _bytes_until_closed(client) == 0  # Cut before any answer.
    assert status == 0, hub.access_log()
    assert "Traceback" not in hub.access_log()
