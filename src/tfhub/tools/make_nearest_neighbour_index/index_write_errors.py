"""What an index library's failed (or silently cut-short) write of its index file stands for:
an OSError with an errno (ENOSPC for a full disk, EFBIG past a file-size limit, EIO for a file
cut short), where the library's own error names none. Used by `ann.AnnIndex.save`.
"""

from __future__ import annotations

import errno
import os
import re


def _with_errno(err: OSError, path: str) -> OSError:
    """annoy's OSError for a failed file operation has no errno, only at its message's end
    ("Unable to write: No space left on device (28)"): an OSError with that errno instead, so
    that a full disk reads as one; `err` itself if it has an errno or names none."""
    found = re.search(r"\((\d+)\)\s*$", str(err))
    if err.errno is not None or found is None:
        return err
    number = int(found.group(1))
    return OSError(number, os.strerror(number), path)


# The largest file FAT32 holds (4 GiB - 1 byte): a write stops there whatever the limits say.
FAT32_MAX_FILE_BYTES = 2**32 - 1


def _file_size_limit() -> int | None:
    """This process's file-size limit in bytes (RLIMIT_FSIZE, `ulimit -f`), or None if it has
    none (or the system does not keep one: Windows)."""
    try:
        import resource
    except ImportError:  # Windows.
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else int(soft)


def _size_limit_error(path: str) -> OSError | None:
    """An OSError (EFBIG) for a failed write of `path` that stopped at a file-size limit, the
    process's (`ulimit -f`) or FAT32's 4 GiB, where the library's error does not say so (hnswlib
    says nothing, USearch "Failed to serialize into stream"); else None."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return None
    limit = _file_size_limit()
    if size == FAT32_MAX_FILE_BYTES or (limit is not None and size >= limit):
        return OSError(errno.EFBIG, os.strerror(errno.EFBIG), path)
    return None


def _full_disk_error(path: str) -> OSError | None:
    """An OSError of a full disk for a failed write of `path` whose error says nothing of it
    (faiss's and USearch's RuntimeError carry no errno), if `path`'s disk has no free block
    left (the failed write filled it); else None."""
    try:
        blocks = os.statvfs(os.path.dirname(path) or ".").f_bavail
    except OSError:
        return None
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path) if blocks == 0 else None


def write_error(err: Exception, path: str) -> OSError | None:
    """The OSError with an errno that a library's failed write of `path` stands for, where
    its own error lacks one: annoy's OSError names its errno only in its message; faiss's
    and USearch's RuntimeError name none, so a full disk is told from `path`'s disk having
    no free block left. None if `err` says no more than it does (raise it as it is).

    Args:
        err: what the library's save raised.
        path: the index file it wrote.

    Returns:
        An OSError with an errno naming `path` (ENOSPC for a full disk), or None.
    """
    if isinstance(err, OSError):
        numbered = _with_errno(err, path)
        return None if numbered is err else numbered
    if isinstance(err, RuntimeError):
        return _size_limit_error(path) or _full_disk_error(path)
    return None


def cut_short_error(path: str, expected: int | None) -> OSError | None:
    """The OSError for an index file that a library wrote without an error but not whole
    (hnswlib writes through a C++ stream and checks nothing: past a file-size limit it left a
    cut-short file): EFBIG at a file-size limit, ENOSPC on a full disk, else EIO saying how
    much was written. None if `path` holds the `expected` bytes (or it is not known)."""
    if expected is None:
        return None
    try:
        size = os.path.getsize(path)
    except OSError as err:
        return OSError(err.errno, err.strerror, path)
    if size == expected:
        return None
    return (
        _size_limit_error(path)
        or _full_disk_error(path)
        or OSError(errno.EIO, f"the file was cut short ({size} of {expected} bytes)", path)
    )
