"""Whether a failure was a write the file system refused (a full disk, no permission), for a
file in a given folder: raised by Python as an OSError, or by TensorFlow's own writers (a
SavedModel, summaries) as its OpError, whose message names the file."""

from __future__ import annotations

import errno
import os

from .. import errors
from .paths import nearest_existing, non_folder_kind, relative_below
from .printable import escaped

# TensorFlow's error codes (tf.errors.*) for a file it could not write: ENOSPC and EDQUOT
# become RESOURCE_EXHAUSTED; EACCES, EPERM and EROFS PERMISSION_DENIED; EFBIG (a file over the
# file-size limit, `ulimit -f`, or FAT32's 4 GiB) OUT_OF_RANGE, its message saying "File too large".
_TF_RESOURCE_EXHAUSTED, _TF_PERMISSION_DENIED, _TF_OUT_OF_RANGE = 8, 7, 11

# The other way round, for a TF1 module's export, whose refused writes upstream let through as
# TensorFlow's error of that code: the class (`errors/_lazy_export.py`) that is both it and an
# ExportWriteError, for each errno (a file in the way of a folder, a folder in the way of a file:
# TensorFlow raised FailedPreconditionError, "<file> is not a directory", "<tmp file>; Is a
# directory"). Other errnos (a gs:// request refused) give a plain ExportWriteError.
_TF1_EXPORT_ERROR_CLASS = {
    **{code: "ExportPermissionDeniedError" for code in errors.REFUSED_WRITE_ERRNOS},
    **{code: "ExportDiskFullError" for code in errors.DISK_FULL_ERRNOS},
    errno.EFBIG: "ExportFileTooLargeError",
    errno.ENOTDIR: "ExportNotADirectoryError",
    errno.EISDIR: "ExportIsADirectoryError",
    errno.ENOENT: "ExportNotFoundError",  # A link to nothing in the way: NotFoundError.
}


# What to do about a file over the file-size limit (EFBIG), where its folder is writable: the
# one wording of it for exports, the tools and the cache.
FILE_SIZE_LIMIT_TODO = (
    "A file is larger than the file-size limit (`ulimit -f`) or than that file system allows "
    "(FAT32: 4 GiB): raise the limit, or choose a folder on another file system."
)


def is_quota(err: OSError) -> bool:
    """True if `err` is a write refused because the user's disk quota is used up (EDQUOT)."""
    return err.errno == getattr(errno, "EDQUOT", None)


def quota_used_up(where: str = "there") -> str:
    """What an EDQUOT write means, for a message that then says what to do (never "free space":
    the disk may have plenty), e.g. `where`="on the disk of the hub folder /srv/hub". The one
    wording of it for the cache, exports, the hub and the tools."""
    return (
        f"your disk quota {where} is used up (the disk itself may have room; `quota -s` shows "
        "your limits)"
    )


def failed_write(err: BaseException, folder: str) -> OSError | None:
    """`err` as the OSError of a refused write of a file in `folder`; None if it is not one
    (a bug, a bad input, a file elsewhere), to raise as it is.

    An OSError counts when it names a file in `folder`. TensorFlow's own writes (a SavedModel,
    summaries) raise its OpError instead, whose message names the file: counted when that is
    in `folder` (as the caller named it) and its code is one of a refused write.
    """
    if isinstance(err, OSError):
        named = err.filename
        return err if isinstance(named, str) and relative_below(named, folder) is not None else None
    code, message = getattr(err, "error_code", None), getattr(err, "message", None)
    if not isinstance(message, str) or os.path.join(folder, "") not in message:
        return None
    if code == _TF_RESOURCE_EXHAUSTED:
        return OSError(errno.ENOSPC, "no space left on the device (the disk or quota is full)")
    if code == _TF_PERMISSION_DENIED:
        if os.strerror(errno.EROFS) in message:  # A read-only mount: no permission fixes it.
            return OSError(errno.EROFS, os.strerror(errno.EROFS))
        return OSError(errno.EACCES, "permission denied")
    if code == _TF_OUT_OF_RANGE and os.strerror(errno.EFBIG) in message:
        return OSError(errno.EFBIG, os.strerror(errno.EFBIG))
    return None


