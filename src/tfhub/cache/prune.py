"""The prune policy: what `tfhub cache prune` removes, and removing it without racing anyone.

Prune removes damaged entries, temporary folders and `.part` files of downloads that no live
process owns, bookkeeping files whose entry folder is gone (and that no live download is about
to install), and lock files nobody holds (tfhub's in `.locks/`, tensorflow_hub's
`<entry>.lock` of a dead process on this host). Every removal
takes the entry's lock without waiting (an entry being downloaded is skipped) and checks again
under it, so an entry another process has just installed is never deleted.
A damaged or missing entry whose killed install left its complete new folder beside it
(`recovery`) gets that folder instead of being removed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import errors
from . import deleting, health, layout, listing, locks, owners, recovery, store

# The complete folder of an install killed before its rename (`recovery.pending_install`) beside
# an entry with no folder: prune puts it in place (it removes nothing of that entry).
INSTALL = "interrupted install"

_NOT_READABLE = (
    "this user may not read it (another user's private entry?), so cannot tell it is damaged: "
    "left as it is; its owner can check it with `tfhub cache verify`"
)


@dataclass(frozen=True)
class PruneItem:
    """One thing prune would remove, and why; or, with `leave`, one it lists but leaves."""

    path: str
    # "damaged entry", "leftover download", INSTALL, "orphan bookkeeping", "stale lock"
    kind: str
    reason: str
    # Another user's leftover or damaged entry this user may not delete: renaming it aside
    # would only move it, and every later prune would fail on it (rf55c-F1, F5; rf56d-F2).
    leave: bool = False


@dataclass(frozen=True)
class PruneResult:
    """What happened to one item: "removed", "kept" (fine after all), "skipped" (in use) or
    "failed" (could not be removed; `detail` says why and what to do). For a damaged entry,
    `removed` is what `store.remove` removed (`store.Removal.removed`: "folder", "link", ...;
    "" otherwise) and `link_target` the path a removed link led to ("" if it was no link)."""

    item: PruneItem
    outcome: str
    detail: str = ""
    removed: str = ""
    link_target: str = ""


def plan(root: str | None = None) -> list[PruneItem]:
    """Returns what prune would remove now (nothing is changed): entries damaged as `tfhub cache
    verify` finds them (every file's size: `health.full_damage`) and leftovers.

    Raises:
        tfhub.errors.CacheError: for a cache on a tf.io.gfile filesystem (local caches only).
    """
    root = root or layout.cache_dir()
    layout.require_local(root)
    damaged = []
    for item in listing.scan(root):
        # Every file's size, as `tfhub cache verify` checks (whose help says prune removes
        # what it finds), not only resolve's bounded sample (rf53f-F2).
        problem = item.damage if item.damage is not None else health.full_damage(item.path)
        if problem is not None:  # Left if another user's that this user may not delete.
            blocked = owners.entry_deletion_blocker(item.path)
            owner = None if blocked is None else blocked[1].owner
            damaged.append(_item(item.path, "damaged entry", problem, owner))
    return damaged + leftover_items(root)


def leftover_items(root: str) -> list[PruneItem]:
    """What `plan` finds besides damaged entries (interrupted installs, leftover downloads,
    orphan bookkeeping, stale locks), without checking every entry (`tfhub cache verify` has
    checked them already). `root` is a local cache folder."""
    items: list[PruneItem] = []
    pending = _pending_installs(root)
    tmp = _tmp(root)
    # First: the old folder an install set aside goes after the new one is in place.
    items += [
        PruneItem(path, INSTALL, f"complete: put in place as {os.path.basename(_entry_of(path))}")
        for path in tmp
        if path in pending.values()
    ]
    items += [
        _leftover(path, "leftover download", "no process owns it")
        for path in tmp
        if path not in pending.values()
    ]
    items += [
        _leftover(path, "orphan bookkeeping", "its entry is gone")
        for path in _orphans(root)
        if _entry_of(path) not in pending  # The manifest of the install that prune finishes.
    ]
    items += [
        _leftover(path, "stale lock", "no live process holds it")
        for path in locks.stale_lock_files(root)
    ]
    return items


def _leftover(path: str, kind: str, reason: str) -> PruneItem:
    """The item for a leftover: left as it is when it is another user's and this user may not
    delete it (`owners.undeletable_owner`): renaming or removing it would fail on every run."""
    return _item(path, kind, reason, owners.undeletable_owner(path))


def _item(path: str, kind: str, reason: str, owner: str | None) -> PruneItem:
    """The item for a leftover or a damaged entry, left as it is if `owner` ("root, uid 0"),
    the other user whose files keep this user from deleting it, is given (rf55c-F1; rf56d-F2
    for entries)."""
    if owner is None:
        return PruneItem(path, kind, reason)
    return PruneItem(
        path,
        kind,
        f"{reason}, but it is another user's ({owner}) and this user may not delete it: left "
        "as it is; its owner's `tfhub cache prune` removes it",
        leave=True,
    )


def leftovers(root: str | None = None) -> list[str]:
    """Returns the temporary folders, orphan bookkeeping and stale locks prune would remove,
    and the folders of interrupted installs (`INSTALL`) that it would put in place; not
    another user's that this user may not delete, which prune leaves (rf56d-F3).

    Raises:
        tfhub.errors.CacheError: as `plan`.
    """
    root = root or layout.cache_dir()
    layout.require_local(root)
    return [item.path for item in leftover_items(root) if not item.leave]


def prune(root: str | None = None) -> list[PruneResult]:
    """Removes what `plan` finds, each under its entry's lock, re-checked; returns what it did.

    Raises:
        tfhub.errors.CacheError: as `plan`.
    """
    return [_apply(item) for item in plan(root)]


def _apply(item: PruneItem) -> PruneResult:
    """Removes one item of the plan, re-checked under its entry's lock; says what was done."""
    if item.leave:
        return PruneResult(item, "kept", item.reason)
    try:
        if item.kind == "damaged entry":
            return _apply_to_entry(item)
        return _apply_to_leftover(item)
    except errors.LockTimeoutError:
        return PruneResult(
            item, "skipped", "another tfhub process holds its lock (a download or a removal)"
        )
    except errors.CacheError as err:
        return PruneResult(item, "failed", str(err))


def _apply_to_entry(item: PruneItem) -> PruneResult:
    """A damaged entry: left as is, finished (an install killed before its rename), or removed
    if still damaged once locked (`store.remove`)."""
    if left_as_is(item):
        return PruneResult(item, "kept", _NOT_READABLE)
    if _finish_install(item.path):
        return PruneResult(item, "kept", "finished its interrupted install")
    target = _link_target(item.path)
    removal = store.remove(item.path, only_if_damaged=True, timeout=0)
    outcomes = {"kept": "kept", "gone": "skipped"}  # "gone": another prune or rm.
    outcome = outcomes.get(removal.removed, "removed")
    return PruneResult(item, outcome, removal.describe(), removal.removed, target)


def _link_target(path: str) -> str:
    """Where the link `path` leads (relative to its folder if written so), or "" if it is no
    link (or is gone)."""
    try:
        return os.path.join(os.path.dirname(path), os.readlink(path))
    except OSError:
        return ""


def _apply_to_leftover(item: PruneItem) -> PruneResult:
    """Anything else of an entry (bookkeeping, a leftover download or removal): removed under
    the entry's lock (no wait) if still prunable; the entry's lock file too if it has none."""
    entry = _entry_of(item.path)
    # No folder, its new one beside it: an `import --force` killed before its rename.
    finished = not os.path.lexists(entry) and _finish_install(entry)
    with locks.entry_lock(entry, what=f"pruning {os.path.basename(item.path)}", timeout=0):
        if not os.path.lexists(item.path):  # Put in place by `_finish_install`, say.
            if finished:
                return PruneResult(item, "kept", "put in place: its install was finished")
            return PruneResult(item, "skipped", "gone meanwhile")
        if not _still_prunable(item, entry):
            return PruneResult(item, "kept", "in use again")
        deleting.remove_tree(item.path, strict=True)
        if not os.path.lexists(entry):  # No entry: its lock file (ours now) goes too.
            deleting.unlink_quietly(layout.lock_path(entry))
    return PruneResult(item, "removed")


def left_as_is(item: PruneItem) -> bool:
    """Whether prune leaves `item` although `plan` lists it: an entry this user may only not
    read (`health.only_unreadable`), whose removal would take another user's model, or another
    user's leftover whose files this user may not delete (`PruneItem.leave`). An entry of this
    user's own that it may not read is damage as any other (rf55e-F3)."""
    if item.leave:
        return True
    return item.kind == "damaged entry" and owners.foreign_owner(item.path, item.reason) is not None


def _finish_install(entry: str) -> bool:
    """Finishes an install of a damaged entry killed before its rename (`recovery`), if the
    entry's lock is free; returns whether it did."""
    try:
        with locks.entry_lock(entry, what=f"pruning {os.path.basename(entry)}", timeout=0) as held:
            return held and recovery.finish_install(entry)
    except errors.LockTimeoutError:
        return False


def _entry_of(path: str) -> str:
    root, name = os.path.split(path)
    if os.path.basename(root) == layout.LOCKS_DIRNAME:
        root, name = os.path.dirname(root), name[: -len(".lock")]
    return os.path.join(root, name.split(".", 1)[0])


def _still_prunable(item: PruneItem, entry: str) -> bool:
    if item.kind == "orphan bookkeeping" and os.path.lexists(entry):
        return False
    if item.kind in ("orphan bookkeeping", "leftover download", INSTALL):
        # A live tensorflow_hub download: it writes the descriptor before its folder's rename.
        upstream = locks.read_upstream_lock(entry)
        return upstream is None or upstream.is_stale()
    return True


def _tmp(root: str) -> list[str]:
    found = []
    for name in _names(root):
        if not name.endswith((layout.TMP_SUFFIX, layout.PART_SUFFIX)):
            continue
        entry = os.path.join(root, name.split(".", 1)[0])
        if layout.is_entry_name(name.split(".", 1)[0]) and not locks.is_download_running(entry):
            found.append(os.path.join(root, name))
    return found


def _orphans(root: str) -> list[str]:
    found = []
    for name in _names(root):
        stem = name.split(".", 1)[0]
        if name in (stem + layout.DESCRIPTOR_SUFFIX, stem + layout.MANIFEST_SUFFIX):
            entry = os.path.join(root, stem)
            if layout.is_entry_name(stem) and not os.path.lexists(entry):
                if not locks.is_download_running(entry):  # About to install: not an orphan.
                    found.append(os.path.join(root, name))
    return found


def _pending_installs(root: str) -> dict[str, str]:
    """{entry: the folder `recovery.finish_install` would put in place} for the entries whose
    folder is missing (an `import --force` killed between its manifest and its rename); reads
    the content of those folders only."""
    found = {}
    for name in _names(root):
        stem = name.split(".", 1)[0]
        entry = os.path.join(root, stem)
        if name == stem + layout.MANIFEST_SUFFIX and layout.is_entry_name(stem):
            if not os.path.lexists(entry) and not locks.is_download_running(entry):
                candidate = recovery.pending_install(entry)
                if candidate is not None:
                    found[entry] = candidate
    return found


def _names(root: str) -> list[str]:
    return sorted(os.listdir(root)) if os.path.isdir(root) else []
