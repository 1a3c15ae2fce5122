"""A hub folder that is, or lies below, a link: the remedy `tfhub publish` and `tfhub mirror`
give follows what the link leads to (review fx61e F2).

Before, the remedy was picked by "is it a link": a ROOT that links to an existing file was
"a file, not a folder. Make the folder it points to (a file system not mounted, ...)", where
`refuse_root` had said "is a file: give a folder"; a ROOT below such a link got the same
"not mounted" advice, and so did a loop of links (which no mount makes).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.archives import write_tree

from tfhub import errors
from tfhub.hub import publish as publish_lib
from tfhub.hub import publish_refusals


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return Path(write_tree(tmp_path / "model"))


def _publish_refusal(model: Path, root: Path) -> str:
    with pytest.raises(errors.PublishTargetError) as caught:
        publish_lib.publish(model, root, "acme/emb/1")
    return str(caught.value)


def _file_link(tmp_path: Path) -> Path:
    (tmp_path / "file.txt").write_text("not a folder")
    link = tmp_path / "lnk"
    link.symlink_to("file.txt")
    return link


def test_a_root_linking_to_a_file_is_said_to_be_a_file(tmp_path: Path, model: Path) -> None:
    link = _file_link(tmp_path)
    message = _publish_refusal(model, link)
    assert f"The hub folder {link} is a file: give a folder" in message, message
    assert "mounted" not in message


def test_a_root_below_a_link_to_a_file_is_below_a_file(tmp_path: Path, model: Path) -> None:
    link = _file_link(tmp_path)
    message = _publish_refusal(model, link / "hub")
    assert f"{link} is a file, not a folder" in message, message
    assert "Give a hub folder that is not below a file" in message
    assert "mounted" not in message


@pytest.mark.parametrize("below", [False, True], ids=["root", "below"])
def test_a_loop_of_links_is_told_to_fix_the_link(tmp_path: Path, model: Path, below: bool) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    root = tmp_path / "a" / "hub" if below else tmp_path / "a"
    message = _publish_refusal(model, root)
    assert "a loop of links" in message and "Fix the link" in message, message
    assert "mounted" not in message


def test_a_link_to_nothing_is_still_told_to_make_its_folder(tmp_path: Path) -> None:
    link = tmp_path / "hub"
    link.symlink_to(tmp_path / "share" / "hub")
    with pytest.raises(errors.PublishTargetError) as caught:  # What mirror checks first.
        publish_refusals.refuse_link_to_nothing(link)
    assert "Make the folder it points to (a file system not mounted" in str(caught.value)


def test_mirror_into_a_root_below_a_link_to_a_file(tmp_path: Path) -> None:
    link = _file_link(tmp_path)
    with pytest.raises(errors.PublishTargetError) as caught:
        publish_refusals.refuse_link_to_nothing(link / "hub")
    assert "not below a file" in str(caught.value) and "mounted" not in str(caught.value)
