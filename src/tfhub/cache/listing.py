"""Listing the cache: its entries, what `tfhub cache list` shows of each, what is left of one.

Listing takes no lock: an entry's size comes from its manifest header (O(1); tensorflow_hub's
entries record none, so their files are summed), its damage from the bounded check of `health`.
"""

from __future__ import annotations

import os
import stat
from typing import NamedTuple

from ..utils.printable import escaped
from . import bookkeeping, entry_files, health, layout
from .deleting import DELETING_MARK, removal_leftovers


def has_remains(module_path: str) -> bool:
    """True if anything of the entry is in the cache: its folder (or link), its bookkeeping, or
    files an interrupted removal renamed aside."""
    bookkeeping = (layout.descriptor_path(module_path), layout.manifest_path(module_path))
    if any(os.path.lexists(path) for path in (module_path, *bookkeeping)):
        return True
    return bool(removal_leftovers(module_path))


def interrupted_removals(root: str) -> list[str]:
    """Returns the entries (folder paths) whose folder is gone but whose bookkeeping, or files
    renamed aside for deletion, an interrupted removal left, sorted."""
    if not os.path.isdir(root):
        return []
    marks = (layout.DESCRIPTOR_SUFFIX, layout.MANIFEST_SUFFIX, DELETING_MARK + layout.TMP_SUFFIX)
    stems = {name.split(".", 1)[0] for name in os.listdir(root) if name.endswith(marks)}
    paths = [os.path.join(root, stem) for stem in stems if layout.is_entry_name(stem)]
    return sorted(path for path in paths if not os.path.lexists(path))


class CacheEntry(NamedTuple):
    """One module in the cache, as `tfhub cache list` shows it."""

    name: str
    path: str
    handle: str | None
    size: int
    download_time: str | None
    damage: str | None


def entry(module_path: str) -> CacheEntry:
    """Returns what the cache knows about one entry folder (size from the manifest: O(1))."""
    descriptor = bookkeeping.read_descriptor(module_path)
    header = bookkeeping.read_header(module_path)
    problem: str | None
    if not os.path.isdir(module_path):
        size, problem = 0, health.no_folder(module_path)
    elif header is not None:
        size, problem = header.size, health.damage_with_header(module_path, header)
    else:  # tensorflow_hub's entries record no sizes.
        size = sum(entry_files.list_files(module_path).values())
        problem = health.damage_with_header(module_path, None)
    return CacheEntry(
        name=os.path.basename(module_path),
        path=module_path,
        handle=descriptor.handle if descriptor else None,
        size=size,
        download_time=descriptor.download_time if descriptor else None,
        damage=problem,
    )


def entry_paths(root: str) -> list[str]:
    """Returns the entries of the cache (a path named by a sha1), sorted: folders, links, and
    regular files (a damaged entry, "it is a file, not a folder", which prune removes with its
    bookkeeping). Other special files at such a name (a FIFO, a socket, a device) are no
    entries: they are left alone."""
    if not os.path.isdir(root):
        return []
    paths = [
        os.path.join(root, name) for name in sorted(os.listdir(root)) if layout.is_entry_name(name)
    ]
    return [path for path in paths if _may_be_entry(path)]


def _may_be_entry(path: str) -> bool:
    """Whether `path` is a folder, a link or a regular file (not checked through a link); a
    path that cannot be checked (gone meanwhile, a folder not searchable) is kept, as before:
    its entry says what is wrong."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return True
    return stat.S_ISDIR(mode) or stat.S_ISLNK(mode) or stat.S_ISREG(mode)


def entries_showing(root: str, handle: str) -> list[str]:
    """Returns the entry folders whose descriptor names `handle` as `scan` shows it (with
    credentials redacted: `https://***@host/m/1`), or as `tfhub cache list` prints that (a
    control character escaped: `\\x09`), sorted."""
    return [
        path
        for path in entry_paths(root)
        if (descriptor := bookkeeping.read_descriptor(path))
        and descriptor.handle is not None
        and handle in (descriptor.handle, escaped(descriptor.handle))
    ]


def scan(root: str | None = None) -> list[CacheEntry]:
    """Returns every module entry in the cache, sorted by folder name.

    Raises:
        tfhub.errors.CacheError: for a cache on a tf.io.gfile filesystem (local caches only).
    """
    root = root or layout.cache_dir()
    layout.require_local(root)
    return [entry(path) for path in entry_paths(root)]
