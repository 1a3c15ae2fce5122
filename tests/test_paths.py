"""utils.paths.make_folders: which folders it made, and nothing left when it cannot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfhub.utils.paths import make_folders


def test_make_folders_lists_what_it_made_outermost_first(tmp_path: Path) -> None:
    deepest = tmp_path / "a" / "b" / "c"
    assert make_folders(os.fspath(deepest)) == [
        os.fspath(tmp_path / "a"),
        os.fspath(tmp_path / "a" / "b"),
        os.fspath(deepest),
    ]
    assert make_folders(os.fspath(deepest)) == []  # There already: nothing made.


@pytest.mark.parametrize("obstacle", ["file", "dangling link"])
def test_a_file_or_a_link_to_nothing_in_the_way_is_not_a_directory(
    tmp_path: Path, obstacle: str
) -> None:
    blocker = tmp_path / "x"
    if obstacle == "file":
        blocker.write_text("in the way")
    else:
        blocker.symlink_to(tmp_path / "nowhere")
    for folder in (blocker / "y" / "z", blocker):
        with pytest.raises(NotADirectoryError) as caught:
            make_folders(os.fspath(folder))
        assert caught.value.filename == os.fspath(blocker)
    assert sorted(os.listdir(tmp_path)) == ["x"]  # Nothing made, the link not followed.


def test_what_it_made_is_removed_when_a_folder_cannot_be_made(tmp_path: Path) -> None:
    name_too_long = "n" * 300
    with pytest.raises(OSError):
        make_folders(os.fspath(tmp_path / "a" / "b" / name_too_long))
    assert os.listdir(tmp_path) == []
