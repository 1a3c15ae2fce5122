"""Which model folders changed since they were fingerprinted: Linux inotify watches on a folder
and on each folder below it, read without waiting when a request asks.

A file written, truncated, made, removed or renamed, or its attributes changed (`touch`,
`chmod`), is an event of its folder's watch, queued by the kernel when the call is made; so is a
folder made, removed or renamed, and the watched folder's own move or removal. A folder whose
watches have had no event since its fingerprint was taken holds what it held then, as seen from
this machine: another machine writing into a network filesystem (NFS) makes no event here,
which is why a fingerprint is reused for at most `MAX_AGE_SECONDS` (`FolderWatch.unchanged`).
Where inotify is missing (macOS, the BSDs, Windows) or its watches ran out, nothing is watched:
every call of `unchanged` answers None and the caller takes the fingerprint again.

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
from collections.abc import Hashable, Iterable

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


class _Watched:
    """A watched folder: its watch descriptors, the value kept for it, when it was taken."""

    def __init__(self, descriptors: list[int]) -> None:
        self.descriptors = descriptors
        self.value: str | None = None
        self.taken = time.monotonic()
        self.changed = False


class FolderWatch:
    """Watches folders (each under a key the caller chooses: the folder's device and inode)
    and keeps one value per folder (its fingerprint) while no event of its watches came."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._libc: ctypes.CDLL | None = None
        self._started = False
        self._folders: OrderedDict[Hashable, _Watched] = OrderedDict()
        self._owners: dict[int, set[Hashable]] = {}  # Watch descriptor -> the keys using it.

    def unchanged(self, key: Hashable) -> str | None:
        """The value kept for `key` if its folder is watched, none of its watches had an
        event since `watch`, and it was kept less than `MAX_AGE_SECONDS` ago; else None."""
        with self._lock:
            self._read_events()
            found = self._folders.get(key)
            if found is None or found.changed or found.value is None:
                return None
            if time.monotonic() - found.taken >= MAX_AGE_SECONDS:
                return None
            self._folders.move_to_end(key)
            return found.value

    def watch(self, key: Hashable, top: str, below: Iterable[str]) -> bool:
        """(Re)starts watching the folder `top` and the folders `below` it (paths), under
        `key`, forgetting its value; call it before reading the folder, then `keep`.

        Returns:
            False if they cannot all be watched (no inotify, its watches ran out: a warning
            once): `unchanged` then answers None for `key`.
        """
        with self._lock:
            self._read_events()
            self._forget(key)
            if not self._start():
                return False
            descriptors: list[int] = []
            for path, flags in [
                (top, _IN_ONLYDIR),
                *((p, _IN_ONLYDIR | _IN_DONT_FOLLOW) for p in below),
            ]:
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

    def keep(self, key: Hashable, value: str) -> None:
        """Keeps `value` for the folder watched under `key` (a change since `watch` still
        counts: `unchanged` answers None then)."""
        with self._lock:
            found = self._folders.get(key)
            if found is not None:
                found.value, found.taken = value, time.monotonic()

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
                    self._folders[key].changed = True
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
