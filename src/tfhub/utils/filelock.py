"""A cross-process lock that dies with its process, says who holds it, and waits a bounded time.

Modelled on huggingface_hub's WeakFileLock: an OS lock (`flock`) is released by the kernel when its
holder dies, even by SIGKILL, so a crashed download never blocks others. The holder writes "<host>
pid <pid>" into the lock file, so a waiter can say which process it waits for, and touches the file
every few seconds while it holds it (a heartbeat, whose interval it writes on a second line: a
waiter with a shorter TFHUB_LOCK_TIMEOUT waits for two beats). A holder that is alive but stuck for
good (stopped with SIGSTOP) keeps its lock and stops its heartbeat: waiting ends when the holder has
shown no sign of life for TFHUB_LOCK_TIMEOUT seconds, with `LockTimeoutError`; a long download by a
live process is waited for as long as it runs. Where the filesystem cannot lock (some network
filesystems), it falls back to no lock: callers stay correct without it, because every install is a
rename of a complete folder.

A child forked while a lock is held (a worker pool) closes its copies at once: an flock belongs
to the open file, which a fork shares, and the lock outlived its holder while such a child ran.

This module takes, holds, beats and releases the lock; the lock file itself (opened safely, the
holder's lines) is `lock_file`'s, a waiter's log lines and its giving up are `lock_wait`'s; their
public names are re-exported here.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .. import constants, errors
from .lock_file import NO_FOLLOW, still_linked, write_holder
from .lock_file import holder_text as holder_text
from .lock_file import open_shared as _open_shared  # A global here: tests wrap it.
from .lock_file import read_heartbeat as read_heartbeat
from .lock_file import read_holder as read_holder
from .lock_file import unsafe_lock_error as unsafe_lock_error
from .lock_wait import LOG_EVERY_SEC as LOG_EVERY_SEC  # Read from lock_wait, their one home.
from .lock_wait import WARN_AFTER_SEC as WARN_AFTER_SEC
from .lock_wait import BeatWatch, WaitLog, silence_limit, timeout_error
from .printable import escaped
from .threads import daemon_thread

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: filelock's lock, without the holder's name.
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

_POLL_SEC = 0.05
HEARTBEAT_SEC = 5.0  # How often a holder touches its lock file (`heartbeat_interval`).
_MIN_HEARTBEAT_SEC = 0.05

# Held locks: fd -> the token of the lock taken on it; no fork falls between a lock and its
# record here. A child forked meanwhile starts with none: its copies are closed, and a number
# it reuses for a lock of its own has another token, which a `_release` of the inherited
# lock (a frame it inherited, leaving its `with`) does not match.
_held: dict[int, object] = {}
_fork_guard = threading.Lock()


def _before_fork() -> None:
    _fork_guard.acquire()


def _after_fork_in_parent() -> None:
    _fork_guard.release()


def _after_fork_in_child() -> None:
    """Closes the child's copies of its parent's locks (the parent's heartbeat goes on)."""
    global _fork_guard
    for fd in _held:
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()
    _fork_guard = threading.Lock()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX.
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )


def _lock_now(fd: int) -> object:
    """Locks `fd` at once and records it; returns the lock's token for `_release` (raises as
    `fcntl.flock`: BlockingIOError if held)."""
    token = object()
    with _fork_guard:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _held[fd] = token
    return token


def _release(fd: int, token: object) -> None:
    """Unlocks and closes the lock `token` names (not in a child forked since it was taken:
    its copy is closed, and `fd` may be another lock's there)."""
    with _fork_guard:
        if _held.get(fd) is not token:
            return
        del _held[fd]
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


@contextmanager
def weak_file_lock(lock_path: str, *, what: str, timeout: float | None = None) -> Iterator[bool]:
    """Holds an exclusive OS lock on `lock_path` while the block runs.

    Args:
        lock_path: the lock file (its folder is created if missing).
        what: what is being waited for, named in log messages and errors.
        timeout: seconds the holder may go without a heartbeat before waiting ends (default:
            TFHUB_LOCK_TIMEOUT); 0 tries once.

    Yields:
        True if the OS lock is held, False if locking was impossible and the block runs
        unlocked (read-only cache folder, filesystem without locks).

    Raises:
        tfhub.errors.LockTimeoutError: the process holding the lock showed no sign of life for
            `timeout` seconds; the error names that process and the variable to set.
    """
    limit = constants.lock_timeout() if timeout is None else timeout
    if fcntl is None:  # pragma: no cover
        with _filelock_fallback(lock_path, what=what, timeout=limit) as held:
            yield held
        return
    interval = heartbeat_interval(limit)
    locked = _open_locked(lock_path, what=what, timeout=limit, interval=interval)
    if locked is None:
        yield False
        return
    fd, token = locked
    heartbeat = _Heartbeat(fd, interval)
    try:
        yield True
    finally:
        heartbeat.stop()
        _release(fd, token)


