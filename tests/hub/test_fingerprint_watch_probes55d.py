"""Defect 1 of session 55: each download of a folder version took the folder's fingerprint
again, an lstat of every file (1.1-1.4 CPU-s per request for 60,000 files), even with its
archive packed already. The fingerprint is now reused while inotify saw no change of the folder
(`hub.folder_watch`): a download of an unchanged folder reads no file's attributes, and every
change `fingerprint` protects against still gets a new archive at once."""

from __future__ import annotations

import os
import sys
import tarfile
from pathlib import Path

import pytest
from tests._helpers.hub_server import write_model_doc, write_model_folder, write_publisher

from tfhub.hub import archives, folder_watch

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="inotify (the watch) is Linux's"
)
FILES = {f"assets/part{i // 100}/f{i}.txt": b"x" for i in range(500)}
BASE = {"saved_model.pb": b"\x12\x00", "variables/variables.data-00000-of-00001": b"old"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_publisher(tmp_path / "hub", "acme", "Acme")
    return write_model_folder(write_model_doc(tmp_path / "hub", "acme/big/1"), BASE | FILES)


def _stats_inside(folder: Path, monkeypatch: pytest.MonkeyPatch, call) -> int:
    """How many lstat/stat calls `call()` makes of the files below `folder` (counted, then
    made; read as `folder` or through /proc/self/fd/N)."""
    count = 0
    for name in ("lstat", "stat"):
        real = getattr(os, name)

        def counting(path, *args, _real=real, **kwargs):
            nonlocal count
            if any(part in os.fspath(path) for part in ("/part", "/saved_model.pb", "/variables/")):
                count += 1
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, counting)
    call()
    monkeypatch.undo()
    return count


def _packed(folder: Path, cache: Path) -> Path:
    packed = archives.packed_archive(folder, cache_dir=str(cache), root=folder.parents[5])
    assert packed is not None
    return packed


def _member(archive: Path, name: str) -> bytes | None:
    with tarfile.open(archive) as tar:
        try:
            member = tar.extractfile(name)
        except KeyError:
            return None
        return member.read() if member is not None else None


def test_a_download_of_an_unchanged_folder_reads_no_files_attributes(folder, tmp_path, monkeypatch):
    first = _packed(folder, tmp_path / "cache")
    stats = _stats_inside(folder, monkeypatch, lambda: _packed(folder, tmp_path / "cache"))
    assert stats == 0, f"{stats} stat calls for {len(FILES) + 2} files"
    assert _packed(folder, tmp_path / "cache") == first


@pytest.mark.parametrize(
    "change",
    [
        "rewrite deep file",  # In place: same inode, the folder's mtime unchanged.
        "new file in new folder",
        "remove a folder",
        "rename a file",
    ],
)
def test_every_change_after_a_reused_fingerprint_gets_a_new_archive(folder, tmp_path, change):
    cache = tmp_path / "cache"
    _packed(folder, cache)
    old = _packed(folder, cache)  # Its fingerprint reused: the watch is in place.
    if change == "rewrite deep file":
        path = folder / "assets/part3/f300.txt"
        path.write_bytes(b"y")
        os.utime(path, ns=(0, 0))
        expected = ("assets/part3/f300.txt", b"y")
    elif change == "new file in new folder":
        (folder / "assets/part9/deeper").mkdir(parents=True)
        (folder / "assets/part9/deeper/new.txt").write_bytes(b"new")
        expected = ("assets/part9/deeper/new.txt", b"new")
    elif change == "remove a folder":
        for name in os.listdir(folder / "assets/part4"):
            (folder / "assets/part4" / name).unlink()
        (folder / "assets/part4").rmdir()
        expected = ("assets/part4/f400.txt", None)
    else:
        (folder / "assets/part0/f0.txt").rename(folder / "assets/part0/g0.txt")
        expected = ("assets/part0/g0.txt", b"x")
    new = _packed(folder, cache)
    assert new != old and _member(new, expected[0]) == expected[1]
    # And a change inside a folder made after the watch began is seen too.
    if change == "new file in new folder":
        _packed(folder, cache)
        (folder / "assets/part9/deeper/new.txt").write_bytes(b"NEW")
        assert _member(_packed(folder, cache), "assets/part9/deeper/new.txt") == b"NEW"


def test_a_fingerprint_older_than_the_max_age_is_taken_again(folder, tmp_path, monkeypatch):
    """Another machine writing into a network filesystem makes no event here."""
    _packed(folder, tmp_path / "cache")
    monkeypatch.setattr(folder_watch, "MAX_AGE_SECONDS", 0.0)
    stats = _stats_inside(folder, monkeypatch, lambda: _packed(folder, tmp_path / "cache"))
    assert stats >= len(FILES)


def test_a_version_size_of_an_unchanged_folder_reads_no_files_attributes(folder, monkeypatch):
    """rf55d-F4: each model page and API answer measured a folder version by reading every
    file's attributes (230-330 ms CPU per request for 60,000 files)."""
    from tfhub.hub.api import version_size
    from tfhub.hub.catalog import Catalog

    root = folder.parents[5]
    version = Catalog.scan(root).models["acme/big"].versions[1]
    size = version_size(version)
    assert size == sum(len(data) for data in (BASE | FILES).values())
    stats = _stats_inside(folder, monkeypatch, lambda: version_size(version))
    assert stats == 0, f"{stats} stat calls for {len(FILES) + 2} files"
    (folder / "assets/part2/f200.txt").write_bytes(b"longer")
    assert version_size(version) == size + 5


def test_a_forked_worker_watches_for_itself(folder, tmp_path):
    """A worker forked after its parent watched the folder shared the parent's inotify
    descriptor: the events one read were lost to the other, which kept a stale fingerprint."""
    from tests._helpers.cache_users import run_as_user

    cache = tmp_path / "cache"
    _packed(folder, cache)
    _packed(folder, cache)
    (folder / "variables/variables.data-00000-of-00001").write_bytes(b"new")

    other = write_model_folder(write_model_doc(folder.parents[5], "acme/big/2"), BASE)

    def in_child() -> None:  # Reads the events queued for the parent's watch, if shared.
        archives.packed_archive(other, cache_dir=str(cache), root=folder.parents[5])

    run_as_user(in_child, uid=os.getuid(), gid=os.getgid()).result()
    assert _member(_packed(folder, cache), "variables/variables.data-00000-of-00001") == b"new"
