"""Questions about local paths that several parts of tfhub ask (stat calls only), and making a
folder with its missing parents (`make_folders`)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterable

from .. import errors
from .printable import escaped
from .regular_files import open_without_waiting

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import AnyStr


def nearest_existing(path: str) -> str:
    """Returns `path` (made absolute) if it exists, else its nearest existing parent (a folder,
    or a file in the way); the root always exists."""
    current = os.path.abspath(path)
    while not os.path.lexists(current):
        parent = os.path.dirname(current)
        if parent == current:  # Only if the root itself is missing (a vanished mount).
            break
        current = parent
    return current


def non_folder_kind(path: str) -> str:
    """Says what `path`, which is there but is not a folder, is, as the end of a sentence
    naming it: "is a file, not a folder", "is a link to /mnt/disk/cache, which does not exist",
    "is a link to /srv/b, which leads to /nowhere, which does not exist" (a chain of links),
    "is a link that leads to itself (a loop of links)", "is a FIFO, not a folder". A link's
    target is named as it resolves (a relative one joined onto the link's folder), escaped."""
    if os.path.islink(path):
        try:
            os.stat(path)
        except OSError as err:
            if err.errno == errno.ELOOP:
                return "is a link that leads to itself (a loop of links)"
            try:
                first = os.path.join(os.path.dirname(path), os.readlink(path))
            except OSError:
                return f"is a link this user may not follow ({err.strerror})"
            target = escaped(first)
            if isinstance(err, PermissionError):
                return f"is a link to {target}, which this user may not reach"
            if os.path.islink(first):  # A chain: name the end that is missing.
                end = escaped(os.path.realpath(path))
                return f"is a link to {target}, which leads to {end}, which does not exist"
            return f"is a link to {target}, which does not exist"
    kind = special_kind(path)
    return f"is a {kind or 'file'}, not a folder"


def human_size(size: int, *, si: bool = False) -> str:
    """Returns a size like "1.2 MB": in units of 1024 ("KB"), or of 1000 with `si` ("kB",
    as the hub's pages show sizes)."""
    step = 1000 if si else 1024
    value = float(size)
    for unit in ("B", "kB" if si else "KB", "MB", "GB"):
        if value < step or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= step
    return f"{value:.1f} GB"


class DiskRoom:
    """The room left on a disk (`disk_room`). A plain class: `typing` (NamedTuple) is kept off
    the extractor's import path (tests/test_import_is_lazy.py)."""

    __slots__ = ("free", "no_inode_left", "total")

    def __init__(self, free: int, total: int, no_inode_left: bool) -> None:
        self.free = free  # Bytes an unprivileged user may still write.
        self.total = total  # Bytes in all.
        self.no_inode_left = no_inode_left  # No other file can be created, whatever is free.

    def describe(self, path: str, *, when: str | None = None) -> str:
        """The room, for a message about the disk of `path`: "it has 12 KB free of 1.0 MB", or
        "it has no inode left for another file, though 3.9 MB are free; `df -i <path>` shows
        it". With `when`, a past event at which it was measured ("the download failed"), it
        is said as then: "it had no inode left for another file when the download failed,
        though 3.9 MB were free; `df -i <path>` counts its inodes" (`df` may no longer show
        it), or "it had 12 KB free of 1.0 MB when ..."."""
        free = human_size(self.free)
        at = f" when {when}" if when else ""
        if self.no_inode_left and when:
            return (
                f"it had no inode left for another file{at}, though {free} were free; "
                f"`df -i {path}` counts its inodes"
            )
        if self.no_inode_left:
            return (
                f"it has no inode left for another file, though {free} are free; `df -i {path}` "
                "shows it"
            )
        return f"it {'had' if when else 'has'} {free} free of {human_size(self.total)}{at}"


def disk_room(path: str) -> DiskRoom | None:
    """The room left on the disk of `path` (or of its nearest existing parent); None if the
    system cannot tell."""
    try:
        disk = os.statvfs(nearest_existing(path))
    except (OSError, AttributeError):  # No statvfs on Windows.
        return None
    # f_files 0: a filesystem that counts no inodes (btrfs), which never runs out of them.
    no_inode_left = bool(disk.f_files) and not disk.f_favail
    return DiskRoom(disk.f_bavail * disk.f_frsize, disk.f_blocks * disk.f_frsize, no_inode_left)


def tree_size(folder: str | os.PathLike[str]) -> int:
    """The bytes of the regular files below `folder` (links not followed; a file removed since
    the walk listed it, or that cannot be read: 0)."""
    total = 0
    for current, _, files in os.walk(folder):
        for name in files:
            try:
                info = os.lstat(os.path.join(current, name))
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
    return total


# Why a relative path names nothing when `relative_path_lost` is True, and what to do.
RELATIVE_PATH_LOST = (
    "it is a relative path, and the working folder it is relative to was deleted (os.getcwd "
    "fails; a shell left in a removed folder)"
)
RELATIVE_PATH_LOST_REMEDY = "Change to an existing folder (cd), or give the model's absolute path."


def working_folder_gone() -> bool:
    """True if the working folder no longer exists (deleted while the process was in it):
    `os.getcwd` and `os.path.abspath` of a relative path then raise FileNotFoundError."""
    try:
        os.getcwd()
    except FileNotFoundError:
        return True
    return False


def is_url(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bool:
    """True for a tf.io.gfile URL (gs://, ram://, s3://, even file://: each has a scheme), False
    for a local path ("/m", "C:\\m", "", a relative one): tfhub's one answer to "URL or local?"
    (`gfile_io.is_url`, `cache.layout.is_remote`, the tools' `storage.is_remote` are this
    function). "://" anywhere in it, as in the str, bytes or os.PathLike that tf.io.gfile takes
    (bytes decoded as `os.fsdecode` does; a pathlib.Path of "gs://b" is "gs:/b", local).

    Raises:
        TypeError: `path` is none of those.
    """
    return "://" in (path if isinstance(path, str) else os.fsdecode(path))


def relative_path_lost(path: str) -> bool:
    """True if `path` is relative (not a URL) and the working folder it is relative to is gone."""
    return not is_url(path) and not os.path.isabs(path) and working_folder_gone()


def home_expanded(value: str) -> str:
    """argparse `type` of a path option: `~` expanded, as a shell expands it in a word of its
    own but not after `=` (`--image_dir=~/photos` reached upstream's tools as `~/photos`, a
    folder that "does not exist"; `tfhub pack -o=~/m.tar.gz` would have made a folder named
    `~`). Other values (URLs, relative paths) stay as given."""
    return os.path.expanduser(value) if value.startswith("~") else value


def relative_below(path: str, folder: str) -> str | None:
    """Returns `path` relative to `folder` ("." for the folder itself), both with their links
    followed, or None if `path` is neither the folder nor below it (neither needs to exist)."""
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(folder))
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative


_SPECIAL_KINDS = (
    (stat.S_ISCHR, "character device"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)

# The special files read and written as streams: a character device (/dev/null, the terminal of
# /dev/stdout) or a FIFO (the pipe of /dev/stdin or /dev/stdout, a named pipe). An output is
# written into one, never replaced: replacing it with a regular file breaks it for every
# program (as root, /dev/null itself). An input archive may be one (`tfhub import /dev/stdin`).
STREAMS = frozenset({"character device", "FIFO"})


def special_kind(path: str) -> str | None:
    """What `path` is if it exists as a special file, links followed: "character device",
    "FIFO", "block device" or "socket"; None for a regular file, a folder or a missing path."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return special_kind_of(mode)


def special_kind_of(mode: int) -> str | None:
    """The `special_kind` of a file of `st_mode` `mode`, or None."""
    return next((kind for is_kind, kind in _SPECIAL_KINDS if is_kind(mode)), None)


def special_file_below(folder: str) -> tuple[str, str] | None:
    """The first special file below the local `folder`, links followed (a named pipe, a link to
    /dev/zero), as (its path relative to `folder`, its `special_kind`); None if there is none.
    Reading one would wait for a writer for ever, or never end."""
    for current, subdirs, files in os.walk(folder):
        subdirs.sort()
        for name in sorted(files):
            path = os.path.join(current, name)
            kind = special_kind(path)
            if kind is not None:
                return os.path.relpath(path, folder), kind
    return None


# A descriptor's path below /proc. A pattern, not compiled at import: `re`'s cache compiles it
# at the first call (every tfhub process imports this module).
_PROC_FD = r"/proc/(?:self|thread-self|(\d+)(?:/task/\d+)?)/fd/(\d+)"
_STREAM_NAMES = {0: "standard input", 1: "standard output", 2: "standard error"}


def closed_descriptor(path: str) -> int | None:
    """The descriptor number that `path` names (/dev/stdout, /dev/fd/3, /proc/self/fd/1, or a
    link to one) if that descriptor is closed in this process, else None.

    Such a path does not exist while its descriptor is closed (`cmd >&-`): it is then neither
    a missing file to report nor a path to write, since a new file renamed over /dev/stdout
    would replace that link for every program on the machine.
    """
    try:
        if os.path.exists(path):
            return None
        match = re.fullmatch(_PROC_FD, os.path.realpath(path))
    except (OSError, ValueError):  # Another process's descriptors; a NUL in the path.
        return None
    if match is None or (match[1] is not None and int(match[1]) != os.getpid()):
        return None
    return int(match[2])


def describe_descriptor(number: int) -> str:
    """Names a descriptor: "standard output (descriptor 1)", or "descriptor 5"."""
    name = _STREAM_NAMES.get(number)
    return f"{name} (descriptor {number})" if name else f"descriptor {number}"


def is_terminal(path: str) -> bool:
    """Whether `path` is a terminal (/dev/stdin or /dev/stdout of a command typed at a prompt),
    checked without reading it or making it this process's controlling terminal."""
    try:
        descriptor = open_without_waiting(path)
    except (OSError, ValueError):
        return False
    try:
        return os.isatty(descriptor)
    finally:
        os.close(descriptor)


def missing_folders(folder: AnyStr) -> list[AnyStr]:
    """`folder` (made absolute) and its parents that do not exist yet, deepest first: what a
    write into `folder` would create ([] if it exists)."""
    missing: list[AnyStr] = []
    current = os.path.abspath(folder)
    while not os.path.lexists(current):
        missing.append(current)
        current = os.path.dirname(current)
    return missing


def remove_empty_folders(folders: Iterable[AnyStr]) -> None:
    """Removes each of `folders` (deepest first) that is empty: one that holds something (e.g.
    another writer's files) stays, and so do the ones above it, which then hold it."""
    for folder in folders:
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def make_folders(folder: str) -> list[str]:
    """Creates `folder` and its missing parents, as `os.makedirs` does, telling which it made.

    A folder that appears meanwhile (another writer) is used and not listed. If one cannot be
    created, the empty ones this call created are removed again before the error propagates.

    Args:
        folder: the folder to make.

    Returns:
        The folders this call created, outermost first (empty: `folder` existed).

    Raises:
        OSError: a folder cannot be made (NotADirectoryError or FileExistsError: a file or a
            link to nothing is in the way; FileNotFoundError: a parent was removed meanwhile).
    """
    missing = missing_folders(folder)
    current = os.path.dirname(missing[-1]) if missing else os.path.abspath(folder)
    if not os.path.isdir(current):  # A file, or a link to nothing, in the way.
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), current)
    created: list[str] = []
    try:
        for each in reversed(missing):
            try:
                os.mkdir(each)
            except FileExistsError:
                if not os.path.isdir(each):
                    raise
                continue
            created.append(each)
    except BaseException:
        remove_empty_folders(reversed(created))  # One with someone else's files is theirs now.
        raise
    return created


