"""Owners seen from inside a user namespace: an owner the namespace does not map (root of the
host, or any other host user) shows as the overflow uid or gid, and cannot be judged.

The packed-archive cache folder's checks (`cache_dir`) take such an owner of a folder above the
cache as root's, with a warning, and never take the overflow gid as one of this process's groups.
"""

from __future__ import annotations

import logging

from ..utils.warn_once import WarnedOnce

logger = logging.getLogger(__name__)

# Read through `_shows_unmapped`, which tests may point elsewhere: /proc/self/uid_map and
# gid_map ("0 0 4294967295" outside any user namespace) and /proc/sys/kernel/overflowuid and
# overflowgid (65534: the ids an owner outside the namespace is shown as).
UID_MAP = "/proc/self/uid_map"
GID_MAP = "/proc/self/gid_map"
OVERFLOW_UID = "/proc/sys/kernel/overflowuid"
OVERFLOW_GID = "/proc/sys/kernel/overflowgid"
_UNMAPPED_SAID = WarnedOnce[str](16)


def _read_small(path: str) -> str | None:
    """The text of a small /proc file, or None if it cannot be read (no Linux)."""
    try:
        with open(path, "rb") as file:  # Bytes: no codec lookup (in a user namespace the
            return file.read(4096).decode("ascii", "replace")  # stdlib may be unreadable).
    except OSError:
        return None


def _shows_unmapped(value: int, *, overflow_file: str, map_file: str) -> bool:
    """True if the uid or gid `value` is the overflow id (`overflow_file`) and no range of this
    process's id map (`map_file`) holds it: what an owner outside this user namespace shows
    as. False outside one (its map holds every id) and where the overflow id is mapped: it is
    then an id of the namespace (its user or group nobody), which a process inside may have."""
    overflow = _read_small(overflow_file)
    mapping = _read_small(map_file)
    if overflow is None or mapping is None or overflow.strip() != str(value):
        return False
    for line in mapping.splitlines():
        inside, _outside, count = ([*line.split(), "", "", ""])[:3]
        if inside.isdigit() and count.isdigit() and 0 <= value - int(inside) < int(count):
            return False
    return True


def unmapped_owner(uid: int, folder: str) -> bool:
    """True if `uid`, the owner of `folder`, shows an owner outside this user namespace
    (`_shows_unmapped`): root (/ and /tmp of a rootless container) or another user of the host,
    which cannot be told apart from inside. Taken as root's (else no such container could use
    the default folder), with a warning naming the folder, once."""
    if not _shows_unmapped(uid, overflow_file=OVERFLOW_UID, map_file=UID_MAP):
        return False
    if _UNMAPPED_SAID.first_time(folder):
        logger.warning(
            "A folder above the cache folder is owned by uid %d, the overflow uid of this user "
            "namespace: %s. Its owner is not mapped into the namespace, so it cannot be told "
            "whether it is root or another user of the host, who could then replace the cache "
            "folder with one of their own: accepted as root's. If another user may own it, "
            "give --cache-dir a folder below one this user owns (docs/hub.md)",
            uid,
            folder,
        )
    return True


def shows_unmapped_gid(gid: int) -> bool:
    """True if the group `gid` shows a group outside this user namespace (`_shows_unmapped`):
    the namespace's unmapped groups show as it too, so it says nothing of a folder's group."""
    return _shows_unmapped(gid, overflow_file=OVERFLOW_GID, map_file=GID_MAP)
