"""Deleting paths of the cache: a folder is renamed aside first, a link removed as a link.

A folder renamed aside (`<entry>.<unique>.deleting.tmp`) is no longer the entry, so no reader
sees it half-deleted; what a killed removal leaves under such a name `rm` and `prune` finish.
Refusals (a read-only mount, a folder this user may not change) are said with what to do.
"""

from __future__ import annotations

import os
import shutil

from .. import errors
from ..utils.printable import escaped
from . import layout
from .owners import other_users_entry_error

DELETING_MARK = ".deleting"


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
        try:
            import subprocess

            subprocess.run([rm, "-rf", "--", folder], check=False, stderr=subprocess.DEVNULL)
        except OSError:  # No descriptor to import it or for its pipe, no memory to fork:
            pass  # shutil's turn. A cleanup raising here hid the error it cleaned up after.
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


def removal_leftovers(module_path: str) -> list[str]:
    """Returns the folders that interrupted removals of the entry left: renamed aside, partly
    deleted (no download uses them)."""
    import glob

    pattern = glob.escape(module_path) + ".*" + DELETING_MARK + layout.TMP_SUFFIX
    return sorted(glob.glob(pattern))


def unlink_quietly(path: str) -> None:
    """Removes a file if it is there (a missing file, or one another process removed, is fine)."""
    try:
        os.remove(path)
    except OSError:
        pass
