"""`tfhub.hub.archives`: a folder version packed on its first downloads, while the in-process
server (uvicorn, as `tfhub serve --server uvicorn`) answers other requests."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import write_model_doc, write_model_folder

from tfhub.hub import pack
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings

PACK_SECONDS = 3.0
WAITERS = 60  # More than anyio's worker threads (40).


def test_many_first_downloads_of_a_folder_leave_other_downloads_alone(tmp_path, monkeypatch):
    """Each request for a folder being packed waited for the pack's file lock in a worker
    thread: 40 of them took every thread anyio lends, and every other download (whose reads
    need one) waited for the pack to end: minutes for a big model."""
    real_pack = pack.pack

    def slow_pack(*args, **kwargs):
        time.sleep(PACK_SECONDS)
        return real_pack(*args, **kwargs)

    monkeypatch.setattr(pack, "pack", slow_pack)
    root = tmp_path / "hub"
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"))
    write_model_folder(write_model_doc(root, "acme/folder/1"))
    settings = ServeSettings(
        root=str(root), cache_dir=str(tmp_path / "cache"), access_log=False, rescan_seconds=0
    )
    with BackgroundServer(settings) as server, ThreadPoolExecutor(WAITERS) as pool:
        url = server.url("acme/folder/1?tf-hub-format=compressed")
        packed = [pool.submit(requests.get, url, timeout=60) for _ in range(WAITERS)]
        time.sleep(1)  # All waiting for the pack.
        started = time.monotonic()
        other = requests.get(server.url("acme/emb/1?tf-hub-format=compressed"), timeout=60)
        waited = time.monotonic() - started
        answers = [future.result() for future in packed]
    assert other.status_code == 200 and waited < PACK_SECONDS / 2, waited
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
