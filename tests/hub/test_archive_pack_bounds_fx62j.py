"""The packs of folder versions a process runs at once are bounded, and a pack whose request
was cancelled does not lose its error (session 62, fx62j).

Since the packs left anyio's worker threads (fx62g: 40 at most) for daemon threads of tfhub's,
nothing bounded them: one client asking 60 folder versions at once started 60 gzip packs
(CPU, disk, file descriptors). Now at most `archives.PACKS_AT_ONCE` run; the others' threads
wait for a slot, their requests still cancellable. And a pack whose requests were all
cancelled had its error caught into its `Call` and dropped: no one logged it. The packs are
real (`packed_archive`); a gate, opened by the test, holds each before it starts.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from tests._helpers.hub_server import write_model_doc, write_model_folder

from tfhub import errors
from tfhub.hub import archives
from tfhub.hub import pack as pack_module
from tfhub.hub.cache_dir import check_cache_dir
from tfhub.hub.catalog_entries import Version
from tfhub.hub.docs_format import parse_doc


class _GatedPacks:
    """A function (`archives.packed_archive`, or `pack.pack`, which packs within a slot), held at
    a gate before each call: counts the calls and how many ran at once."""

    def __init__(self, function: Callable[..., Path | None]) -> None:
        self.gate = threading.Event()
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()
        self._function = function

    def __call__(self, *args: object, **kwargs: object) -> Path | None:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            self.gate.wait(timeout=30)
            return self._function(*args, **kwargs)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture()
def packs(monkeypatch: pytest.MonkeyPatch) -> _GatedPacks:
    gated = _GatedPacks(archives.packed_archive)
    monkeypatch.setattr(archives, "packed_archive", gated)
    return gated


@pytest.fixture()
def packings(monkeypatch: pytest.MonkeyPatch) -> _GatedPacks:
    """The packing itself (`pack.pack`, which `archives._packed` calls holding a slot)."""
    gated = _GatedPacks(pack_module.pack)
    monkeypatch.setattr(pack_module, "pack", gated)
    return gated


def _folder_versions(root: Path, count: int) -> list[Version]:
    versions = []
    for index in range(count):
        doc = write_model_doc(root, f"acme/folder{index}/1", asset="1")
        folder = write_model_folder(doc)
        versions.append(Version(doc=parse_doc(doc), version=1, folder=folder))
    return versions


async def _until(check: object, seconds: float = 30) -> None:
    with anyio.fail_after(seconds):
        while not check():  # type: ignore[operator]
            await anyio.sleep(0.01)


def test_at_most_packs_at_once_run_and_the_waiting_requests_stay_cancellable_fx62j(
    tmp_path: Path, packings: _GatedPacks
) -> None:
    """Failed before: all 4 more packs than the bound ran at once. (The slot is taken for the
    packing itself, not while a pack waits for another's file lock: review rv62e.)"""
    packs = packings
    bound = archives.PACKS_AT_ONCE
    root = tmp_path / "hub"
    versions = _folder_versions(root, bound + 4)
    # A cache folder per version: packs running at once into one folder may remove each
    # other's temporary as a killed pack's (open, then flock: `pack.pack`), not the matter here.
    caches = {
        version.folder: check_cache_dir(str(tmp_path / f"cache{index}"), team=False)
        for index, version in enumerate(versions)
    }
    found: list[Path | None] = []

    async def scenario() -> bool:
        async def request(version: Version) -> None:
            cache = caches[version.folder]
            found.append(await archives.archive_for(version, cache_dir=cache, root=root))

        waiting = anyio.CancelScope()
        waiting_ended = anyio.Event()

        async def waiting_request(version: Version) -> None:
            with waiting:
                await archives.archive_for(version, cache_dir=caches[version.folder], root=root)
            waiting_ended.set()

        async with anyio.create_task_group() as group:
            for version in versions[:-1]:
                group.start_soon(request, version)
            group.start_soon(waiting_request, versions[-1])
            await _until(lambda: packs.running >= bound)
            await anyio.sleep(0.3)  # Time for more packs to start, were they not bounded.
            waiting.cancel()  # Its pack waits for a slot; the request ends now.
            with anyio.fail_after(10):
                await waiting_ended.wait()
            ended_while_held = not packs.gate.is_set()
            packs.gate.set()
        await _until(lambda: not archives._packs)  # The cancelled request's pack too.
        return ended_while_held

    try:
        ended_while_held = anyio.run(scenario)
    finally:
        packs.gate.set()
    assert packs.most_at_once == bound, (packs.most_at_once, bound)
    assert ended_while_held
    assert len(found) == bound + 3 and all(path is not None and path.is_file() for path in found)


def test_the_error_of_a_pack_no_request_awaits_is_logged_fx62j(
    tmp_path: Path, packs: _GatedPacks, caplog: pytest.LogCaptureFixture
) -> None:
    """Failed before: the error (here the cache folder made writable by others meanwhile)
    was dropped, nothing said it."""
    root = tmp_path / "hub"
    (version,) = _folder_versions(root, 1)
    cache = check_cache_dir(str(tmp_path / "cache"), team=False)

    async def scenario() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: archives.archive_for(version, cache_dir=cache, root=root))
            await _until(lambda: packs.running == 1)
            group.cancel_scope.cancel()
        os.chmod(cache, 0o777)
        packs.gate.set()
        await _until(lambda: all(key[1] != version.folder for key in archives._packs))

    caplog.set_level(logging.ERROR, logger=archives.__name__)
    try:
        anyio.run(scenario)
    finally:
        packs.gate.set()
        os.chmod(cache, 0o700)
    records = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(records) == 1, caplog.text
    assert f"The pack of {version.folder}" in records[0].getMessage()
    assert records[0].exc_info is not None
    assert "Refused to use the cache folder" in str(records[0].exc_info[1])


def test_the_error_of_a_pack_a_request_awaits_is_raised_there_not_logged_fx62j(
    tmp_path: Path, packs: _GatedPacks, caplog: pytest.LogCaptureFixture
) -> None:
    """A guard: the request that awaits the pack gets its error; no second report in the log."""
    root = tmp_path / "hub"
    (version,) = _folder_versions(root, 1)
    cache = check_cache_dir(str(tmp_path / "cache"), team=False)
    os.chmod(cache, 0o777)
    packs.gate.set()
    caplog.set_level(logging.ERROR, logger=archives.__name__)
    try:
        with pytest.raises(errors.ServeConfigError, match="Refused to use the cache folder"):
            anyio.run(lambda: archives.archive_for(version, cache_dir=cache, root=root))
    finally:
        os.chmod(cache, 0o700)
    assert not [r for r in caplog.records if r.levelno == logging.ERROR], caplog.text
