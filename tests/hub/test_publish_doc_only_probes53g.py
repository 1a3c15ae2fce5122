"""Publishing the version whose Module doc is in the hub without its model files (rf53g-F1).

A team writes a version's doc first (or keeps a tfhub.dev fork's docs, whose asset-paths are
URLs), then publishes the model, as `tfhub validate` says ("'asset-path' names '1.tar.gz',
which does not exist beside the doc; publish the model (`tfhub publish`)"). `tfhub publish`
refused it saying it "is already published ... versions are immutable": the server answers
such a version 404 ("has no model files in this hub"), so no client can have it, and the way
to publish its model with that doc (`--force --doc DOC`) was not said.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers import models
from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import write_publisher

from tfhub import errors
from tfhub.hub import publish

HANDLE = "acme/emb/1"
LOCAL = "1.tar.gz"
URL = "https://storage.googleapis.com/tfhub-modules/acme/emb/1.tar.gz"


def _doc_text(asset_path: str) -> str:
    """A hand-written Module doc of HANDLE."""
    return (
        f"# Module {HANDLE}\nText embedding written by hand.\n\n"
        f"<!-- asset-path: {asset_path} -->\n<!-- task: text-embedding -->\n"
        "<!-- fine-tunable: true -->\n<!-- format: saved_model_2 -->\n\n## Overview\nKept.\n"
    )


def _hub_with_doc_only(tmp_path: Path, asset_path: str) -> tuple[Path, Path, Path]:
    """A hub holding HANDLE's doc and no model files; a folder that is no model (the refusal
    comes before the model is read)."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = root / "assets" / "docs" / "acme" / "models" / "emb" / "1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(_doc_text(asset_path))
    model = tmp_path / "model"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"")
    return root, doc, model


@pytest.mark.parametrize("asset_path", [LOCAL, URL])
def test_a_doc_without_model_files_is_said_to_be_unpublished_and_how_to_publish_it(
    tmp_path, capsys, asset_path
):
    root, doc, model = _hub_with_doc_only(tmp_path, asset_path)
    code, out, err = run_tfhub(capsys, "publish", str(model), str(root), "--handle", HANDLE)
    assert code == 1 and out == ""
    assert "already published" not in err and "immutable" not in err
    assert "no model files" in err and str(doc) in err
    assert f"--force --doc {doc}" in err
    assert doc.read_text() == _doc_text(asset_path)
    assert sorted(p.name for p in doc.parent.iterdir()) == ["1.md"]


def test_the_refusal_is_a_version_exists_error_carrying_the_doc(tmp_path):
    root, doc, model = _hub_with_doc_only(tmp_path, LOCAL)
    with pytest.raises(errors.VersionExistsError) as caught:
        publish.publish(model, root, HANDLE)
    assert isinstance(caught.value, FileExistsError)
    assert caught.value.path == str(doc) and caught.value.handle == HANDLE


def test_a_version_with_its_archive_is_still_refused_as_published(tmp_path, capsys):
    root, doc, model = _hub_with_doc_only(tmp_path, LOCAL)
    (doc.parent / "1.tar.gz").write_bytes(b"")
    code, _, err = run_tfhub(capsys, "publish", str(model), str(root), "--handle", HANDLE)
    assert code == 1 and "is already published" in err


@pytest.mark.tf
def test_the_remedy_it_names_publishes_the_model_keeping_the_doc(tmp_path, capsys):
    root, doc, _ = _hub_with_doc_only(tmp_path, LOCAL)
    model = models.save_text_embedding(str(tmp_path / "real_model"))
    code, out, err = run_tfhub(
        capsys, "publish", model, str(root), "--handle", HANDLE, "--force", "--doc", str(doc)
    )
    assert code == 0, err
    assert out.startswith(f"{HANDLE}\t")
    assert doc.read_text() == _doc_text(LOCAL)
    assert (doc.parent / "1.tar.gz").is_file()
