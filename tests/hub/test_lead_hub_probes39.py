"""The private hub checked by hand in session 39: each test is a defect found that way, on a
real hub served from another process."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher


def _derived_doc(module: Path, kind: str, asset: str) -> None:
    doc = module.parent / kind.lower() / "1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(
        f"# {kind} acme/emb/1\nThe {kind} version.\n\n<!-- asset-path: {asset} -->\n"
        "<!-- parent-model: acme/emb/1 -->\n"
    )


@pytest.mark.parametrize("asset", ["1.tar.gz", "https://example.com/emb-tfjs.tar.gz"])
def test_a_tfjs_version_without_its_archive_is_not_sent_to_mirror_from_docs(
    asset: str, tmp_path: Path
) -> None:
    """The download of a Tfjs version whose archive is not beside its doc answered 404 "not
    mirrored here ... run 'tfhub mirror ROOT --from-docs' to copy them into the hub", but
    `mirror --from-docs` copies only Module docs' URL asset-paths: it skips Tfjs docs, and a
    local asset-path names a file that was removed, which no mirror brings back."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    module = write_model_doc(root, "acme/emb/1", asset="https://example.com/emb.tar.gz")
    _derived_doc(module, "Tfjs", asset)
    with serve_hub(root, tmp_path / "serve.log", "--rescan", "0") as running:
        url = running.url("acme/tfjs-model/emb/1?tf-hub-format=compressed")
        answer = requests.get(url, timeout=30)
        page = requests.get(running.url("acme/tfjs-model/emb/1"), timeout=30)
    assert answer.status_code == 404, answer.text
    assert "to copy them into the hub" not in answer.text
    if asset == "1.tar.gz":
        where = "assets/docs/acme/models/emb/tfjs/1.tar.gz"
        assert f"its archive {where} (the doc's local asset-path) is missing" in answer.text
        assert "restore that file below ROOT" in answer.text
    else:
        assert f"its files are at {asset}" in answer.text
        assert "copies only Module docs' files" in answer.text
    assert page.status_code == 200
    assert "tfhub publish" not in page.text  # publish refuses Tfjs handles.
    assert "tfhub mirror</code> copies them here" not in page.text
    if asset == "1.tar.gz":
        assert "restore that file below ROOT." in page.text
    else:
        assert "copies only Module docs' files" in page.text


def test_a_tfjs_version_hosted_by_tfhub_dev_is_not_sent_to_mirror_as(tmp_path: Path) -> None:
    """A Tfjs doc with `asset-path: legacy` (tfhub.dev hosted its files) was told "add it with
    'tfhub mirror SOURCE ROOT --as acme/tfjs-model/emb/1'", a command that refuses that handle
    ("starts its model with 'tfjs-model/'"); the archive beside the doc is what serves it."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    module = write_model_doc(root, "acme/emb/1", asset="https://example.com/emb.tar.gz")
    _derived_doc(module, "Tfjs", "legacy")
    with serve_hub(root, tmp_path / "serve.log", "--rescan", "0") as running:
        url = running.url("acme/tfjs-model/emb/1")
        answer = requests.get(f"{url}?tf-hub-format=compressed", timeout=30)
        page = requests.get(url, timeout=30)
    assert answer.status_code == 404, answer.text
    where = "assets/docs/acme/models/emb/tfjs/1.tar.gz"
    assert "--as" not in answer.text and "--as" not in page.text
    assert f"as a .tar.gz archive, below ROOT at {where} (mirror and publish refuse" in answer.text
    assert f"below ROOT at <code>{where}</code>" in page.text
