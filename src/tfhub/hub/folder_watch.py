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

The kernel calls are made through ctypes (three calls of libc; no dependency for them).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import struct
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

_IN_NONBLOCK, _IN_CLOEXEC = os.O_NONBLOCK, 0o2000000
_IN_Q_OVERFLOW, _IN_IGNORED, _IN_ONLYDIR, _IN_DONT_FOLLOW = 0x4000, 0x8000, 0x1000000, 0x2000000
# Modify, attrib, close-write, moved from/to, create, delete, delete-self, move-self.
_CHANGES = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800
# What inotify answers when this user's watches or instances ran out (or the kernel's memory).
_LIMITS = frozenset({errno.ENOSPC, errno.EMFILE, errno.ENFILE, errno.ENOMEM})
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name.
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
        self._fd: int | None = None
        self._libc: ctypes.CDLL | None = None
        self._started = False
        self._folders: OrderedDict[Hashable, _Watched] = OrderedDict()
        self._owners: dict[int, set[Hashable]] = {}  # Watch descriptor -> the keys using it.
        self._pid = os.getpid()

    def _restart(self) -> None:
        """Forgets every watch of the process this one was forked from (its inotify descriptor,
        shared with that process, is closed here: it would take events from it)."""
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._started, self._pid = None, False, os.getpid()
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
        descriptors: list[int] = []
        flagged = [(path, _IN_ONLYDIR | _IN_DONT_FOLLOW) for path in below]
        for path, flags in [(os.fspath(folder), _IN_ONLYDIR), *flagged]:
            descriptor = self._add(path, flags)
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
                libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
                fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
            except (AttributeError, OSError):  # Not Linux: no inotify in its C library.
                return False
            if fd < 0:
                _warn_no_watch("inotify_init1", ctypes.get_errno())
                return False
            self._libc, self._fd = libc, fd
        return self._fd is not None

    def _add(self, path: str, flags: int) -> int | None:
        """The watch descriptor of the folder at `path`; None if it cannot be watched."""
        assert self._libc is not None
        descriptor = self._libc.inotify_add_watch(self._fd, os.fsencode(path), _CHANGES | flags)
        if descriptor < 0:
            code = ctypes.get_errno()
            if code in _LIMITS:  # Else the folder is gone or unreadable: its pack says so.
                _warn_no_watch("inotify_add_watch", code)
            return None
        return int(descriptor)

    def _read_events(self) -> None:
        """Marks changed every folder whose watches had events queued (all on an overflow)."""
        while self._fd is not None:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return
            offset = 0
            while offset + _EVENT.size <= len(data):
                descriptor, mask, _, length = _EVENT.unpack_from(data, offset)
                offset += _EVENT.size + length
                keys = (
                    self._folders.keys()
                    if mask & _IN_Q_OVERFLOW
                    else self._owners.get(descriptor, ())
                )
                for key in list(keys):
                    found = self._folders.get(key)
                    if found is not None:
                        found.changed = True
                if mask & _IN_IGNORED:  # Its folder is gone (or the watch removed).
                    self._owners.pop(descriptor, None)

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
                assert self._libc is not None
                self._libc.inotify_rm_watch(self._fd, descriptor)  # Fails if gone: fine.


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