def export_write_error(
    err: OSError,
    export_dir: str,
    *,
    argument: str = "export_dir",
    tmpdir: str = "",
    tf1: bool = False,
) -> errors.ExportWriteError:
    """The error for a refused write of an export (`hub.export_layer`, a TF1 module's export),
    naming the export folder (given as `argument`) and what to do, never a temporary name users
    do not know; `tmpdir`: the temporary folder (TMPDIR) where a gs:// export is written before
    its upload, if `err` may have been met there: a full disk is then TMPDIR's, named in what to
    do and kept as the error's `tmpdir` (other errors are the export folder's own).

    With `tf1` (a TF1 module's export: TensorFlow is imported), a refusal for want of
    permission, a full disk, a file over the size limit, or an entry of the wrong kind in the
    way (ENOTDIR, EISDIR), or a missing one (ENOENT) is the ExportWriteError subclass that is
    also the TensorFlow error upstream let through there (`tf.errors.PermissionDeniedError`,
    `ResourceExhaustedError`, `OutOfRangeError`, `FailedPreconditionError`, `NotFoundError`)."""
    problem = err.strerror or str(err)
    tmpdir = tmpdir if err.errno in errors.DISK_FULL_ERRNOS else ""  # Else the export's own.
    if tmpdir:  # Not the export folder's disk.
        todo = (
            f"Free space in TMPDIR ({escaped(tmpdir)}), or set TMPDIR to a folder with room "
            "for the module plus its largest file, and export again"
        )
    elif is_quota(err):  # The disk itself may have plenty of room.
        todo = (
            f"{capitalized(quota_used_up())}: remove other files of yours on that disk, or ask "
            "the administrator for a larger quota, or choose a folder on another disk, and "
            "export again"
        )
    elif err.errno in errors.DISK_FULL_ERRNOS:
        todo = "Free space on its disk (or choose a folder on another one) and export again"
    elif err.errno == errno.EFBIG:  # No permission or free space helps.
        todo = f"{FILE_SIZE_LIMIT_TODO.removesuffix('.')}, and export again"
    elif err.errno in (errno.ENOTDIR, errno.EISDIR):  # An entry in the way, not permissions.
        todo = "Remove or rename it, or choose another folder, and export again"
    elif err.errno == errno.ENOENT:  # A link to nothing on the way, or a folder removed.
        todo = (
            "Make what is missing (or remove the link), or choose another folder, and export again"
        )
    else:
        todo = "Choose a folder you can write, or fix its permissions, and export again"
    name = _TF1_EXPORT_ERROR_CLASS.get(err.errno or 0, "") if tf1 else ""
    cls = getattr(errors, name) if name else errors.ExportWriteError
    return cls(
        f"Cannot write the export to {escaped(export_dir)}: {problem}. {todo}; nothing was "
        "written there. "
        f"Received: {argument}={export_dir!r}",
        path=export_dir,
        problem=problem,
        tmpdir=tmpdir,
    )


def remade_as(found: errors.ExportWriteError, cls: type) -> errors.ExportWriteError:
    """`found` (its message, `path`, `problem` and `tmpdir`) as an instance of `cls`, a subclass
    of ExportWriteError (one that is also a TensorFlow error class)."""
    made: errors.ExportWriteError = cls(
        str(found), path=found.path, problem=found.problem, tmpdir=found.tmpdir
    )
    return made


def capitalized(text: str) -> str:
    """`text` with its first letter in capitals (the rest as it is), to start a sentence."""
    return text[:1].upper() + text[1:]


def check_no_file_in_the_way(folder: str, *, argument: str, tf1: bool = False) -> None:
    """Refuses an export whose folder, or a folder above it, is a file (TensorFlow's bare
    FailedPreconditionError "... is not a directory" otherwise, midway through the export) or
    a symbolic link to nothing (TensorFlow's NotFoundError otherwise).

    Args:
        folder: the local export folder, as the caller named it.
        argument: the caller's name for it, for the message (`path`, `export_path`).
        tf1: a TF1 module's export (TensorFlow is imported), whose refusal is then also the
            TensorFlow error upstream let through there.

    Raises:
        tfhub.errors.ExportWriteError: (also an OSError) naming the file, before anything is
            written; with `tf1`, its subclass ExportNotADirectoryError, also a
            tf.errors.FailedPreconditionError (a link to nothing: ExportNotFoundError, also a
            tf.errors.NotFoundError).
    """
    existing = nearest_existing(folder)
    if not os.path.lexists(existing) or os.path.isdir(existing):
        return
    # A link to nothing (or a loop of links): ENOENT, as TensorFlow's NotFoundError.
    code = errno.ENOTDIR if os.path.exists(existing) else errno.ENOENT
    refused = OSError(code, f"{escaped(existing)} {non_folder_kind(existing)}")
    raise export_write_error(refused, folder, argument=argument, tf1=tf1)
