"""Streaming, path-safe extraction of a module archive (.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz).

The archive is read once, front to back, from a stream: memory stays flat whatever its size.
A background thread decompresses (`_archive_stream`); this thread parses the tar, hashes each
file (sha256) and writes it, or, once the archive has shown many small files, sends them to a
writer process (`_archive_writer`). Where members go is decided in memory (`_archive_tree`):
absolute paths, `..`, links that leave the target (through any chain of the archive's links,
judged by what they will point to), hard links, sparse files, devices, fifos and other special
members are refused by name before anything is created, and no write goes through a link. The
total expanded size is capped by TFHUB_MAX_EXTRACTED_BYTES, the number of members by
TFHUB_MAX_ARCHIVE_MEMBERS. What a stream is (`sniff`, ...) is `_archive_kind`'s, re-exported here
for the modules that read it from here; the errors of a failed extraction are `_archive_errors`'.
"""

from __future__ import annotations

import io
import itertools
import os
import tarfile

from . import constants, errors
from ._archive_errors import invalid, raise_mapped, raise_member_error, too_many_members
from ._archive_kind import ZSTD_MAGIC as ZSTD_MAGIC
from ._archive_kind import compressed_twice_message, not_an_archive_message
from ._archive_kind import is_v7_tar_header as is_v7_tar_header
from ._archive_kind import other_archive_kind as other_archive_kind
from ._archive_kind import read_head as read_head
from ._archive_kind import sniff as sniff
from ._archive_stream import Inflater, TarSource
from ._archive_tree import Tree, check_depth, normalized_name
from ._archive_writer import Files
from ._tar_reader import members
from .utils.printable import escaped
from .utils.records import FrozenRecord

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Iterator
    from typing import Any

DIGEST_ALGORITHM = "sha256"  # 1.5 GB/s here (SHA-NI); sha1 0.87, blake2b 0.55, md5 0.56.
_COPY_BUFSIZE = 1 << 20
_REGULAR_TYPES = frozenset(tarfile.REGULAR_TYPES)  # member.isreg(), without the call.


class ExtractResult(FrozenRecord):
    """What an extraction wrote.

    Attributes:
        files: {relative path ('/'-separated, through no link): (size, hex digest)} of every
            regular file written.
        algorithm: the `hashlib` name of the digests ("sha256").
        members: how many archive members were read (files, folders, links).
        by_worker: how many of the files a writer process wrote (`_archive_writer`; 0 for
            archives of few or big files).
    """

    _fields = ("files", "algorithm", "members", "by_worker")
    files: dict[str, tuple[int, str]]
    algorithm: str
    members: int
    by_worker: int

    def __init__(
        self, files: dict[str, tuple[int, str]], algorithm: str, members: int, by_worker: int = 0
    ) -> None:
        self._init_fields(files, algorithm, members, by_worker)

    def sizes(self) -> dict[str, int]:
        """Returns {relative path: size}, the form `cache.write_manifest` takes today."""
        return {path: size for path, (size, _) in self.files.items()}


def extract(stream: Any, target: str, *, source: str, local: bool = False) -> ExtractResult:
    """Extracts a tar (optionally gzip/bz2/xz-compressed) stream into the folder `target`.

    Args:
        stream: a binary stream with `read(n)`, positioned at the start of the archive; it is
            read from a background thread.
        target: an existing folder, normally empty (what it holds is taken into account).
        source: the URL or path of the archive, named first in errors.
        local: whether `source` is a local file (or a pipe) given by the user, not a download:
            what it is when it is no archive is said in a file's words, with what to give.

    Returns:
        An `ExtractResult`: {relative path: (size, sha256 hex digest)} of the files written, the
        digest algorithm and the number of members.

    Raises:
        tfhub.errors.NotAnArchiveError: if the stream is an HTML page or not an archive (a
            compressed tar compressed again, too).
        tfhub.errors.ArchiveError: if the archive is truncated, corrupt, holds no files, or has
            member names the filesystem cannot hold (too long, a file then a folder).
        tfhub.errors.UnsafeArchiveError: for a member that is refused.
        tfhub.errors.ArchiveTooLargeError: if it expands beyond TFHUB_MAX_EXTRACTED_BYTES.
        tfhub.errors.ArchiveTooManyMembersError: (an ArchiveTooLargeError) if it holds more
            members than TFHUB_MAX_ARCHIVE_MEMBERS.
        tfhub.errors.CacheError: if the disk is full or `target` cannot be written.
    """
    try:
        head = read_head(stream)
    except Exception as err:
        raise_mapped(err, source=source, target=target)
    kind = sniff(head)
    if kind in ("html", "unknown"):
        raise errors.NotAnArchiveError(not_an_archive_message(source, head, kind, local=local))
    limit = constants.max_extracted_bytes()
    max_members = constants.max_archive_members()
    inflater = Inflater(stream.read, head, kind)
    tar = TarSource(inflater, limit=limit, source=source)
    try:
        entries = _from_first_header(tar, source, kind, local=local)
        return _extract_members(tar, entries, target, source, max_members=max_members)
    except Exception as err:
        raise_mapped(err, source=source, target=target)
    finally:
        inflater.close()


