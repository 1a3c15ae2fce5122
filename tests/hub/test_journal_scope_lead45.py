"""A publish journal is followed only in a model folder, naming paths directly in it, its
staging folder or its publisher doc, and only a model folder's first few (session 45, review45d):
a staging folder in docs/acme/models/ had its journal followed, naming any acme model's files
and the publisher doc (`tfhub validate` then removed both); a nested folder's too; and 100
journals in one folder made every download take a second."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub import commit, leftovers, settled
from tfhub.hub.app import create_app
from tfhub.hub.settings import ServeSettings


def _root(tmp_path: Path) -> tuple[Path, Path]:
    """ROOT with acme/emb/1 (an archive); returns (ROOT, the model folder)."""
    root = tmp_path / "root"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"), {"saved_model.pb": b"in place"})
    return root, doc.parent


def _staging(folder: Path, renames: list[list[str]], letter: str = "d") -> Path:
    staging = folder / f".x.publish-{letter * 32}"
    staging.mkdir()
    (staging / commit.JOURNAL).write_text(json.dumps({"schema": 1, "renames": renames}))
    return staging


def test_a_journal_in_a_folder_that_is_no_model_folder_is_not_followed(tmp_path: Path) -> None:
    root, model = _root(tmp_path)
    models = model.parent  # docs/acme/models: holds model folders, is none.
    name = ".x.publish-" + "d" * 32
    staging = _staging(
        models, [[f"{name}/new.md", "../acme.md"], [f"{name}/new.tar.gz", "emb/1.tar.gz"]]
    )
    assert commit.read_journal(staging, docs=root / "assets" / "docs") is None
    leftovers.clean_tree(root / "assets" / "docs")  # `tfhub validate`'s clean-up.
    assert (root / "assets" / "docs" / "acme" / "acme.md").is_file()
    assert (model / "1.tar.gz").is_file()


def test_a_journal_naming_a_file_in_a_sub_folder_of_its_model_folder_is_not_followed(
    tmp_path: Path,
) -> None:
    root, model = _root(tmp_path)
    (model / "sub").mkdir()
    make_tar_gz(model / "sub" / "2.tar.gz", {"saved_model.pb": b"other"})
    name = ".x.publish-" + "d" * 32
    staging = _staging(model, [[f"{name}/new.tar.gz", "sub/2.tar.gz"]])
    assert commit.read_journal(staging, docs=root / "assets" / "docs") is None


def test_a_real_journal_of_a_model_folder_is_still_followed(tmp_path: Path) -> None:
    root, model = _root(tmp_path)
    name = ".x.publish-" + "d" * 32
    journal = [[f"{name}/1.tar.gz", "1.tar.gz"], [f"{name}/acme.md", "../../acme.md"]]
    staging = _staging(model, journal)
    assert commit.read_journal(staging, docs=root / "assets" / "docs") is not None


def test_a_model_folders_journals_beyond_the_first_few_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root, model = _root(tmp_path)
    for index in range(settled.MAX_JOURNALS + 20):
        name = f".x{index:02d}.publish-" + "e" * 32
        staging = model / name
        staging.mkdir()
        renames = [[f"{name}/absent-{index}.tar.gz", f"new-{index}.tar.gz"]]  # Followed: no-op.
        (staging / commit.JOURNAL).write_text(json.dumps({"schema": 1, "renames": renames}))
    app = create_app(
        ServeSettings(
            root=str(root), access_log=False, rescan_seconds=0, cache_dir=str(tmp_path / "c")
        )
    )
    read = []
    real_read = commit.read_journal
    with caplog.at_level(logging.WARNING), pytest.MonkeyPatch.context() as patch:
        patch.setattr(commit, "read_journal", lambda *a, **k: read.append(1) or real_read(*a, **k))
        started = time.monotonic()
        status, _ = asgi_request(app, "GET", b"/acme/emb/1", b"tf-hub-format=compressed")
    assert status == 200, time.monotonic() - started
    assert len(read) == settled.MAX_JOURNALS, len(read)
    assert "a model folder's first 4 are followed, no more" in caplog.text
