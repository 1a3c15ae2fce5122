"""Who is working on an entry: tfhub's OS locks and tensorflow_hub's lock files.

tfhub locks `<cache>/.locks/<sha1>.lock` with `flock` (released by the kernel when its holder
dies). tensorflow_hub writes `<cache>/<sha1>.lock` holding "<host>.<pid>.<task uid>" and
deletes it when done; a process killed meanwhile leaves it behind. If that host is this one and
that process is gone, the lock is stale and nobody needs to wait for it. tfhub writes that file
too while it downloads (`upstream_lock`), so tensorflow_hub processes wait for its downloads as
for their own.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from .. import constants, errors
from ..utils import filelock, lock_wait, processes
from ..utils.numbers import is_number
from ..utils.printable import escaped
from ..utils.records import FrozenRecord
from ..utils.redact import redact
from . import bookkeeping, entry_files, health, layout

logger = logging.getLogger(__name__)


@contextmanager
def entry_lock(module_path: str, *, what: str, timeout: float | None = None) -> Iterator[bool]:
    """Holds the entry's OS lock (see `tfhub.utils.filelock.weak_file_lock`).

    Raises:
        tfhub.errors.LockTimeoutError: another process held it longer than `timeout`.
        tfhub.errors.UnsafeLockFileError: the lock file, or the cache's folder of locks, is a
            link (never followed: it may lead to another user's files) or not a regular file.
    """
    locks_folder = os.path.dirname(layout.lock_path(module_path))
    if os.path.islink(locks_folder):
        raise filelock.unsafe_lock_error(locks_folder, "is a symbolic link")
    with filelock.weak_file_lock(
        layout.lock_path(module_path), what=redact(what), timeout=timeout
    ) as held:
        yield held


def is_download_running(module_path: str) -> bool:
    """Returns True if a live process is downloading this entry (tfhub's or tensorflow_hub's)."""
    upstream = read_upstream_lock(module_path)
    if upstream is not None and not upstream.is_stale():
        return True
    return filelock.try_lock(layout.lock_path(module_path)) is False


def install_running(module_path: str) -> bool:
    """Returns True if a live process may be installing (or removing) this entry's folder now:
    tfhub's lock of the entry is held, or tensorflow_hub's `<entry>.lock` looks live and the
    folder is missing or empty.

    tensorflow_hub never downloads over a folder that holds anything: holding its lock, it
    returns such a folder as it is and deletes only an empty one (resolver.py,
    `atomic_download`); it writes into `<entry>.<uid>.tmp` and renames that. So its lock beside a
    folder with content (one left by a download killed on another host, never stale here) is
    no install of that folder, and its damage is damage (rf53f-F1).
    """
    if filelock.try_lock(layout.lock_path(module_path)) is False:
        return True
    upstream = read_upstream_lock(module_path)
    return upstream is not None and not upstream.is_stale() and not _holds_anything(module_path)


def _holds_anything(folder: str) -> bool:
    """True if `folder` is a folder with at least one item (or one this user may not list:
    not known to be empty)."""
    try:
        with os.scandir(folder) as items:
            return next(items, None) is not None
    except NotADirectoryError:
        return True
    except FileNotFoundError:
        return False
    except OSError:
        return True


class UpstreamLock(FrozenRecord):
    """tensorflow_hub's `<entry>.lock`: "<host>.<pid>.<task uid>" (the host may hold dots)."""

    _fields = ("path", "host", "pid", "task_uid", "content")
    path: str
    host: str | None
    pid: int | None
    task_uid: str
    content: str

    def __init__(
        self, path: str, host: str | None, pid: int | None, task_uid: str, content: str
    ) -> None:
        self._init_fields(path, host, pid, task_uid, content)

    def is_stale(self) -> bool:
        """True if the lock was written on this host by a process that no longer runs, or it
        names this very process, which did not write it (a container restarted after a
        crash, whose entrypoint got the same pid again).

        A live process of another pid is never taken for a reused pid by comparing its start
        with the file's mtime: both are wall-clock times, and a forward clock jump (an NTP
        step, a resumed VM) made a live download look stale, so a second writer started
        beside it. Such a lock is waited for while its download grows (see
        `wait_for_upstream_download`).
        """
        if self.host != socket.gethostname() or self.pid is None:
            return False
        if self.pid == os.getpid():
            return self.content not in _WRITTEN_HERE
        return not processes.process_alive(self.pid)  # A zombie is gone too.


# The contents of the tensorflow_hub-format locks this process holds now (`upstream_lock`).
_WRITTEN_HERE: set[str] = set()


@contextmanager
def upstream_lock(module_path: str, tmp_dir: str) -> Iterator[None]:
    """Writes tensorflow_hub's lock file of the entry for a download into `tmp_dir`.

    tensorflow_hub waits while that file exists and the temporary folder it names grows, as it
    waits for its own downloads (and takes the download over after its `lock_file_timeout_sec`
    without growth). The file is removed at the end if it is still ours. Best effort: if the
    file exists (a tensorflow_hub download of the entry started meanwhile) or cannot be written,
    nothing is written and the download goes on.
    """
    remove_dead_upstream_locks(os.path.dirname(module_path), holding=module_path)
    uid = layout.tmp_dir_task_uid(module_path, tmp_dir)
    content = f"{socket.gethostname()}.{os.getpid()}.{uid}"
    _WRITTEN_HERE.add(content)
    written = _write_new_file(layout.upstream_lock_path(module_path), content)
    try:
        yield
    finally:
        if written:
            remove_upstream_lock(module_path, content)
        _WRITTEN_HERE.discard(content)


def _write_new_file(path: str, content: str) -> bool:
    """Creates `path` holding `content`; False (and no file left) if it exists or cannot be
    written (a full disk leaves no empty lock behind)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(content)
    except OSError:
        try:
            os.remove(path)
        except OSError:
            pass
        return False
    return True


def remove_upstream_lock(module_path: str, content: str) -> None:
    """Removes tensorflow_hub's lock file of the entry if it still holds `content`."""
    current = read_upstream_lock(module_path)
    if current is not None and current.content == content:
        try:
            os.remove(current.path)
        except OSError:
            pass


def read_upstream_lock(module_path: str) -> UpstreamLock | None:
    """Returns tensorflow_hub's lock of the entry, or None if there is none."""
    path = layout.upstream_lock_path(module_path)
    try:
        with bookkeeping.open_text(path, errors="replace") as text:
            content = text.read(4096).strip() if text is not None else ""
    except FileNotFoundError:
        return None
    except OSError:
        if not os.path.lexists(path):  # Not opened for want of a descriptor (EMFILE): no lock.
            return None
        content = ""
    host, pid, uid = _split_upstream(content)
    return UpstreamLock(path=path, host=host, pid=pid, task_uid=uid, content=content)


def _split_upstream(content: str) -> tuple[str | None, int | None, str]:
    parts = content.rsplit(".", 2)
    if len(parts) != 3 or not is_number(parts[1]):
        return None, None, content.rsplit(".", 1)[-1]
    return parts[0], int(parts[1]), parts[2]


def wait_for_upstream_download(module_path: str) -> tuple[bool, str | None]:
    """Waits while tensorflow_hub downloads this entry (call it holding the entry's lock).

    tensorflow_hub marks its download with `<entry>.lock` holding "host.pid.uid" and writes into
    `<entry>.<uid>.tmp`. A lock of a dead process on this host is removed at once. Otherwise we
    wait while that folder grows, however long the download takes, as tensorflow_hub waits for
    its own; after TFHUB_LOCK_TIMEOUT seconds without growth (upstream's
    `lock_file_timeout_sec`), the download is taken as abandoned and its lock file removed, as
    tensorflow_hub does; its temporary folder is left to it, as tensorflow_hub leaves it.

    Returns:
        (True if the entry is complete, the temporary folder of a download taken as abandoned
        or None).
    """
    last_change = time.monotonic()
    last_seen: tuple[str, int] | None = None
    wait_log = _UpstreamWaitLog(module_path, started=last_change)
    while (upstream := read_upstream_lock(module_path)) is not None:
        if health.is_complete(module_path):
            return True, None
        if upstream.is_stale():
            _remove_dead_upstream_lock(module_path, upstream)
            break
        seen = (upstream.content, _upstream_tmp_size(module_path, upstream.task_uid))
        now = time.monotonic()
        if seen != last_seen:
            last_seen, last_change = seen, now
        elif now - last_change > constants.lock_timeout():
            _take_over_stalled_upstream_lock(module_path, upstream)
            return False, upstream_tmp_dir(module_path, upstream.task_uid)
        wait_log.tick(now, upstream)
        time.sleep(0.5)
    return health.is_complete(module_path), None


def _remove_dead_upstream_lock(module_path: str, upstream: UpstreamLock) -> None:
    """Removes the tensorflow_hub-format lock file of a process on this host that is gone,
    saying so (tfhub downloads write that file too: its writer is not named as either)."""
    logger.info(
        "Removing %s: the process that wrote it (pid %s on this host) is gone.",
        escaped(upstream.path),
        upstream.pid,
    )
    remove_upstream_lock(module_path, upstream.content)


def _take_over_stalled_upstream_lock(module_path: str, upstream: UpstreamLock) -> None:
    """Removes tensorflow_hub's lock file of a download that made no progress for
    TFHUB_LOCK_TIMEOUT seconds (as tensorflow_hub takes a lock over), saying so."""
    logger.warning(
        "tensorflow_hub's download %s made no progress for %s s (TFHUB_LOCK_TIMEOUT); "
        "removing its lock file and going on.",
        escaped(upstream.path),
        f"{constants.lock_timeout():g}",
    )
    remove_upstream_lock(module_path, upstream.content)


class _UpstreamWaitLog:
    """Says that a process waits for tensorflow_hub's download of an entry: once as a WARNING
    after `lock_wait.WARN_AFTER_SEC` (a wait was silent without -v), then at INFO every
    `lock_wait.LOG_EVERY_SEC` (it was said at INFO twice a second)."""

    def __init__(self, module_path: str, *, started: float) -> None:
        self._path = module_path
        self._started = started
        self._next = started + lock_wait.WARN_AFTER_SEC
        self._warned = False

    def tick(self, now: float, upstream: UpstreamLock) -> None:
        """Logs a line if one is due at `now` (monotonic seconds)."""
        if now < self._next:
            return
        self._next = now + lock_wait.LOG_EVERY_SEC
        who = f"{upstream.host} pid {upstream.pid}" if upstream.pid is not None else "a process"
        if self._warned:
            logger.info(
                "Still waiting for tensorflow_hub's download of %s by %s (%.0f s so far)",
                escaped(self._path), escaped(who), now - self._started,
            )  # fmt: skip
            return
        self._warned = True
        logger.warning(
            "Waiting for tensorflow_hub's download of %s by %s (lock file %s). Waiting lasts "
            "while it makes progress, and ends after %g s without any (TFHUB_LOCK_TIMEOUT).",
            escaped(self._path), escaped(who), escaped(upstream.path), constants.lock_timeout(),
        )  # fmt: skip


def upstream_tmp_dir(module_path: str, task_uid: str) -> str:
    """Returns the temporary folder of tensorflow_hub's download `task_uid` of the entry."""
    return f"{module_path}.{task_uid}{layout.TMP_SUFFIX}"


def _upstream_tmp_size(module_path: str, task_uid: str) -> int:
    tmp_dir = upstream_tmp_dir(module_path, task_uid)
    try:
        return sum(entry_files.list_files(tmp_dir).values()) if os.path.isdir(tmp_dir) else 0
    except OSError:
        return 0


def stale_lock_files(root: str) -> list[str]:
    """Returns lock files left behind: tfhub's of entries that are gone and that nobody holds,
    and tensorflow_hub's of dead processes on this host.

    Removing a tfhub lock file is safe even if a process opens it meanwhile: it notices that the
    file was unlinked and locks the new one.
    """
    found = []
    locks = os.path.join(root, layout.LOCKS_DIRNAME)
    names = sorted(os.listdir(locks)) if os.path.isdir(locks) else []
    for name in names:
        path = os.path.join(locks, name)
        entry = os.path.join(root, name[: -len(".lock")])
        if name.endswith(".lock") and not os.path.lexists(entry):
            if filelock.try_lock(path) is True:
                found.append(path)
    return found + [upstream.path for upstream in _stale_upstream_locks(root)]


def _stale_upstream_locks(root: str) -> list[UpstreamLock]:
    """tensorflow_hub-format `<entry>.lock` files in `root` whose writer is gone (`is_stale`)."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    found = []
    for name in names:
        if name.endswith(layout.UPSTREAM_LOCK_SUFFIX) and layout.is_entry_name(name[:-5]):
            upstream = read_upstream_lock(os.path.join(root, name[:-5]))
            if upstream is not None and upstream.is_stale():
                found.append(upstream)
    return found


def remove_dead_upstream_locks(root: str, *, holding: str) -> None:
    """Removes the `<entry>.lock` files of processes gone from this host (a tfhub or
    tensorflow_hub download killed by SIGKILL), each under its entry's OS lock if that is free.

    tensorflow_hub 0.16.1 cannot tell such a file from a live download: a process waiting for
    it took it over only after two `lock_file_timeout_sec` (600 s) without growth, about 20
    minutes. Called as a tfhub download starts (holding the entry `holding`'s lock), so any
    tfhub download on this host frees those waiters. A file whose entry's lock cannot be taken
    safely (`UnsafeLockFileError`: its lock file is a link) is left, with a warning: that
    entry's trouble never fails the download of another (rf51d-F1).
    """
    for upstream in _stale_upstream_locks(root):
        entry = upstream.path[: -len(layout.UPSTREAM_LOCK_SUFFIX)]
        try:
            if entry == holding:
                remove_upstream_lock(entry, upstream.content)
                continue
            with entry_lock(entry, what=f"removing {upstream.path}", timeout=0):
                current = read_upstream_lock(entry)
                if current is not None and current.is_stale():
                    remove_upstream_lock(entry, current.content)
                if not os.path.lexists(entry):  # No entry: the OS lock file just made goes too
                    with suppress(OSError):  # (safe while held: see utils.filelock).
                        os.remove(layout.lock_path(entry))
        except errors.LockTimeoutError:
            continue  # A tfhub download of that entry runs: it removes the file itself.
        except errors.UnsafeLockFileError as err:
            logger.warning(
                "Left %s, tensorflow_hub's lock of a process that is gone: %s",
                escaped(upstream.path),
                err,
            )
            continue
        logger.info("Removed %s: the process that wrote it is gone.", escaped(upstream.path))
