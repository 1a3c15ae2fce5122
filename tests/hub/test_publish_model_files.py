"""`tfhub publish` refuses a model whose files `tfhub validate` would refuse, before loading it.

A README beside saved_model.pb, or an asset whose name is outside tfhub.dev's file-name pattern,
was published, and the hub then failed `tfhub validate` (tfhub.dev's CI refused such archives).
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.hub import publish

UPSTREAM_TF1 = Path(__file__).parents[1] / "data" / "upstream" / "tf1_text_vocab"


def _model_with(tmp_path: Path, relative: str) -> Path:
    model = tmp_path / "model"
    shutil.copytree(UPSTREAM_TF1, model)
    extra = model / relative
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_text("notes\n")
    return model


@pytest.mark.parametrize(
    ("relative", "named"),
    [
        ("README.txt", "'README.txt' is not a file a SavedModel uses"),
        ("extra/notes.txt", "'extra/notes.txt' is not a file a SavedModel uses"),
        ("assets/vocab✓.txt", "'assets/vocab✓.txt' is not a valid file path"),
    ],
)
def test_publish_refuses_files_validate_refuses_and_writes_nothing(tmp_path, relative, named):
    model = _model_with(tmp_path, relative)
    root = tmp_path / "hub"
    with pytest.raises(errors.NotAModelError) as caught:
        publish.publish(model, root, "acme/emb/1")
    assert named in str(caught.value) and "nothing was published" in str(caught.value)
    assert caught.value.path == str(model)
    assert not root.exists()


def test_publish_refuses_such_files_in_an_archive_too(tmp_path):
    model = _model_with(tmp_path, "README.md")
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(model, arcname=".")
    root = tmp_path / "hub"
    with pytest.raises(errors.NotAModelError, match="'README.md' is not a file a SavedModel"):
        publish.publish(archive, root, "acme/emb/1")
    assert not root.exists()
