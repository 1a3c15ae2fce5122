"""Removing a cache entry safely, under its lock (and the cache's other operations, re-exported).

`remove` takes the entry's lock (so it never races a download of the same entry), renames the
folder aside first (no reader sees it half-deleted), and removes a symlinked entry as a link
(never what it points to).

The other operations live in modules of one job each, and are re-exported here for the callers
that name them `store.X`: `root_folder` (create the cache folder, say why it cannot be used),
`deleting` (delete a folder, link or file), `listing` (the entries, what `tfhub cache list`
shows) and `owners` (entries of other users this user may not read or delete).
"""

from __future__ import annotations

import os
from typing import NamedTuple

from .. import errors
from ..utils.printable import escaped
from . import health, layout
from .deleting import (
    DELETING_MARK,
    delete_tree,
    removal_leftovers,
    remove_tree,
    set_aside,
    unlink_quietly,
)
from .listing import (
    CacheEntry,
    entries_showing,
    entry,
    entry_paths,
    has_remains,
    interrupted_removals,
    scan,
)
from .owners import (
    DeletionBlocker,
    deletion_blocker,
    entry_deletion_blocker,
    foreign_owner,
    other_users_entry_error,
    undeletable_entry_error,
    undeletable_owner,
)
from .root_folder import ensure_writable_root, non_folder_on_path, root_error

__all__ = [
    "DELETING_MARK",
    "CacheEntry",
    "DeletionBlocker",
    "Removal",
    "delete_tree",
    "deletion_blocker",
    "ensure_writable_root",
    "entries_showing",
    "entry",
    "entry_deletion_blocker",
    "entry_paths",
    "foreign_owner",
    "has_remains",
    "interrupted_removals",
    "non_folder_on_path",
    "other_users_entry_error",
    "removal_leftovers",
    "remove",
    "remove_tree",
    "root_error",
    "scan",
    "set_aside",
    "undeletable_entry_error",
    "undeletable_owner",
    "unlink_quietly",
]


class Removal(NamedTuple):
    """What `remove` did to one entry."""

    path: str
    # "folder", "link", "nothing", "leftovers" (what an interrupted removal left), "kept"
    # (a check after locking kept it), or "gone" (another process removed it meanwhile)
    removed: str

    def describe(self) -> str:
        """One line for the CLI."""
        if self.removed == "leftovers":
            return f"finished removing {escaped(self.path)} (an earlier removal was interrupted)"
        if self.removed == "link":
            return f"removed the link {escaped(self.path)} (its target was kept)"
        if self.removed == "kept":
            return f"kept {escaped(self.path)}: it is complete again (another process installed it)"
        if self.removed == "gone":
            return f"{escaped(self.path)} was removed meanwhile by another process"
        if self.removed == "nothing":
            return f"removed the bookkeeping of {escaped(self.path)} (its folder was gone)"
        return f"removed {escaped(self.path)}"


def remove(
    module_path: str, *, only_if_damaged: bool = False, timeout: float | None = None
) -> Removal:
    """Removes an entry and its bookkeeping (descriptor, manifest), holding the entry's lock.

    Args:
        module_path: the entry's folder (a trailing separator is ignored).
        only_if_damaged: re-check after locking (every file's size, as `prune` checked) and
            keep the entry if it is complete (what `prune` decided may be stale: another
            process may have just reinstalled it).
        timeout: seconds to wait for a download of the entry (default TFHUB_LOCK_TIMEOUT);
            a download by tensorflow_hub is waited for while it makes progress. 0: no wait.

    Returns:
        What was removed.

    Raises:
        tfhub.errors.LockTimeoutError: a download of the entry held the lock too long.
        tfhub.errors.InvalidHandleError: `module_path` is not named like an entry (a sha1):
            nothing is removed, so no folder outside the cache is ever deleted.
        tfhub.errors.CacheError: `module_path` is on a tf.io.gfile filesystem (local caches
            only), or could not be removed (see `remove_tree`).
        tfhub.errors.OtherUsersEntryError: it is another user's entry that this user may not
            read (unless `only_if_damaged`, which keeps it: "kept"), or whose folder it may not
            change (`undeletable_entry_error`): nothing is removed.
    """
    from . import locks  # Here: listing the cache takes no lock (nor imports filelock).

    module_path = _entry_path(module_path)
    name = os.path.basename(module_path)
    with locks.entry_lock(module_path, what=f"removing cache entry {name}", timeout=timeout):
        if timeout != 0:  # As for a tfhub download: what tensorflow_hub installs is removed.
            locks.wait_for_upstream_download(module_path)
        return _remove_locked(module_path, only_if_damaged=only_if_damaged)


def _entry_path(module_path: str) -> str:
    """`module_path` without a trailing separator, checked to be a local cache entry's.

    Raises:
        tfhub.errors.CacheError: it is on a tf.io.gfile filesystem.
        tfhub.errors.InvalidHandleError: it is not named like an entry (a sha1).
    """
    layout.require_local(module_path)
    # `<entry>/` (as a shell completes a folder) is the entry, as in resolver.atomic_download.
    module_path = module_path.rstrip("/" + os.sep) or module_path
    if not layout.is_entry_name(os.path.basename(module_path)):
        raise errors.InvalidHandleError(
            f"Refusing to remove {module_path}: cache entries are named by 40 hex digits (a "
            f"sha1); nothing was removed. Received: module_path={module_path!r}"
        )
    return module_path


def _remove_locked(module_path: str, *, only_if_damaged: bool) -> Removal:
    """`remove`'s work once the entry's lock is held (and tensorflow_hub's download waited for).

    Raises:
        As `remove`, but LockTimeoutError and InvalidHandleError.
    """
    if not has_remains(module_path):  # Another `rm` or `prune` removed it while we waited.
        # Taking the lock made its file again: no lock file for an entry that does not exist.
        unlink_quietly(layout.lock_path(module_path))  # Safe while held: utils.filelock.
        return Removal(module_path, "gone")
    undeletable = undeletable_entry_error(module_path)
    if undeletable is not None:
        raise undeletable
    if only_if_damaged and _not_for_prune(module_path, health.full_damage(module_path)):
        return Removal(module_path, "kept")
    removed = _delete_entry(module_path)
    unlink_quietly(layout.lock_path(module_path))  # Safe while held: see utils.filelock.
    return Removal(module_path, removed)


def _delete_entry(module_path: str) -> str:
    """Deletes the entry's folder, the folders interrupted removals of it left, then its
    bookkeeping (which marks the entry for a rerun, so it goes last).

    Returns:
        What was removed, as `Removal.removed` says it ("leftovers" if only those were left).

    Raises:
        tfhub.errors.CacheError: something could not be removed (`remove_tree`'s `strict`).
    """
    removed = remove_tree(module_path, strict=True)
    interrupted = removal_leftovers(module_path)
    for folder in interrupted:  # Before the bookkeeping, which marks the entry for a rerun.
        remove_tree(folder, strict=True)
    if removed == "nothing" and interrupted:
        removed = "leftovers"
    for extra in (layout.manifest_path(module_path), layout.descriptor_path(module_path)):
        remove_tree(extra, strict=True)
    return removed


def _not_for_prune(module_path: str, problem: str | None) -> bool:
    """Whether an entry with this damage (or None) stays when only damaged entries go: a
    complete one, or another user's that this user may only not read (a private entry, maybe
    complete: renaming it aside took it from its owner, and its files could not be deleted).
    One of this user's own that it may not read is damage as any other (rf55e-F3)."""
    return problem is None or foreign_owner(module_path, problem) is not None
