"""The module cache: where a handle's folder lives, its bookkeeping, its health, its upkeep.

Layout (shared with tensorflow_hub, which reads and writes the same names): see
`tfhub.cache.layout`. Nothing is ever written inside a module folder. Modules:

- `layout`: the cache folder and the names of an entry's files;
- `bookkeeping`: the descriptor (upstream's) and the manifest (sizes, content hashes), read;
- `entry_files`: the sizes and content hashes of an entry's files on disk;
- `manifest_writing`: the manifest written at install (its text, the hashes reported);
- `safe_writes`: a file written whole or not at all, and the error for a refused write;
- `health`: is an entry complete (bounded check on resolve, full and deep checks for verify);
- `locks`: tfhub's OS locks and tensorflow_hub's lock files (stale ones are detected);
- `root_folder`: can this user reach, create and write the cache folder (why not, if not);
- `listing`: the entries and what `tfhub cache list` shows of each;
- `deleting`: delete a folder (renamed aside first), a link or a file;
- `owners`: entries of other users that this user may not read or delete;
- `install_bookkeeping`: an install's descriptor and manifest, undone if it fails;
- `group_modes`: a new entry of a group's cache made readable by the group;
- `store`: remove an entry under its lock (and the names above, as before);
- `prune`: what `tfhub cache prune` removes;
- `importing`: `tfhub import` (put a local archive into the cache);
- `remote`: caches on tf.io.gfile filesystems (`gs://`, `ram://`);
- `recovery`: finishing an install killed between its manifest and its rename;
- `remote_staging`: who writes a staging folder there, removing those a killed copy left;
- `verify`: what `tfhub cache verify` and `list` say while other processes work on the cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..utils.lazy import package_getattr

# Public name -> the submodule that defines it. Submodules load on first use, so resolving a
# cached handle imports only layout, bookkeeping and health (not locks, store, prune).
_EXPORTS = {
    "atomic_write_text": "safe_writes",
    "descriptor_text": "bookkeeping",
    "list_files": "entry_files",
    "read_descriptor": "bookkeeping",
    "read_header": "bookkeeping",
    "read_manifest": "bookkeeping",
    "write_manifest": "manifest_writing",
    "damage": "health",
    "deep_damage": "health",
    "full_damage": "health",
    "is_complete": "health",
    "DESCRIPTOR_SUFFIX": "layout",
    "LOCKS_DIRNAME": "layout",
    "MANIFEST_SUFFIX": "layout",
    "TMP_SUFFIX": "layout",
    "cache_dir": "layout",
    "descriptor_path": "layout",
    "is_remote": "layout",
    "lock_path": "layout",
    "manifest_path": "layout",
    "module_dir": "layout",
    "rm_argument": "layout",
    "new_tmp_dir": "layout",
    "is_download_running": "locks",
    "leftovers": "prune",
    "CacheEntry": "listing",
    "ensure_writable_root": "root_folder",
    "entry": "listing",
    "remove": "store",
    "remove_tree": "deleting",
    "scan": "listing",
}
_SUBMODULES = frozenset(
    {
        "bookkeeping",
        "deleting",
        "entry_files",
        "group_modes",
        "health",
        "importing",
        "install_bookkeeping",
        "layout",
        "listing",
        "locks",
        "manifest_writing",
        "owners",
        "prune",
        "recovery",
        "remote",
        "remote_staging",
        "root_folder",
        "safe_writes",
        "store",
    }
)

if TYPE_CHECKING:
    from . import bookkeeping, deleting, health, layout, listing, locks, owners, prune, store
    from .bookkeeping import descriptor_text, read_descriptor, read_header, read_manifest
    from .deleting import remove_tree
    from .entry_files import list_files
    from .health import damage, deep_damage, full_damage, is_complete
    from .layout import (
        DESCRIPTOR_SUFFIX,
        LOCKS_DIRNAME,
        MANIFEST_SUFFIX,
        TMP_SUFFIX,
        cache_dir,
        descriptor_path,
        is_remote,
        lock_path,
        manifest_path,
        module_dir,
        new_tmp_dir,
    )
    from .listing import CacheEntry, entry, scan
    from .locks import is_download_running
    from .manifest_writing import write_manifest
    from .prune import leftovers
    from .root_folder import ensure_writable_root
    from .safe_writes import atomic_write_text
    from .store import remove

__all__ = [
    "CacheEntry",
    "DESCRIPTOR_SUFFIX",
    "LOCKS_DIRNAME",
    "MANIFEST_SUFFIX",
    "TMP_SUFFIX",
    "atomic_write_text",
    "bookkeeping",
    "cache_dir",
    "damage",
    "deep_damage",
    "deleting",
    "descriptor_path",
    "descriptor_text",
    "ensure_writable_root",
    "entry",
    "full_damage",
    "health",
    "is_complete",
    "is_download_running",
    "is_remote",
    "layout",
    "leftovers",
    "list_files",
    "listing",
    "lock_path",
    "locks",
    "manifest_path",
    "module_dir",
    "new_tmp_dir",
    "owners",
    "prune",
    "read_descriptor",
    "read_descriptor_handle",
    "read_header",
    "read_manifest",
    "remove",
    "remove_tree",
    "rm_argument",
    "scan",
    "store",
    "write_manifest",
]


__getattr__ = package_getattr(__name__, _EXPORTS, _SUBMODULES)


def read_descriptor_handle(module_path: str) -> str | None:
    """Returns the handle named in an entry's descriptor (credentials redacted), or None."""
    from .bookkeeping import read_descriptor

    descriptor = read_descriptor(module_path)
    return descriptor.handle if descriptor else None
