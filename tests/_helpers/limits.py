"""Process limits for tests: a file system that refuses a file past a size, in-process."""

from __future__ import annotations

import contextlib
import resource
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """In this block this process may write no file past `limit` bytes (as `ulimit -f`, or a
    FAT32 disk's 4 GiB): SIGXFSZ is ignored, so a write past it fails with EFBIG. The limit and
    the signal's handler are restored after."""
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
