"""The pack of a folder version runs in a daemon thread of tfhub's, awaited on the event loop
(session 62, fx62g).

It ran in one of anyio's worker threads: not a daemon (Python waited for it at exit, which a
private `threading` exit hook in `uvicorn_h11` skipped with `os._exit`), and a request
cancelled while it ran (a stop, uvicorn's timeout) ended only once the pack had. Now the
cancelled request ends at once, its pack going on; the next request of the same folder awaits
that pack's end before it packs (never two packs of a folder at once in a process), and the
pack's errors reach every request awaiting it. The pack is real (`packed_archive`); a gate,
opened by the test, holds it before it starts.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import anyio
import pytest
from tests._helpers.hub_server import write_model_doc, write_model_folder

from tfhub import errors
from tfhub.hub import archives
from tfhub.hub.cache_dir import check_cache_dir
from tfhub.hub.catalog_entries import Version
from tfhub.hub.docs_format import parse_doc


class _GatedPacks:
    """`archives.packed_archive`, held at a gate before each call: records the calls, their
    threads, and how many ran at once."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self.daemon: list[bool] = []
        self._lock = threading.Lock()
        self._packed_archive = archives.packed_archive

    def __call__(self, *args: object, **kwargs: object) -> Path | None:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.daemon.append(threading.current_thread().daemon)
        self.started.set()
        try:
            self.gate.wait(timeout=30)
            return self._packed_archive(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture()
def packs(monkeypatch: pytest.MonkeyPatch) -> _GatedPacks:
    gated = _GatedPacks()
    monkeypatch.setattr(archives, "packed_archive", gated)
    return gated


def _folder_version(tmp_path: Path) -> tuple[Version, Path]:
    """A folder version of a hub in `tmp_path`, and the hub's root."""
    root = tmp_path / "hub"
    doc = write_model_doc(root, "acme/folder/1", asset="1")
    folder = write_model_folder(doc)
    return Version(doc=parse_doc(doc), version=1, folder=folder), root


async def _until(event: threading.Event) -> None:
    with anyio.fail_after(30):
        while not event.is_set():
            await anyio.sleep(0.01)


def test_a_cancelled_request_ends_while_its_pack_goes_on_in_a_daemon_thread_fx62g(
    tmp_path: Path, packs: _GatedPacks, caplog: pytest.LogCaptureFixture
) -> None:
    """Failed before: the pack's thread was anyio's (no daemon), and the cancelled request
    ended only once the pack had (here: once the gate opened, 3 s later)."""
    version, root = _folder_version(tmp_path)
    cache = check_cache_dir(str(tmp_path / "cache"), team=False)
    opened_late = threading.Timer(3.0, packs.gate.set)  # Lets the old code's request end.
    found: list[Path | None] = []

    async def scenario() -> bool:
        first_ended = anyio.Event()

        async def first_request(scope: anyio.CancelScope) -> None:
            try:
                with scope:
                    await archives.archive_for(version, cache_dir=cache, root=root)
            finally:
                first_ended.set()

        async def second_request() -> None:
            found.append(await archives.archive_for(version, cache_dir=cache, root=root))

        async with anyio.create_task_group() as group:
            first = anyio.CancelScope()
            group.start_soon(first_request, first)
            await _until(packs.started)
            opened_late.start()
            first.cancel()
            with anyio.fail_after(30):
                await first_ended.wait()
            ended_before_the_pack = not packs.gate.is_set()
            group.start_soon(second_request)
            await anyio.sleep(0.2)  # The second request awaits the first pack's end.
            packs.gate.set()
        return ended_before_the_pack

    try:
        ended_before_the_pack = anyio.run(scenario)
    finally:
        opened_late.cancel()
        packs.gate.set()
    assert packs.daemon[0] is True  # Python does not wait for it at exit.
    assert ended_before_the_pack
    assert packs.calls == 2 and packs.most_at_once == 1  # One pack of the folder at a time.
    assert found == [Path(cache) / f"{archives.fingerprint(version.folder)}.tar.gz"]
    assert found[0] is not None and found[0].is_file()
    assert f"cancelled (a stop, or the server's timeout) while {version.folder} was packed" in (
        caplog.text
    )


def test_the_packs_error_reaches_each_awaiting_request_fx62g(
    tmp_path: Path, packs: _GatedPacks
) -> None:
    """A guard: the error `packed_archive` raises in its thread (here the cache folder made
    writable by others meanwhile) is raised again in each request, the one awaiting its turn
    too."""
    version, root = _folder_version(tmp_path)
    cache = check_cache_dir(str(tmp_path / "cache"), team=False)
    raised: list[BaseException] = []

    async def scenario() -> None:
        async def request() -> None:
            try:
                await archives.archive_for(version, cache_dir=cache, root=root)
            except errors.ServeConfigError as err:
                raised.append(err)

        async with anyio.create_task_group() as group:
            group.start_soon(request)
            group.start_soon(request)
            await _until(packs.started)
            os.chmod(cache, 0o777)
            packs.gate.set()

    try:
        anyio.run(scenario)
    finally:
        packs.gate.set()
        os.chmod(cache, 0o700)
    assert len(raised) == 2 and packs.calls == 2 and packs.most_at_once == 1, raised
    assert all("Refused to use the cache folder" in str(err) for err in raised)
    assert archives._packs == {}  # Each pack left the packs under way once it ended.


def test_a_pack_left_by_an_event_loop_now_closed_does_not_hold_the_next_loops_fx62g(
    tmp_path: Path, packs: _GatedPacks
) -> None:
    """An in-process server stopped during a pack, then started again (a new event loop): the
    pack left running could never tell the new loop its end, and the next request of the
    folder awaited it for ever (failed on the first version of the fx62g change)."""
    version, root = _folder_version(tmp_path)
    cache = check_cache_dir(str(tmp_path / "cache"), team=False)

    async def cancelled_request() -> None:
        async def pack() -> None:
            await archives.archive_for(version, cache_dir=cache, root=root)

        async with anyio.create_task_group() as group:
            group.start_soon(pack)
            await _until(packs.started)
            group.cancel_scope.cancel()

    async def request() -> Path | None:
        packs.gate.set()
        with anyio.fail_after(20):
            return await archives.archive_for(version, cache_dir=cache, root=root)

    try:
        anyio.run(cancelled_request)  # Its loop closes while the pack waits at the gate.
        archive = anyio.run(request)
    finally:
        packs.gate.set()
    assert archive is not None and archive.is_file()
