"""Entries of other users in a shared cache: who owns what this user may not read or delete.

An entry of another user's that this user may not read is not damage: tfhub neither uses,
replaces nor removes it. One whose files (or whose folder's sticky bit) keep this user from
deleting it is not renamed aside either. Each error names the owner and what to do.
"""

from __future__ import annotations

import os
import stat
from typing import NamedTuple

from .. import errors
from ..utils.printable import escaped
from ..utils.users import login_name
from . import health, layout


def other_users_entry_error(
    module_path: str, problem: str | None = None
) -> errors.OtherUsersEntryError | None:
    """The error for an entry of another user's that this user may not read (`foreign_owner`),
    or None: not for this user to use, rename aside or remove (it would take the owner's model,
    and its files could not be deleted).

    Args:
        module_path: the entry's local folder.
        problem: its damage (`health.damage`) if known; found here otherwise.

    Returns:
        The error, naming the entry, its owner and what to do; None for an entry that is not
        another user's unreadable one.
    """
    if problem is None:
        problem = health.damage(module_path)
    owner = foreign_owner(module_path, problem)
    if owner is None:
        return None
    shown = escaped(module_path)
    return errors.OtherUsersEntryError(
        f"Cache entry {shown} belongs to another user ({owner}) and this user may not read it "
        f"({escaped(problem or '')}): it is not damaged for that, so tfhub neither uses, "
        "replaces nor removes it. Use a cache folder of your own (set TFHUB_CACHE_DIR), or ask "
        "its owner to make it readable to the users who share the cache (`chmod -R g+rX "
        f"{shown} {shown}{layout.MANIFEST_SUFFIX} {shown}{layout.DESCRIPTOR_SUFFIX}`; o+rX "
        "if they share no group) or to remove it (`tfhub cache rm "
        f"{os.path.basename(module_path)}`).",
        path=module_path,
    )


class DeletionBlocker(NamedTuple):
    """Why this user may not delete a path of the cache: whose it is and what keeps it out."""

    uid: int  # The other user who owns what keeps this user out.
    # True: the sticky bit of the path's folder (a cache of mode 1777, as /tmp), which lets only
    # owners rename or delete what is in it. False: a folder in the tree at the path that this
    # user may not read, write and search (made under umask 022 by another user).
    sticky: bool

    @property
    def owner(self) -> str:
        """E.g. "root, uid 0"."""
        return f"{user_name(self.uid)}, uid {self.uid}"


def deletion_blocker(path: str, *, sticky_only: bool = False) -> DeletionBlocker | None:
    """What keeps this user from deleting `path` (and the tree below it), or None if it could
    delete it all (or `path` is gone).

    Args:
        path: a path of the cache: an entry, a leftover, a bookkeeping file.
        sticky_only: ask only whether it may be renamed aside (replaced): the sticky bit keeps
            this user from that, a folder below that it may not change does not (its owner's
            prune removes what was renamed aside).
    """
    me = os.geteuid()
    try:
        uid, folder = os.lstat(path).st_uid, os.stat(os.path.dirname(path) or ".")
    except OSError:
        return None  # Gone meanwhile.
    if me != 0 and folder.st_mode & stat.S_ISVTX and me not in (uid, folder.st_uid):
        return DeletionBlocker(uid, sticky=True)
    if sticky_only or os.path.islink(path) or not os.path.isdir(path):
        return None
    folders = [path]
    while folders:
        current = folders.pop()
        try:
            uid = os.lstat(current).st_uid
        except OSError:
            continue  # Gone meanwhile.
        if uid != me and not os.access(current, os.R_OK | os.W_OK | os.X_OK):
            return DeletionBlocker(uid, sticky=False)
        try:
            with os.scandir(current) as found:
                folders += [item.path for item in found if item.is_dir(follow_symlinks=False)]
        except OSError:
            continue  # This user's own folder it may not list: it may chmod it.
    return None


def undeletable_owner(path: str) -> str | None:
    """Who ("root, uid 0") owns what keeps this user from deleting `path` (`deletion_blocker`),
    or None if this user could delete it all."""
    blocker = deletion_blocker(path)
    return None if blocker is None else blocker.owner


