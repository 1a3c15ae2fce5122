"""review50b-F4: with models `acme/x` and `acme/x/1`, `/acme/x/1` is both version 1 of `acme/x`
and the latest-version URL of `acme/x/1`; the server answers it with the version, so `publish`
and `mirror` refuse to make such a clash and `validate` reports one made by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub import mirror, publish, validator


def _hub(tmp_path: Path, *handles: str) -> Path:
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    for handle in handles:
        write_model_doc(root, handle)
    return root


def test_publishing_a_version_of_a_model_whose_path_is_another_model_is_refused(tmp_path):
    root = _hub(tmp_path, "acme/x/1/4")
    with pytest.raises(errors.UrlClashError) as caught:
        publish.publish(tmp_path / "model", root, "acme/x/1")
    assert isinstance(caught.value, ValueError)
    assert caught.value.other == "acme/x/1"
    assert "its URL /acme/x/1 is also the latest-version URL of the model acme/x/1" in str(
        caught.value
    )
    assert not (root / "assets/docs/acme/models/x/1.md").exists()


def test_publishing_a_model_whose_latest_url_is_another_models_version_is_refused(tmp_path):
    root = _hub(tmp_path, "acme/x/1")
    with pytest.raises(errors.UrlClashError) as caught:
        publish.publish(tmp_path / "model", root, "acme/x/1/4")
    assert caught.value.other == "acme/x"
    assert "/acme/x/1, is also version 1 of the model acme/x" in str(caught.value)
    assert "Publish it under another model name" in str(caught.value)


def test_mirroring_into_a_clash_is_refused_before_the_download(tmp_path):
    root = _hub(tmp_path, "acme/x/1")
    with pytest.raises(errors.UrlClashError, match="Cannot mirror acme/x/1/4: "):
        mirror.mirror(str(tmp_path / "no-such-model"), root, as_handle="acme/x/1/4")


def test_other_versions_and_numbered_models_without_a_clash_are_not_refused(tmp_path):
    """`acme/x/2/4` beside `acme/x/1` (no version 2 of acme/x), `acme/x/01/4` (not a version
    URL): the refusal is not the error; the missing model folder is."""
    root = _hub(tmp_path, "acme/x/1")
    for handle in ("acme/x/2/4", "acme/x/01/4", "acme/x/2"):
        with pytest.raises(errors.NotAModelError):
            publish.publish(tmp_path / "model", root, handle)


def test_validate_reports_a_clash_made_by_hand(tmp_path):
    root = _hub(tmp_path, "acme/x/1", "acme/x/1/4", "acme/x/1/5")
    clashes = [p for p in validator.validate_tree(root) if "latest-version URL" in p.message]
    assert len(clashes) == 1
    assert clashes[0].path.endswith("acme/models/x/1/4.md")
    assert clashes[0].message.startswith(
        "the latest-version URL /acme/x/1 of Module acme/x/1 is version 1 of Module acme/x ("
    )
