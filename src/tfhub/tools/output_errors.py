"""The one-line errors of the tools' outputs that cannot be written
(`tfhub.errors.OutputNotWritableError`, an OSError naming the output and its flag), and the
refusals that raise them before anything is written: a closed stream, a file where a folder
goes (or back), a file output spelled as a folder, a block device or a socket, a folder to
replace that holds other files than the tool's output (`check_replaceable`).

`tfhub.tools.atomic_output` writes the outputs; its `not_writable` and `not_written` are these.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

from .. import errors
from ..utils.paths import STREAMS, closed_descriptor, describe_descriptor, is_url
from ..utils.printable import escaped
from ..utils.refused_writes import (
    FILE_SIZE_LIMIT_TODO,
    capitalized,
    is_quota,
    quota_used_up,
)


def not_writable(
    path: str,
    reason: str,
    *,
    what: str,
    flag: str | None = None,
    disk_full: bool = False,
    quota: bool = False,
    todo: str | None = None,
) -> errors.OutputNotWritableError:
    """The one-line error for an output that cannot be written.

    Args:
        path: the output as the user gave it.
        reason: why, e.g. an OSError's strerror.
        what: what the output is, e.g. "saved model dir" (becomes `.what`).
        flag: the flag or argument that named it; by default `what` with underscores
            ("saved_model_dir"). The same `what` and `flag` are taken by every function of the
            tools' outputs (here and in `atomic_output`).
        disk_full: the disk is full: says to free space instead.
        quota: the user's disk quota is used up (EDQUOT): says so instead (not to free space
            on a disk that may have plenty of room).
        todo: what to do, if none of those (a sentence).
    """
    if todo is None and quota:
        todo = (
            f"{capitalized(quota_used_up('on its disk'))}: remove other files of yours there, "
            "or ask the administrator for a larger quota, or choose a folder on another disk."
        )
    elif todo is None:
        todo = (
            "Free space on its disk, or choose a folder on a disk with room."
            if disk_full
            else "Choose a folder you can write to."
        )
    return errors.OutputNotWritableError(
        f"Cannot write the {what} {path}: {reason}. {todo} "
        f"Received: {flag_name(what, flag)}={path!r}",
        path=path,
        what=what,
    )


def flag_name(what: str, flag: str | None = None) -> str:
    """The flag that named the output: `flag`, or by default `what` with underscores."""
    return what.replace(" ", "_") if flag is None else flag


def reason_of(err: OSError) -> str:
    """Why `err` failed, as a message says it: its strerror, or else the whole error."""
    return str(err.strerror or err)


def not_written(
    err: OSError, path: str, *, what: str, flag: str | None = None
) -> errors.OutputNotWritableError:
    """`not_writable` for the OSError of a failed write of the output `path` (what to do
    depends on it: a full disk says to free space, a file over the file-size limit says so)."""
    disk_full = err.errno in errors.DISK_FULL_ERRNOS
    todo = FILE_SIZE_LIMIT_TODO if err.errno == errno.EFBIG else None
    return not_writable(
        path,
        reason_of(err),
        what=what,
        flag=flag,
        disk_full=disk_full,
        quota=is_quota(err),
        todo=todo,
    )


def disk_full_error(err: BaseException) -> OSError | None:
    """`err` if it is an OSError of a full disk (or quota), whatever file it names."""
    return err if isinstance(err, OSError) and err.errno in errors.DISK_FULL_ERRNOS else None


def refuse_closed(path: str, *, what: str, flag: str | None) -> None:
    """Refuses a `path` that names a closed descriptor (/dev/stdout after `>&-`): it does not
    exist then, and a file renamed over it would replace the /dev/stdout link itself."""
    closed = closed_descriptor(path)
    if closed is not None:
        raise not_writable(
            path,
            f"it names {describe_descriptor(closed)}, which is closed (e.g. by `>&-`)",
            what=what,
            flag=flag,
            todo="Run it with that stream open, or give a file path.",
        )


def refuse_url(path: str, *, what: str, flag: str | None) -> None:
    """Refuses a `path` that is a URL (gs://b/sm: `utils.paths.is_url`): the writes here take
    local paths only, and would make the local folder "gs:" in the working folder instead.

    Raises:
        tfhub.errors.OutputNotWritableError: saying to write to a local path and copy it.
    """
    if is_url(path):
        raise not_writable(
            path,
            "it is a URL, and this tool writes its outputs to local paths only (upstream "
            "wrote them with tf.io.gfile)",
            what=what,
            flag=flag,
            todo="Give a local path, then copy it there (e.g. `gcloud storage cp -r`).",
        )


def refuse_other_kind(path: str, *, is_dir: bool, what: str, flag: str | None) -> None:
    """Refuses a `path` that exists as the other kind (a file where a folder goes, or back)."""
    if os.path.exists(path) and os.path.isdir(path) != is_dir:
        kind = "a folder" if is_dir else "a file"
        raise errors.OutputNotWritableError(
            f"The {what} {path} exists and is not {kind}. Remove it or choose another "
            f"path. Received: {flag_name(what, flag)}={path!r}",
            path=path,
            what=what,
        )


def refuse_folder_spelling(path: str, *, what: str, flag: str | None) -> None:
    """Refuses a file output spelled as a folder, `out/labels/` (meant to hold the file?):
    written, it would be a file named `labels`, said to be written to `out/labels/`."""
    separators = (os.sep, os.altsep) if os.altsep else (os.sep,)
    if path.endswith(separators):
        raise not_writable(
            path,
            "it ends with a slash, as a folder does, but it names a file",
            what=what,
            flag=flag,
            todo=f"Give the file's path, e.g. {os.path.join(path, 'NAME')}.",
        )


def refuse_special(path: str, kind: str, *, what: str, flag: str | None) -> None:
    """Refuses `path` if its `kind` (`special_kind`) is a block device or a socket (a character
    device or a FIFO is written in place)."""
    if kind not in STREAMS:
        raise not_writable(
            path, f"it is a {kind}, not a file; give a file path", what=what, flag=flag
        )


def check_replaceable(
    path: str, is_output: Callable[[str], bool], *, what: str, flag: str | None = None
) -> None:
    """Refuses an existing folder that holds anything but the tool's own output: `write_folder`
    replaces a folder whole, so those files (e.g. the input images, or a whole home folder)
    would be deleted.

    Args:
        path: the output folder.
        is_output: whether a name in the folder is one the tool writes there.
        what, flag: as for `not_writable`.

    Raises:
        tfhub.errors.OutputNotWritableError: naming (up to 3 of) the other entries.
    """
    if not os.path.isdir(path):
        return
    refuse_others(
        path, [name for name in os.listdir(path) if not is_output(name)], what=what, flag=flag
    )


def refuse_others(path: str, others: list[str], *, what: str, flag: str | None = None) -> None:
    """Refuses the output folder `path` if it holds `others` (names the tool does not write
    there), as `check_replaceable` does; also for a remote folder's listing.

    Raises:
        tfhub.errors.OutputNotWritableError: naming (up to 3 of) `others`, sorted.
    """
    if others:
        others = sorted(others)  # Names anyone who writes there chose: escaped.
        shown = ", ".join(map(escaped, others[:3])) + (", ..." if len(others) > 3 else "")
        raise errors.OutputNotWritableError(
            f"The {what} {escaped(path)} holds other files ({shown}): writing it replaces the "
            "whole folder, which would delete them. Choose a new or empty folder. Received: "
            f"{flag_name(what, flag)}={path!r}",
            path=path,
            what=what,
        )
