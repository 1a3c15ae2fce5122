"""Streaming, path-safe extraction of a module archive (.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz).

The archive is read once, front to back, from a stream: memory stays flat whatever its size.
A background thread decompresses (`_archive_stream`); this thread parses the tar, hashes each
file (sha256) and writes it, or, once the archive has shown many small files, sends them to a
writer process (`_archive_writer`). Where members go is decided in memory (`_archive_tree`):
absolute paths, `..`, links that leave the target (through any chain of the archive's links,
judged by what they will point to), hard links, sparse files, devices, fifos and other special
members are refused by name before anything is created, and no write goes through a link. The
total expanded size is capped by TFHUB_MAX_EXTRACTED_BYTES, the number of members by
TFHUB_MAX_ARCHIVE_MEMBERS.
"""

from __future__ import annotations

import errno
import io
import os
import posixpath
import tarfile
import urllib.parse
import zlib

from . import constants, errors
from ._archive_stream import Inflater, TarSource
from ._archive_tree import Tree, check_depth, normalized_name
from ._archive_writer import Files, WorkerWriteError
from ._tar_reader import members
from .utils.printable import escaped
from .utils.records import FrozenRecord
from .utils.refused_writes import failed_write

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import Any, NoReturn

DIGEST_ALGORITHM = "sha256"  # 1.5 GB/s here (SHA-NI); sha1 0.87, blake2b 0.55, md5 0.56.
_COPY_BUFSIZE = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_REGULAR_TYPES = frozenset(tarfile.REGULAR_TYPES)  # member.isreg(), without the call.
_MEMBER_ERRNOS = (errno.ENAMETOOLONG, errno.EEXIST, errno.ENOTDIR, errno.EISDIR, errno.ELOOP,
                  errno.EINVAL, errno.EILSEQ)  # fmt: skip


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


def sniff(head: bytes) -> str:
    """Classifies the first bytes of a stream: "gzip", "tar", "bz2", "xz", "html" or "unknown"."""
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if len(head) >= 262 and head[257:262] == b"ustar" or is_v7_tar_header(head):
        return "tar"
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")):
        return "html"
    return "unknown"


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # A Zstandard stream's first bytes.
# Archives and compressors that are not TF Hub's, by their first bytes: named in the error.
_OTHER_ARCHIVES = (
    ((b"PK\x03\x04", b"PK\x05\x06"), "a ZIP archive"),
    ((ZSTD_MAGIC,), "a Zstandard stream (.zst)"),
    ((b"7z\xbc\xaf\x27\x1c",), "a 7-Zip archive"),
    ((b"Rar!\x1a\x07",), "a RAR archive"),
    ((b"\x04\x22\x4d\x18",), "an LZ4 stream"),
)


def other_archive_kind(head: bytes) -> str | None:
    """What another kind of archive `head` starts, e.g. "a ZIP archive"; None if none."""
    return next((what for magics, what in _OTHER_ARCHIVES if head.startswith(magics)), None)


def _not_an_archive_message(source: str, head: bytes, kind: str, *, local: bool) -> str:
    """Why `source`, whose content starts with `head` (`sniff` says `kind`: "html" or
    "unknown"), is no model archive. A download's words are kept (its caller adds "Check the
    handle."); a local file's say what it is and what to give instead."""
    if kind != "html":
        return _not_a_tar_message(source, head, local=local)
    if not local:
        return (
            f"{source} does not appear to be a valid module. It answered an HTML page instead "
            "of a model archive (a login page, an error page or a model page without the "
            "hosting protocol?)."
        )
    return (
        f"{source} does not appear to be a valid module. It is an HTML page, not a model "
        "archive (a model page, a login page or an error page, saved in its place?): get the "
        "archive itself (the model page's download link) and give that file."
    )


