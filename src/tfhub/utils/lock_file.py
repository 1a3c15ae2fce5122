"""The lock file of `filelock.weak_file_lock` itself: opening it safely in a folder others may
write in (never through a link, shared as its folder is), and what its holder writes in it ("<host>
pid <pid>", then how often it beats) for waiters to read.
"""

from __future__ import annotations

import os
import socket
import stat

from .. import errors
from .printable import escaped
from .regular_files import read_regular

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)  # 0 on Windows, whose lock is filelock's.
_BEAT_PREFIX = "heartbeat "


def holder_text() -> str:
    """Returns who this process is, as it writes it into a lock it holds: "<host> pid <pid>"."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def read_holder(lock_path: str) -> str | None:
    """Returns who holds (or last held) a lock, as written by `holder_text`, or None."""
    lines = _read_lines(lock_path)
    return lines[0] if lines else None


def read_heartbeat(lock_path: str) -> float | None:
    """Returns how often the holder of a lock touches it (seconds), as it wrote it on the
    lock's second line, or None (a holder that did not write it: an earlier tfhub)."""
    lines = _read_lines(lock_path)
    if len(lines) < 2 or not lines[1].startswith(_BEAT_PREFIX):
        return None
    try:
        seconds = float(lines[1][len(_BEAT_PREFIX) :])
    except ValueError:
        return None
    return seconds if 0 < seconds < float("inf") else None


def _read_lines(lock_path: str) -> list[str]:
    """The first lines of a lock file; none if it is missing, unreadable, a link or not a
    regular file (never read through a link, nor blocked on a named pipe)."""
    try:
        data = read_regular(lock_path, limit=199, follow_links=False)
    except OSError:
        return []
    return [] if data is None else data.decode("utf-8", "replace").strip().splitlines()


def open_shared(lock_path: str) -> int:
    """Opens (creating it if needed) a lock file, shared as its folder is.

    The folder of locks gets the permissions of the folder it is in (the cache's), and a lock
    file this process creates is readable and writable by whoever may write in that folder:
    the umask (022 for most users) made them 755 and 644 in a cache a group shares (2775), so
    that every other member ran without locks. As huggingface_hub's locks are (0o664).

    The file is never followed through a link (review50a-F5): in a cache a group writes, any
    member may plant the lock's name as a link to a file another member may write, which that
    member's lock would truncate, overwrite and chmod.

    Raises:
        tfhub.errors.UnsafeLockFileError: the lock file is a symbolic or hard link, or not a
            regular file; nothing was written through it.
        OSError: the file cannot be created or opened (the caller goes on without a lock).
    """
    folder = os.path.dirname(lock_path)
    if not os.path.isdir(folder):
        os.makedirs(folder, exist_ok=True)
        _chmod_quietly(folder, stat.S_IMODE(os.stat(os.path.dirname(folder) or ".").st_mode))
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | NO_FOLLOW | os.O_NONBLOCK, 0o664)
    except OSError as err:
        if os.path.islink(lock_path):
            raise unsafe_lock_error(lock_path, "is a symbolic link") from err
        raise
    found = os.fstat(fd)
    problem = _unsafe_problem(found)
    if problem is not None:
        os.close(fd)
        raise unsafe_lock_error(lock_path, problem)
    if found.st_uid == os.geteuid():
        wanted = 0o666 & stat.S_IMODE(os.stat(folder).st_mode)  # The folder's rw bits.
        if stat.S_IMODE(found.st_mode) != wanted:
            _chmod_quietly(fd, wanted | stat.S_IRUSR | stat.S_IWUSR)
    return fd


def _unsafe_problem(found: os.stat_result) -> str | None:
    """What makes an opened lock file unsafe to write (a hard link to another file, a named
    pipe, a device), or None for a regular file of one name."""
    if not stat.S_ISREG(found.st_mode):
        return "is not a regular file"
    if found.st_nlink > 1:
        return f"is a hard link (the file has {found.st_nlink} names)"
    return None


def unsafe_lock_error(path: str, problem: str) -> errors.UnsafeLockFileError:
    """The error for a lock file or folder of locks that `problem` (e.g. "is a symbolic link")
    makes unsafe: says what, where and what to do."""
    try:
        target = f" (to {escaped(os.readlink(path))})"
    except OSError:  # Not a link (or gone meanwhile).
        target = ""
    return errors.UnsafeLockFileError(
        f"The lock {escaped(path)} {problem}{target}: tfhub writes nothing through it, since "
        "in a cache others may write in, it may lead to another user's file. Remove it "
        f"(`rm {escaped(path)}`; ask who made it), then try again.",
        path=path,
    )


def _chmod_quietly(target: int | str, mode: int) -> None:
    """Sets a mode where this process may (a folder another user made keeps its own)."""
    try:
        os.chmod(target, mode)
    except OSError:
        pass


def still_linked(fd: int, lock_path: str) -> bool:
    try:
        return os.fstat(fd).st_ino == os.lstat(lock_path).st_ino
    except OSError:
        return False


def write_holder(fd: int, interval: float) -> None:
    text = f"{holder_text()}\n{_BEAT_PREFIX}{interval:g}\n"
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode("utf-8"), 0)
    except OSError:
        pass  # A read-only or full disk: the lock still works; waiters just cannot name us.
