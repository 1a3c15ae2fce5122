"""The tools' local output files and folders, written atomically: complete, or not at all.

An output is written under a temporary name beside its target, `.<name>.tmp-<uuid>` (same folder,
so same filesystem: the rename is atomic), and renamed into place only when complete. A folder
that is replaced is first renamed aside, `.<name>.old-<uuid>`, since a folder cannot replace a
non-empty folder in one step. Whatever happens (an error, Ctrl-C), the temporary and the old copy
are removed before returning, and a failed write leaves the previous output as it was. (The one
exception: should the old folder fail to be renamed back, it stays as `.<name>.old-<uuid>`
rather than be deleted.) The missing parent folders that a write creates are removed again if it
fails, deepest first and only while empty (`os.rmdir`): a folder that existed before, or that
someone else filled meanwhile, stays.

What an output is made from (the temporary SavedModel a .tflite file is converted from) goes in
a `scratch_folder` beside it, named as a write's temporary, so that it is cleaned the same way.

A write killed where no `finally` runs (SIGKILL, the OOM killer, a power loss) leaves its
temporary (and maybe the old copy) behind: the next write of the same output removes them, and
puts the old copy back first if the kill came between the two renames of a swap. A live write
holds an flock on its temporary, so a concurrent write of the same output keeps its temporary.

Before the rename, the new content is flushed to the disk (`os.fsync` of the file, or of every
regular file and folder of the new tree), and after it the folder that holds the target (and any
folder the write created) is flushed too, so that after a power loss the output is the old one or
the whole new one, never an empty or partial file. A file system that cannot flush a folder
(EINVAL or ENOTSUP) is accepted as it is.

A symbolic link at the target is followed: the file or folder it points to is replaced, the link
stays. A file output that is a character device or a FIFO (/dev/null, /dev/stdout) is written
into as it is, never replaced; a block device, a socket or a closed stream (/dev/stdout after
`>&-`) is refused. Every failure of the file system becomes `tfhub.errors.OutputNotWritableError`
(an `OSError`) naming the output (`what`) and the flag that chose it (`flag`).

Remote paths (gs://...) are not handled here: make_nearest_neighbour_index's `files.py` writes
those in place, as upstream did.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import stat
import tempfile
import uuid
from collections.abc import Callable, Iterator

from .. import errors
from ..utils import live_files
from ..utils.paths import (
    STREAMS,
    closed_descriptor,
    describe_descriptor,
    make_folders,
    nearest_existing,
    special_kind,
)
from ..utils.refused_writes import failed_write

logger = logging.getLogger(__name__)


def not_writable(
    path: str,
    reason: str,
    *,
    what: str,
    flag: str | None = None,
    disk_full: bool = False,
    todo: str | None = None,
) -> errors.OutputNotWritableError:
    """The one-line error for an output that cannot be written.

    Args:
        path: the output as the user gave it.
        reason: why, e.g. an OSError's strerror.
        what: what the output is, e.g. "saved model dir" (becomes `.what`).
        flag: the flag or argument that named it; by default `what` with underscores
            ("saved_model_dir"). The same `what` and `flag` are taken by every function here.
        disk_full: the disk (or the quota) is full: says to free space instead.
        todo: what to do, if neither of those (a sentence).
    """
    if todo is None:
        todo = (
            "Free space on its disk, or choose a folder on a disk with room."
            if disk_full
            else "Choose a folder you can write to."
        )
    return errors.OutputNotWritableError(
        f"Cannot write the {what} {path}: {reason}. {todo} Received: {_flag(what, flag)}={path!r}",
        path=path,
        what=what,
    )


def _flag(what: str, flag: str | None) -> str:
    return what.replace(" ", "_") if flag is None else flag


def _reason(err: OSError) -> str:
    return str(err.strerror or err)


def not_written(
    err: OSError, path: str, *, what: str, flag: str | None = None
) -> errors.OutputNotWritableError:
    """`not_writable` for the OSError of a failed write of the output `path` (what to do
    depends on it: a full disk says to free space)."""
    disk_full = err.errno in errors.DISK_FULL_ERRNOS
    return not_writable(path, _reason(err), what=what, flag=flag, disk_full=disk_full)


def _disk_full(err: BaseException) -> OSError | None:
    """`err` if it is an OSError of a full disk (or quota), whatever file it names."""
    return err if isinstance(err, OSError) and err.errno in errors.DISK_FULL_ERRNOS else None


def _refuse_closed(path: str, *, what: str, flag: str | None) -> None:
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


def _refuse_folder_spelling(path: str, *, what: str, flag: str | None) -> None:
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


def check_writable(path: str, *, is_dir: bool, what: str, flag: str | None = None) -> None:
    """Checks that `path` could be written as a folder (`is_dir`) or a file; creates nothing.

    A file output may be a character device or a FIFO (/dev/null, /dev/stdout): it is then
    written in place (`write_file`).

    Raises:
        tfhub.errors.OutputNotWritableError: `path` exists and is of the other kind, or is a
            block device or a socket, or names a closed stream, or is a file output ending
            with a slash, or the nearest existing folder on its way is a file or does not take
            new files.
    """
    _refuse_closed(path, what=what, flag=flag)
    kind = None if is_dir else special_kind(path)
    if kind is not None:
        _refuse_special(path, kind, what=what, flag=flag)
        return
    _refuse_other_kind(path, is_dir=is_dir, what=what, flag=flag)
    if not is_dir:
        _refuse_folder_spelling(path, what=what, flag=flag)
    existing = nearest_existing(path if is_dir else os.path.dirname(os.path.abspath(path)))
    try:
        if not os.path.isdir(existing):
            raise NotADirectoryError(20, "a file is in the way", existing)
        handle, probe = tempfile.mkstemp(prefix=".write-test-", dir=existing)
        os.close(handle)
        os.remove(probe)
    except OSError as err:
        raise not_writable(path, f"{_reason(err)} ({existing})", what=what, flag=flag) from err


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
    others = sorted(name for name in os.listdir(path) if not is_output(name))
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise errors.OutputNotWritableError(
            f"The {what} {path} holds other files ({shown}): writing it replaces the whole "
            f"folder, which would delete them. Choose a new or empty folder. Received: "
            f"{_flag(what, flag)}={path!r}",
            path=path,
            what=what,
        )


def _beside(target: str, kind: str, token: str) -> str:
    """`.<name>.<kind>-<token>` beside `target`: one write's temporary ("tmp") or the old
    output it moved aside ("old"); `token` (`_new_token`) is the write's, no other's."""
    folder, name = os.path.split(target)
    return os.path.join(folder, f".{name}.{kind}-{token}")


def _new_token() -> str:
    return uuid.uuid4().hex[:12]


def _leftover_pattern(name: str, kinds: str) -> re.Pattern[str]:
    """The names `_beside` gives the output `name`'s temporaries of `kinds` ("tmp|old")."""
    return re.compile(rf"\.{re.escape(name)}\.(?:{kinds})-([0-9a-f]{{12}})")