def undeletable_entry_error(
    module_path: str, *, sticky_only: bool = False, problem: str | None = None
) -> errors.OtherUsersEntryError | None:
    """The error for an entry of another user's that this user may not delete
    (`deletion_blocker` of its folder, or of its manifest or descriptor): renaming it aside (to
    remove or replace it) would take it from its owner and leave it as litter, or the sticky
    bit refuses it (and its bookkeeping could not be replaced after a download). None if this
    user may.

    Args:
        module_path: the entry's local folder (tensorflow_hub's copy `health.served_entry`
            picks, too).
        sticky_only: as `deletion_blocker`'s: for a resolve about to replace a damaged entry.
        problem: the entry's damage, said in the error if given.
    """
    blocked = entry_deletion_blocker(module_path, sticky_only=sticky_only)
    if blocked is None:
        return None
    return _undeletable_error(module_path, blocked[0], blocked[1], problem)


def entry_deletion_blocker(
    module_path: str, *, sticky_only: bool = False
) -> tuple[str, DeletionBlocker] | None:
    """What keeps this user from deleting an entry of another user's: (its folder or the
    bookkeeping file in the way, the `deletion_blocker` of it); None if nothing does, or if
    the entry's folder is this user's own (a folder of another user's inside it is renamed
    aside with it, and `remove_tree` says what it could not delete).

    Args:
        module_path: the entry's local folder.
        sticky_only: as `deletion_blocker`'s.
    """
    for path in (
        module_path,
        layout.manifest_path(module_path),
        layout.descriptor_path(module_path),
    ):
        blocker = deletion_blocker(path, sticky_only=sticky_only)
        if blocker is None:
            continue
        if not blocker.sticky and _owned_by_me(module_path):
            return None
        return path, blocker
    return None


def _owned_by_me(path: str) -> bool:
    try:
        return os.lstat(path).st_uid == os.geteuid()
    except OSError:
        return False


def _undeletable_error(
    module_path: str, path: str, blocker: DeletionBlocker, problem: str | None
) -> errors.OtherUsersEntryError:
    """`undeletable_entry_error`'s error: `path` (the entry's folder or bookkeeping) is what
    `blocker` keeps this user from deleting."""
    shown = escaped(module_path)
    name = os.path.basename(module_path)
    what = f"Cache entry {shown}"
    if path != module_path:
        what = f"{escaped(path)}, the bookkeeping of cache entry {shown},"
    damaged = f" It is damaged ({escaped(problem)})." if problem else ""
    if blocker.sticky:
        why = (
            f"the cache folder {escaped(os.path.dirname(module_path))} has the sticky bit "
            "(as /tmp), which lets only its owner rename or remove it"
        )
        ask = f"to remove it (`tfhub cache rm {name}`, or `tfhub cache prune`)"
    else:
        why = "this user may not remove its files (a folder of it is not writable to it)"
        ask = (
            f"to remove it (`tfhub cache rm {name}`) or to let the users who share the cache "
            f"change it (`chmod -R g+w {shown}`)"
        )
    return errors.OtherUsersEntryError(
        f"{what} belongs to another user ({blocker.owner}) and {why}, so tfhub neither "
        f"installs, replaces nor removes the entry.{damaged} Use a cache folder of your own "
        f"(set TFHUB_CACHE_DIR), or ask its owner {ask}.",
        path=module_path,
    )


def foreign_owner(module_path: str, problem: str | None) -> str | None:
    """Who owns an entry whose damage `problem` (`health`'s) is only that this user may not
    read it, when that is another user ("root, uid 0"); None otherwise: the entry is
    readable, or damaged in another way, or this user's own (what it cannot read of its own,
    it may replace)."""
    if not health.only_unreadable(problem):
        return None
    uid = _foreign_uid(module_path)
    return None if uid is None else f"{user_name(uid)}, uid {uid}"


def _foreign_uid(module_path: str) -> int | None:
    """The uid of another user who owns the entry's folder or its bookkeeping, or None if this
    user owns all that there is of it."""
    me = os.geteuid()
    for path in (
        module_path,
        layout.manifest_path(module_path),
        layout.descriptor_path(module_path),
    ):
        try:
            uid = os.lstat(path).st_uid
        except OSError:
            continue
        if uid != me:
            return uid
    return None


def user_name(uid: int) -> str:
    """The login name of `uid`, or "an unknown user" if the system names none."""
    return login_name(uid) or "an unknown user"