def heartbeat_interval(timeout: float) -> float:
    """How often a holder whose own wait limit is `timeout` touches its lock: every
    HEARTBEAT_SEC, or a quarter of `timeout` if that is shorter (at least 50 ms). Its waiters
    read the same TFHUB_LOCK_TIMEOUT: with TFHUB_LOCK_TIMEOUT=3, a live holder beating every
    5 s looked dead to them after 3 s. A waiter with a shorter TFHUB_LOCK_TIMEOUT than its
    holder's waits for two of the holder's beats (written in the lock: `read_heartbeat`)."""
    if timeout <= 0:
        return HEARTBEAT_SEC
    return min(HEARTBEAT_SEC, max(timeout / 4, _MIN_HEARTBEAT_SEC))


class _Heartbeat:
    """Touches a held lock file every `interval` seconds, so waiters can tell a live holder."""

    def __init__(self, fd: int, interval: float) -> None:
        self._fd = fd
        self._interval = interval
        self._stop = threading.Event()
        self._thread = daemon_thread(self._run, name="tfhub-lock-heartbeat")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                os.utime(self._fd)
            except OSError:
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def try_lock(lock_path: str) -> bool | None:
    """Takes and releases the lock at once: True if it was free, False if held, None if unknown."""
    if fcntl is None or not os.path.lexists(lock_path):  # pragma: no cover - fcntl: Windows.
        return None if fcntl is None else True
    try:
        fd = os.open(lock_path, os.O_RDWR | NO_FOLLOW | os.O_NONBLOCK)
    except OSError:
        return None  # A link is never followed: whose lock it is, is unknown.
    try:
        token = _lock_now(fd)
    except BlockingIOError:
        os.close(fd)
        return False
    except OSError:
        os.close(fd)
        return None
    _release(fd, token)
    return True


def _open_locked(
    lock_path: str, *, what: str, timeout: float, interval: float
) -> tuple[int, object] | None:
    """Opens and locks the file (waiting while its holder shows signs of life, up to `timeout`
    without one): its fd and the lock's token; None if locking is impossible. Once locked, it
    says who holds it and how often it beats (`interval`)."""
    started = time.monotonic()
    wait_log = WaitLog(
        lock_path, what=what, timeout=timeout, slowest_beat=HEARTBEAT_SEC, started=started
    )
    beats = BeatWatch(lock_path, started)
    while True:
        attempt = _try_locking(lock_path, interval)
        if not isinstance(attempt, str):
            return attempt  # (fd, token), or None: locking is impossible.
        if attempt == _REMOVED:
            continue  # `tfhub cache prune` removed the file meanwhile: lock anew.
        now = time.monotonic()
        silence = beats.silence(now)
        # A tfhub holder never beats slower than HEARTBEAT_SEC, whatever its lock says.
        if timeout == 0 or silence >= silence_limit(lock_path, timeout, slowest_beat=HEARTBEAT_SEC):
            raise timeout_error(lock_path, what=what, waited=now - started, silence=silence)
        wait_log.tick(now)
        time.sleep(_POLL_SEC)


# What `_try_locking` found, when it holds no lock and locking is not impossible.
_HELD = "held"  # Another process holds the lock.
_REMOVED = "removed"  # The file was locked after it was removed: the lock is released.


def _try_locking(lock_path: str, interval: float) -> tuple[int, object] | str | None:
    """Opens and locks the file once, without waiting.

    Returns:
        (fd, token) if locked (the holder's lines written); `_HELD` if another process holds
        it; `_REMOVED` if the file locked was no longer at `lock_path`; None if locking is
        impossible (logged).

    Raises:
        tfhub.errors.UnsafeLockFileError: the lock file is a link or not a regular file.
    """
    try:
        fd = _open_shared(lock_path)
    except errors.UnsafeLockFileError:
        raise
    except OSError as err:
        logger.info(
            "Cannot create lock %s (%s); continuing without a lock.", escaped(lock_path), err
        )
        return None
    try:
        token = _lock_now(fd)
    except BlockingIOError:
        os.close(fd)
        return _HELD
    except OSError as err:
        os.close(fd)
        logger.warning("Cannot lock %s (%s); continuing without a lock.", escaped(lock_path), err)
        return None
    if still_linked(fd, lock_path):
        write_holder(fd, interval)
        return fd, token
    _release(fd, token)
    return _REMOVED


@contextmanager
def _filelock_fallback(
    lock_path: str, *, what: str, timeout: float
) -> Iterator[bool]:  # pragma: no cover - Windows only.
    import filelock

    try:
        os.makedirs(os.path.dirname(lock_path), exist_ok=True)
        lock = filelock.FileLock(lock_path, mode=0o664)
        lock.acquire(timeout=timeout)
    except filelock.Timeout:
        raise timeout_error(lock_path, what=what, waited=timeout) from None
    except OSError as err:
        logger.warning("Cannot lock %s (%s); continuing without a lock.", escaped(lock_path), err)
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