def _from_first_header(
    tar: TarSource, source: str, kind: str, *, local: bool
) -> Iterator[tarfile.TarInfo]:
    """The members of `tar` (`members`), its first header read already. A `kind` stream
    ("gzip", ...) whose first header is no tar header but compressed bytes (a .tar.gz
    compressed again) fails there, before anything is written, and is named so
    (`compressed_twice_message`); a failure at a later member is never.

    Raises:
        tfhub.errors.NotAnArchiveError: the decompressed stream is compressed again.
        tarfile.ReadError: the stream does not start with a tar header (as `members`).
    """
    entries = members(tar)
    try:
        first = next(entries, None)
    except tarfile.ReadError as err:
        twice = compressed_twice_message(source, kind, tar.first_bytes, local=local)
        if twice is None:
            raise
        raise errors.NotAnArchiveError(twice) from err
    return entries if first is None else itertools.chain((first,), entries)


def _extract_members(
    source: TarSource,
    entries: Iterator[tarfile.TarInfo],
    target: str,
    name: str,
    *,
    max_members: int,
) -> ExtractResult:
    tree = Tree(target)
    sink = Files(target)
    files: dict[str, tuple[int, str]] = {}
    count = 0
    try:
        for member in entries:
            count += 1
            if count > max_members:  # An integer compare: nothing more on the hot path.
                raise too_many_members(name, max_members)
            try:
                _extract_one(member, source, tree, sink, files)
            except OSError as err:
                raise_member_error(err, member.name)
        try:
            sink.close()
        except OSError as err:
            raise_member_error(err, "")
    finally:
        sink.abort()  # After a failure: what was sent is written and the worker has exited.
    source.finish()
    if count == 0:
        raise tarfile.ReadError("the archive has no members")
    if not files:
        raise invalid(name, "The archive holds no files (only folders or links).")
    tree.check_all_links()
    return ExtractResult(
        files=files, algorithm=DIGEST_ALGORITHM, members=count, by_worker=sink.by_worker
    )


def _extract_one(
    member: tarfile.TarInfo,
    source: TarSource,
    tree: Tree,
    sink: Files,
    files: dict[str, tuple[int, str]],
) -> None:
    norm = normalized_name(member)
    if norm == ".":
        if member.isdir():
            return
        raise errors.UnsafeArchiveError(f"Archive member {member.name!r} would replace the module.")
    path, missing = tree.place(member.name, norm)
    if missing:
        for folder in missing:
            os.mkdir(f"{tree.target}/{folder}")
            tree.dirs.add(folder)
    if member.type in _REGULAR_TYPES:  # First: nearly every member is a file.
        if member.size < 0:  # A "-" in the octal field or a pax size: would read backwards.
            raise errors.ArchiveError(
                f"Archive member {member.name!r} has a negative size ({member.size})."
            )
        made = tree.files
        overwrite = path in made
        if not overwrite and (path in tree.dirs or path in tree.links):
            _refuse_duplicate(member, tree.kind(path), "file")
        files[path] = (member.size, sink.write(source, path, member.size, overwrite))
        made.add(path)
        return
    existing = tree.kind(path)
    if member.isdir():
        if existing != "dir":
            _refuse_duplicate(member, existing, "folder")
            check_depth(member.name, path)
            os.mkdir(f"{tree.target}/{path}")
            tree.dirs.add(path)
    else:  # A symbolic link: normalized_name refused every other type.
        if existing != "link" or tree.links[path] != member.linkname:
            _refuse_duplicate(member, existing, "link")
            tree.add_link(member.name, path, member.linkname)
            os.symlink(member.linkname, f"{tree.target}/{path}")


def _refuse_duplicate(member: tarfile.TarInfo, existing: str | None, kind: str) -> None:
    if existing is not None:
        raise errors.ArchiveError(
            f"Archive member {member.name!r} is a {kind}, but an earlier member of the same "
            f"name is a {existing} (duplicate member names)."
        )


def extract_file(archive_path: str, target: str, *, name: str | None = None) -> ExtractResult:
    """Extracts an archive file from disk, or a pipe (for `tfhub import`, `publish`, `mirror`).
    Errors name `archive_path` escaped (a newline or terminal escape in a file name cannot
    forge a line), or `name` if given ("standard input" for `tfhub import -`), and say in a
    local file's words what it is if it is no archive.

    Raises:
        tfhub.errors.UnreadableArchiveError: (a PermissionError) if this user may not read it.
        Same as `extract`.
    """
    shown = escaped(archive_path) if name is None else name
    try:
        raw = open(archive_path, "rb", buffering=0)
    except PermissionError as err:
        raise errors.UnreadableArchiveError(
            f"Cannot read {shown} ({err.strerror}): make it readable for this user "
            f"(`chmod a+r`), or import it as a user who can read it.",
            path=archive_path,
        ) from err
    with raw:
        return extract(raw, target, source=shown, local=True)


def extract_fileobj(fileobj: Any, target: str, *, source: str) -> ExtractResult:
    """Extracts from any binary file object with `read(n)` (e.g. a tf.io.gfile.GFile).

    Raises:
        Same as `extract`.
    """
    return extract(io.BufferedReader(_RawReader(fileobj), _COPY_BUFSIZE), target, source=source)


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