def folder_path_text(path: object, *, argument: str, use: str) -> str:
    """Returns `path`, a folder given to an API that takes a path as str, bytes or os.PathLike,
    as a str (bytes decoded, os.PathLike taken).

    Args:
        path: the folder as given.
        argument: its parameter's name, for the message (`export_dir`, `saved_model_path`).
        use: what the folder is for, for the message ("The export writes to a folder").

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) if `path` is not a str, bytes or
            os.PathLike.
    """
    if not isinstance(path, str | bytes | os.PathLike):
        raise errors.ArgumentTypeError(
            f"{use}: pass its path as a str, bytes or os.PathLike. "
            f"Received: {argument}={path!r} of type {type(path).__name__}"
        )
    return os.fsdecode(os.fspath(path))


def export_folder_name(path: object, *, argument: str, caller: str) -> str:
    """Returns `path`, the folder an export writes, as a str: bytes (upstream's exporter passed
    them) are decoded, os.PathLike (pathlib.Path) is taken.

    Args:
        path: the folder as given.
        argument: its parameter's name, for messages (`export_dir`, `path`).
        caller: what writes there, for messages (`hub.export_layer`, `The export`).

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) if `path` is not a str, bytes or
            os.PathLike.
        tfhub.errors.ExportError: (a ValueError) if `path` is empty: the export would be
            written into the working directory.
    """
    folder = folder_path_text(path, argument=argument, use=f"{caller} writes to a folder")
    if not folder:
        raise errors.ExportError(
            f"{caller} got an empty {argument}: the export path is empty; name the folder to "
            f"write to (an empty path would write into the working directory). "
            f"Received: {argument}={path!r}"
        )
    return folder
