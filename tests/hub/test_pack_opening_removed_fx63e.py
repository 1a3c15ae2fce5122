"""rv63a-3: where `open_part` creates its temporary named (`.opening`, then locked and renamed:
no O_TMPFILE), another pack may take a fresh `.opening` for an old one and remove it between
its creation and its lock (NFS, a client clock more than a minute ahead of the server's).
Before, the rename then failed (FileNotFoundError) and the pack with it; now the pack sees
that the name no longer leads to the file it holds and creates it again (twice more; then
the rename fails as before)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tfhub.hub import pack_output
from tfhub.utils import live_files


@pytest.fixture
def named_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes O_TMPFILE fail (EOPNOTSUPP), as a file system without it does: `.opening` it is."""
    real = os.open
    unnamed = os.O_TMPFILE

    def opening(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & unnamed == unnamed:
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP), path)
        return real(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", opening)


def _removed_before_lock(monkeypatch: pytest.MonkeyPatch, out: Path, times: int) -> list[str]:
    """Makes another pack remove the `.opening` file before `times` of our locks; returns the
    names each lock saw."""
    hold = live_files.hold
    seen: list[str] = []

    def removed_then_hold(fd: int) -> None:
        seen.extend(sorted(os.listdir(out)))
        if len(seen) <= times:
            for name in os.listdir(out):
                os.remove(out / name)  # As `remove_abandoned_parts` of a skewed clock does.
        hold(fd)

    monkeypatch.setattr(live_files, "hold", removed_then_hold)
    return seen


def test_an_opening_removed_before_its_lock_is_made_again(named_only, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    part = pack_output.part_path(out / "m.tar.gz")
    seen = _removed_before_lock(monkeypatch, out, times=1)
    with pack_output.open_part(part) as raw:
        assert sorted(os.listdir(out)) == [part.name]
        assert not live_files.abandoned(os.fspath(part))  # Held: kept by other packs.
        raw.write(b"archive bytes")
    opening = part.name.removesuffix("part") + "opening"
    assert seen == [opening, opening]  # Made again once.
    assert part.read_bytes() == b"archive bytes"


def test_an_opening_removed_each_time_fails_leaving_nothing(named_only, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    part = pack_output.part_path(out / "m.tar.gz")
    _removed_before_lock(monkeypatch, out, times=100)
    with pytest.raises(FileNotFoundError) as raised:
        pack_output.open_part(part)
    assert raised.value.filename.endswith(".opening")
    assert os.listdir(out) == []
