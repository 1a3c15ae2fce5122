"""`pack` against another pack of the same archive name removing abandoned temporaries.

Two folders of identical content have one fingerprint, so one archive name: two worker processes
may pack them at once. Each pack first removes the `.part` files killed packs left; the other
pack's new temporary must not look like one between its creation and its lock.
"""

from __future__ import annotations

import os

from tfhub.hub import pack, pack_output
from tfhub.utils import live_files


def test_a_pack_survives_another_packs_cleanup_before_its_lock(pack_source, tmp_path, monkeypatch):
    target = tmp_path / "out" / "m.tar.gz"
    target.parent.mkdir()
    hold = live_files.hold
    cleanups: list[list[str]] = []

    def cleanup_then_hold(fd: int) -> None:
        # The other pack of the same name starts here: its cleanup runs before our lock.
        pack_output.remove_abandoned_parts(target)
        cleanups.append(sorted(os.listdir(target.parent)))
        hold(fd)

    monkeypatch.setattr(live_files, "hold", cleanup_then_hold)
    packed = pack.pack(pack_source, target)
    # Our temporary, not removed (unnamed until locked where O_TMPFILE works: no name at all).
    assert len(cleanups) == 1 and all(name.endswith(".opening") for name in cleanups[0])
    assert sorted(os.listdir(target.parent)) == ["m.tar.gz"]
    assert packed.size == target.stat().st_size


def test_a_killed_packs_part_is_still_removed(pack_source, tmp_path):
    target = tmp_path / "m.tar.gz"
    leftover = tmp_path / ".m.tar.gz.0123456789abcdef0123456789abcdef.part"
    leftover.write_bytes(b"half an archive")  # Nobody holds it: a killed pack's.
    pack.pack(pack_source, target)
    assert sorted(os.listdir(tmp_path)) == ["m.tar.gz", "model"]
