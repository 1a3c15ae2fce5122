"""A `.opening` file that a killed pack left (where O_TMPFILE does not work, or from an older
tfhub) is removed by the next pack of the same archive once it is a minute old; a fresh one,
which a live pack may be about to lock, is kept."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tfhub.hub import pack


def test_an_old_opening_file_is_removed_and_a_fresh_one_kept(
    pack_source: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    old = out / f".m.tar.gz.{'a' * 32}.opening"
    fresh = out / f".m.tar.gz.{'b' * 32}.opening"
    other = out / f".n.tar.gz.{'c' * 32}.opening"  # Another archive's: not this pack's to judge.
    for leftover in (old, fresh, other):
        leftover.write_bytes(b"")
    two_minutes_ago = time.time() - 120
    for leftover in (old, other):
        os.utime(leftover, (two_minutes_ago, two_minutes_ago))
    pack.pack(pack_source, out / "m.tar.gz")
    assert sorted(os.listdir(out)) == sorted(["m.tar.gz", fresh.name, other.name])
