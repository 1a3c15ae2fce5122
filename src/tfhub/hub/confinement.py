"""The one answer to "is this path inside ROOT" (or inside another folder the hub may use), and
opening a file so that the OPENED file is what is checked.

* `is_below` compares two paths as written (made absolute, `..` dropped as text), touching no
  file: give both real paths, or both as written;
* `inside` follows the links of both (`os.path.realpath`): the path must exist (`strict`, what
  the server checks before it serves a file) or need not (a path about to be written);
* `real_inside` is the real path of a folder if it is inside ROOT (what is packed or measured
  then), else None with a warning;
* `open_inside` opens a file for reading and checks what it opened, not the path: a symlink
  swapped in after a path was checked (the file, or any folder above it) would otherwise send a
  file from outside ROOT. Links are followed once, by `os.path.realpath`, so a symlink inside
  ROOT to another place inside ROOT is served; the real path must lie inside the real ROOT, and
  is then opened from a descriptor of the real ROOT one name at a time, every folder with
  `O_NOFOLLOW | O_DIRECTORY` and the file with `O_NOFOLLOW | O_NONBLOCK` (a FIFO named like an
  archive would freeze the worker thread until some process wrote into it), each relative to
  the folder opened before (`dir_fd`); the folders are opened for search only (`O_PATH` on
  Linux, else `O_SEARCH` if Python has it, else `O_RDONLY`, which needs read permission), so
  a folder the server may pass through but not list (mode 0711) is no obstacle. A symlink
  swapped in anywhere below ROOT since realpath ran is refused (ELOOP, or ENOTDIR/EMLINK) on
  every POSIX system, with no /proc. The file must be a regular file. On Linux,
  `/proc/self/fd/N` is read too (one readlink), a second opinion for what the walk cannot see:
  a folder RENAMED out of ROOT while the walk held it.
  Without `dir_fd` (Windows) the real path is opened and compared by (st_dev, st_ino);
* `read_inside` reads a bounded number of bytes (`utils/regular_files.read_open`) of a file
  opened by `open_inside` (the docs the JSON API reads, and the docs that are symlinks the
  catalog's scan reads: a doc swapped for a symlink out of ROOT, or for a FIFO, is never read);
  the scan opens its other docs in one walk (`doc_walk`) and checks each with
  `opened_problem`, as here.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from ..utils.regular_files import read_open as read_open  # Also doc_walk's bounded read.

logger = logging.getLogger(__name__)
StrPath = str | os.PathLike[str]
OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
# Folders on the walk need only search permission (x), as a path lookup does: O_PATH (Linux)
# opens a folder without read permission (r) and `openat` relative to it works; else O_SEARCH
# where Python exposes it; else O_RDONLY, which needs r (a folder of mode 0711 on the way to
# the file is then refused with PermissionError on those systems).
_DIR_ACCESS = getattr(os, "O_PATH", 0) or getattr(os, "O_SEARCH", 0) or os.O_RDONLY
_DIR_FLAGS = (
    _DIR_ACCESS
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_PROC_FD = "/proc/self/fd"
_WALK = os.open in os.supports_dir_fd  # Not on Windows: `open_below`.
# A symlink (or a file) where a folder or the file was: Linux and macOS give ELOOP for a
# symlink opened with O_NOFOLLOW, FreeBSD EMLINK; a file in place of a folder ENOTDIR.
SWAPPED = frozenset({errno.ELOOP, errno.EMLINK, errno.ENOTDIR})


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


def real_inside(
    folder: StrPath, root: StrPath, *, refused: str = "answered 404", quiet: bool = False
) -> str | None:
    """The real path of `folder` if it lies inside the real path of `root`; else None, with a
    warning naming both (a folder swapped for a symlink out of ROOT since the scan).

    Args:
        folder: the folder to read (a folder version's model folder).
        root: the folder it must lie in (ROOT).
        refused: what a refusal leads to, said in the warning.
        quiet: no warning (the caller warned about this folder before).
    """
    try:
        real = os.path.realpath(folder, strict=True)
    except (OSError, ValueError):
        return None
    real_root = os.path.realpath(root)
    if is_below(real, real_root):
        return real
    if not quiet:
        refuse(folder, f"its real path {real} is outside {real_root}", refused=refused)
    return None


def open_inside(
    path: StrPath,
    root: StrPath,
    *,
    refused: str = "answered 404",
    quiet: bool = False,
    real_root: str | None = None,
) -> int | None:
    """Opens a regular file for reading if the opened file lies inside `root` (see the module
    docstring); the caller closes the descriptor.

    Args:
        path: the file (checked before by its path: `inside`).
        root: the folder it may be served from (ROOT, or the cache of packed archives).
        refused: what a refusal leads to, said in the warning.
        quiet: no warning (the caller warned about this file before).
        real_root: `os.path.realpath(root)`, if the caller has it (a scan: once, not per doc).

    Returns:
        The descriptor; None if there is no such file (removed since it was checked), or it is
        refused: its real path outside `root`, a symlink put in its place or in place of a
        folder above it, not a regular file, or found outside `root` once open (a warning names
        the path and why).

    Raises:
        OSError: another failure to open it (no permission): the caller's error.
    """
    real = os.path.realpath(path)
    real_root = os.path.realpath(root) if real_root is None else real_root
    why, fd = None, None
    if not is_below(real, real_root):
        why = f"its real path {real} is outside {real_root}"
    else:
        try:
            fd = open_below(real_root, real)
        except FileNotFoundError:
            return None
        except OSError as err:
            if err.errno not in SWAPPED:
                raise
            why = _why_swapped(err, real, real_root)
    if fd is not None:
        try:
            why = opened_problem(fd, real, real_root)
        except BaseException:
            os.close(fd)
            raise
        if why is None:
            return fd
        os.close(fd)
    if not quiet and why is not None:
        refuse(path, why, refused=refused)
    return None


def read_inside(
    path: StrPath,
    root: StrPath,
    *,
    limit: int,
    refused: str,
    quiet: bool = False,
    real_root: str | None = None,
) -> bytes | None:
    """The first `limit` + 1 bytes of the regular file `path` opened inside `root`
    (`open_inside`: the OPENED file is checked, so a file outside `root`, a FIFO or a device is
    never read; more bytes than `limit` tell the caller the file is larger); None if it is gone
    or refused (a warning says why, unless `quiet`; `refused`: what that leads to; `real_root`:
    `os.path.realpath(root)` if the caller has it). Its size (fstat) + 1 bytes are asked for,
    not `limit` + 1 (a buffer of 64 MiB per small doc), then the rest up to `limit` + 1 if it
    grew meanwhile.

    Raises:
        OSError: another failure to open or read it (no permission, an I/O error).
    """
    fd = open_inside(path, root, refused=refused, quiet=quiet, real_root=real_root)
    if fd is None:
        return None
    try:
        return read_open(fd, limit=limit)
    finally:
        os.close(fd)


def _why_swapped(err: OSError, real: str, real_root: str) -> str:
    """The warning's words for a walk refused with `err` (ELOOP, EMLINK or ENOTDIR): ENOTDIR
    comes from a folder's open, and is a symlink (O_PATH gives ENOTDIR for one) or a file put
    in place of a folder above the file (looked at again for the words only)."""
    if err.errno == errno.ENOTDIR and not any(map(os.path.islink, _folders(real_root, real))):
        # Not a link above it (nor `real` itself, a folder opened with O_PATH): a file.
        return (
            "a folder above it is no longer a folder (a file put in its place) since it was checked"
        )
    return "it became a symlink, or a folder above it did, after it was checked"


def _folders(real_root: str, real: str) -> list[str]:
    """The folders between `real_root` (excluded) and `real` (a path below it; included)."""
    names = os.path.relpath(real, real_root).split(os.sep)
    return [os.path.join(real_root, *names[: count + 1]) for count in range(len(names))]


def open_below(real_root: str, real: str, *, flags: int = OPEN_FLAGS) -> int:
    """Opens `real` (a real path below `real_root`) one name at a time from a descriptor of
    `real_root`, following no link (see the module docstring); the last name with `flags`
    (`_DIR_FLAGS` for a folder).

    Raises:
        OSError: ELOOP, EMLINK or ENOTDIR for a symlink met; FileNotFoundError for a name gone.
    """
    if not _WALK:  # Windows: the real path, compared after the open (`opened_problem`).
        return os.open(real, flags)
    names = [] if real == real_root else os.path.relpath(real, real_root).split(os.sep)
    if not names:
        return os.open(real_root, flags)
    fd = os.open(real_root, _DIR_FLAGS)
    try:
        for name in names[:-1]:
            parent, fd = fd, -1
            try:
                fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
            finally:
                os.close(parent)
        return os.open(names[-1], flags, dir_fd=fd)
    finally:
        if fd >= 0:
            os.close(fd)


@contextmanager
def held_folder(
    folder: StrPath, root: StrPath, *, refused: str = "answered 404"
) -> Iterator[str | None]:
    """A path to read `folder` by while the block runs, that stays the folder found inside the
    real `root` when it was opened: on Linux `/proc/self/fd/N` of the folder opened by the
    confined walk (a symlink swapped in for it, or it renamed, afterwards changes nothing: the
    path leads to the opened folder); None if its real path is outside `root` or a symlink was
    met (a warning says so), or it is gone. Without /proc or `dir_fd`, its real path
    (`real_inside`): a folder swapped between that check and the reads is then not seen.

    Args:
        folder: the folder to read (a folder version's model folder).
        root: the folder it must lie in (ROOT).
        refused: what a refusal leads to, said in the warning.
    """
    real = real_inside(folder, root, refused=refused)
    if real is None or not _WALK or not os.path.isdir(_PROC_FD):
        yield real
        return
    real_root = os.path.realpath(root)
    try:
        fd = open_below(real_root, real, flags=_DIR_FLAGS)
    except FileNotFoundError:
        yield None
        return
    except OSError as err:
        if err.errno not in SWAPPED:
            raise
        refuse(folder, _why_swapped(err, real, real_root), refused=refused)
        yield None
        return
    try:
        opened = opened_path(fd)
        if opened is not None and is_below(opened, real_root):
            yield f"{_PROC_FD}/{fd}"
        else:
            refuse(folder, f"the folder opened is {opened}, outside {real_root}", refused=refused)
            yield None
    finally:
        os.close(fd)


def opened_problem(fd: int, real: str, real_root: str) -> str | None:
    """Why the open file `fd` (opened at `real`) may not be sent from `real_root`, or None."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        return "it is not a regular file (a FIFO, a device or a folder)"
    opened = opened_path(fd)
    if opened is None:  # No /proc: the walk opened no link; without dir_fd, compare inodes.
        if not _WALK and not same_file(fd, real):
            return f"it is not the file {real} inside {real_root}"
    elif not is_below(opened, real_root):  # " (deleted)" after it if removed: still below.
        return f"the file opened is {opened}, outside {real_root}"
    return None


def opened_path(fd: int) -> str | None:
    """Where the open file `fd` is (Linux's `/proc/self/fd/N`), or None without /proc."""
    try:
        return os.readlink(f"{_PROC_FD}/{fd}")
    except OSError:
        return None


def same_file(fd: int, path: str | os.PathLike[str], *, follow_links: bool = True) -> bool:
    """True if `path` (links followed, unless `follow_links` is False) is the open file `fd`:
    same device and inode."""
    try:
        there = os.stat(path, follow_symlinks=follow_links)
    except OSError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (there.st_dev, there.st_ino)


def refuse(path: StrPath, why: str, *, refused: str = "answered 404") -> None:
    logger.warning("Refused to send %s: %s (%s)", os.fspath(path), why, refused)
