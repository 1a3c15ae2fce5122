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
`>&-`) is refused. A folder output that is the current working directory, or one of its
parents, is refused (`refuse_working_folder`): swapping it would leave the caller (a shell)
standing in a deleted folder, and upstream's removal of "." failed too. Every failure of the
file system becomes `tfhub.errors.OutputNotWritableError` (an `OSError`) naming the output
(`what`) and the flag that chose it (`flag`).

The pieces: `output_errors` (the errors, and the refusals before anything is written),
`output_leftovers` (the temporaries' names, killed writes' leftovers, the parents a write made)
and `output_sync` (the flushes to the disk).

Remote paths (gs://...) are not handled here: they are refused (`refuse_url`: written as local
paths, they made a folder "gs:"); make_nearest_neighbour_index's `files.py` writes those in
place, as upstream did.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator

from ..utils import live_files
from ..utils.paths import nearest_existing, special_kind
from ..utils.refused_writes import failed_write
from .output_errors import (
    check_replaceable,
    disk_full_error,
    flag_name,
    not_writable,
    not_written,
    reason_of,
    refuse_closed,
    refuse_folder_spelling,
    refuse_other_kind,
    refuse_special,
    refuse_url,
)
from .output_leftovers import (
    beside,
    make_missing_folders,
    moved_aside,
    new_token,
    remove,
    remove_created,
    remove_leftovers,
    start_folder,
)
from .output_sync import fsync_parents, fsync_tree

__all__ = [
    "check_replaceable",
    "check_writable",
    "moved_aside",
    "not_writable",
    "not_written",
    "refuse_working_folder",
    "scratch_folder",
    "write_file",
    "write_folder",
]

logger = logging.getLogger(__name__)


def check_writable(path: str, *, is_dir: bool, what: str, flag: str | None = None) -> None:
    """Checks that `path` could be written as a folder (`is_dir`) or a file; creates nothing.

    A file output may be a character device or a FIFO (/dev/null, /dev/stdout): it is then
    written in place (`write_file`). A symbolic link is followed, as the writes follow it (a
    link to a folder not yet made is checked where that folder would be made).

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a URL (gs://), or exists and is of the
            other kind, or is a block device or a socket, or names a closed stream, or is a
            file output ending with a slash, or the nearest existing folder on its way is a file
            or does not take new files.
    """
    refuse_url(path, what=what, flag=flag)
    refuse_closed(path, what=what, flag=flag)
    kind = None if is_dir else special_kind(path)
    if kind is not None:
        refuse_special(path, kind, what=what, flag=flag)
        return
    refuse_other_kind(path, is_dir=is_dir, what=what, flag=flag)
    if not is_dir:
        refuse_folder_spelling(path, what=what, flag=flag)
    target = os.path.realpath(path)  # A link is followed, as the writes follow it.
    existing = nearest_existing(target if is_dir else os.path.dirname(target))
    try:
        if not os.path.isdir(existing):
            raise NotADirectoryError(20, "a file is in the way", existing)
        handle, probe = tempfile.mkstemp(prefix=".write-test-", dir=existing)
        os.close(handle)
        os.remove(probe)
    except OSError as err:
        raise not_writable(path, f"{reason_of(err)} ({existing})", what=what, flag=flag) from err


def write_file(path: str, data: bytes, *, what: str, flag: str | None = None) -> None:
    """Writes `data` to `path` through a temporary file beside it (the parent is created).

    The file is flushed to the disk before its rename, and its folder after it. A character
    device or a FIFO at `path` (/dev/null, /dev/stdout) is written in place instead.

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a URL or a folder (or ends with a
            slash), a block device, a socket or a closed stream (/dev/stdout after `>&-`), or
            the parent or the file cannot be created or written; `path` is then as it was, and
            no temporary or created parent is left.
            (Should only the flush of the folder fail after the rename, the new file is in
            place, but its survival of a crash is not sure.)
    """
    refuse_url(path, what=what, flag=flag)
    refuse_closed(path, what=what, flag=flag)
    kind = special_kind(path)
    if kind is not None:
        _write_special(path, kind, data, what=what, flag=flag)
        return
    refuse_other_kind(path, is_dir=False, what=what, flag=flag)
    refuse_folder_spelling(path, what=what, flag=flag)
    target = os.path.realpath(path)
    tmp = beside(target, "tmp", new_token())
    created: list[str] = []
    replaced = False
    try:
        created = make_missing_folders(os.path.dirname(target))
        remove_leftovers(target)
        with open(tmp, "xb") as handle:
            live_files.hold(handle.fileno())  # The temporary is live until it is renamed.
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(tmp, target)
        replaced = True
        fsync_parents(target, created)
    except OSError as err:
        raise not_written(err, path, what=what, flag=flag) from err
    finally:
        remove(tmp)
        if not replaced:
            remove_created(created)