def _not_a_tar_message(source: str, head: bytes, *, local: bool) -> str:
    """Why `source`, whose content starts with `head` and is no tar archive, is no model, and
    what to do. A model file's name (a `.keras` file, which is a ZIP archive, or an `.h5`)
    gets what a local file of that name is told (`model_file_kind`): unpacked, it is no
    SavedModel folder. A download's unknown content is left to its caller's advice."""
    from .model_folder_checks import other_model_file_kind  # The error path: not at import.

    other = other_archive_kind(head)
    name = posixpath.basename(urllib.parse.urlsplit(source).path)
    model_file = other_model_file_kind(name)
    if model_file is not None and model_file[0] != other:
        what, todo = model_file
        return (
            f"{source} does not appear to be a valid module. It is {what}, not a tar archive "
            f"of a SavedModel folder as TF Hub models are. {todo}"
        )
    if other is not None:
        return (
            f"{source} does not appear to be a valid module. Its content is {other}, not a "
            "tar archive (plain, or compressed with gzip, bzip2 or xz) as TF Hub models "
            "are: unpack it and pack the model folder again (`tfhub pack FOLDER -o "
            "model.tar.gz`, or `tar czf`)."
        )
    what = f"starts with {head[:16]!r}" if head else "it is empty: 0 bytes"
    message = (
        f"{source} does not appear to be a valid module. Its content is not a .tar, "
        f".tar.gz or .tgz archive ({what})"
    )
    if not local:
        return f"{message}."
    if not head:
        return f"{message}: get a fresh copy of the archive."
    return (
        f"{message}: give the model's archive, or pack its SavedModel folder into one "
        "(`tfhub pack FOLDER -o model.tar.gz`)."
    )


def is_v7_tar_header(head: bytes) -> bool:
    """True for a pre-POSIX tar header (no "ustar" magic) whose checksum is right."""
    if len(head) < 512 or not head[:1].strip(b"\0"):
        return False
    try:
        tar: Any = tarfile  # nti and calc_chksums are not in typeshed.
        return tar.nti(head[148:156]) in tar.calc_chksums(head[:512])
    except (tarfile.HeaderError, ValueError):
        return False


def read_head(stream: Any, size: int = 512) -> bytes:
    """Reads until `size` bytes or the end: a first network read may be short."""
    parts: list[bytes] = []
    got = 0
    while got < size:
        data = stream.read(size - got)
        if not data:
            break
        parts.append(bytes(data))
        got += len(data)
    return b"".join(parts)


def invalid(source: str, detail: str) -> errors.ArchiveError:
    """An error starting with upstream's wording, then what is wrong."""
    return errors.ArchiveError(f"{source} does not appear to be a valid module. {detail}")


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
        tfhub.errors.NotAnArchiveError: if the stream is an HTML page or not an archive.
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
        _raise_mapped(err, source=source, target=target)
    kind = sniff(head)
    if kind in ("html", "unknown"):
        raise errors.NotAnArchiveError(_not_an_archive_message(source, head, kind, local=local))
    limit = constants.max_extracted_bytes()
    max_members = constants.max_archive_members()
    inflater = Inflater(stream.read, head, kind)
    try:
        tar = TarSource(inflater, limit=limit, source=source)
        return _extract_members(tar, target, source, max_members=max_members)
    except Exception as err:
        _raise_mapped(err, source=source, target=target)
    finally:
        inflater.close()


def _raise_mapped(err: Exception, *, source: str, target: str) -> NoReturn:
    """Raises the tfhub error for an extraction failure (`err` itself if it is one)."""
    mapped = _as_tfhub_error(err, source=source, target=target)
    if mapped is err:
        raise err
    raise mapped from err