def moved_aside(path: str) -> str | None:
    """The previous output of `path` that a write killed between its two renames left aside
    (`.<name>.old-<token>`, which the next write of `path` puts back first), or None.

    Args:
        path: the output, as the user named it.

    Returns:
        The moved-aside copy, spelled beside `path` as given.
    """
    parent, name = os.path.split(os.path.abspath(path))
    try:
        names = sorted(os.listdir(parent))
    except OSError:
        return None
    pattern = _leftover_pattern(name, "old")
    aside = [entry for entry in names if pattern.fullmatch(entry)]
    return os.path.join(os.path.dirname(path), aside[0]) if aside else None


def _remove_leftovers(target: str) -> None:
    """Removes what killed writes of `target` left beside it (SIGKILL, the OOM killer, a power
    loss: no `finally` ran): `.<name>.tmp-<token>`, and `.<name>.old-<token>` once `target`
    exists. A temporary a live write holds (`utils.live_files`) stays. If a
    write was killed between moving the old output aside and renaming the new one into place,
    the old output is put back: the output is then as it was before that write.
    """
    folder, name = os.path.split(target)
    pattern = _leftover_pattern(name, "tmp|old")
    tokens = {entry[-12:] for entry in live_files.matching(folder, pattern)}
    for token in sorted(tokens):
        tmp, old = _beside(target, "tmp", token), _beside(target, "old", token)
        if os.path.lexists(tmp) and not live_files.abandoned(tmp):
            continue
        if os.path.lexists(old) and not os.path.lexists(target):
            with contextlib.suppress(OSError):
                os.rename(old, target)
                logger.warning("Put back %s, moved aside by a write that was killed.", target)
        logger.info("Removing %s's leftovers of a killed write (%s).", target, token)
        _remove(tmp)
        if os.path.lexists(target):
            _remove(old)


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


