"""Session 61 probes of `tfhub publish` / `tfhub mirror` into a hub folder that cannot be made.

1. A hub folder (ROOT) that is a link to nothing (`hub -> /mnt/share/hub`, the share not
   mounted; a folder moved away), or lies below one, was answered
   `tfhub: OS error: [Errno 20] Not a directory: '/abs/hub'` (exit 7): ROOT is a link, not a
   file, and the message named neither the link's target nor what to do. Now publish and
   mirror refuse it before anything is made (PublishTargetError, exit 1), naming the link, its
   target and the remedy, as they refuse a ROOT that is a file.
2. A hub folder below a file (`notes.txt/hub`) was `[Errno 20] Not a directory: '.../notes.txt'`;
   now the refusal says the hub folder cannot be made below that file.
3. `tfhub serve` of such a link said `no such folder` of a ROOT that `ls` lists; it now names
   the link's target.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.archives import write_tree

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import publish as publish_lib


def _model_folder(tmp_path: Path) -> Path:
    return Path(write_tree(tmp_path / "model"))


@pytest.mark.parametrize("below", [False, True], ids=["root", "below"])
def test_publish_into_a_link_to_nothing_names_the_link_and_its_target(
    tmp_path: Path, below: bool
) -> None:
    link = tmp_path / "hub-link"
    link.symlink_to(tmp_path / "share" / "not-mounted")
    root = link / "hub" if below else link
    with pytest.raises(errors.PublishTargetError) as caught:
        publish_lib.publish(_model_folder(tmp_path), root, "acme/emb/1")
    message = str(caught.value)
    assert f"{link} is a link to {tmp_path / 'share' / 'not-mounted'}" in message
    assert "which does not exist" in message and f"Received: root={str(root)!r}" in message
    assert caught.value.path == str(link)
    assert not (tmp_path / "share").exists()  # Nothing was made where the link points.


def test_mirror_into_a_link_to_nothing_says_so_in_one_line(tmp_path: Path, capsys) -> None:
    link = tmp_path / "hub"
    link.symlink_to("gone")
    code = main(["mirror", str(_model_folder(tmp_path)), str(link), "--as", "acme/emb/1"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"{link} is a link to {tmp_path / 'gone'}" in err and "Errno" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert os.path.islink(link) and not (tmp_path / "gone").exists()


def test_mirror_refuses_a_link_to_nothing_before_the_source_is_resolved(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline, an uncached hub URL fails when resolved: the link is named before that."""
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    link = tmp_path / "hub"
    link.symlink_to(tmp_path / "gone")
    code = main(["mirror", "http://127.0.0.1:9/acme/emb/1", str(link), "--as", "acme/emb/1"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"{link} is a link to {tmp_path / 'gone'}" in err


def test_publish_below_a_file_names_the_file_as_a_parent(tmp_path: Path) -> None:
    """`tfhub publish MODEL notes.txt/hub`: `[Errno 20] Not a directory: '.../notes.txt'`
    before; now the refusal says the hub folder cannot be made below that file."""
    (tmp_path / "notes.txt").write_text("x")
    root = tmp_path / "notes.txt" / "hub"
    with pytest.raises(errors.PublishTargetError) as caught:
        publish_lib.publish(_model_folder(tmp_path), root, "acme/emb/1")
    assert f"cannot be made: {tmp_path / 'notes.txt'} is a file" in str(caught.value)
    assert (tmp_path / "notes.txt").read_text() == "x"


def test_serve_names_a_root_that_is_a_link_to_nothing(tmp_path: Path, capsys) -> None:
    """`tfhub serve hub` with `hub -> /mnt/share/hub` not mounted said `no such folder` of a
    ROOT that `ls` shows; it now names the link's target (exit 7, not found, as before)."""
    link = tmp_path / "hub"
    link.symlink_to(tmp_path / "share" / "hub")
    code = main(["serve", str(link), "--port", "65000"])  # Refused before it listens.
    err = capsys.readouterr().err
    assert code == 7, err
    assert f"it is a link to {tmp_path / 'share' / 'hub'}, which does not exist" in err
