"""Writing into the cache folder safely: a file written whole or not at all, and the error
(what failed, why, what to do) for a write the disk, a quota or the folder refused.

Used by installs, `tfhub import`, the cache folder's creation and the resolver of private
handles; never on the path of resolving a cached handle.
"""

from __future__ import annotations

import errno
import os

from .. import errors
from ..utils.printable import escaped
from . import layout


def atomic_write_text(path: str, text: str) -> None:
    """Writes a file through a unique temporary file and a rename: never half-written.

    Raises:
        tfhub.errors.CacheError: naming the file, if it cannot be written (full disk, quota,
            read-only folder); no temporary file is left.
    """
    tmp = f"{path}.{layout.unique_suffix()}{layout.PART_SUFFIX}"
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as err:
        root = os.path.dirname(path)  # Bookkeeping files lie beside the entries.
        raise write_error(f"Cannot write {path}", err, root=root, path=path) from err
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)


def free_space_remedy(root: str, *, quota: bool = False, when: str | None = None) -> str:
    """What to do when the disk of the cache folder `root` is full (its room is named: a disk
    out of inodes has bytes free), or, with `quota` (EDQUOT), when this user's disk quota is
    used up: the disk's figures are not named then, since the disk may have plenty of room.
    With `when` (a past event, "the download failed"), the room is said as at that event
    (`DiskRoom.describe`): for a caller that measures it before freeing space."""
    from ..utils.paths import disk_room
    from ..utils.refused_writes import capitalized, quota_used_up

    shown = escaped(root)
    if quota:
        used_up = quota_used_up(f"on the disk of the cache folder {shown}")
        return (
            f"{capitalized(used_up)}: `tfhub cache prune` and `tfhub cache rm` remove entries, "
            "or remove other files of yours there, or ask the administrator for a larger "
            "quota; or set TFHUB_CACHE_DIR to a folder where you have room."
        )
    room = disk_room(root)
    said = f" ({room.describe(shown, when=when)})" if room else ""
    return (
        f"Free space on the disk of the cache folder {shown}{said}: `tfhub cache prune` and "
        "`tfhub cache rm` remove entries; or set TFHUB_CACHE_DIR to a folder on a disk with room."
    )


def write_error(failed: str, err: OSError, *, root: str, path: str) -> errors.CacheError:
    """The error for an OSError while writing into the cache folder `root`.

    Args:
        failed: what could not be done, e.g. "Cannot write <file>" (its control characters, a
            newline in a path, are shown escaped).
        err: the OSError.
        root: the cache folder (named in what to do when the disk is full).
        path: the error's `path` attribute.

    Returns:
        A CacheError saying what failed, why (a full disk or quota, or the system's reason) and
        what to do.
    """
    failed = escaped(failed)
    if err.errno in errors.DISK_FULL_ERRNOS:
        quota = err.errno == errno.EDQUOT
        todo = free_space_remedy(root, quota=quota)
        why = "your disk quota is exceeded" if quota else "the disk is full"
        return errors.DiskFullError(err.errno, f"{failed}: {why}. {todo}", path=path, remedy=todo)
    why = f"{err.strerror or err}"
    todo = "Check the folder's permissions, or set TFHUB_CACHE_DIR to a writable folder."
    if err.errno == errno.EISDIR:  # Not a matter of permissions either.
        todo = _folder_in_the_way(path)
    elif err.errno == errno.ENAMETOOLONG:  # Not a matter of permissions: the cache folder's path.
        size = len(os.fsencode(os.fspath(root)))
        todo = (
            f"The cache folder's path is {size} bytes (a name in it longer than its filesystem "
            "allows, os.pathconf PC_NAME_MAX, or the whole path over PC_PATH_MAX with the "
            "cache's own names): set TFHUB_CACHE_DIR to a shorter path."
        )
    return errors.CacheError(err.errno, f"{failed}: {why}. {todo}", path=path)


def _folder_in_the_way(path: str) -> str:
    """What to do when a folder stands at `path`, where a file goes (EISDIR): remove it, or,
    for an entry's descriptor or manifest, the whole entry with `tfhub cache rm`."""
    shown = escaped(path)
    name = os.path.basename(path)
    entry = None
    for suffix in (layout.MANIFEST_SUFFIX, layout.DESCRIPTOR_SUFFIX):
        if name.endswith(suffix) and layout.is_entry_name(name[: -len(suffix)]):
            entry = name[: -len(suffix)]
    whole = f", or the whole entry with `tfhub cache rm {entry}`" if entry else ""
    return (
        f"A folder stands at {shown}, where this file goes (tfhub never makes one there): "
        f"remove that folder{whole}, then try again."
    )
