"""A hub folder that is (or lies below) a link that leads nowhere, as `tfhub publish`,
`tfhub mirror` and `tfhub serve` say it: in the words of `utils.paths.non_folder_kind`.

Before, publish's `_nearest_there` and serve's `check_root` copied that helper, and got links
wrong: a loop (`loop -> loop`: `exists()` is False on ELOOP) was "a symlink to loop, which is
not there" (serve: "not a folder"); a chain (`chain -> dangling2 -> /nowhere`) was "a symlink
to dangling2, which is not there", though dangling2 is; a relative target (`sub/rel ->
../share/hub`) was printed as if relative to the working folder; and a target's control
characters (ESC, a newline) went into the message raw.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.archives import write_tree

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import publish as publish_lib


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return Path(write_tree(tmp_path / "model"))


def _publish_refusal(model: Path, root: Path) -> errors.PublishTargetError:
    with pytest.raises(errors.PublishTargetError) as caught:
        publish_lib.publish(model, root, "acme/emb/1")
    return caught.value


@pytest.mark.parametrize("below", [False, True], ids=["root", "below"])
def test_publish_into_a_loop_of_links_says_it_is_a_loop(
    tmp_path: Path, model: Path, below: bool
) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    refusal = _publish_refusal(model, loop / "hub" if below else loop)
    assert f"{loop} is a link that leads to itself (a loop of links)" in str(refusal)
    assert "not there" not in str(refusal) and refusal.path == str(loop)


def test_publish_into_a_chain_names_the_missing_end(tmp_path: Path, model: Path) -> None:
    (tmp_path / "dangling2").symlink_to(tmp_path / "nowhere")
    chain = tmp_path / "chain"
    chain.symlink_to("dangling2")
    message = str(_publish_refusal(model, chain))
    assert f"{chain} is a link to {tmp_path / 'dangling2'}, which leads to " in message
    assert f"{tmp_path / 'nowhere'}, which does not exist" in message


def test_a_relative_target_is_named_from_the_links_folder(tmp_path: Path, model: Path) -> None:
    (tmp_path / "sub").mkdir()
    link = tmp_path / "sub" / "rel"
    link.symlink_to("../share/hub")
    message = str(_publish_refusal(model, link))
    assert f"is a link to {tmp_path / 'sub' / '../share/hub'}, which does not exist" in message


def test_a_targets_control_characters_are_escaped(tmp_path: Path, model: Path) -> None:
    link = tmp_path / "hub"
    link.symlink_to("/nowhere/\x1b[31mred\n")
    message = str(_publish_refusal(model, link))
    assert "\x1b" not in message and "\n" not in message
    assert "is a link to /nowhere/\\x1B[31mred\\x0A, which does not exist" in message


def test_serve_of_a_loop_says_it_is_a_loop(tmp_path: Path, capsys) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    code = main(["serve", str(loop), "--port", "65000"])  # Refused before it listens.
    err = capsys.readouterr().err
    assert code != 0 and "it is a link that leads to itself (a loop of links)" in err, err


def test_serve_escapes_a_targets_control_characters(tmp_path: Path, capsys) -> None:
    link = tmp_path / "hub"
    link.symlink_to("/nowhere/\x1b[31mred\n")
    code = main(["serve", str(link), "--port", "65000"])
    err = capsys.readouterr().err
    assert code == 7 and "\x1b" not in err and len(err.strip().splitlines()) == 1, err
    assert "it is a link to /nowhere/\\x1B[31mred\\x0A, which does not exist" in err


def test_serve_of_a_chain_names_the_missing_end(tmp_path: Path, capsys) -> None:
    (tmp_path / "dangling2").symlink_to("/nowhere-fx61b")
    chain = tmp_path / "chain"
    chain.symlink_to("dangling2")
    assert main(["serve", str(chain), "--port", "65000"]) == 7
    err = capsys.readouterr().err
    assert "which leads to /nowhere-fx61b, which does not exist" in err, err
