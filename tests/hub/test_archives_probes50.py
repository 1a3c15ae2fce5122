"""review50b-F6: a folder version's packed archive holds that folder as it is now.

Folders unpacked from `tfhub pack` archives have every mtime 0, and a retrained model of one
architecture has the same file sizes: a cache keyed by (path, size, mtime) alone served one
version's archive for another, and the old model after the folder was replaced."""

from __future__ import annotations

import os
import shutil
import tarfile
import time
from pathlib import Path

from tests._helpers.hub_server import write_model_doc, write_model_folder

from tfhub.hub import archives

OLD = {"saved_model.pb": b"\x12\x00", "variables/variables.data-00000-of-00001": b"old weights"}
NEW = {"saved_model.pb": b"\x12\x00", "variables/variables.data-00000-of-00001": b"new weights"}


def _unpacked(doc: Path, files: dict[str, bytes]) -> Path:
    """The model folder beside `doc` with `files`, every mtime 0 (as `tar x` of a pack)."""
    folder = write_model_folder(doc, files)
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, ns=(0, 0))
    return folder


def _weights(archive: Path) -> bytes:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("variables/variables.data-00000-of-00001")
        assert member is not None
        return member.read()


def _etag(archive: Path) -> tuple[int, int]:
    stat = archive.stat()
    return stat.st_size, stat.st_mtime_ns


def test_two_versions_with_equal_listings_get_their_own_archives(tmp_path):
    root, cache = tmp_path / "hub", str(tmp_path / "cache")
    one = _unpacked(write_model_doc(root, "acme/m/1"), OLD)
    two = _unpacked(write_model_doc(root, "acme/m/2"), NEW)
    second = archives.packed_archive(two, cache_dir=cache, root=root)
    first = archives.packed_archive(one, cache_dir=cache, root=root)
    assert first is not None and second is not None
    assert (_weights(first), _weights(second)) == (b"old weights", b"new weights")
    assert _etag(first) != _etag(second)


def test_a_folder_replaced_by_an_equal_listing_is_packed_again(tmp_path):
    root, cache = tmp_path / "hub", str(tmp_path / "cache")
    doc = write_model_doc(root, "acme/m/1")
    old = archives.packed_archive(_unpacked(doc, OLD), cache_dir=cache, root=root)
    assert old is not None
    old_etag = _etag(old)
    shutil.rmtree(doc.with_suffix(""))
    new = archives.packed_archive(_unpacked(doc, NEW), cache_dir=cache, root=root)
    assert new is not None and _weights(new) == b"new weights"
    assert _etag(new) != old_etag


def test_a_file_rewritten_in_place_with_its_size_and_mtime_is_packed_again(tmp_path):
    root, cache = tmp_path / "hub", str(tmp_path / "cache")
    folder = _unpacked(write_model_doc(root, "acme/m/1"), OLD)
    assert archives.packed_archive(folder, cache_dir=cache, root=root) is not None
    time.sleep(0.05)  # Past the kernel's timestamp granularity: the rewrite gets a new ctime.
    data = folder / "variables" / "variables.data-00000-of-00001"
    data.write_bytes(b"new weights")
    os.utime(data, ns=(0, 0))
    new = archives.packed_archive(folder, cache_dir=cache, root=root)
    assert new is not None and _weights(new) == b"new weights"


def test_copies_of_one_folder_packed_by_two_replicas_send_one_etag(tmp_path):
    """Replicas each holding a copy (other inodes, other ctimes) pack the same bytes and give
    them the same mtime, so a download resumed on another replica goes on (docs/hub.md)."""
    one = _unpacked(write_model_doc(tmp_path / "a", "acme/m/1"), OLD)
    two = _unpacked(write_model_doc(tmp_path / "b", "acme/m/1"), OLD)
    first = archives.packed_archive(one, cache_dir=str(tmp_path / "one"))
    second = archives.packed_archive(two, cache_dir=str(tmp_path / "two"))
    assert first is not None and second is not None
    assert first.read_bytes() == second.read_bytes()
    assert _etag(first) == _etag(second)
