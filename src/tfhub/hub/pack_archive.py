"""The bytes of a packed model: a deterministic .tar.gz of a model folder's members.

The same folder always gives the same bytes: members sorted by path, directories before their
contents, mtime 0, uid/gid 0 with empty owner names, modes 0755 (directories) and 0644 (files),
PAX format, gzip header without file name and with mtime 0. A file that changes while it is
read is refused, so the archive never holds a torn copy; so is a file that, once open, lies
outside the folder packed (Linux: /proc/self/fd/N): a folder inside it swapped for a symlink
out of it after the walk looked at it (the walk then lists the files it leads to, each with
its lstat through the link, and O_NOFOLLOW acts on the last name only).
"""

from __future__ import annotations

import errno
import gzip
import os
import stat
import tarfile
from pathlib import Path
from typing import IO, Any

from .. import errors
from ..utils.printable import repr_escaped
from ..utils.regular_files import open_without_waiting
from . import confinement
from .pack_folder import Member, unreadable

DIR_MODE = 0o755
FILE_MODE = 0o644


class HashingWriter:
    """A write-only file that hashes what passes through it."""

    def __init__(self, raw: IO[bytes], digest: Any) -> None:
        self._raw = raw
        self._digest = digest
        self.size = 0  # Bytes written so far.

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.size += len(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()


def write_archive(out: Any, folder: Path, members: list[Member], compresslevel: int) -> None:
    """Writes the .tar.gz of `members` (`pack_folder.sorted_members(folder)`) into `out`.

    Raises:
        OSError: if a file cannot be read (its own type, saying what to do) or `out` fails.
        NotAModelError: if a file is not the one listed any more, or changed while it was read.
    """
    top = os.path.realpath(folder)  # A held folder's /proc/self/fd/N: the folder it opened.
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=out, compresslevel=compresslevel, mtime=0
    ) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, path, info in members:
                member = _tarinfo(name, info)
                if member.isdir():
                    tar.addfile(member)
                else:
                    _add_file(tar, member, folder, path, info, top=top)


def _tarinfo(name: str, info: os.stat_result) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.mtime = 0
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    if stat.S_ISDIR(info.st_mode):
        member.type, member.mode, member.size = tarfile.DIRTYPE, DIR_MODE, 0
    else:
        member.type, member.mode, member.size = tarfile.REGTYPE, FILE_MODE, info.st_size
    return member


def _add_file(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    folder: Path,
    path: Path,
    info: os.stat_result,
    *,
    top: str,
) -> None:
    """Adds the file `path` (listed with the lstat `info`) as `member`.

    Raises:
        OSError: if it cannot be read (its own type, saying what to do).
        NotAModelError: if it is not the file listed any more, changed while it was read, or
            lies outside `top` (the real path of the folder packed) once open.
    """
    try:  # No link followed, no wait for a writer: it may have been replaced since listed.
        fd = open_without_waiting(path, follow_links=False)
    except OSError as err:
        if err.errno in CHANGED_ERRNOS:  # Removed, or now a link, a socket, a folder.
            raise _changed_error(folder, path) from err
        raise unreadable(err) from err
    with open(fd, "rb") as data:
        if _changed(info, os.fstat(fd)) or _outside(fd, top):
            raise _changed_error(folder, path)
        try:
            tar.addfile(member, data)
        except OSError as err:
            if err.errno is not None:  # A write of the archive: pack_output says what.
                raise
            raise _changed_error(folder, path) from err  # tarfile: "unexpected end of data".
        if _changed(info, os.fstat(fd)):
            raise _changed_error(folder, path)


# Errors of an open meaning the file listed is not there as listed any more (no fault).
CHANGED_ERRNOS = frozenset({errno.ENOENT, errno.ELOOP, errno.ENXIO, errno.ENOTDIR, errno.EISDIR})


def _outside(fd: int, top: str) -> bool:
    """Whether the open file `fd` lies outside the folder `top` (False without /proc)."""
    opened = confinement.opened_path(fd)
    if opened is None:
        return False
    return not confinement.is_below(opened, top) or opened == top


def _changed(listed: os.stat_result, now: os.stat_result) -> bool:
    """Whether a file is not the one listed, or was written since."""
    fields = ("st_dev", "st_ino", "st_size", "st_mtime_ns")
    return any(getattr(listed, field) != getattr(now, field) for field in fields)


def _changed_error(folder: Path, path: Path) -> errors.NotAModelError:
    relative = path.relative_to(folder).as_posix()
    return errors.NotAModelError(
        f"{path} changed while it was packed: pack again once nothing writes into the model "
        f"folder. Received: model_dir={repr_escaped(os.fspath(folder))}",
        path=os.fspath(folder),
        reason=f"changed while packed: {relative}",
    )
