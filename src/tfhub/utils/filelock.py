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
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .. import constants, errors
from .printable import escaped
from .regular_files import read_regular
from .threads import daemon_thread

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: filelock's lock, without the holder's name.
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)  # 0 on Windows, whose lock is filelock's.

LOG_EVERY_SEC = 10.0
# A wait this long is said once as a WARNING (shown without -v): waiting in silence for 14 s
# looked like a hang. The lines after it stay at INFO, every LOG_EVERY_SEC (also for the
# waits of `tfhub.cache.locks.wait_for_upstream_download`).
WARN_AFTER_SEC = 3.0
_POLL_SEC = 0.05
HEARTBEAT_SEC = 5.0  # How often a holder touches its lock file (`heartbeat_interval`).
_MIN_HEARTBEAT_SEC = 0.05


_BEAT_PREFIX = "heartbeat "

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
        fd = os.open(lock_path, os.O_RDWR | _NO_FOLLOW | os.O_NONBLOCK)
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
    wait_log = _WaitLog(lock_path, what=what, timeout=timeout, started=started)
    beats = _BeatWatch(lock_path, started)
    while True:
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
        except OSError as err:
            os.close(fd)
            logger.warning(
                "Cannot lock %s (%s); continuing without a lock.", escaped(lock_path), err
            )
            return None
        else:
            if _still_linked(fd, lock_path):
                _write_holder(fd, interval)
                return fd, token
            _release(fd, token)  # `tfhub cache prune` removed the file meanwhile: lock anew.
            continue
        now = time.monotonic()
        silence = beats.silence(now)
        if timeout == 0 or (silence >= timeout and silence >= _beats_missed(lock_path)):
            raise _timeout_error(lock_path, what=what, waited=now - started, silence=silence)
        wait_log.tick(now)
        time.sleep(_POLL_SEC)


class _WaitLog:
    """Says that a process waits for a lock: once as a WARNING after WARN_AFTER_SEC, then at
    INFO every LOG_EVERY_SEC (shown with -v)."""

    def __init__(self, lock_path: str, *, what: str, timeout: float, started: float) -> None:
        self._path = lock_path
        self._what = what
        self._timeout = timeout
        self._started = started
        self._next = started + WARN_AFTER_SEC
        self._warned = False

    def tick(self, now: float) -> None:
        """Logs a line if one is due at `now` (monotonic seconds)."""
        if now < self._next:
            return
        self._next = now + LOG_EVERY_SEC
        holder = read_holder(self._path)
        who = f"the process {escaped(holder)}" if holder else "another process"
        if self._warned:
            logger.info(
                "Still waiting for %s: %s holds %s (%.0f s so far; TFHUB_LOCK_TIMEOUT=%g s)",
                self._what, who, escaped(self._path), now - self._started, self._timeout,
            )  # fmt: skip
            return
        self._warned = True
        logger.warning(
            "Waiting on the lock for %s: %s holds it (%s). Waiting lasts while that process "
            "shows signs of life, and ends after %g s without one (TFHUB_LOCK_TIMEOUT).",
            self._what, who, escaped(self._path), self._timeout,
        )  # fmt: skip


def _open_shared(lock_path: str) -> int:
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
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | _NO_FOLLOW | os.O_NONBLOCK, 0o664)
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


class _BeatWatch:
    """Tells how long a holder has shown no sign of life, on the waiter's monotonic clock.

    A sign of life is a CHANGE of the lock file's mtime (or inode), not its value: comparing a
    heartbeat's wall-clock stamp with the waiter's wall clock made a live holder look dead
    after a forward clock jump (NTP step, a resumed VM, a holder whose clock lags), and a
    stuck one look alive for as long as a backward jump.
    """

    def __init__(self, lock_path: str, started: float) -> None:
        self._path = lock_path
        self._seen = self._stamp()
        self._changed = started

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self._path)
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def silence(self, now: float) -> float:
        """Seconds (monotonic) since the last change seen, or since waiting began."""
        stamp = self._stamp()
        if stamp != self._seen:
            self._seen, self._changed = stamp, now
        return now - self._changed


def _beats_missed(lock_path: str) -> float:
    """Seconds of silence that prove nothing about a live holder: two of its beats (a holder
    whose TFHUB_LOCK_TIMEOUT is the default beats every 5 s, whatever the waiter's is)."""
    beat = read_heartbeat(lock_path)  # A tfhub holder never beats slower than HEARTBEAT_SEC.
    return 2 * min(beat, HEARTBEAT_SEC) if beat is not None else 0.0


def _still_linked(fd: int, lock_path: str) -> bool:
    try:
        return os.fstat(fd).st_ino == os.lstat(lock_path).st_ino
    except OSError:
        return False


def _write_holder(fd: int, interval: float) -> None:
    text = f"{holder_text()}\n{_BEAT_PREFIX}{interval:g}\n"
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode("utf-8"), 0)
    except OSError:
        pass  # A read-only or full disk: the lock still works; waiters just cannot name us.


def _timeout_error(
    lock_path: str, *, what: str, waited: float, silence: float = 0.0
) -> errors.LockTimeoutError:
    holder = read_holder(lock_path)
    who = f"the process {holder}" if holder else "another process"
    return errors.LockTimeoutError(
        f"Gave up waiting for {what} after {waited:.0f} s: {who} holds the lock "
        f"{escaped(lock_path)} and has shown no sign of life for {silence:.0f} s. If that "
        "process is stuck (stopped or hung), end it; or set TFHUB_LOCK_TIMEOUT to wait longer "
        "(seconds).",
        lock_path=lock_path,
        holder=holder,
        waited=waited,
    )


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
        raise _timeout_error(lock_path, what=what, waited=timeout) from None
    except OSError as err:
        logger.warning("Cannot lock %s (%s); continuing without a lock.", escaped(lock_path), err)
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
