"""The archive served for a version: `<version>.tar.gz`, or its model folder packed once.

A folder version is packed deterministically (the publishing side's `pack`) into the cache
folder, named after a fingerprint of the folder as it is now (its own inode; each file's path,
size, mtime, inode and ctime): every worker and replica sharing the cache and the files finds
the same file, a changed folder gets a new archive (also a file rewritten with its size and
mtime, as `tar x` of a pack leaves every mtime 0: its ctime or inode changes), two folders
never share one, and packing happens once (a file lock; it is packed under a temporary name,
then renamed). Its mtime comes from a hash of its bytes, so replicas that each pack a copy of
the folder into a cache of their own send one ETag for it, and other contents another ETag.
Within a process, the requests for one folder take turns, and the pack runs in a daemon thread
of tfhub's (a stop does not wait for it), at most `PACKS_AT_ONCE` of them at a time. The app's
other blocking calls (`files`' reads, `api`'s search and version lists, `refresh`'s tree
stamp) still run in anyio's worker threads, which are not daemons: short, but one stuck in the
kernel (a read on a hung NFS mount) delays a stopped process's exit until it returns.

The folder is packed only if its real path lies inside ROOT (`confinement.real_inside`), checked
before its fingerprint and again right before it is packed. On Linux it is then read through
the folder the confined walk opened (`confinement.held_folder`: `/proc/self/fd/N` of an
`O_PATH` descriptor), for the fingerprint and the pack alike: a model folder (or a folder
above it) swapped for a symlink out of ROOT, or a folder renamed into its place, after it was
opened changes nothing, the folder found inside ROOT is packed. Without /proc (macOS, the BSDs,
Windows) it is read at its real path, and a swap between the check and the pack's reads is not
seen (the pack reads by path). Inside the folder, the packer refuses a symlink (`lstat`),
opens each file with `O_NOFOLLOW`, and (Linux) refuses a file that once open lies outside the
folder packed (a folder inside it swapped for a symlink while the walk ran:
`pack_archive._outside`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import threading
import uuid
from pathlib import Path

import anyio

from .. import errors
from ..cache import bookkeeping
from ..utils import live_files, threads
from ..utils.filelock import weak_file_lock
from . import cache_dir as cache_dir_lib
from . import confinement, pack_output
from .catalog_entries import Version
from .folder_watch import FolderWatch
from .settled import Settled

logger = logging.getLogger(__name__)


def fingerprint(folder: Path) -> str:
    """The cache key of a model folder as it is now: a hash of the folder's own inode and of
    each file's relative path, size, mtime, inode and ctime (sorted by path).

    A file rewritten in place changes its ctime, a file or folder put in another's place has
    another inode, even when sizes and mtimes are kept (`tar x` of a `pack` sets mtime 0), so
    the key changes; two folders (two versions) never share one. A file's ctime has the
    kernel's timestamp granularity (a few ms on Linux): an edit within that time of the last
    change, keeping size and mtime, is not seen.
    """
    digest = hashlib.sha256(f"{os.stat(folder).st_ino}\n".encode())
    for current, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(current) / name
            stat = path.lstat()
            relative = path.relative_to(folder).as_posix()
            digest.update(
                f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}"
                f"\0{stat.st_ctime_ns}\n".encode()
            )
    return digest.hexdigest()[:32]


# The model folders this process read, watched for changes: their fingerprints and sizes
# (`current_fingerprint`, `api.version_size`).
FOLDERS = FolderWatch()


def current_fingerprint(folder: Path) -> str:
    """`fingerprint(folder)`, taken again only if the folder may have changed since this
    process last took it (`FolderWatch.cached`). Each download of a folder version asks, and
    the fingerprint reads every file's attributes (1.1-1.4 CPU-s for 60,000 files): now a few
    calls per request, whatever the number of files.

    Raises:
        OSError: the folder cannot be read (as `fingerprint`).
    """
    return FOLDERS.cached(folder, "fingerprint", fingerprint)


def packed_archive(
    folder: Path, *, cache_dir: str, root: str | os.PathLike[str] | None = None
) -> Path | None:
    """Returns the cached archive of a model folder, packing it first if needed.

    Args:
        folder: the model folder (inside ROOT).
        cache_dir: where packed archives are kept.
        root: ROOT: the folder's real path must lie inside it (None: the folder itself, for
            a caller that packs a folder it was given, not one found below ROOT).

    Returns:
        The path of `<cache_dir>/<fingerprint>.tar.gz`; None if the folder's real path is not
        inside ROOT (a warning says so) or it is gone.

    Raises:
        tfhub.errors.ServeConfigError: if the cache folder fails its check now
            (`cache_dir.recheck`: made writable by others, replaced, a parent gone bad).
    """
    bound = folder if root is None else root
    with confinement.held_folder(folder, bound) as held:
        if held is None:
            return None
        return _packed(folder, Path(held), cache_dir=cache_dir, bound=bound)


def _packed(
    folder: Path, held: Path, *, cache_dir: str, bound: str | os.PathLike[str]
) -> Path | None:
    """`packed_archive` of the model folder read at `held` (`confinement.held_folder`)."""
    from .pack import pack

    problem = cache_dir_lib.recheck(cache_dir)
    if problem is not None:  # Checked at start; changed since (a cleaner, another user).
        raise errors.ServeConfigError(
            f"Refused to use the cache folder {cache_dir}: {problem}", option="--cache-dir"
        )
    name = current_fingerprint(held)
    target = Path(cache_dir) / f"{name}.tar.gz"
    if target.is_file():
        return target
    with weak_file_lock(str(target) + ".lock", what=f"packing {folder}"):
        if not target.is_file():
            if confinement.real_inside(folder, bound) is None:  # Again, right before packing.
                return None
            # Read through `held`, which the packer's errors name: said here, once.
            logger.info("Packing %s (read as %s) into %s", folder, held, target)
            _remove_killed_packs(cache_dir)
            part = target.with_name(f".{name}.{uuid.uuid4().hex}.tar.gz")
            try:
                # One of `PACKS_AT_ONCE`, for the packing only; `part` is held live until it
                # is renamed into place (a SIGKILL while its bytes are hashed leaves it).
                with _pack_slots, contextlib.ExitStack() as packing:
                    pack(held, part, hold_until=packing)
                    stamp = content_mtime_ns(part)
                    os.utime(part, ns=(stamp, stamp))
                    os.replace(part, target)
            finally:
                part.unlink(missing_ok=True)
    return target


# The names of `_packed`'s packed temporaries, `.<fingerprint>.<id>.tar.gz` (held by their
# live writer until renamed into place: `utils.live_files`).
_PACKED = r"\.[0-9a-f]{32}\.[0-9a-f]{32}\.tar\.gz"


def _remove_killed_packs(cache_dir: str) -> None:
    """Removes what packs of a killed server left in `cache_dir`, of any folder (a changed
    folder has another fingerprint): `_packed`'s packed temporaries and the temporaries `pack`
    writes them from (`pack_output.remove_abandoned_temporaries`); a live pack's stay."""
    live_files.remove_abandoned(cache_dir, re.compile(_PACKED), left_by="a pack")
    pack_output.remove_abandoned_temporaries(cache_dir, _PACKED)


