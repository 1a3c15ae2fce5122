"""The tools' local output files and folders, written atomically: complete, or not at all.

An output is written under a temporary name beside its target, `.<name>.tmp-<uuid>` (same folder,
so same filesystem: the rename is atomic), and renamed into place only when complete. A folder
that is replaced is first renamed aside, `.<name>.old-<uuid>`, since a folder cannot replace a
non-empty folder in one step. Whatever happens (an error, Ctrl-C), the temporary and the old copy
are removed before returning, and a failed write leaves the previous output as it was. (The one
exception: should the old folder fail to be renamed back, it stays as `.<name>.old-<uuid>`
rather than be deleted.)

A symbolic link at the target is followed: the file or folder it points to is replaced, the link
stays. Every failure of the file system becomes `tfhub.errors.OutputNotWritableError` (an
`OSError`) naming the output (`what`) and the flag that chose it (`flag`).

Remote paths (gs://...) are not handled here: make_nearest_neighbour_index's `files.py` writes
those in place, as upstream did.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator

from .. import errors

logger = logging.getLogger(__name__)


def not_writable(
    path: str, reason: str, *, what: str, flag: str | None = None
) -> errors.OutputNotWritableError:
    """The one-line error for an output that cannot be written.

    Args:
        path: the output as the user gave it.
        reason: why, e.g. an OSError's strerror.
        what: what the output is, e.g. "saved model dir" (becomes `.what`).
        flag: the flag or argument that named it; by default `what` with underscores
            ("saved_model_dir"). The same `what` and `flag` are taken by every function here.
    """
    return errors.OutputNotWritableError(
        f"Cannot write the {what} {path}: {reason}. Choose a folder you can write to. "
        f"Received: {_flag(what, flag)}={path!r}",
        path=path,
        what=what,
    )


def _flag(what: str, flag: str | None) -> str:
    return what.replace(" ", "_") if flag is None else flag


def _reason(err: OSError) -> str:
    return str(err.strerror or err)


def _existing_ancestor(path: str) -> str:
    """The nearest existing folder (or file) on the way to `path`."""
    current = os.path.abspath(path)
    while not os.path.lexists(current):
        current = os.path.dirname(current)
    return current


def _refuse_other_kind(path: str, *, is_dir: bool, what: str, flag: str | None) -> None:
    """Refuses a `path` that exists as the other kind (a file where a folder goes, or back)."""
    if os.path.exists(path) and os.path.isdir(path) != is_dir:
        kind = "a folder" if is_dir else "a file"
        raise errors.OutputNotWritableError(
            f"The {what} {path} exists and is not {kind}. Remove it or choose another "
            f"path. Received: {_flag(what, flag)}={path!r}",
            path=path,
            what=what,
        )


def check_writable(path: str, *, is_dir: bool, what: str, flag: str | None = None) -> None:
    """Checks that `path` could be written as a folder (`is_dir`) or a file; creates nothing.

    Raises:
        tfhub.errors.OutputNotWritableError: `path` exists and is of the other kind, or the
            nearest existing folder on its way is a file or does not take new files.
    """
    _refuse_other_kind(path, is_dir=is_dir, what=what, flag=flag)
    existing = _existing_ancestor(path if is_dir else os.path.dirname(os.path.abspath(path)))
    try:
        if not os.path.isdir(existing):
            raise NotADirectoryError(20, "a file is in the way", existing)
        handle, probe = tempfile.mkstemp(prefix=".write-test-", dir=existing)
        os.close(handle)
        os.remove(probe)
    except OSError as err:
        raise not_writable(path, f"{_reason(err)} ({existing})", what=what, flag=flag) from err


def _beside(target: str, kind: str) -> str:
    """A name beside `target` that no other writer uses: `.<name>.<kind>-<uuid>`."""
    folder, name = os.path.split(target)
    return os.path.join(folder, f".{name}.{kind}-{uuid.uuid4().hex[:12]}")


def _remove(path: str) -> None:
    """Removes a file, link or folder tree if there is one; what stays is logged, not raised."""
    if not os.path.lexists(path):
        return
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.remove(path)
    if os.path.lexists(path):
        logger.warning("Could not remove the temporary %s: remove it by hand.", path)


def write_file(path: str, data: bytes, *, what: str, flag: str | None = None) -> None:
    """Writes `data` to `path` through a temporary file beside it (the parent is created).

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a folder, or the parent or the file
            cannot be created or written; `path` is then as it was and no temporary is left.
    """
    _refuse_other_kind(path, is_dir=False, what=what, flag=flag)
    target = os.path.realpath(path)
    tmp = _beside(target, "tmp")
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(tmp, "xb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except OSError as err:
        raise not_writable(path, _reason(err), what=what, flag=flag) from err
    finally:
        _remove(tmp)


@contextlib.contextmanager
def write_folder(path: str, *, what: str, flag: str | None = None) -> Iterator[str]:
    """Yields a new empty folder beside `path`; when the block ends without error it replaces
    `path` (the old folder, if any, is removed), else it is removed and `path` stays as it was.

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a file, or the folder (or its parent)
            cannot be created or renamed into place. An exception of the block propagates as is.
    """
    _refuse_other_kind(path, is_dir=True, what=what, flag=flag)
    target = os.path.realpath(path)
    tmp, old = _beside(target, "tmp"), _beside(target, "old")
    try:
        os.makedirs(tmp)
    except OSError as err:
        raise not_writable(path, _reason(err), what=what, flag=flag) from err
    try:
        yield tmp
        try:
            _swap_in(tmp, target, old)
        except OSError as err:
            raise not_writable(path, _reason(err), what=what, flag=flag) from err
    finally:
        _remove(tmp)
        if os.path.lexists(target):  # Else the old folder could not be put back: keep it.
            _remove(old)


def _swap_in(tmp: str, target: str, old: str) -> None:
    """Renames `target` (if any) to `old` and `tmp` to `target`; on failure, puts `old` back."""
    had_old = os.path.lexists(target)
    if had_old:
        os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        if had_old:
            os.rename(old, target)
        raise
