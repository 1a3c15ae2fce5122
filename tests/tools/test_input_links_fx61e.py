"""The index tool's --data_file_pattern names a link it matched in the words of
`utils.paths.non_folder_kind` (review fx61e F3). Before, its own copy printed the link's raw
target (a relative one as if relative to the working folder) and called a loop of links a link
to something "which does not exist"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import input_files


def _refusal(pattern: Path) -> str:
    with pytest.raises(errors.TFHubError) as caught:
        input_files.check(str(pattern))
    return str(caught.value)


def test_a_matched_loop_of_links_is_a_loop(tmp_path: Path) -> None:
    loop = tmp_path / "lines.txt"
    loop.symlink_to("lines.txt")
    message = _refusal(loop)
    assert f"{loop} is a link that leads to itself (a loop of links)" in message, message


def test_a_matched_relative_link_is_named_from_its_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    link = tmp_path / "sub" / "lines.txt"
    link.symlink_to("../gone.txt")
    message = _refusal(link)
    assert f"is a link to {tmp_path / 'sub' / '../gone.txt'}, which does not exist" in message
