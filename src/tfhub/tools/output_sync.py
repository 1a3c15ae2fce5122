"""Flushing the tools' outputs to the disk: a file, a folder's entries, a whole tree, and the
folders that hold a new output (so that after a power loss an output is the old one or the
whole new one). A file system that cannot flush a folder (EINVAL, ENOTSUP) is accepted.
"""

from __future__ import annotations

import errno
import os
import stat


def fsync_folder(folder: str) -> None:
    """Flushes `folder`'s entries (a rename, a new file) to the disk.

    A file system that cannot flush a folder (EINVAL, ENOTSUP) is accepted; without
    `os.O_DIRECTORY` (Windows) nothing is done.
    """
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover
        return
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(handle)


def _fsync_file(path: str) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def fsync_tree(root: str) -> None:
    """Flushes every regular file and every folder under `root` (itself included)."""
    for folder, _, names in os.walk(root, topdown=False):
        for name in names:
            path = os.path.join(folder, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                _fsync_file(path)
        fsync_folder(folder)


def fsync_parents(target: str, created: list[str]) -> None:
    """Flushes the folder holding `target` and the folders holding the ones a write created."""
    folders = {os.path.dirname(target)} | {os.path.dirname(each) for each in created}
    for folder in sorted(folders, key=len, reverse=True):
        fsync_folder(folder)
