"""The other places that said what a link in the way is (`tfhub serve --cache-dir`, the
exports' `check_no_file_in_the_way`) say it in the words of `utils.paths.non_folder_kind`
(review fx61e F3). Before, each had its own copy, which printed a link's raw target (a
relative one as if relative to the working folder, control characters unescaped) and called a
loop of links missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhub import errors
from tfhub.hub import cache_dir
from tfhub.utils import refused_writes


def _refusal(folder: Path) -> str:
    with pytest.raises(errors.ExportWriteError) as caught:
        refused_writes.check_no_file_in_the_way(str(folder), argument="path")
    return str(caught.value)


def test_an_export_below_a_loop_of_links_says_it_is_a_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    message = _refusal(loop / "m")
    assert f"{loop} is a link that leads to itself (a loop of links)" in message, message
    assert "does not exist" not in message


def test_an_exports_relative_link_is_named_from_its_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    link = tmp_path / "sub" / "rel"
    link.symlink_to("../gone")
    message = _refusal(link)
    assert f"is a link to {tmp_path / 'sub' / '../gone'}, which does not exist" in message


def test_an_exports_link_target_is_escaped(tmp_path: Path) -> None:
    link = tmp_path / "out"
    link.symlink_to("/nowhere/\x1b[31mred\n")
    message = _refusal(link)
    assert "\x1b" not in message and "\n" not in message, message


def _cache_refusal(path: Path) -> str:
    with pytest.raises(errors.ServeConfigError) as caught:
        cache_dir.check_cache_dir(str(path))
    return str(caught.value)


def test_a_cache_dir_that_is_a_loop_says_it_is_a_loop(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    message = _cache_refusal(tmp_path / "a")
    assert "it is a link that leads to itself (a loop of links)" in message, message
    assert "which is missing" not in message


def test_a_cache_dirs_relative_link_is_named_from_its_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    link = tmp_path / "sub" / "cache"
    link.symlink_to("../gone/cache")
    message = _cache_refusal(link)
    expected = f"it is a link to {tmp_path / 'sub' / '../gone/cache'}, which does not exist"
    assert expected in message, message
