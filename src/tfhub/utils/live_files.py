"""A write's temporary file or folder, told apart from one a killed write left behind.

A writer holds an exclusive flock on its temporary while it writes (`hold`). The kernel drops
the lock when the writer dies, even by SIGKILL or the out-of-memory killer, so a temporary that
can be locked at once (`abandoned`) belongs to no live write and may be removed by the next
writer of the same output. Where flock is not available (not POSIX; NFS without lock support)
every temporary counts as live: it is kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import time

logger = logging.getLogger(__name__)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: leftovers of killed writes are kept.
    fcntl = None  # type: ignore[assignment]


def hold(fd: int) -> None:
    """Marks the temporary open as `fd` live until `fd` is closed (its writer's lifetime)."""
    if fcntl is None:  # pragma: no cover - Windows.
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # A new temporary: nobody else holds it.
    except OSError:
        pass  # Cannot flock here: `abandoned` then cannot lock it either, and keeps it.


def abandoned(path: str) -> bool:
    """True if no live write holds `path` (a temporary file or folder; a link is kept)."""
    if fcntl is None:  # pragma: no cover - Windows.
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError: a live write holds it; others: cannot tell.
        return False
    finally:
        os.close(fd)  # Releases the lock, if taken.
    return True


def remove_abandoned(
    folder: str, pattern: re.Pattern[str], *, left_by: str, older_than: float = 0.0
) -> None:
    """Removes the temporaries in `folder` whose names `pattern` matches whole and that no live
    write holds (files or folders; a link is kept), logging each.

    Args:
        folder: where the writes put their temporaries.
        pattern: the names of one output's temporaries.
        left_by: what left them, for the log line (e.g. "a pack").
        older_than: only those last modified at least this many seconds ago (for temporaries
            that a live write creates first and locks just after).
    """
    for name in matching(folder, pattern):
        path = os.path.join(folder, name)
        if older_than and not _modified_before(path, time.time() - older_than):
            continue
        if not abandoned(path):
            continue
        logger.info("Removing %s, left by %s that was killed.", path, left_by)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def matching(folder: str, pattern: re.Pattern[str]) -> list[str]:
    """The names in `folder` that `pattern` matches whole, sorted ([] if it cannot be read)."""
    try:
        return sorted(name for name in os.listdir(folder) if pattern.fullmatch(name))
    except OSError:
        return []


def _modified_before(path: str, moment: float) -> bool:
    """True if `path` (not followed) was last modified before `moment` (False if it is gone)."""
    try:
        return os.lstat(path).st_mtime < moment
    except OSError:
        return False
