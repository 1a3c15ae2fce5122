"""`DiskRoom.describe` says the room as now, or, given `when`, as at a past event: a full-disk
error that removed the download's folder named the inodes measured before the removal in
the present tense ("it has no inode left"), after saying the folder was removed."""

from __future__ import annotations

from tfhub.utils.paths import DiskRoom

_NO_INODE = DiskRoom(free=4_000_000, total=4_194_304, no_inode_left=True)
_FULL = DiskRoom(free=12_288, total=1_048_576, no_inode_left=False)


def test_the_room_now_is_said_in_the_present():
    assert _NO_INODE.describe("/c") == (
        "it has no inode left for another file, though 3.8 MB are free; `df -i /c` shows it"
    )
    assert _FULL.describe("/c") == "it has 12.0 KB free of 1.0 MB"


def test_the_room_at_a_past_failure_is_said_as_then():
    when = "the download failed"
    assert _NO_INODE.describe("/c", when=when) == (
        "it had no inode left for another file when the download failed, though 3.8 MB were "
        "free; `df -i /c` counts its inodes"
    )
    assert _FULL.describe("/c", when=when) == (
        "it had 12.0 KB free of 1.0 MB when the download failed"
    )
