"""A folder inside a model folder swapped for a symlink out of it while the folder is packed
(review46d H1): the walk had listed the swapped folder's files through the link, each with its
lstat through the link, so the open (O_NOFOLLOW acts on the last name only) found the same
inode and the outside file was packed, and `tfhub serve` cached and sent it. Each file opened is
now checked to lie inside the folder packed (/proc/self/fd/N)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.hub import pack_archive

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="the check reads /proc/self/fd (Linux)"
)


def test_a_file_reached_through_a_folder_swapped_for_a_link_is_not_packed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.txt").write_bytes(b"SECRET")
    model = tmp_path / "model"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"pb")
    # The members as a walk lists them when `sub` became a link just after it was looked at.
    (model / "sub").symlink_to(outside, target_is_directory=True)
    members = [
        ("saved_model.pb", model / "saved_model.pb", (model / "saved_model.pb").lstat()),
        ("sub", model / "sub", outside.lstat()),
        ("sub/a.txt", model / "sub" / "a.txt", (model / "sub" / "a.txt").lstat()),
    ]
    with pytest.raises(errors.NotAModelError, match="changed while it was packed"):
        pack_archive.write_archive(io.BytesIO(), model, members, 1)


def test_a_folder_packed_through_its_held_descriptor_packs_its_files(tmp_path: Path) -> None:
    """The folder given as /proc/self/fd/N (`confinement.held_folder`) is the folder packed."""
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    (model / "sub" / "a.txt").write_bytes(b"inside")
    fd = os.open(model, os.O_RDONLY | os.O_DIRECTORY)
    try:
        held = Path(f"/proc/self/fd/{fd}")
        members = [
            ("sub", held / "sub", (held / "sub").lstat()),
            ("sub/a.txt", held / "sub" / "a.txt", (held / "sub" / "a.txt").lstat()),
        ]
        out = io.BytesIO()
        pack_archive.write_archive(out, held, members, 1)
    finally:
        os.close(fd)
    assert len(out.getvalue()) > 0
