"""Streaming, path-safe extraction of a module archive (.tar, .tar.gz, .tgz).

The archive is read once, front to back, from a stream: memory stays flat whatever its size.
Gzip is decompressed by ISA-L (`isal`, faster than Python's zlib) in a background thread, so
decompression overlaps writing (and, with `_http.Prefetcher`, the download). Absolute paths,
`..`, links that leave the target (also through other links), hard links, devices, fifos and
other special members are refused by name.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import posixpath
import shutil
import tarfile
import zlib
from typing import IO, Any, cast

from . import errors

logger = logging.getLogger(__name__)

_COPY_BUFSIZE = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"


def sniff(head: bytes) -> str:
    """Classifies the first bytes of a stream: "gzip", "tar", "bz2", "xz", "html" or "unknown"."""
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")):
        return "html"
    return "unknown"


def _decompressed(stream: Any, kind: str) -> IO[bytes]:
    """Returns a stream of the tar bytes inside `stream`."""
    if kind == "gzip":
        try:
            from isal import igzip_threaded

            return igzip_threaded.open(stream, "rb", threads=1)  # type: ignore[no-any-return]
        except ImportError:
            import gzip

            return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    if kind == "bz2":
        import bz2

        return bz2.BZ2File(stream, "rb")
    if kind == "xz":
        import lzma

        return lzma.LZMAFile(stream, "rb")
    return stream  # type: ignore[return-value]


def check_member(member: tarfile.TarInfo, target: str) -> str:
    """Returns where a member goes below `target`, or raises if it is unsafe.

    Raises:
        tfhub.errors.UnsafeArchiveError: naming the member, for absolute paths, `..`, links
            leaving the target, hard links and special files.
    """
    name = member.name
    if name.startswith(("/", "\\")) or (len(name) > 2 and name[1] == ":" and name[2] in "/\\"):
        raise errors.UnsafeArchiveError(f"Archive member {name!r} has an absolute path.")
    norm = posixpath.normpath(name.replace("\\", "/"))
    if norm == ".." or norm.startswith("../") or "/../" in f"/{norm}/":
        raise errors.UnsafeArchiveError(f"Archive member {name!r} points outside the module (..).")
    if member.islnk():
        raise errors.UnsafeArchiveError(f"Archive member {name!r} is a hard link (refused).")
    if member.issym():
        _check_symlink(member, norm)
    elif not (member.isfile() or member.isdir()):
        raise errors.UnsafeArchiveError(
            f"Archive member {name!r} is a special file (device, fifo or type {member.type!r})."
        )
    return target if norm == "." else os.path.join(target, *norm.split("/"))


def _check_symlink(member: tarfile.TarInfo, norm: str) -> None:
    link = member.linkname
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(norm), link))
    if link.startswith("/") or resolved == ".." or resolved.startswith("../"):
        raise errors.UnsafeArchiveError(
            f"Archive member {member.name!r} is a link pointing outside the module "
            f"({member.linkname!r})."
        )


def _is_inside(path: str, target_real: str) -> bool:
    return path == target_real or path.startswith(target_real + os.sep)


def _check_link_target(member: tarfile.TarInfo, link_path: str, target_real: str) -> None:
    """Refuses a link whose target, resolved on disk (through earlier links), leaves the module.

    The name-only check of `check_member` cannot see links that go through other links (`a/up` ->
    `..`, then `a/up2` -> `up/..`).
    """
    if not _is_inside(os.path.realpath(link_path), target_real):
        raise errors.UnsafeArchiveError(
            f"Archive member {member.name!r} is a link pointing outside the module "
            f"({member.linkname!r}, through other links of the archive)."
        )


def _check_links_stay_inside(target: str, target_real: str) -> None:
    """After extraction: every link still resolves inside the module.

    Links are checked when written, but a later member can turn a path a link goes through into
    another link; this pass sees the final tree.
    """
    for dirpath, dirnames, filenames in os.walk(target):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) and not _is_inside(os.path.realpath(path), target_real):
                rel = os.path.relpath(path, target).replace(os.sep, "/")
                raise errors.UnsafeArchiveError(
                    f"Archive member {rel!r} is a link pointing outside the module "
                    f"({os.readlink(path)!r}, through other links of the archive)."
                )


def _write_member(
    archive: tarfile.TarFile, member: tarfile.TarInfo, path: str, target_real: str
) -> None:
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    parent_real = os.path.realpath(parent)
    if not _is_inside(parent_real, target_real):
        raise errors.UnsafeArchiveError(
            f"Archive member {member.name!r} would be written through a link outside the module."
        )
    if member.isdir():
        os.makedirs(path, exist_ok=True)
    elif member.issym():
        _check_link_target(member, os.path.join(parent_real, member.linkname), target_real)
        if os.path.lexists(path):
            os.remove(path)
        os.symlink(member.linkname, path)
    else:
        source = archive.extractfile(member)
        assert source is not None
        if os.path.islink(path):
            os.remove(path)
        with open(path, "wb") as out:
            shutil.copyfileobj(source, out, _COPY_BUFSIZE)


def extract(stream: Any, target: str, *, source: str) -> int:
    """Extracts a tar (optionally gzip/bz2/xz-compressed) stream into the folder `target`.

    Args:
        stream: a buffered binary stream positioned at the start of the archive.
        target: an existing, empty folder.
        source: the URL or path of the archive, named in errors.

    Returns:
        The number of members extracted.

    Raises:
        tfhub.errors.NotAnArchiveError: if the stream is an HTML page or not an archive.
        tfhub.errors.ArchiveError: if the archive is truncated or corrupt.
        tfhub.errors.UnsafeArchiveError: for a member that is refused.
        tfhub.errors.CacheError: if the disk is full.
    """
    head = stream.peek(512)[:512]
    kind = sniff(head)
    if kind == "html":
        raise errors.NotAnArchiveError(
            f"{source} answered an HTML page instead of a model archive (a login page, an "
            "error page or a model page without the hosting protocol?)."
        )
    if kind == "unknown":
        raise errors.NotAnArchiveError(
            f"{source} does not appear to be a valid module: its content is not a .tar, "
            f".tar.gz or .tgz archive (starts with {bytes(head[:16])!r})."
        )
    target_real = os.path.realpath(target)
    corrupt_errors: tuple[type[BaseException], ...] = (
        tarfile.TarError,
        EOFError,
        zlib.error,
        ValueError,
        *_decoder_errors(),
    )
    try:
        return _extract_members(_decompressed(stream, kind), target, target_real)
    except errors.UnsafeArchiveError as err:
        raise errors.UnsafeArchiveError(f"{source} is refused: {err}") from err
    except errors.TFHubError:
        raise
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise errors.CacheError(
                errno.ENOSPC, f"No space left on device while extracting {source} into {target}."
            ) from err
        if isinstance(err, (tarfile.TarError, EOFError)) or err.errno is None:
            raise _corrupt(source, err) from err
        raise
    except corrupt_errors as err:
        raise _corrupt(source, err) from err


def _decoder_errors() -> tuple[type[Exception], ...]:
    """Returns the exception classes of corrupt compressed data (ISA-L's are not OSError)."""
    try:
        from isal.isal_zlib import IsalError
    except ImportError:
        return ()
    return (cast("type[Exception]", IsalError),)  # isal's stub types it as an instance.


def _corrupt(source: str, err: BaseException) -> errors.ArchiveError:
    return errors.ArchiveError(
        f"{source} does not appear to be a valid module: the archive is truncated or corrupt "
        f"({type(err).__name__}: {err})."
    )


def _extract_members(data: IO[bytes], target: str, target_real: str) -> int:
    count = 0
    has_links = False
    with data, tarfile.open(fileobj=data, mode="r|", bufsize=_COPY_BUFSIZE) as archive:
        for member in archive:
            path = check_member(member, target)
            if path != target:
                _write_member(archive, member, path, target_real)
            has_links = has_links or member.issym()
            count += 1
    if count == 0:
        raise tarfile.ReadError("the archive has no members")
    if has_links:
        _check_links_stay_inside(target, target_real)
    return count


def extract_file(archive_path: str, target: str) -> int:
    """Extracts an archive file from disk (for `tfhub import` and gs:// archives).

    Raises:
        Same as `extract`.
    """
    with open(archive_path, "rb", buffering=_COPY_BUFSIZE) as buffered:
        return extract(buffered, target, source=archive_path)


class _RawReader(io.RawIOBase):
    """Adapts any object with `read(n)` (e.g. a tf.io.gfile.GFile) to a raw stream."""

    def __init__(self, fileobj: Any) -> None:
        super().__init__()
        self._fileobj = fileobj

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._fileobj.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def extract_fileobj(fileobj: Any, target: str, *, source: str) -> int:
    """Extracts from any binary file object with `read(n)` (e.g. a tf.io.gfile.GFile).

    Raises:
        Same as `extract`.
    """
    return extract(io.BufferedReader(_RawReader(fileobj), _COPY_BUFSIZE), target, source=source)