def content_mtime_ns(archive: Path) -> int:
    """The mtime (ns) a packed archive gets: one a hash of its bytes gives, not the time it was
    packed nor the folder's fingerprint (which holds inodes), so that its ETag (size and mtime)
    is the same on every replica that packs a copy of the folder into a cache of its own (the
    bytes are the same: packing is deterministic), and another for other contents."""
    digest = bookkeeping.file_digest(os.fspath(archive), "sha256")
    return int(digest[:15], 16)  # 60 bits: a time before 2007, far from the files' own.


# A folder as one event loop of this process asks it: several loops may run at once (a
# free-threaded server's threads, `tfhub.server`'s thread mode), and a task of one cannot be
# woken from another's thread (its loop would not see it), so each keeps its own.
_LoopFolder = tuple[asyncio.AbstractEventLoop, Path]

# One lock per folder and event loop: its requests for a folder being packed wait here, not
# each in a thread.
_folder_locks: dict[_LoopFolder, anyio.Lock] = {}


def _folder_lock(key: _LoopFolder) -> anyio.Lock:
    """The lock of a folder on an event loop (`key`), made on its first request, when the
    locks of loops now closed (an in-process server stopped) are dropped."""
    lock = _folder_locks.get(key)
    if lock is None:
        for old in list(_folder_locks):
            if old[0].is_closed():
                _folder_locks.pop(old, None)
        lock = _folder_locks.setdefault(key, anyio.Lock())
    return lock


def _usable_cpus() -> int:
    """The CPUs this process may run on (its affinity: a container's or a unit's cpuset; a CPU
    quota is not seen), or the machine's count where affinity is unknown."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 2)


# The packs that run at once in this process (each reads a folder, compresses with gzip and
# writes an archive: CPU, disk, file descriptors), whatever the number of requests asking for
# folder versions: the others wait for a slot (their requests await, cancellable). A slot is
# taken for the packing itself (`_packed`), not while a pack waits for another's file lock.
PACKS_AT_ONCE = max(2, _usable_cpus())
_pack_slots = threading.BoundedSemaphore(PACKS_AT_ONCE)


def _new_slots_in_child() -> None:
    """A forked child has none of its parent's packs: the slots they held are free there."""
    global _pack_slots
    _pack_slots = threading.BoundedSemaphore(PACKS_AT_ONCE)


os.register_at_fork(after_in_child=_new_slots_in_child)


