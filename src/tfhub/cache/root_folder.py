"""The cache folder itself: whether this user can reach, list, create and write it.

Each refusal is a `tfhub.errors.CacheError` saying why (a folder on its path this user may not
enter, a file in its place, another user's folder, a read-only mount) and what to do.
"""

from __future__ import annotations

import os

from .. import errors
from ..utils.paths import nearest_existing, non_folder_kind
from ..utils.printable import escaped
from .owners import user_name


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
        from .safe_writes import write_error  # Only here: `tfhub cache list` writes nothing.

        failed = f"Cannot create the cache folder {root}"  # Escaped by write_error.
        raise write_error(failed, err, root=root, path=root) from err
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
        f"The cache folder {escaped(root)} belongs to another user ({user_name(owner)}, uid "
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


def writable_text(root: str) -> str:
    """Says whether this user may write the cache folder `root` (`tfhub cache info`): "True" or
    "False"; for a folder not made yet, "not created yet" if this user may create it (the first
    download does), else "False (not created yet, ...)" naming the folder that stops it (its
    nearest existing parent, read-only or another user's: a download fails there)."""
    if os.path.isdir(root):
        return str(os.access(root, os.W_OK))
    parent = nearest_existing(root)  # A folder, unless `root_error` refuses the path.
    if os.access(parent, os.W_OK | os.X_OK):
        return "not created yet"
    return (
        f"False (not created yet, and this user may not create it: {escaped(parent)} is not "
        "writable to this user; set TFHUB_CACHE_DIR to a folder of your own)"
    )
