"""Two event loops of one process (a free-threaded server's threads, tfhub.server's thread
mode) asking one folder version: each waits on its own loop (session 62, fx62j).

`archives`' per-folder lock and its packs under way were shared by every loop: a request on
loop B waited on the lock loop A's request held, and A's release woke it from A's thread,
which B's loop did not see (it slept on until something else woke it). Now both are kept per
event loop. The pack is real (`packed_archive`); a gate, opened by the test, holds it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import anyio
import pytest
from tests._helpers.hub_server import write_model_doc, write_model_folder

from tfhub.hub import archives
from tfhub.hub.cache_dir import check_cache_dir
from tfhub.hub.catalog_entries import Version
from tfhub.hub.docs_format import parse_doc


def test_a_request_on_another_event_loop_is_not_left_waiting_fx62j(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: the request on loop B timed out after 5 s (its loop never saw the
    wake-up sent from loop A's thread)."""
    root = tmp_path / "hub"
    doc = write_model_doc(root, "acme/folder/1", asset="1")
    version = Version(doc=parse_doc(doc), version=1, folder=write_model_folder(doc))
    cache = check_cache_dir(str(tmp_path / "cache"), team=False)
    gate, started = threading.Event(), threading.Event()
    packed_archive = archives.packed_archive

    def gated(*args: object, **kwargs: object) -> Path | None:
        started.set()
        gate.wait(timeout=30)
        return packed_archive(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(archives, "packed_archive", gated)
    found: dict[str, object] = {}

    def serve(name: str) -> None:
        async def request() -> Path | None:
            with anyio.fail_after(5):
                return await archives.archive_for(version, cache_dir=cache, root=root)

        try:
            found[name] = anyio.run(request)
        except BaseException as err:  # Reported by the asserts below.
            found[name] = err

    loop_a = threading.Thread(target=serve, args=("a",))
    loop_a.start()
    try:
        assert started.wait(timeout=30)
        loop_b = threading.Thread(target=serve, args=("b",))
        loop_b.start()
        threading.Timer(0.3, gate.set).start()  # Loop B's request is under way meanwhile.
        loop_a.join(timeout=30)
        loop_b.join(timeout=30)
    finally:
        gate.set()
    expected = Path(cache) / f"{archives.fingerprint(version.folder)}.tar.gz"
    assert found == {"a": expected, "b": expected}, found
