"""A cross-process lock that dies with its process (`filelock`), with "still waiting" logs.

Modelled on huggingface_hub's WeakFileLock: an OS lock (flock) is released by the kernel when
its holder dies, even by SIGKILL, so a crashed download never blocks others. Where the
filesystem cannot lock (some network filesystems), it falls back to no lock: callers stay
correct without it, because every install is a rename of a complete folder.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

_LOG_EVERY_SEC = 10.0


@contextmanager
def weak_file_lock(lock_path: str, *, what: str) -> Iterator[bool]:
    """Holds an exclusive OS lock on `lock_path` while the block runs.

    Args:
        lock_path: the lock file (its folder is created if missing).
        what: what is being waited for, named in the "still waiting" log messages.

    Yields:
        True if the OS lock is held, False if locking was impossible and the block runs
        unlocked (read-only cache folder, filesystem without locks).
    """
    import filelock

    try:
        os.makedirs(os.path.dirname(lock_path), exist_ok=True)
        lock = filelock.FileLock(lock_path, mode=0o664)
    except OSError as err:
        logger.info("Cannot create lock %s (%s); continuing without a lock.", lock_path, err)
        yield False
        return
    acquired = _acquire(lock, lock_path, what)
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()


def _acquire(lock: object, lock_path: str, what: str) -> bool:
    """Waits for the lock, logging every 10 s; returns False if locking is unsupported."""
    import filelock

    started = time.monotonic()
    while True:
        try:
            lock.acquire(timeout=_LOG_EVERY_SEC)  # type: ignore[attr-defined]
            return True
        except filelock.Timeout:
            waited = time.monotonic() - started
            logger.info(
                "Still waiting for %s (another process holds %s, %.0f s)", what, lock_path, waited
            )
        except (NotImplementedError, PermissionError, OSError) as err:
            logger.warning("Cannot lock %s (%s); continuing without a lock.", lock_path, err)
            return False
