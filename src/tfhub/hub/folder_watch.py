"""Which model folders changed since a value was computed from them (a folder version's
fingerprint, its size): Linux inotify watches on a folder
and on each folder below it, read without waiting when a request asks.

A file written, truncated, made, removed or renamed, or its attributes changed (`touch`,
`chmod`), is an event of its folder's watch, queued by the kernel when the call is made; so is a
folder made, removed or renamed, and the watched folder's own move or removal. A folder whose
watches have had no event since its fingerprint was taken holds what it held then, as seen from
this machine: another machine writing into a network filesystem (NFS) makes no event here,
which is why a value is reused for at most `MAX_AGE_SECONDS` (`FolderWatch.cached`). Where
inotify is missing (macOS, the BSDs, Windows) or its watches ran out, nothing is watched: each
call of `cached` computes its value again.

The kernel calls are made by `inotify_simple` (a thin, well-kept wrapper of inotify's three
calls; installed on Linux only, with the `hub` extra).
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar, cast

from ..utils.warn_once import WarnedOnce

logger = logging.getLogger(__name__)

# A reused fingerprint is taken again after this long (a network filesystem's other writers).
MAX_AGE_SECONDS = 60.0
# The most folders watched at once by a process; the least recently asked is dropped first.
MAX_FOLDERS = 256

# What inotify answers when this user's watches or instances ran out (or the kernel's memory).
_LIMITS = frozenset({errno.ENOSPC, errno.EMFILE, errno.ENFILE, errno.ENOMEM})
T = TypeVar("T")


class _Watched:
    """A watched folder: its watch descriptors, when the watch began, the values kept for it
    (by name), and whether one of its watches had an event since."""

    def __init__(self, descriptors: list[int]) -> None:
        self.descriptors = descriptors
        self.began = time.monotonic()
        self.values: dict[str, Any] = {}
        self.changed = False


class FolderWatch:
    """Watches folders (each under its device and inode) and keeps values computed from them
    (by name: a fingerprint, a size) while no event of their watches came."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inotify: Any = None  # inotify_simple.INotify, once started.
        self._started = False
        self._folders: OrderedDict[Hashable, _Watched] = OrderedDict()
        self._owners: dict[int, set[Hashable]] = {}  # Watch descriptor -> the keys using it.
        self._pid = os.getpid()

    def _restart(self) -> None:
        """Forgets every watch of the process this one was forked from (its inotify descriptor,
        shared with that process, is closed here: it would take events from it)."""
        if self._inotify is not None:
            self._inotify.close()  # This process's copy of the descriptor only.
        self._inotify, self._started, self._pid = None, False, os.getpid()
        self._folders.clear()
        self._owners.clear()

    def cached(self, folder: Path, what: str, compute: Callable[[Path], T]) -> T:
        """`compute(folder)`, computed again only if the folder may have changed since this
        process last computed `what` for it: a watch of the folder or of a folder below it had
        an event, the watch began `MAX_AGE_SECONDS` ago, or it is not watched (another folder
        put in its place is another key: its device and inode).

        Raises:
            OSError: the folder cannot be read (and what `compute` raises).
        """
        info = os.stat(folder)
        key = (info.st_dev, info.st_ino)
        with self._lock:
            values = self._fresh(key)
            if values is not None and what in values:
                return cast("T", values[what])
        below = [] if values is not None else _folders_below(folder)  # Not holding the lock.
        with self._lock:
            # Watched before it is read: a change while it is read is an event (read again).
            if values is not None or self._watch(key, folder, below):
                watched = self._folders.get(key)
            else:
                watched = None
        value = compute(folder)
        with self._lock:  # Into the watch it was computed under (not one begun meanwhile).
            if watched is not None and self._folders.get(key) is watched:
                watched.values[what] = value
        return value

    def _fresh(self, key: Hashable) -> dict[str, Any] | None:
        """The values kept for `key` if its folder is watched, none of its watches had an event
        since the watch began, and it began less than `MAX_AGE_SECONDS` ago; else None."""
        if self._pid != os.getpid():  # A forked child: its parent reads the same events.
            self._restart()
        self._read_events()
        found = self._folders.get(key)
        if found is None or found.changed or time.monotonic() - found.began >= MAX_AGE_SECONDS:
            return None
        self._folders.move_to_end(key)
        return found.values

    def _watch(self, key: Hashable, folder: Path, below: list[str]) -> bool:
        """(Re)starts watching `folder` and the folders `below` it under `key`, forgetting its
        values; False if they cannot all be watched (no inotify, its watches ran out: a
        warning once)."""
        self._forget(key)
        if not self._start():
            return False
        from inotify_simple import flags

        descriptors: list[int] = []
        flagged = [(path, flags.ONLYDIR | flags.DONT_FOLLOW) for path in below]
        for path, only in [(os.fspath(folder), flags.ONLYDIR), *flagged]:
            descriptor = self._add(path, only)
            if descriptor is None:
                self._drop(key, descriptors)
                return False
            descriptors.append(descriptor)
            self._owners.setdefault(descriptor, set()).add(key)
        self._folders[key] = _Watched(descriptors)
        while len(self._folders) > MAX_FOLDERS:
            self._forget(next(iter(self._folders)))
        return True

    def _start(self) -> bool:
        """Opens the inotify descriptor once; False where there is none."""
        if not self._started:
            self._started = True
            try:
                from inotify_simple import INotify
            except ImportError:  # Not Linux (the extra installs it there only).
                return False
            try:
                self._inotify = INotify(nonblocking=True)  # Not inherited by children.
            except (AttributeError, OSError) as err:  # AttributeError: no inotify in libc.
                if isinstance(err, OSError) and err.errno is not None:
                    _warn_no_watch("inotify_init1", err.errno)
                return False
        return self._inotify is not None

    def _add(self, path: str, flags: int) -> int | None:
        """The watch descriptor of the folder at `path`; None if it cannot be watched."""
        from inotify_simple import flags as named

        # A file written, its attributes, made, removed, renamed; the folder itself gone.
        changes = (
            named.MODIFY | named.ATTRIB | named.CLOSE_WRITE | named.MOVED_FROM | named.MOVED_TO
            | named.CREATE | named.DELETE | named.DELETE_SELF | named.MOVE_SELF
        )  # fmt: skip
        try:
            return int(self._inotify.add_watch(path, changes | flags))
        except OSError as err:
            if err.errno in _LIMITS:  # Else the folder is gone or unreadable: its pack says so.
                _warn_no_watch("inotify_add_watch", err.errno)
            return None

    def _read_events(self) -> None:
        """Marks changed every folder whose watches had events queued (all on an overflow)."""
        if self._inotify is None:
            return
        from inotify_simple import flags

        for event in self._inotify.read(timeout=0):  # What is queued; no wait.
            overflow = event.mask & flags.Q_OVERFLOW
            keys = self._folders.keys() if overflow else self._owners.get(event.wd, ())
            for key in list(keys):
                found = self._folders.get(key)
                if found is not None:
                    found.changed = True
            if event.mask & flags.IGNORED:  # Its folder is gone (or the watch removed).
                self._owners.pop(event.wd, None)

    def _forget(self, key: Hashable) -> None:
        """Stops watching the folder of `key` (its watches that no other key uses)."""
        found = self._folders.pop(key, None)
        if found is not None:
            self._drop(key, found.descriptors)

    def _drop(self, key: Hashable, descriptors: list[int]) -> None:
        """Removes `key` from the owners of `descriptors`, and the watches it alone used."""
        for descriptor in descriptors:
            owners = self._owners.get(descriptor)
            if owners is None:
                continue
            owners.discard(key)
            if not owners:
                del self._owners[descriptor]
                try:
                    self._inotify.rm_watch(descriptor)
                except OSError:  # Its folder is gone: the kernel removed the watch.
                    pass


# The errors met watching folders, warned about once each.
_WARNED: WarnedOnce[int] = WarnedOnce()


def _folders_below(folder: Path) -> list[str]:
    """The paths of the folders below `folder`, not through a symlink (the packer refuses one);
    a folder that cannot be listed is left out (reading it fails)."""
    found = []
    for current, dirs, _ in os.walk(folder):
        dirs[:] = [name for name in dirs if not os.path.islink(os.path.join(current, name))]
        found += [os.path.join(current, name) for name in dirs]
    return found


def _warn_no_watch(what: str, code: int) -> None:
    """Warns once per error code that folders cannot be watched (each download of a folder
    version then takes its fingerprint again, reading every file's attributes)."""
    if not _WARNED.first_time(code):
        return
    fix = (
        " (raise the limit: sysctl fs.inotify.max_user_watches / max_user_instances)"
        if code in _LIMITS
        else ""
    )
    logger.warning(
        "Cannot watch model folders for changes (%s: %s)%s: each download of a folder "
        "version reads the attributes of every file of its folder again",
        what,
        os.strerror(code),
        fix,
    )
