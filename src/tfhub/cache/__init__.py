"""The module cache: where a handle's folder lives, its bookkeeping, its health, its upkeep.

Layout (shared with tensorflow_hub, which reads and writes the same names): see
`tfhub.cache.layout`. Nothing is ever written inside a module folder. Modules:

- `layout`: the cache folder and the names of an entry's files;
- `bookkeeping`: the descriptor (upstream's) and the manifest (sizes, content hashes);
- `health`: is an entry complete (bounded check on resolve, full and deep checks for verify);
- `locks`: tfhub's OS locks and tensorflow_hub's lock files (stale ones are detected);
- `store`: create the folder, list entries, remove entries under their lock;
- `prune`: what `tfhub cache prune` removes;
- `importing`: `tfhub import` (put a local archive into the cache);
- `remote`: caches on tf.io.gfile filesystems (`gs://`, `ram://`).
"""

from __future__ import annotations

from .bookkeeping import (
    atomic_write_text,
    descriptor_text,
    list_files,
    read_descriptor,
    read_header,
    read_manifest,
    write_manifest,
)
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
from .locks import is_download_running
from .prune import leftovers
from .store import CacheEntry, ensure_writable_root, entry, remove, remove_tree, scan

__all__ = [
    "DESCRIPTOR_SUFFIX",
    "LOCKS_DIRNAME",
    "MANIFEST_SUFFIX",
    "TMP_SUFFIX",
    "CacheEntry",
    "atomic_write_text",
    "cache_dir",
    "damage",
    "deep_damage",
    "descriptor_path",
    "descriptor_text",
    "ensure_writable_root",
    "entry",
    "full_damage",
    "is_complete",
    "is_download_running",
    "is_remote",
    "leftovers",
    "list_files",
    "lock_path",
    "manifest_path",
    "module_dir",
    "new_tmp_dir",
    "read_descriptor",
    "read_descriptor_handle",
    "read_header",
    "read_manifest",
    "remove",
    "remove_tree",
    "scan",
    "write_manifest",
]


def read_descriptor_handle(module_path: str) -> str | None:
    """Returns the handle named in an entry's descriptor (credentials redacted), or None."""
    descriptor = read_descriptor(module_path)
    return descriptor.handle if descriptor else None
