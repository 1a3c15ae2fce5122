"""A doc published while `tfhub serve` loads ROOT at start is served at the first rescan.

The watcher took its first stamp of the docs tree when the server had started, after the first
catalog load: a doc written between the start of that load and the stamp was in neither, and
was never served until something else changed (2,000 docs: a doc written 2 s into a 6.7 s
start-up was still not served 10 s after start). The stamp is now taken before the load.
"""

from __future__ import annotations

import asyncio
import time
import types
from pathlib import Path

import requests
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub import refresh
from tfhub.hub.app import HubState
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings


def _hub(root: Path) -> ServeSettings:
    write_publisher(root, "lab", "Lab")
    write_model_doc(root, "lab/early/1")
    return ServeSettings(root=str(root), access_log=False, rescan_seconds=0.05)


def test_a_doc_written_after_the_first_load_and_before_the_server_starts_is_served(tmp_path):
    """`BackgroundServer(...)` loads the catalog; `start()` starts the watcher. A doc written in
    between is what a doc written during a long first load is: not in the catalog. Without the
    early stamp the watcher's first stamp already held it, so no rescan ever came."""
    server = BackgroundServer(_hub(tmp_path))
    write_model_doc(tmp_path, "lab/late/1")
    server.start(timeout=60)
    try:
        assert requests.get(server.url("lab/early/1"), timeout=30).status_code == 200
        deadline = time.monotonic() + 60
        while requests.get(server.url("lab/late/1"), timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "lab/late/1 was never served"
            time.sleep(0.05)
    finally:
        server.stop()


def test_the_watcher_starting_from_a_baseline_sees_a_doc_written_after_it(tmp_path):
    """refresh's own parts: stamp, load, write a doc, then start the watcher from that stamp
    (a watcher stamping the tree itself when it starts would see no change)."""
    settings = _hub(tmp_path)
    baseline = refresh.tree_stamp(settings.root)
    app = types.SimpleNamespace(state=types.SimpleNamespace(hub=HubState.load(settings)))
    first = app.state.hub
    write_model_doc(tmp_path, "lab/late/1")
    assert refresh.tree_stamp(settings.root) != baseline
    assert sorted(first.catalog.models) == ["lab/early"]

    async def run() -> None:
        load = lambda: HubState.load(settings)  # noqa: E731
        async with refresh.lifespan(load, settings.root, 0.05, baseline)(app):
            deadline = time.monotonic() + 60
            while app.state.hub is first:
                assert time.monotonic() < deadline, "the watcher never re-scanned"
                await asyncio.sleep(0.05)

    asyncio.run(run())
    assert sorted(app.state.hub.catalog.models) == ["lab/early", "lab/late"]