def _as_tfhub_error(err: Exception, *, source: str, target: str) -> Exception:
    """Maps an extraction failure to the tfhub error to raise (the error itself if it is one)."""
    if isinstance(err, errors.UnsafeArchiveError) and not str(err).startswith(source):
        return errors.UnsafeArchiveError(f"{source} is refused: {err}")
    if type(err) is errors.ArchiveError and not str(err).startswith(source):
        return invalid(source, str(err))
    if isinstance(err, errors.TFHubError):
        return err
    shown = escaped(target)  # A path may hold a newline or a terminal escape.
    if isinstance(err, OSError) and err.errno in errors.DISK_FULL_ERRNOS:
        return errors.DiskFullError(
            err.errno, f"{err.strerror} while extracting {source} into {shown}.", path=target
        )
    if isinstance(err, OSError) and err.errno == errno.EFBIG:  # `ulimit -f`, FAT32's 4 GB.
        return errors.CacheError(
            err.errno,
            f"Cannot write {source}'s files into {shown}: a file is larger than the file-size "
            "limit (`ulimit -f`) or the filesystem (FAT32: 4 GB) allows. Raise the limit, or "
            "set TFHUB_CACHE_DIR to a folder on another filesystem.",
            path=target,
        )
    if isinstance(err, OSError) and err.errno in errors.REFUSED_WRITE_ERRNOS:
        return errors.CacheError(
            err.errno, f"Cannot write {source}'s files into {shown}: {err.strerror}.", path=target
        )
    if isinstance(err, OSError) and _is_write_failure(err, target):
        hint = (
            " Something removed that folder while the archive was extracted (a cleaner of "
            "temporary folders?): run again."
            if err.errno == errno.ENOENT
            else ""
        )
        return errors.CacheError(
            err.errno,
            f"Cannot write {source}'s files into {shown}: {err.strerror} "
            f"({escaped(str(err.filename))}).{hint}",
            path=target,
        )
    if isinstance(err, RecursionError):  # tarfile reads each extended header recursively.
        return invalid(
            source,
            "It has hundreds of extended headers (pax or GNU long names) in a row before a "
            "member (refused).",
        )
    if isinstance(err, (*_corrupt_errors(), OSError)):
        return invalid(
            source, f"The archive is truncated or corrupt ({type(err).__name__}: {err})."
        )
    return err


def _is_write_failure(err: OSError, target: str) -> bool:
    """Whether `err` came from writing into `target` (not from reading the archive)."""
    if isinstance(err, WorkerWriteError):
        return True
    return failed_write(err, target) is not None


def _corrupt_errors() -> tuple[type[BaseException], ...]:
    """Exception classes of truncated or corrupt archives (ISA-L's are not OSError)."""
    import lzma
    from typing import cast

    found: list[type[BaseException]] = [
        tarfile.TarError, EOFError, zlib.error, ValueError, lzma.LZMAError
    ]  # fmt: skip
    try:
        from isal.isal_zlib import IsalError

        found.append(cast("type[BaseException]", IsalError))  # isal's stub types an instance.
    except ImportError:  # pragma: no cover
        pass
    return tuple(found)


def _extract_members(
    source: TarSource, target: str, name: str, *, max_members: int
) -> ExtractResult:
    tree = Tree(target)
    sink = Files(target)
    files: dict[str, tuple[int, str]] = {}
    count = 0
    try:
        for member in members(source):
            count += 1
            if count > max_members:  # An integer compare: nothing more on the hot path.
                raise _too_many_members(name, max_members)
            try:
                _extract_one(member, source, tree, sink, files)
            except OSError as err:
                _raise_member_error(err, member.name)
        try:
            sink.close()
        except OSError as err:
            _raise_member_error(err, "")
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


def _too_many_members(source: str, limit: int) -> errors.ArchiveTooManyMembersError:
    """The error for an archive of more than `limit` members (TFHUB_MAX_ARCHIVE_MEMBERS)."""
    name = constants.TFHUB_MAX_ARCHIVE_MEMBERS
    return errors.ArchiveTooManyMembersError(
        f"{source} is refused: it holds more than {limit} members (files, folders and links), "
        f"the limit set by {name}. If the model really has that many files, set {name} higher "
        "(a whole number).",
        source=source,
        limit=limit,
    )


def _raise_member_error(err: OSError, member_name: str) -> NoReturn:
    """Raises the error for a member that cannot be written (the writer process names its own).

    Raises:
        tfhub.errors.ArchiveError: for names the filesystem cannot hold (EEXIST, ENAMETOOLONG...).
        OSError: `err` itself, for anything else (a full disk, a tfhub error).
    """
    if err.errno not in _MEMBER_ERRNOS or isinstance(err, errors.TFHubError):
        raise err
    if isinstance(err, WorkerWriteError):
        member_name = err.filename
    raise errors.ArchiveError(
        f"Archive member {member_name[:200]!r} cannot be written ({err.strerror})."
    ) from err


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
