"""A hub folder given as ROOT that lies inside another hub's `assets/` folder (rf53g-F2).

`tfhub publish ./model hub/assets/docs --handle acme/emb/9` (tab completion stops there) wrote
a second hub inside the first, `hub/assets/docs/assets/docs/acme/...`, exit 0: the server never
served acme/emb/9 and `tfhub validate hub` then failed (docs at the wrong path, handles
declared twice), though docs/hub.md says publish never leaves a hub that fails `validate`.
`tfhub mirror` did the same, after its download. `tfhub validate hub/assets/docs` said
"hub/assets/docs/assets/docs does not exist ... publish a model there".
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub import publish, validator


def _hub(tmp_path: Path) -> Path:
    """A valid hub with one publisher doc and a version whose model files are a folder."""
    root = tmp_path / "my hub"
    write_publisher(root, "acme", "Acme")
    return root


def _model(tmp_path: Path) -> Path:
    """A folder that is no model: every refusal here comes before the model is read."""
    model = tmp_path / "model"
    model.mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"")
    return model


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.mark.parametrize(
    "inside", ["assets/docs", "assets", "assets/docs/acme", "assets/docs/acme/models/new"]
)
def test_publish_into_a_folder_of_a_hub_is_refused_naming_the_hub(tmp_path, capsys, inside):
    root = _hub(tmp_path)
    before = _files(root)
    target = root / inside
    code, out, err = run_tfhub(
        capsys, "publish", str(_model(tmp_path)), str(target), "--handle", "acme/emb/9"
    )
    assert code == 1 and out == ""
    assert f"inside the hub folder {root}" in err
    assert _files(root) == before
    assert validator.validate_tree(root) == []


def test_the_refusal_is_a_publish_target_error(tmp_path):
    root = _hub(tmp_path)
    with pytest.raises(errors.PublishTargetError) as caught:
        publish.publish(_model(tmp_path), root / "assets" / "docs", "acme/emb/9")
    assert isinstance(caught.value, ValueError)
    assert caught.value.path == str(root / "assets" / "docs")


def test_mirror_into_a_folder_of_a_hub_is_refused_before_it_reads_the_source(tmp_path, capsys):
    root = _hub(tmp_path)
    before = _files(root)
    missing = tmp_path / "no such model"  # Resolving it would fail: the refusal comes first.
    code, out, err = run_tfhub(
        capsys, "mirror", str(missing), str(root / "assets" / "docs"), "--as", "acme/emb/9"
    )
    assert code == 1 and out == ""
    assert f"inside the hub folder {root}" in err
    assert _files(root) == before


def test_validate_of_a_folder_of_a_hub_names_the_hub_to_validate(tmp_path, capsys):
    root = _hub(tmp_path)
    write_model_doc(root, "acme/emb/1")
    code, out, err = run_tfhub(capsys, "validate", str(root / "assets" / "docs"))
    assert code != 0 and out == ""
    assert f"tfhub validate {shlex.quote(str(root))}" in err
    assert "publish a model there" not in err


def test_a_hub_beside_another_or_a_new_hub_is_not_refused(tmp_path):
    """Only a ROOT below a hub's `assets/` is refused: a hub folder beside one, or inside a
    folder that holds hubs, is a hub as any other."""
    _hub(tmp_path)
    for other in (tmp_path / "second hub", tmp_path / "my hub" / "backup"):
        with pytest.raises(errors.NotAModelError):  # Refused for its model only.
            publish.publish(_model(tmp_path / "models" / other.name), other, "acme/emb/1")


def test_a_projects_own_assets_docs_folder_is_no_hub(tmp_path):
    """A project whose `assets/docs` holds its website's pages (no publisher folder) is no hub:
    a hub folder below its `assets/` is not refused for it."""
    project = tmp_path / "project"
    (project / "assets" / "docs" / "guide").mkdir(parents=True)
    (project / "assets" / "docs" / "index.md").write_text("# Our docs\n")
    for root in (project / "assets" / "docs" / "hub", project / "assets" / "model-hub"):
        with pytest.raises(errors.NotAModelError):  # Refused for its model only.
            publish.publish(_model(tmp_path / "models" / root.name), root, "acme/emb/1")
