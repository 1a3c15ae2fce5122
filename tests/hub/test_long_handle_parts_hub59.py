"""`tfhub publish` and `mirror` refuse a handle part too long for a name of the hub folder's file
system, before anything is read or made (hub59).

A model part of 300 characters (`acme/<300 chars>/1`) ended the publish in "tfhub: OS error:
[Errno 36] File name too long: '<path>'" (exit 1), raised at one of several steps depending on
what already existed (the symlink check, making the model folder, or, for a publisher of 253
characters whose doc `<publisher>.md` is 256, after the model was loaded). The refusal now says
which part, how long it is, the limit, and what to do, as an InvalidHandleError (exit 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import publish_refusals
from tfhub.hub.doc_handles import parse_handle
from tfhub.hub.mirror import mirror
from tfhub.hub.publish import publish

LONG_MODEL = "acme/" + "m" * 300 + "/1"
LONG_PUBLISHER = "p" * 253 + "/emb/1"  # Its folder fits; its doc, <publisher>.md, does not.


@pytest.fixture
def hub_with_publisher(tmp_path: Path) -> Path:
    """A hub folder whose `acme/models` folder exists (the symlink check then met the long
    name first)."""
    root = tmp_path / "hub"
    (root / "assets/docs/acme/models").mkdir(parents=True)
    (root / "assets/docs/acme/acme.md").write_text("# Publisher acme\nAcme.\n")
    return root


@pytest.mark.parametrize("handle", [LONG_MODEL, LONG_PUBLISHER], ids=["model", "publisher"])
def test_a_part_too_long_for_a_file_name_is_refused_naming_it(
    hub_with_publisher: Path, tmp_path: Path, handle: str
) -> None:
    model = tmp_path / "model"  # Never read: the refusal comes first.
    model.mkdir()
    before = sorted(hub_with_publisher.rglob("*"))
    with pytest.raises(errors.InvalidHandleError) as caught:
        publish(model, hub_with_publisher, handle)
    message = str(caught.value)
    part = handle.split("/")[0] if handle is LONG_PUBLISHER else handle.split("/")[1]
    assert f"{part[:40]}..." in message and f"({len(part)} characters)" in message, message
    assert "at most 255 bytes" in message and "shorten that part" in message, message
    assert sorted(hub_with_publisher.rglob("*")) == before  # Nothing made.


def test_the_commands_exit_2_with_one_line(hub_with_publisher: Path, tmp_path: Path, capsys):
    model = tmp_path / "model"
    model.mkdir()
    assert main(["publish", str(model), str(hub_with_publisher), "--handle", LONG_MODEL]) == 2
    assert main(["mirror", str(model), str(hub_with_publisher), "--as", LONG_PUBLISHER]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and all(line.startswith("tfhub: invalid handle: ") for line in lines)
    assert "Errno" not in "\n".join(lines)


def test_mirror_refuses_it_before_reading_the_source(tmp_path: Path) -> None:
    with pytest.raises(errors.InvalidHandleError, match="shorten that part"):
        mirror(str(tmp_path / "missing"), tmp_path / "hub", as_handle=LONG_MODEL)


def test_parts_at_the_limit_are_not_refused(tmp_path: Path) -> None:
    """A model part of 255 characters and a publisher of 252 (`<publisher>.md`: 255) fit."""
    for handle in ("acme/" + "m" * 255 + "/1", "p" * 252 + "/emb/1"):
        publish_refusals.refuse_long_names(tmp_path / "hub", parse_handle(handle))


@pytest.mark.parametrize("told", [-1, 0])
def test_a_file_system_that_tells_no_name_limit_refuses_no_ordinary_handle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, told: int
) -> None:
    """POSIX pathconf answers -1 for "no limit" (and a FUSE file system may say 0): the check
    then uses the usual 255 bytes, not a limit that refuses every handle (rev59a)."""
    monkeypatch.setattr(publish_refusals.os, "pathconf", lambda *_: told)
    publish_refusals.refuse_long_names(tmp_path, parse_handle("acme/emb/1"))
    with pytest.raises(errors.InvalidHandleError):
        publish_refusals.refuse_long_names(tmp_path, parse_handle(LONG_MODEL))
