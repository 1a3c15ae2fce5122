"""`tfhub mirror` of a hub URL with TFHUB_OFFLINE=1 asks no hub (hub59).

An air-gapped team mirrors what its tensorflow_hub cache holds
(`TFHUB_OFFLINE=1 tfhub mirror https://hub/acme/emb/1 ROOT`): the model is in the cache, yet
the mirror asked the source hub's JSON API first (for the version's handle and doc) and, with
no network, stopped with "download failed ... its hub's JSON API ... did not answer" (exit 4),
even with `--as`. TFHUB_OFFLINE says "use the cache only": no request is made now; with `--as`
the version is mirrored from the cache with a starter doc (a warning says the source's doc was
not asked for), and without it the refusal says to pass `--as`, naming the handle the URL's
path gives (the API, which names the handle of a hub served below a path, was not asked).
"""

from __future__ import annotations

import hashlib
import http.server
import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub.mirror import mirror
from tfhub.hub.starter import StarterInfo

UPSTREAM_TF2 = Path(__file__).parents[1] / "data" / "upstream" / "tf2_saved_model"


class _RecordingHub(http.server.BaseHTTPRequestHandler):
    """Answers every request 503 and records its path: any request is a failure here."""

    def do_GET(self) -> None:
        self.server.asked.append(self.path)  # type: ignore[attr-defined]
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def hub() -> Iterator[tuple[str, list[str]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHub)
    server.asked = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.asked  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def offline_cache(hub, tmp_path: Path, monkeypatch) -> str:
    """A cache as tensorflow_hub leaves it holding `<hub>/acme/emb/1` (the upstream TF2 model,
    a descriptor, no manifest); TFHUB_OFFLINE=1. Returns the handle."""
    base, asked = hub
    handle = f"{base}/acme/emb/1"
    cache = tmp_path / "cache"
    entry = cache / hashlib.sha1(handle.encode()).hexdigest()
    shutil.copytree(UPSTREAM_TF2, entry)
    entry.with_name(entry.name + ".descriptor.txt").write_text(f"Module: {handle}\n")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache))
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    asked.clear()
    return handle


def test_offline_with_as_mirrors_the_cached_version_asking_no_hub(
    offline_cache, hub, tmp_path: Path, caplog
) -> None:
    root = tmp_path / "edge"
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        info = StarterInfo(task="text-embedding")
        published = mirror(offline_cache, root, as_handle="lab/emb/1", info=info)
    assert hub[1] == []  # No request: not the API, not the model.
    assert published.archive == root / "assets/docs/lab/models/emb/1.tar.gz"
    doc = (root / "assets/docs/lab/models/emb/1.md").read_text()
    assert doc.startswith("# Module lab/emb/1\n")
    assert f"Mirrored from `{offline_cache}`." in doc  # A starter doc.
    warned = [r.getMessage() for r in caplog.records if "TFHUB_OFFLINE" in r.getMessage()]
    assert len(warned) == 1 and "starter doc" in warned[0], caplog.text


def test_offline_without_as_says_to_pass_it_and_asks_no_hub(
    offline_cache, hub, tmp_path: Path, capsys
) -> None:
    root = tmp_path / "edge"
    with pytest.raises(errors.InvalidHandleError) as caught:
        mirror(offline_cache, root)
    message = str(caught.value)
    assert "TFHUB_OFFLINE" in message and "--as acme/emb/1" in message, message
    assert main(["mirror", offline_cache, str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tfhub: invalid handle: ") and len(err.splitlines()) == 1, err
    assert hub[1] == []
    assert not root.exists() or not any(root.rglob("*.md"))