def _start_folder(
    target: str, tmp: str, path: str, *, what: str, flag: str | None
) -> tuple[list[str], int]:
    """Makes the temporary folder `tmp` of a write of `target` (its missing parents first,
    leftovers of killed writes removed) and holds it as live (`utils.live_files`).

    Returns:
        (the parent folders made, outermost first; the held descriptor of `tmp`).

    Raises:
        tfhub.errors.OutputNotWritableError: naming `path`, if a folder cannot be made.
    """
    created: list[str] = []
    live = -1
    try:
        created = _make_folders(os.path.dirname(target))
        _remove_leftovers(target)
        os.mkdir(tmp)
        live = os.open(tmp, os.O_RDONLY)
        live_files.hold(live)
    except OSError as err:  # Undone here: the caller never sees what was made.
        if live >= 0:
            os.close(live)
        _remove(tmp)
        _remove_created(created)
        raise not_written(err, path, what=what, flag=flag) from err
    return created, live


def _make_folders(folder: str) -> list[str]:
    """Creates `folder` and its missing parents (`make_folders`); returns those it created,
    deepest first, as `_remove_created` takes them."""
    return list(reversed(make_folders(folder)))


def _remove_created(created: list[str]) -> None:
    """Removes the folders a failed write created (deepest first) that are still empty."""
    for folder in created:
        try:
            os.rmdir(folder)
        except OSError as err:  # Someone else's files are in it: it is theirs now.
            logger.debug("Keeping the folder %s: %s", folder, _reason(err))


def _fsync_folder(folder: str) -> None:
    """Flushes `folder`'s entries (a rename, a new file) to the disk.

    A file system that cannot flush a folder (EINVAL, ENOTSUP) is accepted; without
    `os.O_DIRECTORY` (Windows) nothing is done.
    """
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover
        return
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(handle)


