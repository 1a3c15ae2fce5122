"""Operations on the cache folder: create it, list its entries, remove entries safely.

Removal takes the entry's lock (so it never races a download of the same entry), renames the
folder aside first (no reader sees it half-deleted), and removes a symlinked entry as a link
(never what it points to).
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from typing import NamedTuple

from .. import errors
from ..utils.paths import nearest_existing, non_folder_kind
from ..utils.printable import escaped
from ..utils.users import login_name
from . import bookkeeping, health, layout

logger = logging.getLogger(__name__)

DELETING_MARK = ".deleting"


def ensure_writable_root(root: str) -> None:
    """Creates the cache folder.

    Raises:
        tfhub.errors.CacheError: if it cannot be created or written (DiskFullError when its
            disk is full), or this user may not read it (`root_error`).
    """
    problem = root_error(root)
    if problem is not None:
        raise problem
    try:
        os.makedirs(root, exist_ok=True)
    except OSError as err:
        failed = f"Cannot create the cache folder {root}"  # Escaped by write_error.
        raise bookkeeping.write_error(failed, err, root=root, path=root) from err
    if not os.access(root, os.W_OK):
        raise _unwritable_root_error(root)


def _unwritable_root_error(root: str) -> errors.CacheError:
    """The error for a cache folder this user may not write, lacking the model: a read-only
    one, or another user's (a first user's default `<tempdir>/tfhub_modules`, say)."""
    owner = os.stat(root).st_uid
    if owner == os.geteuid() or _read_only_mount(root):
        return errors.CacheError(
            f"The cache folder {escaped(root)} is read-only and does not hold a complete copy of "
            "the model. Pre-fill it with `tfhub pull`, or set TFHUB_CACHE_DIR to a writable "
            "folder.",
            path=root,
        )
    return errors.CacheError(
        f"The cache folder {escaped(root)} belongs to another user ({_user_name(owner)}, uid "
        f"{owner}) and this user may not write in it, and it does not hold a complete copy of "
        "the model. Set TFHUB_CACHE_DIR to a folder of your own; or, for a cache the users share, "
        f"its owner makes it writable to their group (`chmod 2775 {escaped(root)}` and "
        "`chgrp GROUP` it), or pre-fills it with `tfhub pull`.",
        path=root,
    )


def _read_only_mount(path: str) -> bool:
    """Whether `path` is on a file system mounted read-only (False if that cannot be told)."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def root_error(root: str) -> errors.CacheError | None:
    """The error for a cache folder this user can neither list nor create, or None.

    That is: a folder (or a link) on its path this user may not enter; a file, a link to
    nothing or a loop of links at it or on its path; the folder itself, if this user may not
    read it.
    """
    shown = escaped(root)
    try:
        os.stat(root)
    except PermissionError:
        return errors.CacheError(
            f"The cache folder {shown} cannot be reached by this user: a folder on its path may "
            f"not be entered (see `namei -l {shown}`). Ask that folder's owner for access "
            "(`chmod a+x`), or set TFHUB_CACHE_DIR to a folder of your own.",
            path=root,
        )
    except OSError:
        blocker = non_folder_on_path(root)  # Not there: it is created, unless this is there.
    else:
        blocker = None if os.path.isdir(root) else root
    if blocker is not None:
        return errors.CacheError(
            f"The cache folder {shown} cannot exist: {escaped(blocker)} "
            f"{non_folder_kind(blocker)}. Point TFHUB_CACHE_DIR at a folder (or at a path where "
            "one can be created).",
            path=root,
        )
    if os.path.isdir(root) and not os.access(root, os.R_OK | os.X_OK):
        return errors.CacheError(
            f"The cache folder {shown} cannot be read by this user (see `ls -ld {shown}`). Ask "
            f"its owner to share it (`chmod a+rx {shown}`), or set TFHUB_CACHE_DIR to a folder "
            "of your own.",
            path=root,
        )
    return None


def non_folder_on_path(root: str) -> str | None:
    """Returns `root` or its nearest existing parent if that is not a folder (a file, a link to
    nothing), else None.

    Such a cache folder can be neither read nor created.
    """
    path = nearest_existing(root)
    return None if not os.path.lexists(path) or os.path.isdir(path) else path


