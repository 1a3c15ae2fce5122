"""The one answer to "is this path inside ROOT" (or inside another folder the hub may use), and
opening a file so that the OPENED file is what is checked.

* `is_below` compares two paths as written (made absolute, `..` dropped as text), touching no
  file: give both real paths, or both as written;
* `inside` follows the links of both (`os.path.realpath`): the path must exist (`strict`, what
  the server checks before it serves a file) or need not (a path about to be written);
* `open_inside` opens a file for reading and checks the open descriptor, not the path: a
  symlink swapped in after a path was checked (the file, or any folder above it) would
  otherwise send a file from outside ROOT. The file is opened at its real path with
  `O_NOFOLLOW` (a symlink put there since is refused) and `O_NONBLOCK` (a FIFO named like an
  archive would freeze the worker thread until some process wrote into it); it must be a
  regular file, and where it is (Linux: `/proc/self/fd/N`; elsewhere its (st_dev, st_ino)
  compared with the checked real path's) inside the folder.
"""

from __future__ import annotations

import errno
import logging
import os
import stat

logger = logging.getLogger(__name__)
StrPath = str | os.PathLike[str]
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_PROC_FD = "/proc/self/fd"


def is_below(path: StrPath, folder: StrPath) -> bool:
    """True if `path` is `folder` or below it, as written: both made absolute and normal (`..`
    dropped as text), no link followed (`/srv/hub-private` is not below `/srv/hub`)."""
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def inside(path: StrPath, root: StrPath, *, strict: bool = True) -> bool:
    """True if the real path of `path` (links followed) is the real path of `root` or below it.

    Args:
        path: the path to check.
        root: the folder it must stay in.
        strict: `path` must exist (False if it does not, or its links loop); else only the
            links of the part that exists are followed.
    """
    try:
        real = os.path.realpath(path, strict=strict)
    except (OSError, ValueError):
        return False
    return is_below(real, os.path.realpath(root))


def open_inside(path: StrPath, root: StrPath) -> int | None:
    """Opens a regular file for reading if the opened file lies inside `root` (see the module
    docstring); the caller closes the descriptor.

    Args:
        path: the file (checked before by its path: `inside`).
        root: the folder it may be served from (ROOT, or the cache of packed archives).

    Returns:
        The descriptor; None if there is no such file (removed since it was checked), or it is
        refused: a symlink put in its place, not a regular file, or not inside `root` (a
        warning names the path and why).

    Raises:
        OSError: another failure to open it (no permission): the caller's error.
    """
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        if err.errno != errno.ELOOP:
            raise
        _refuse(path, "it became a symlink after it was checked")
        return None
    try:
        problem = _problem(fd, real, real_root)
    except BaseException:
        os.close(fd)
        raise
    if problem is None:
        return fd
    os.close(fd)
    _refuse(path, problem)
    return None


def _problem(fd: int, real: str, real_root: str) -> str | None:
    """Why the open file `fd` (opened at `real`) may not be sent from `real_root`, or None."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        return "it is not a regular file (a FIFO, a device or a folder)"
    opened = _opened_path(fd)
    if opened is None:  # No /proc: the checked real path must be the file opened.
        if not is_below(real, real_root) or not same_file(fd, real):
            return f"it is not the file {real} inside {real_root}"
    elif not is_below(opened, real_root):  # " (deleted)" after it if removed: still below.
        return f"the file opened is {opened}, outside {real_root}"
    return None


def _opened_path(fd: int) -> str | None:
    """Where the open file `fd` is (Linux's `/proc/self/fd/N`), or None without /proc."""
    try:
        return os.readlink(f"{_PROC_FD}/{fd}")
    except OSError:
        return None


def same_file(fd: int, path: str) -> bool:
    """True if `path` (links followed) is the open file `fd`: same device and inode."""
    try:
        there = os.stat(path)
    except OSError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (there.st_dev, there.st_ino)


def _refuse(path: StrPath, why: str) -> None:
    logger.warning("Refused to send %s: %s (answered 404)", os.fspath(path), why)
