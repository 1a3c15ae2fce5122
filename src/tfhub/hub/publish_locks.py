"""The publish locks: a model folder's (`folder_lock`) and its publisher's (`publisher_lock`).

A publish (or mirror) holds an OS lock (flock) on its model folder itself while it stages and
renames its files into place, so no lock file is written into ROOT, and the kernel releases the
lock when its holder dies, even by SIGKILL: a staging folder whose folder lock is free belongs to
nobody (see `leftovers`). Where a folder cannot be flocked (NFS wants a file open for writing),
a lock file in the temp folder is used instead, and the caller is told (`folder_lock` yields
False): a publish from another host may then own the leftovers. A commit, and a roll-back, also
take the lock of the publisher's folder while they decide about the publisher doc.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .. import errors
from . import docs_layout

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 600.0
_LOG_EVERY = 10.0
_POLL = 0.1

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: a lock file outside ROOT instead.
    fcntl = None  # type: ignore[assignment]


def try_lock(fd: int) -> bool:
    """Takes the flock of the open folder `fd` if it is free now (released when `fd` is closed).

    Returns:
        True if taken, False if another process holds it.

    Raises:
        OSError: the folder cannot be flocked (e.g. NFS).
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def folder_lock(folder: Path, *, what: str, timeout: float | None = None) -> Iterator[bool]:
    """Holds the publish lock of a model folder (an flock on the folder: no file is written).

    Args:
        folder: the model's folder (it must exist).
        what: what is waited for, named in the log and the error.
        timeout: how long to wait for another publish of the same model, in seconds (None:
            `DEFAULT_TIMEOUT`, read at call time).

    Yields:
        True if the folder itself is locked (then leftovers in it belong to nobody), False if
        only the fallback lock outside ROOT is held (a publish from another host may be running).

    Raises:
        PublishBusyError: if another process held the lock for `timeout` seconds.
        FileNotFoundError: if the folder is missing, or was removed while this waited (a
            failed publish removes the folders it made, see `staging.remove_made_folders`):
            the caller makes it again and locks again.
    """
    if fcntl is None:  # pragma: no cover
        with _fallback_lock(folder, what=what):
            yield False
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        try:
            _wait(fd, folder, what=what, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
        except errors.PublishBusyError:  # A TimeoutError, an OSError: not a failed flock.
            raise
        except OSError as err:  # E.g. NFS, where flock needs a file open for writing.
            logger.warning(
                "Cannot lock the folder %s (%s); using a lock file in %s instead (it "
                "protects only against publishes on this machine).",
                folder,
                err,
                tempfile.gettempdir(),
            )
            with _fallback_lock(folder, what=what):
                _check_still_there(fd, folder)
                yield False
            return
        _check_still_there(fd, folder)
        yield True  # Closing the descriptor releases the lock.
    finally:
        os.close(fd)


def _check_still_there(fd: int, folder: Path) -> None:
    """Raises FileNotFoundError unless `folder` is still the folder open as `fd` (it may have
    been removed, or removed and made again, while its lock was waited for)."""
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(folder))
    except FileNotFoundError:
        same = False
    if not same:
        raise FileNotFoundError(
            errno.ENOENT, "removed while its publish lock was waited for", os.fspath(folder)
        )


def _wait(fd: int, folder: Path, *, what: str, timeout: float) -> None:
    started = time.monotonic()
    logged = started
    while not try_lock(fd):
        now = time.monotonic()
        if now - started >= timeout:
            raise errors.PublishBusyError(
                f"Another process has been {what} for {timeout:.0f} s (it holds the lock of "
                f"{folder}); wait for it to finish, or stop it, then try again.",
                path=os.fspath(folder),
            )
        if now - logged >= _LOG_EVERY:
            logger.info("Still waiting for another process %s (%.0f s)", what, now - started)
            logged = now
        time.sleep(_POLL)


@contextlib.contextmanager
def _fallback_lock(folder: Path, *, what: str) -> Iterator[None]:
    from ..utils.filelock import weak_file_lock

    key = hashlib.sha256(os.fspath(folder.resolve()).encode()).hexdigest()[:32]
    lock = os.path.join(tempfile.gettempdir(), f"tfhub-publish-{key}.lock")
    with weak_file_lock(lock, what=what):
        yield


@contextlib.contextmanager
def publisher_lock(folder: Path, *, docs: Path, timeout: float | None = None) -> Iterator[None]:
    """Holds the lock of the publisher's folder `docs/<publisher>/` of a model folder while a
    commit decides whether to write the publisher doc and renames, or a roll-back decides
    whether to keep it and renames back (`commit._needed`): a roll-back in another model folder
    of that publisher then neither removes the publisher doc between a publish's look for it
    and its commit, nor decides while a publish's doc is half in place. Always taken after the
    model folder's own lock (no deadlock); nothing is held for a folder that is no model folder.

    Raises:
        PublishBusyError: another process held it for `timeout` seconds (None:
            `DEFAULT_TIMEOUT`).
    """
    publisher_doc = docs_layout.publisher_doc_of(folder, docs)
    if publisher_doc is None:
        yield
        return
    what = f"deciding about the publisher doc {publisher_doc}"
    with folder_lock(publisher_doc.parent, what=what, timeout=timeout):
        yield