def remove_tree(path: str, *, strict: bool = False) -> str:
    """Removes a folder (renamed aside first), or a symlink or file as itself.

    Args:
        path: what to remove.
        strict: raise if a folder could not be removed entirely (else what is left stays,
            renamed aside, for `tfhub cache prune`).

    Returns:
        What was removed: "folder", "link" (its target is kept), "file" or "nothing".

    Raises:
        tfhub.errors.CacheError: a link or file could not be removed (its folder refuses:
            a read-only mount, say); with `strict`, files of the folder could not be removed.
        tfhub.errors.OtherUsersEntryError: `path` is an entry of another user's that this user
            may not read (`other_users_entry_error`): nothing is removed.
    """
    if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
        return _remove_file(path)
    if not os.path.lexists(path):
        return "nothing"
    doomed, refused = path, None
    if not path.endswith(DELETING_MARK + layout.TMP_SUFFIX):
        doomed, refused = _rename_aside(path)
    if strict and refused is not None:
        # Deleting in place would leave a folder of the entry's name with part of its files gone
        # (a damaged entry): what refused the rename refuses removing the folder itself.
        raise _refused_error(path, refused)
    delete_tree(doomed)
    if strict and os.path.lexists(doomed):
        raise _not_removed_error(path, doomed)
    return "folder"


def _remove_file(path: str) -> str:
    """Removes a link (not its target) or a file; returns "link", "file", or "nothing" (gone
    meanwhile).

    Raises:
        tfhub.errors.CacheError: its folder refuses the removal (a read-only mount, no write
            permission), saying so.
    """
    kind = "link" if os.path.islink(path) else "file"
    try:
        os.remove(path)
    except FileNotFoundError:
        return "nothing"  # Another `rm` or `prune` removed it meanwhile.
    except OSError as err:
        raise _refused_error(path, err) from err
    return kind


def set_aside(path: str) -> str | None:
    """Renames a folder to a name `rm` and `prune` remove, so that another can take its place
    before its files are deleted (with `remove_tree`, which is slow for a big model).

    Returns:
        Its new name; None if it is gone already (a link or file is removed at once, and a
        folder whose rename is refused is deleted in place, as `remove_tree` does).

    Raises:
        tfhub.errors.OtherUsersEntryError: `path` is an entry of another user's that this user
            may not read (`other_users_entry_error`): nothing is renamed.
    """
    if os.path.isdir(path) and not os.path.islink(path):
        doomed, refused = _rename_aside(path)
        if refused is None:
            return doomed
    remove_tree(path)
    return None


def _rename_aside(path: str) -> tuple[str, OSError | None]:
    """Renames a folder to a name `prune` removes; returns (its path now, the rename's error).

    Raises:
        tfhub.errors.OtherUsersEntryError: `path` is an entry of another user's that this user
            may not read (`other_users_entry_error`): nothing is renamed.
    """
    if layout.is_entry_name(os.path.basename(path)):
        foreign = other_users_entry_error(path)
        if foreign is not None:
            raise foreign
    doomed = f"{path}.{layout.unique_suffix()}{DELETING_MARK}{layout.TMP_SUFFIX}"
    try:
        os.rename(path, doomed)
    except OSError as err:
        return path, err
    return doomed, None


def _refused_error(path: str, err: OSError) -> errors.CacheError:
    import errno

    parent = os.path.dirname(path) or "."
    shown = escaped(parent)
    if err.errno == errno.EROFS:  # No permission or attribute to change: the mount refuses.
        return errors.CacheError(
            f"Cannot remove {escaped(path)}: its folder {shown} is on a file system mounted "
            "read-only, so nothing was removed. Remove it where that file system is mounted "
            "read-write.",
            path=path,
        )
    return errors.CacheError(
        f"Cannot remove {escaped(path)}: its folder {shown} refuses changes "
        f"({err.strerror or err}), so nothing was removed. Make {shown} writable for you "
        f"(check `ls -ld {shown}` and `lsattr -d {shown}`), or remove the entry as the owner of "
        "that folder.",
        path=path,
    )


def _not_removed_error(path: str, doomed: str) -> errors.CacheError:
    left = doomed if doomed == path else f"{doomed} (renamed from {path})"
    try:
        shutil.rmtree(doomed)  # Once more, to name the first file that resists.
    except OSError as err:
        why = err.strerror or str(err)
    else:
        return errors.CacheError(f"{escaped(path)} was removed only on a second try.", path=path)
    return errors.CacheError(
        f"Could not remove all of {escaped(path)} ({why}); what is left is in {escaped(left)}. "
        "Remove it as the owner of those files, or give yourself write permission on its folders "
        f"(chmod -R u+w {escaped(doomed)}), then run `tfhub cache prune`.",
        path=doomed,
    )


