"""`tfhub publish` makes its model folder again when mkdir says ENOENT once although the
parent is there: another publisher removed a parent and made it again meanwhile (review fx61e
F4). Only twice in a row is it a file system that makes no folders there (`/proc`:
PublishTargetError). The race is simulated at the low-level make-folders step; the publish
logic answering it is the real one."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers import models

from tfhub import errors
from tfhub.hub import publish as publish_lib
from tfhub.hub import staging

pytestmark = pytest.mark.tf
MODEL_DIR = Path("assets/docs/acme/models/emb")


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small TF2 text embedding (publish loads it), built once."""
    return Path(models.save_text_embedding(str(tmp_path_factory.mktemp("race") / "model")))


def _racing_make_folders(monkeypatch: pytest.MonkeyPatch, fails: int) -> list[str]:
    """Makes `staging.make_folders` raise mkdir's ENOENT `fails` times (naming the first
    missing folder, whose parent is there), then make the folders for real."""
    real = staging.make_folders
    raised: list[str] = []

    def racing(path: str) -> Iterator[str]:
        if len(raised) < fails:
            missing = os.path.abspath(path)
            while not os.path.isdir(os.path.dirname(missing)):
                missing = os.path.dirname(missing)
            raised.append(missing)
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), missing)
        return real(path)

    monkeypatch.setattr(staging, "make_folders", racing)
    return raised


def test_one_enoent_with_the_parent_there_is_a_race_and_the_publish_succeeds(
    tmp_path: Path, model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raised = _racing_make_folders(monkeypatch, fails=1)
    root = tmp_path / "hub"
    root.mkdir()
    publish_lib.publish(model, root, "acme/emb/1")
    assert len(raised) == 1 and os.path.isdir(os.path.dirname(raised[0])), raised
    published = sorted(path.name for path in (root / MODEL_DIR).iterdir())
    assert published == ["1.md", "1.signatures.json", "1.tar.gz"]


def test_twice_in_a_row_is_a_file_system_that_makes_no_folders(
    tmp_path: Path, model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _racing_make_folders(monkeypatch, fails=2)
    root = tmp_path / "hub"
    root.mkdir()
    with pytest.raises(errors.PublishTargetError, match="makes no folders there"):
        publish_lib.publish(model, root, "acme/emb/1")
    assert not (root / MODEL_DIR).exists()