def _fsync_file(path: str) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _fsync_tree(root: str) -> None:
    """Flushes every regular file and every folder under `root` (itself included)."""
    for folder, _, names in os.walk(root, topdown=False):
        for name in names:
            path = os.path.join(folder, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                _fsync_file(path)
        _fsync_folder(folder)


def _fsync_parents(target: str, created: list[str]) -> None:
    """Flushes the folder holding `target` and the folders holding the ones a write created."""
    folders = {os.path.dirname(target)} | {os.path.dirname(each) for each in created}
    for folder in sorted(folders, key=len, reverse=True):
        _fsync_folder(folder)


def write_file(path: str, data: bytes, *, what: str, flag: str | None = None) -> None:
    """Writes `data` to `path` through a temporary file beside it (the parent is created).

    The file is flushed to the disk before its rename, and its folder after it. A character
    device or a FIFO at `path` (/dev/null, /dev/stdout) is written in place instead.

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a folder (or ends with a slash), a block
            device, a socket or a closed stream (/dev/stdout after `>&-`), or the parent or the
            file cannot be created or written; `path` is then as it was, and no temporary or
            created parent is left.
            (Should only the flush of the folder fail after the rename, the new file is in
            place, but its survival of a crash is not sure.)
    """
    _refuse_closed(path, what=what, flag=flag)
    kind = special_kind(path)
    if kind is not None:
        _write_special(path, kind, data, what=what, flag=flag)
        return
    _refuse_other_kind(path, is_dir=False, what=what, flag=flag)
    _refuse_folder_spelling(path, what=what, flag=flag)
    target = os.path.realpath(path)
    tmp = _beside(target, "tmp", _new_token())
    created: list[str] = []
    replaced = False
    try:
        created = _make_folders(os.path.dirname(target))
        _remove_leftovers(target)
        with open(tmp, "xb") as handle:
            live_files.hold(handle.fileno())  # The temporary is live until it is renamed.
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(tmp, target)
        replaced = True
        _fsync_parents(target, created)
    except OSError as err:
        raise not_written(err, path, what=what, flag=flag) from err
    finally:
        _remove(tmp)
        if not replaced:
            _remove_created(created)


def _write_special(path: str, kind: str, data: bytes, *, what: str, flag: str | None) -> None:
    """Writes `data` into the character device or FIFO at `path` (/dev/null, /dev/stdout), as
    it is: replacing it with a regular file would break it for every program. `kind` is
    `special_kind(path)`.

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a block device or a socket, or the
            write failed.
    """
    _refuse_special(path, kind, what=what, flag=flag)
    try:
        with open(path, "wb") as handle:
            handle.write(data)
    except OSError as err:
        raise not_written(err, path, what=what, flag=flag) from err


def _refuse_special(path: str, kind: str, *, what: str, flag: str | None) -> None:
    """Refuses `path` if its `kind` (`special_kind`) is a block device or a socket (a character
    device or a FIFO is written in place)."""
    if kind not in STREAMS:
        raise not_writable(
            path, f"it is a {kind}, not a file; give a file path", what=what, flag=flag
        )


@contextlib.contextmanager
def write_folder(path: str, *, what: str, flag: str | None = None) -> Iterator[str]:
    """Yields a new empty folder beside `path`; when the block ends without error it replaces
    `path` (the old folder, if any, is removed), else it is removed and `path` stays as it was.

    The new tree is flushed to the disk before the swap, and the folder holding `path` after it.
    Parent folders created for `path` are removed again if the write fails (only while empty).

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a file or a closed stream, or the folder
            (or its parent) cannot be created, flushed or renamed into place, or the block
            failed to write into the new folder (an OSError naming a file in it, a full disk,
            TensorFlow's error for a file in it it could not write). Any other exception of
            the block propagates as is.
    """
    _refuse_closed(path, what=what, flag=flag)
    _refuse_other_kind(path, is_dir=True, what=what, flag=flag)
    target = os.path.realpath(path)
    token = _new_token()
    tmp, old = _beside(target, "tmp", token), _beside(target, "old", token)
    created: list[str] = []
    swapped = False
    live = -1  # An fd of the new folder, held while this write runs (`utils.live_files`).
    try:
        created, live = _start_folder(target, tmp, path, what=what, flag=flag)
        try:
            yield tmp
        except Exception as err:
            # A full disk fails any write of the block: the output cannot be written there.
            failed = _disk_full(err) or failed_write(err, tmp)
            if failed is None:
                raise
            raise not_written(failed, path, what=what, flag=flag) from err
        try:
            _fsync_tree(tmp)
            _swap_in(tmp, target, old)
            swapped = True
            _fsync_parents(target, created)
        except OSError as err:
            raise not_written(err, path, what=what, flag=flag) from err
    finally:
        _remove(tmp)
        if os.path.lexists(target):  # Else the old folder could not be put back: keep it.
            _remove(old)
        if live >= 0:
            os.close(live)
        if not swapped:
            _remove_created(created)


@contextlib.contextmanager
def scratch_folder(path: str, *, what: str, flag: str | None = None) -> Iterator[str]:
    """Yields a new empty folder beside the output `path`, named as a write's temporary
    (`.<name>.tmp-<id>`), for what the output is made from (e.g. the temporary SavedModel a
    .tflite file is converted from); it is removed when the block ends, and so are the parent
    folders it created while empty.

    A run killed meanwhile (SIGKILL, the OOM killer) leaves it behind, where the next write of
    `path`, or its next scratch folder, removes it as a killed write's temporary (under TMPDIR
    it would stay). An output that is a character device or a FIFO (/dev/stdout) has no folder
    of its own: a temporary folder under TMPDIR is used then.

    Raises:
        tfhub.errors.OutputNotWritableError: the folder (or its parent) cannot be created.
    """
    if special_kind(path) is not None:
        with tempfile.TemporaryDirectory(prefix="tfhub-scratch-") as scratch:
            yield scratch
        return
    target = os.path.realpath(path)
    tmp = _beside(target, "tmp", _new_token())
    created: list[str] = []
    live = -1  # An fd of the folder, held while the block runs (`utils.live_files`).
    try:
        created, live = _start_folder(target, tmp, path, what=what, flag=flag)
        yield tmp
    finally:
        _remove(tmp)
        if live >= 0:
            os.close(live)
        _remove_created(created)


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
