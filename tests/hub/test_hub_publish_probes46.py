"""`tfhub publish` handled as a clumsy user would (session 46): model names that differ only by
case, metadata values too long to serve in a hand-written hub, and odd arguments (a folder, a
named pipe or a device as the doc, a socket in the model folder, two publishes at once)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import requests
from tests._helpers import models
from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub import publish, validator
from tfhub.hub.doc_rules import MAX_VALUE_CHARS


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


# --- Metadata values too long to serve -------------------------------------------------------


def test_a_value_too_long_is_left_out_of_pages_and_api_with_one_warning(tmp_path):
    """A hand-written doc never validated: its 1,500-character `dataset` would be shown whole
    on every index page (each filter lists every value) and in the API; the server leaves
    that value out, keeps the others, and says so once, naming the doc, its line and key."""
    long_value = "wiki" + "x" * (MAX_VALUE_CHARS + 496)
    root = _hub(tmp_path / "hub", "acme/emb/1")
    doc = root / "assets/docs/acme/models/emb/1.md"
    text = doc.read_text().replace(
        "<!-- dataset: synthetic -->",
        f"<!-- dataset: synthetic -->\n<!-- dataset: {long_value} -->",
    )
    doc.write_text(text)
    line = text.split("\n").index(f"<!-- dataset: {long_value} -->") + 1
    assert [p.line for p in validator.validate_tree(root)] == [line]  # Reported there.
    log = tmp_path / "serve.log"
    with serve_hub(root, log, "--rescan", "0") as server:
        answers = {
            path: requests.get(server.url(path), timeout=30)
            for path in ("", "acme/emb", "acme", "api/models/acme/emb", "api/models", "api/facets")
        }
    model = answers["api/models/acme/emb"].json()
    assert long_value in model["versions"][0].pop("doc_markdown")  # The doc as published.
    assert model["versions"][0]["metadata"]["dataset"] == ["synthetic"]
    assert "xxxxxxxxxx" not in json.dumps(model)
    for path, answer in answers.items():
        assert answer.status_code == 200, path
        assert "xxxxxxxxxx" not in answer.text or path == "api/models/acme/emb", path
    assert "synthetic" in answers["acme/emb"].text
    warnings = [row for row in log.read_text().splitlines() if "leaving out the metadata" in row]
    assert len(warnings) == 1, warnings
    assert (
        f"assets/docs/acme/models/emb/1.md:{line}: leaving out the metadata 'dataset'"
        in (warnings[0])
    )
