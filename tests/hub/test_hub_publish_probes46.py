"""`tfhub publish` handled as a clumsy user would (session 46): model names that differ only by
case, metadata values too long to serve in a hand-written hub, and odd arguments (a folder, a
named pipe or a device as the doc, a socket in the model folder, two publishes at once)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers import models
from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub import publish, validator


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF2 text embedding, built once (only the tests marked `tf` use it)."""
    return Path(models.save_text_embedding(str(tmp_path_factory.mktemp("probes46") / "model")))


def _files(root: Path) -> list[str]:
    """Every file below root, hidden ones too."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _hub(root: Path, *handles: str) -> Path:
    """A hand-written hub folder with a publisher doc and a Module doc of each handle (its
    model files at a URL)."""
    for handle in handles:
        write_publisher(root, handle.split("/")[0], "Acme")
        write_model_doc(root, handle)
    return root


# --- Names that differ only by case ------------------------------------------------------------


@pytest.mark.parametrize(
    ("handle", "meant"),
    [
        ("acme/Emb/2", "acme/emb/2"),
        ("acme/EMB/1", "acme/emb/1"),
        ("acme/Text/x/3", "acme/text/x/3"),
    ],
)
def test_a_model_name_differing_only_by_case_is_refused(tmp_path, capsys, handle, meant):
    """On a case-insensitive file system `acme/Emb` and `acme/emb` are one folder, and the
    catalog would list them side by side: publish refuses the new spelling before it reads
    the model (MODEL_DIR does not even exist here), naming the hub's and what to publish."""
    root = _hub(tmp_path / "hub", "acme/emb/1", "acme/text/x/1")
    before = _files(root)
    code, out, err = run_tfhub(
        capsys, "publish", str(tmp_path / "nowhere"), str(root), "--handle", handle
    )
    assert (code, out) == (1, "")
    assert f"differs only by case from {meant.rsplit('/', 2)[0]}/" in err or meant in err
    assert f"Publish as {meant}" in err and "--force does not change this" in err
    assert _files(root) == before


def test_an_upper_case_publisher_is_refused_as_a_handle(tmp_path, capsys):
    """`ACME/emb` beside `acme/emb`: publishers are lower-case (as tfhub.dev's were), so the
    handle itself is refused (exit 2) before anything is read or written."""
    root = _hub(tmp_path / "hub", "acme/emb/1")
    before = _files(root)
    code, _, err = run_tfhub(capsys, "publish", str(tmp_path), str(root), "--handle", "ACME/emb/2")
    assert code == 2 and "publisher: a-z" in err
    assert _files(root) == before


@pytest.mark.tf
def test_force_replaces_the_same_handle_but_not_its_case_twin(text_model, tmp_path):
    root = tmp_path / "hub"
    publish.publish(text_model, root, "acme/emb/1")
    replaced = publish.publish(text_model, root, "acme/emb/1", force=True)
    assert replaced.doc.is_file()
    with pytest.raises(errors.PublishTargetError, match="differs only by case") as caught:
        publish.publish(text_model, root, "acme/Emb/1", force=True)
    assert caught.value.path == os.fspath(root / "assets/docs/acme/models/emb")
    assert not (root / "assets/docs/acme/models/Emb").exists()
    assert validator.validate_tree(root) == []


def test_validate_reports_folders_that_differ_only_by_case(tmp_path):
    root = _hub(tmp_path / "hub", "acme/emb/1", "acme/Emb/2", "acme/other/1")
    problems = validator.validate_tree(root)
    assert [(p.path, p.line) for p in problems] == [("assets/docs/acme/models/emb/1.md", 1)]
    assert "acme/models/emb/ differs only by case from acme/models/Emb/" in problems[0].message
    assert "Module acme/Emb/2, assets/docs/acme/models/Emb/2.md" in problems[0].message