def _write_special(path: str, kind: str, data: bytes, *, what: str, flag: str | None) -> None:
    """Writes `data` into the character device or FIFO at `path` (/dev/null, /dev/stdout), as
    it is: replacing it with a regular file would break it for every program. `kind` is
    `special_kind(path)`.

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a block device or a socket, or the
            write failed.
    """
    refuse_special(path, kind, what=what, flag=flag)
    try:
        with open(path, "wb") as handle:
            handle.write(data)
    except OSError as err:
        raise not_written(err, path, what=what, flag=flag) from err


@contextlib.contextmanager
def write_folder(path: str, *, what: str, flag: str | None = None) -> Iterator[str]:
    """Yields a new empty folder beside `path`; when the block ends without error it replaces
    `path` (the old folder, if any, is removed), else it is removed and `path` stays as it was.

    The new tree is flushed to the disk before the swap, and the folder holding `path` after it.
    Parent folders created for `path` are removed again if the write fails (only while empty).

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a URL, a file or a closed stream, or the
            working directory or one of its parents (`refuse_working_folder`), or the folder
            (or its parent) cannot be created, flushed or renamed into place, or the block
            failed to write into the new folder (an OSError naming a file in it, a full disk,
            TensorFlow's error for a file in it it could not write). Any other exception of
            the block propagates as is.
    """
    refuse_url(path, what=what, flag=flag)
    refuse_closed(path, what=what, flag=flag)
    refuse_other_kind(path, is_dir=True, what=what, flag=flag)
    refuse_working_folder(path, what=what, flag=flag)
    target = os.path.realpath(path)
    token = new_token()
    tmp, old = beside(target, "tmp", token), beside(target, "old", token)
    created: list[str] = []
    swapped = False
    live = -1  # An fd of the new folder, held while this write runs (`utils.live_files`).
    try:
        created, live = start_folder(target, tmp, path, what=what, flag=flag)
        try:
            yield tmp
        except Exception as err:
            # A full disk fails any write of the block: the output cannot be written there.
            failed = disk_full_error(err) or failed_write(err, tmp)
            if failed is None:
                raise
            raise not_written(failed, path, what=what, flag=flag) from err
        try:
            fsync_tree(tmp)
            _swap_in(tmp, target, old)
            swapped = True
            fsync_parents(target, created)
        except OSError as err:
            raise not_written(err, path, what=what, flag=flag) from err
    finally:
        remove(tmp)
        if os.path.lexists(target):  # Else the old folder could not be put back: keep it.
            remove(old)
        if live >= 0:
            os.close(live)
        if not swapped:
            remove_created(created)


def refuse_working_folder(path: str, *, what: str, flag: str | None = None) -> None:
    """Refuses a folder output that is replaced whole (`write_folder`) when it is, after
    symbolic links, the current working directory or one of its parents: the swap would
    rename the caller's working directory aside and delete it, leaving the shell (and any
    process standing there) in a deleted folder. A working directory that is gone already
    refuses nothing.

    Raises:
        tfhub.errors.OutputNotWritableError: naming `path`, the flag, and what to give instead
            (the folder by its name from its parent).
    """
    try:
        cwd = os.path.realpath(os.getcwd())
    except OSError:  # The working directory was deleted: no folder holds it.
        return
    target = os.path.realpath(path)
    if os.path.commonpath([target, cwd]) != target:
        return
    parent, name = os.path.split(target)
    here = target == cwd
    relation = "is the working directory" if here else f"holds the working directory {cwd}"
    todo = (
        f"Give the folder by another path from its parent, e.g. cd {'..' if here else parent} and "
        f"--{flag_name(what, flag)}={name}."
        if name
        else "Choose another folder."
    )
    raise not_writable(
        path,
        f"it {relation}, and the folder is replaced whole (the shell would be left in a deleted "
        "folder)",
        what=what,
        flag=flag,
        todo=todo,
    )


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
    tmp = beside(target, "tmp", new_token())
    created: list[str] = []
    live = -1  # An fd of the folder, held while the block runs (`utils.live_files`).
    try:
        created, live = start_folder(target, tmp, path, what=what, flag=flag)
        yield tmp
    finally:
        remove(tmp)
        if live >= 0:
            os.close(live)
        remove_created(created)


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
