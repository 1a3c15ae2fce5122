"""The archive served for a version: `<version>.tar.gz`, or its model folder packed once.

A folder version is packed deterministically (the publishing side's `pack`) into the cache
folder, named after a fingerprint of the folder's files (paths, sizes, mtimes): every worker
and replica sharing the cache finds the same file, a changed folder gets a new archive, and
packing happens once (a file lock; `pack` writes a temporary file, then renames it). Within a
process, the requests for one folder take turns before they take a worker thread.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import anyio.to_thread

from ..utils.filelock import weak_file_lock
from .catalog import Version

logger = logging.getLogger(__name__)


def fingerprint(folder: Path) -> str:
    """A hash of a folder's file listing: relative paths, sizes and mtimes (sorted)."""
    digest = hashlib.sha256()
    for current, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(current) / name
            stat = path.lstat()
            relative = path.relative_to(folder).as_posix()
            digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def packed_archive(folder: Path, *, cache_dir: str) -> Path:
    """Returns the cached archive of a model folder, packing it first if needed.

    Args:
        folder: the model folder (inside ROOT).
        cache_dir: where packed archives are kept.

    Returns:
        The path of `<cache_dir>/<fingerprint>.tar.gz`.
    """
    from .pack import pack

    os.makedirs(cache_dir, exist_ok=True)
    target = Path(cache_dir) / f"{fingerprint(folder)}.tar.gz"
    if target.is_file():
        return target
    with weak_file_lock(str(target) + ".lock", what=f"packing {folder}"):
        if not target.is_file():
            logger.info("Packing %s into %s", folder, target)
            pack(folder, target)  # Written under a temporary name, then renamed.
    return target


# One lock per folder in this process: requests for a folder being packed wait here, not each
# in a worker thread (anyio lends 40; every download's reads need one).
_folder_locks: dict[Path, anyio.Lock] = {}


async def archive_for(version: Version, *, cache_dir: str) -> Path | None:
    """The archive file to send for a version, or None if its files are not in the hub.

    A folder version is packed in a worker thread (`packed_archive`), one request of this
    process at a time: the others await its end without holding a thread.
    """
    if version.archive is not None:
        return version.archive
    if version.folder is not None:
        folder = version.folder
        async with _folder_locks.setdefault(folder, anyio.Lock()):
            return await anyio.to_thread.run_sync(
                lambda: packed_archive(folder, cache_dir=cache_dir)
            )
    return None
