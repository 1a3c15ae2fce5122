"""`tfhub mirror` of a hub whose JSON API fails stops, naming the API (rf56e-F1).

The source hub's API gives the version's doc and its handle there (`acme/emb/1` for
`https://host/hub/acme/emb/1`). An API that did not answer (no answer in time, a connection cut,
a 5xx, 429 or 408 after the retries) was taken for "no hub here": the mirror wrote the version
under the URL's path, `hub/acme/emb/1` (a publisher `hub` made), with a starter doc in place of the
source's, and exited 0; a later `mirror --force` kept that starter doc.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub.mirror import mirror


class _FailingApiHub(http.server.BaseHTTPRequestHandler):
    """A hub below /hub whose API fails as `self.server.mode` says; any other path, 404."""

    def do_GET(self) -> None:
        self.server.asked.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/hub/api/"):
            if self.server.mode == "reset":  # type: ignore[attr-defined]
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(int(self.server.mode))  # type: ignore[attr-defined]
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _source_hub(mode: str) -> Iterator[tuple[str, list[str]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FailingApiHub)
    server.mode = mode  # type: ignore[attr-defined]
    server.asked = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.asked  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def _no_long_retries(monkeypatch):
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "1")
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "5")


@pytest.mark.parametrize("mode", ["503", "429", "408", "reset"])
def test_a_failing_api_stops_the_mirror_naming_it(tmp_path: Path, mode: str) -> None:
    root = tmp_path / "edge"
    with _source_hub(mode) as (base, asked):
        with pytest.raises(errors.MirrorSourceError) as caught:
            mirror(f"{base}/hub/acme/emb/1", root)
    api = f"{base}/hub/api/models/acme/emb"
    assert caught.value.url == api
    message = str(caught.value)
    assert f"its hub's JSON API {api} did not answer" in message
    assert "nothing was written" in message
    assert "mirror again" in message
    assert isinstance(caught.value, errors.DownloadError)  # An OSError, as urlopen's were.
    assert not any("tf-hub-format" in path for path in asked)  # Nothing downloaded,
    assert not root.exists() or not any(root.rglob("*.md"))  # nor written.


def test_the_command_says_so_and_exits_4(tmp_path: Path, capsys) -> None:
    with _source_hub("503") as (base, _asked):
        assert main(["mirror", f"{base}/hub/acme/emb/1", str(tmp_path / "edge")]) == 4
    err = capsys.readouterr().err
    assert err.startswith("tfhub: download failed: Cannot mirror ")
    assert "answered 503" in err
    assert "hub/acme/emb/1" not in err.replace(f"{base}/hub/acme/emb/1", "")