def delete_tree(folder: str) -> None:
    """Deletes a folder as fast as the system can: `rm -rf` where there is one, else shutil.

    Read-only folders inside it (entries written by tensorflow_hub keep the archive's modes)
    are made writable for their owner and deleted on a second pass.
    """
    rm = shutil.which("rm") if os.name == "posix" else None
    if rm is not None:
        import subprocess

        subprocess.run([rm, "-rf", "--", folder], check=False, stderr=subprocess.DEVNULL)
    if os.path.lexists(folder):
        _make_folders_writable(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _make_folders_writable(folder: str) -> None:
    """Adds owner write/search permission to the real folders below `folder` (and itself)."""
    import stat

    for dirpath, dirnames, _ in os.walk(folder):
        for name in [None, *dirnames]:
            path = dirpath if name is None else os.path.join(dirpath, name)
            try:
                mode = os.lstat(path).st_mode
                if stat.S_ISDIR(mode) and mode & stat.S_IRWXU != stat.S_IRWXU:
                    os.chmod(path, mode | stat.S_IRWXU)
            except OSError:
                pass


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

    layout.require_local(module_path)
    # `<entry>/` (as a shell completes a folder) is the entry, as in resolver.atomic_download.
    module_path = module_path.rstrip("/" + os.sep) or module_path
    name = os.path.basename(module_path)
    if not layout.is_entry_name(name):
        raise errors.InvalidHandleError(
            f"Refusing to remove {module_path}: cache entries are named by 40 hex digits (a "
            f"sha1); nothing was removed. Received: module_path={module_path!r}"
        )
    with locks.entry_lock(module_path, what=f"removing cache entry {name}", timeout=timeout):
        if timeout != 0:  # As for a tfhub download: what tensorflow_hub installs is removed.
            locks.wait_for_upstream_download(module_path)
        if not has_remains(module_path):  # Another `rm` or `prune` removed it while we waited.
            # Taking the lock made its file again: no lock file for an entry that does not exist.
            unlink_quietly(layout.lock_path(module_path))  # Safe while held: utils.filelock.
            return Removal(module_path, "gone")
        undeletable = undeletable_entry_error(module_path)
        if undeletable is not None:
            raise undeletable
        if only_if_damaged and _not_for_prune(module_path, health.full_damage(module_path)):
            return Removal(module_path, "kept")
        removed = remove_tree(module_path, strict=True)
        interrupted = removal_leftovers(module_path)
        for folder in interrupted:  # Before the bookkeeping, which marks the entry for a rerun.
            remove_tree(folder, strict=True)
        if removed == "nothing" and interrupted:
            removed = "leftovers"
        for extra in (layout.manifest_path(module_path), layout.descriptor_path(module_path)):
            remove_tree(extra, strict=True)
        unlink_quietly(layout.lock_path(module_path))  # Safe while held: see utils.filelock.
    return Removal(module_path, removed)


def _not_for_prune(module_path: str, problem: str | None) -> bool:
    """Whether an entry with this damage (or None) stays when only damaged entries go: a
    complete one, or another user's that this user may only not read (a private entry, maybe
    complete: renaming it aside took it from its owner, and its files could not be deleted).
    One of this user's own that it may not read is damage as any other (rf55e-F3)."""
    return problem is None or foreign_owner(module_path, problem) is not None


def removal_leftovers(module_path: str) -> list[str]:
    """Returns the folders that interrupted removals of the entry left: renamed aside, partly
    deleted (no download uses them)."""
    import glob

    pattern = glob.escape(module_path) + ".*" + DELETING_MARK + layout.TMP_SUFFIX
    return sorted(glob.glob(pattern))


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


def unlink_quietly(path: str) -> None:
    """Removes a file if it is there (a missing file, or one another process removed, is fine)."""
    try:
        os.remove(path)
    except OSError:
        pass


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
        size, problem = 0, health.MISSING_FOLDER
    elif header is not None:
        size, problem = header.size, health.damage_with_header(module_path, header)
    else:  # tensorflow_hub's entries record no sizes.
        size = sum(bookkeeping.list_files(module_path).values())
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
    """Returns the entry folders of the cache (named by a sha1; links included), sorted."""
    if not os.path.isdir(root):
        return []
    return [
        os.path.join(root, name)
        for name in sorted(os.listdir(root))
        if layout.is_entry_name(name) and _is_dir_or_link(os.path.join(root, name))
    ]


def _is_dir_or_link(path: str) -> bool:
    return os.path.isdir(path) or os.path.islink(path)


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
        return f"{_user_name(self.uid)}, uid {self.uid}"


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
    return None if uid is None else f"{_user_name(uid)}, uid {uid}"


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


def _user_name(uid: int) -> str:
    """The login name of `uid`, or "an unknown user" if the system names none."""
    return login_name(uid) or "an unknown user"
