"""Entries of a cache a group shares: readable by the group whatever the installer's umask.

A download or import makes the entry under this process's umask; in a cache whose folder
grants its group write (mode 2775), the group is given read (and enter, and run where the
owner may run) on the entry's files and bookkeeping, so every member can use it.
"""

from __future__ import annotations

import os
import stat


def readable_by_the_group(tmp_dir: str, bookkeeping: tuple[str, ...]) -> None:
    """In a cache a group writes (its folder grants the group write: 2775), gives the group
    read on the entry `tmp_dir` is about to become (and enter on its folders, run on files
    its owner may run) and on its `bookkeeping` files, whatever this process's umask: under
    077 they were 700/600, and every other member took the entry for damaged. A private cache
    keeps the umask's modes; so do others (not the group). Links are left as they are."""
    try:
        shared = os.stat(os.path.dirname(tmp_dir)).st_mode & stat.S_IWGRP
        if not shared or os.stat(tmp_dir).st_mode & 0o050 == 0o050:
            return  # Not a group's cache, or a umask that leaves the group its bits (022).
    except OSError:
        return
    for folder, _, names in os.walk(tmp_dir):
        _add_mode(folder, 0o050)
        for name in names:
            _add_mode(os.path.join(folder, name), 0o040, runnable=True)
    for path in bookkeeping:
        _add_mode(path, 0o040)


def _add_mode(path: str, bits: int, *, runnable: bool = False) -> None:
    """Adds `bits` (and, if `runnable`, the group's run bit to a file its owner may run) to
    `path`'s mode, unless it is a link; a refusal is passed over (the entry stays valid)."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            return
        if runnable and mode & stat.S_IXUSR:
            bits |= stat.S_IXGRP
        if mode & bits != bits:
            os.chmod(path, stat.S_IMODE(mode) | bits)
    except OSError:
        pass
