"""A staging folder whose journal is not followed is kept (session 45): `tfhub validate` and the
next publish removed it after a roll-back that renamed nothing, with the old archive the killed
publish had moved aside in it, leaving the version half new for good. settled45 made journals
stricter (bounded, confined), so more are not followed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub import commit, leftovers

STAGING = ".1.publish-" + "d" * 32


def _killed_publish(tmp_path: Path, journal: str) -> tuple[Path, Path, Path]:
    """ROOT/.../acme/emb with the new archive in place and the old one moved aside into a
    staging folder holding `journal`: (the model folder, ROOT/assets/docs, the staging folder)."""
    root = tmp_path / "root"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"), {"saved_model.pb": b"new"})
    staging = doc.parent / STAGING
    staging.mkdir()
    make_tar_gz(staging / "old-0-1.tar.gz", {"saved_model.pb": b"old"})
    (staging / commit.JOURNAL).write_text(journal)
    return doc.parent, root / "assets" / "docs", staging


@pytest.mark.parametrize(
    "journal",
    [
        '{"renames": [["1.tar.gz\\u0000x", "y"]]}',  # A NUL in a path.
        "{not json",
        json.dumps({"renames": [["../../../../../../etc/x", f"{STAGING}/y"]]}),  # Outside.
    ],
    ids=["nul", "not-json", "outside"],
)
def test_a_journal_not_followed_keeps_its_staging_folder_and_what_it_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, journal: str
) -> None:
    folder, docs, staging = _killed_publish(tmp_path, journal)
    with caplog.at_level(logging.WARNING):
        leftovers.remove_leftovers(folder, docs=docs)
    assert (staging / "old-0-1.tar.gz").is_file()
    assert any(f"Kept {staging}" in record.getMessage() for record in caplog.records)


def test_a_staging_folder_without_a_journal_is_removed(tmp_path: Path) -> None:
    # A publish killed before its commit (nothing moved yet): its folder goes, as before.
    folder, docs, staging = _killed_publish(tmp_path, "{}")
    (staging / commit.JOURNAL).unlink()
    leftovers.remove_leftovers(folder, docs=docs)
    assert not staging.exists()


def test_a_kept_staging_folder_is_not_counted_as_removed(tmp_path: Path) -> None:
    # `tfhub validate` reports what clean_tree returns: a kept folder is not "removed".
    folder, docs, staging = _killed_publish(tmp_path, "{not json")
    assert leftovers.remove_leftovers(folder, docs=docs) == []
    assert leftovers.clean_tree(docs) == []
    assert staging.is_dir()
