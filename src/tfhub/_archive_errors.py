"""The tfhub errors of an extraction: what a failure while reading an archive or writing its
members becomes (`raise_mapped`: a full disk, a refused write, a truncated or corrupt archive,
a name the filesystem cannot hold), each naming the archive and the folder, with what to do.

Only `_archive.extract`'s error paths call it: nothing here runs per member.
"""

from __future__ import annotations

import errno
import tarfile

from . import constants, errors
from ._archive_decoder_errors import decompression_errors
from ._archive_writer import WorkerWriteError
from .utils import open_files
from .utils.printable import escaped
from .utils.refused_writes import failed_write

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import NoReturn

_MEMBER_ERRNOS = (errno.ENAMETOOLONG, errno.EEXIST, errno.ENOTDIR, errno.EISDIR, errno.ELOOP,
                  errno.EINVAL, errno.EILSEQ)  # fmt: skip


def invalid(
    source: str, detail: str, kind: type[errors.ArchiveError] = errors.ArchiveError
) -> errors.ArchiveError:
    """An error (of class `kind`) starting with upstream's wording, then what is wrong."""
    return kind(f"{source} does not appear to be a valid module. {detail}")


def raise_mapped(err: Exception, *, source: str, target: str) -> NoReturn:
    """Raises the tfhub error for an extraction failure (`err` itself if it is one)."""
    mapped = _as_tfhub_error(err, source=source, target=target)
    if mapped is err:
        raise err
    raise mapped from err


def _as_tfhub_error(err: Exception, *, source: str, target: str) -> Exception:
    """Maps an extraction failure to the tfhub error to raise (the error itself if it is one)."""
    if isinstance(err, errors.TFHubError):
        return _naming_the_source(err, source)
    if isinstance(err, OSError) and err.errno in open_files.NO_DESCRIPTOR_ERRNOS:
        # First: reading or writing, the archive is fine (it was called corrupt), and the
        # corrupt-archive check's lazy imports would fail for want of a descriptor too.
        return _no_descriptor_error(err, source=source, target=target)
    if isinstance(err, OSError):
        mapped = _write_error(err, source=source, target=target)
        if mapped is not None:
            return mapped
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


def _naming_the_source(err: errors.TFHubError, source: str) -> Exception:
    """`err`, or a refusal or an invalid-archive error of its words that starts with `source`
    (the parts of the extractor do not know the archive's name)."""
    if isinstance(err, errors.UnsafeArchiveError) and not str(err).startswith(source):
        return errors.UnsafeArchiveError(f"{source} is refused: {err}")
    kind = type(err)
    if kind in (errors.ArchiveError, errors.UndecodableArchiveError):
        if not str(err).startswith(source):
            return invalid(source, str(err), kind)
    return err


def _no_descriptor_error(err: OSError, *, source: str, target: str) -> errors.CacheError:
    """The error for an extraction that had no file descriptor left: this process at its limit
    of open files (EMFILE, `ulimit -n`), or the system's table of open files full (ENFILE)."""
    why = open_files.no_descriptor_cause(err.errno, err.strerror)
    todo = open_files.no_descriptor_remedy(err.errno)
    return errors.CacheError(
        err.errno,
        f"Cannot extract {source} into {escaped(target)}: {why}. {todo}, then run again; nothing "
        "was installed.",
        path=target,
    )


def _write_error(err: OSError, *, source: str, target: str) -> errors.CacheError | None:
    """The error for `err` if writing into `target` failed (a full disk, a file-size limit, a
    refused or failed write), else None (then it came from reading the archive)."""
    shown = escaped(target)  # A path may hold a newline or a terminal escape.
    if err.errno in errors.DISK_FULL_ERRNOS:
        return errors.DiskFullError(
            err.errno, f"{err.strerror} while extracting {source} into {shown}.", path=target
        )
    if err.errno == errno.EFBIG:  # `ulimit -f`, FAT32's 4 GB.
        return errors.CacheError(
            err.errno,
            f"Cannot write {source}'s files into {shown}: a file is larger than the file-size "
            "limit (`ulimit -f`) or the filesystem (FAT32: 4 GB) allows. Raise the limit, or "
            "set TFHUB_CACHE_DIR to a folder on another filesystem.",
            path=target,
        )
    if err.errno in errors.REFUSED_WRITE_ERRNOS:
        return errors.CacheError(
            err.errno, f"Cannot write {source}'s files into {shown}: {err.strerror}.", path=target
        )
    if _is_write_failure(err, target):
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
    return None


def _is_write_failure(err: OSError, target: str) -> bool:
    """Whether `err` came from writing into `target` (not from reading the archive)."""
    if isinstance(err, WorkerWriteError):
        return True
    return failed_write(err, target) is not None


def _corrupt_errors() -> tuple[type[BaseException], ...]:
    """Exception classes of truncated or corrupt archives (ISA-L's are not OSError)."""
    decoding = (*decompression_errors("gzip"), *decompression_errors("xz"))
    return (tarfile.TarError, EOFError, ValueError, *decoding)


def too_many_members(source: str, limit: int) -> errors.ArchiveTooManyMembersError:
    """The error for an archive of more than `limit` members (TFHUB_MAX_ARCHIVE_MEMBERS)."""
    name = constants.TFHUB_MAX_ARCHIVE_MEMBERS
    return errors.ArchiveTooManyMembersError(
        f"{source} is refused: it holds more than {limit} members (files, folders and links), "
        f"the limit set by {name}. If the model really has that many files, set {name} higher "
        "(a whole number).",
        source=source,
        limit=limit,
    )


def raise_member_error(err: OSError, member_name: str) -> NoReturn:
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