class _Pack:
    """A `packed_archive` call running in a daemon thread of tfhub's (`utils.threads`), whose
    end the event loop `loop` awaits (`ended`, set on it once `call` has its outcome);
    `awaiting`: the requests awaiting that outcome (changed on the loop, or by the pack's
    thread once its loop is closed)."""

    def __init__(self, folder: Path, call: threads.Call, loop: asyncio.AbstractEventLoop) -> None:
        self.folder = folder
        self.call = call
        self.loop = loop
        self.ended = anyio.Event()
        self.awaiting = 0

    def log_unclaimed_error(self) -> None:
        """Logs the pack's error (if it raised one) when it has ended and no request awaits
        its outcome (all were cancelled): otherwise nothing would say it."""
        error = self.call.error
        if error is not None and self.awaiting == 0:
            logger.error(
                "The pack of %s failed after its requests were cancelled: %s",
                self.folder,
                error,
                exc_info=(type(error), error, error.__traceback__),
            )


# The packs under way in this process, by folder and event loop: a request cancelled while its
# folder is packed (a stop, a client gone) leaves its pack running, which the loop's next
# request awaits rather than starting another of the same folder beside it.
_packs: dict[_LoopFolder, _Pack] = {}


async def archive_for(
    version: Version,
    *,
    cache_dir: str,
    root: str | os.PathLike[str],
    settled: Settled | None = None,
) -> Path | None:
    """The archive file to send for a version, or None if its files are not in the hub (see
    `Version.archive_file`: the archive as the roll-back of a killed publish will leave it;
    `settled`: the request's, if it has one), or its model folder is refused (its real path is
    not inside `root`, ROOT).

    A folder version is packed (`packed_archive`) in a daemon thread, one request of this
    process at a time: the others await its end without holding a thread. A cancelled request
    ends at once, its pack going on (see `_packed_in_daemon_thread`).

    Raises:
        The errors of `packed_archive`.
    """
    if version.archive is not None:  # Or the old one, while a killed publish is not rolled back.
        return version.archive_file(settled)
    folder = version.folder_path(settled)
    if folder is not None:
        key = (asyncio.get_running_loop(), folder)
        async with _folder_lock(key):
            return await _packed_in_daemon_thread(key, cache_dir=cache_dir, root=root)
    return None


async def _packed_in_daemon_thread(
    key: _LoopFolder, *, cache_dir: str, root: str | os.PathLike[str]
) -> Path | None:
    """`packed_archive(folder, ...)` run in a daemon thread, awaited on the event loop, after
    the pack of the folder a cancelled request of this loop left running (if any) has ended
    (`key`: the running loop and the folder).

    The thread is a daemon: Python does not wait for it at exit (a pack of a large folder took
    minutes; a stop abandons it, leaving only its temporary file: the archive appears by a
    rename, once whole). A cancelled await ends at once, with a warning.

    Raises:
        The errors of `packed_archive`, raised again here.
    """
    folder = key[1]
    left = _packs.get(key)
    if left is not None:  # Its outcome is not this request's (the folder may have changed).
        await left.ended.wait()
    pack = _packs[key] = _start_pack(key, cache_dir=cache_dir, root=root)
    pack.awaiting += 1
    try:
        await pack.ended.wait()
    except anyio.get_cancelled_exc_class():
        pack.awaiting -= 1
        if pack.ended.is_set():  # Ended, then cancelled before this request took its outcome.
            pack.log_unclaimed_error()
        logger.warning(
            "A request was cancelled (a stop, or the server's timeout) while %s was packed: "
            "the pack goes on without it; a stop abandons it, leaving its temporary file in "
            "the cache folder, which the next pack removes.",
            folder,
        )
        raise
    archive: Path | None = pack.call.result()
    return archive


def _start_pack(key: _LoopFolder, *, cache_dir: str, root: str | os.PathLike[str]) -> _Pack:
    """A `_Pack` of `folder` started in a daemon thread, whose packing takes one of the
    process's `PACKS_AT_ONCE` slots (`_packed`; held until the pack ends, whether or not a
    request still awaits it); on its end, it leaves `_packs` and sets its `ended`, on the
    running event loop. Its error is logged if no request awaits it then
    (`_Pack.log_unclaimed_error`)."""
    loop, folder = key
    call = threads.Call(
        ("pack", folder), lambda: packed_archive(folder, cache_dir=cache_dir, root=root)
    )
    pack = _Pack(folder, call, loop)

    def left() -> None:
        if _packs.get(key) is pack:
            _packs.pop(key, None)

    def ended() -> None:
        left()
        pack.ended.set()
        pack.log_unclaimed_error()

    def run() -> None:
        pack.call.run()
        try:
            loop.call_soon_threadsafe(ended)
        except RuntimeError:  # The loop closed meanwhile: no one awaits.
            left()
            pack.awaiting = 0
            pack.log_unclaimed_error()

    threads.daemon_thread(run, name=f"tfhub-pack-{folder.name}").start()
    return pack
