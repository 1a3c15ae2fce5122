"""How a write into the hub folder that fails says so, for `publish` and `mirror`: a full disk
or used-up quota, a file past the file-size limit (EFBIG: `ulimit -f`, or what its file system
allows), and a hub folder that cannot be written (read-only, no permission, or a folder
above it that cannot be made), each said as the hub folder's (`write_failure`), never as a
helper's advice; any other error is raised as it is.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .. import errors
from ..utils.paths import relative_below
from ..utils.refused_writes import failed_write, is_quota, quota_used_up
from .doc_handles import DocHandle


def write_failure(
    err: BaseException, handle: DocHandle, root: str | os.PathLike[str], folder: Path, command: str
) -> errors.PublishWriteError | None:
    """The error a publish into `folder` of the hub folder `root` that failed with `err` ends
    in, saying to run `command` (publish, mirror) again; None if `err` is not a write into the
    hub that failed (it is raised as it is)."""
    if isinstance(err, OSError) and err.errno in errors.DISK_FULL_ERRNOS:
        return disk_full(handle, root, folder, err, command)
    if isinstance(err, OSError) and err.errno == errno.EFBIG:
        return _too_large(handle, folder, err, command)
    if isinstance(err, OSError) and _refused_in(err, root):
        return _not_writable(handle, root, folder, err, command)
    return None


def disk_full(
    handle: DocHandle, root: str | os.PathLike[str], folder: Path, err: OSError, command: str
) -> errors.PublishWriteError:
    """The error for a full disk (or quota) while publishing into the hub folder `root`, saying
    to run `command` (publish, mirror) again.

    Its message is tfhub's own: `err`'s may be a helper's, such as the cache's advice to run
    `tfhub cache prune` (the signature summary is written as the cache writes its files), which
    does not apply to a hub folder. A used-up quota (EDQUOT) is said as such, not as a full disk.
    """
    hub_disk = f"the disk of the hub folder {os.fspath(root)}"
    problem = (
        f"{quota_used_up('on ' + hub_disk)}. Remove other files of yours there, or ask the "
        "administrator for a larger quota"
        if is_quota(err)
        else f"{hub_disk} is full. Free space on its disk"
    )
    return errors.PublishWriteError(
        f"Cannot publish {handle} into {folder}: {problem}, then {command} again; nothing was "
        "published.",
        path=os.fspath(folder),
        errno=err.errno,
    )


def _too_large(
    handle: DocHandle, folder: Path, err: OSError, command: str
) -> errors.PublishWriteError:
    """The error for a file past the file-size limit (EFBIG) while publishing into `folder`,
    saying to raise the limit, then run `command` (publish, mirror) again; `err`'s message is
    pack's (it names a staging file and says to write the archive elsewhere)."""
    return errors.PublishWriteError(
        f"Cannot publish {handle} into {folder}: a file is larger than the file-size limit "
        f"(`ulimit -f`) or than its file system allows; raise the limit, then {command} again; "
        "nothing was published.",
        path=os.fspath(folder),
        errno=err.errno,
    )


def _refused_in(err: OSError, root: str | os.PathLike[str]) -> bool:
    """Whether `err` is a write refused in the hub folder `root`, or a folder on its way that
    could not be made (a model file that cannot be read is not: it says so itself)."""
    if err.errno not in errors.REFUSED_WRITE_ERRNOS:
        return False
    # Read-only: only a write fails so. No permission: a write, if it names a path in `root`
    # (`root` too), or a folder above it made for it (ROOT=/sys/x/hub: /sys refuses x).
    return (
        err.errno == errno.EROFS
        or failed_write(err, os.fspath(root)) is not None
        or _made_for(err, root) is not None
    )


def _made_for(err: OSError, root: str | os.PathLike[str]) -> str | None:
    """The folder `err` names if it is a folder above `root` (one a publish makes for it),
    else None."""
    named = err.filename
    if not isinstance(named, str) or relative_below(os.fspath(root), named) in (None, "."):
        return None
    return named


def _not_writable(
    handle: DocHandle, root: str | os.PathLike[str], folder: Path, err: OSError, command: str
) -> errors.PublishWriteError:
    """The error for a write refused in the hub folder `root` (read-only, no permission),
    naming the path that could not be written and what to do (then run `command` again)."""
    why = err.strerror or os.strerror(err.errno or 0)
    if isinstance(err.filename, str):
        why = f"{why}: {err.filename}"
    made = _made_for(err, root)
    problem = (
        f"the hub folder {os.fspath(root)} cannot be written ({why})"
        if made is None
        else f"the hub folder {os.fspath(root)} cannot be made: {_parent(made)} refuses to make "
        f"the folder {os.path.basename(made)} in it ({why})"
    )
    return errors.PublishWriteError(
        f"Cannot publish {handle} into {folder}: {problem}. Choose a hub folder you can write "
        f"to, then {command} again; nothing was published.",
        path=os.fspath(folder),
        errno=err.errno,
    )


def _parent(folder: str) -> str:
    """The folder `folder` is in, as an absolute path (the parent of a single relative name,
    such as `srv`, is the current folder, which os.path.dirname gives as "")."""
    return os.path.dirname(os.path.abspath(folder))
