"""A removal that finds its entry gone leaves no lock file behind (rf55c-F3).

Two `cache prune` runs (or a prune and a `cache rm --all`) started together: the one that
found the entry already removed by the other had made its lock file to take the lock, and left
it; `cache info` then counted "leftovers" and the next prune removed "stale lock" files of
entries that no longer exist. docs/resolving.md: no lock file for an entry that does not exist.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests._helpers.archives import make_tar_gz

from tfhub.cache import layout, prune, store
from tfhub.cache.importing import import_archive


def test_removing_an_entry_already_removed_leaves_no_lock_file(isolated_cache, tmp_path: Path):
    entry = import_archive(os.fspath(make_tar_gz(tmp_path / "m.tar.gz")), "https://h.example/m/1")
    assert store.remove(entry).removed == "folder"
    assert not os.path.lexists(layout.lock_path(entry))
    assert store.remove(entry, only_if_damaged=True, timeout=0).removed == "gone"
    assert not os.path.lexists(layout.lock_path(entry))
    assert prune.plan(os.fspath(isolated_cache)) == []
