"""`tfhub mirror` of a version-less hub URL (the latest version) from another `tfhub serve`.

It said "Cannot tell the hub handle ...: pass --as", though the source hub's JSON API names the
latest version; now that version is mirrored, under its handle, with its doc, and downloaded by
its versioned URL (the latest may change between the API's answer and the download).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests._helpers.hub_server import serve_hub

from tfhub.hub import docs_format as fmt
from tfhub.hub import mirror, publish, starter, validator

pytestmark = pytest.mark.tf

UPSTREAM_TF1 = Path(__file__).parents[1] / "data" / "upstream" / "tf1_text_vocab"


@pytest.fixture(scope="module")
def source_hub(tmp_path_factory):
    """A `tfhub serve` whose acme/emb has versions 1 and 2 (the latest), and 3, a Placeholder
    (which made the latest version 3, a doc without files: the mirror failed)."""
    work = tmp_path_factory.mktemp("source")
    root = work / "root"
    publish.publish(UPSTREAM_TF1, root, "acme/emb/1", info=starter.StarterInfo(description="One."))
    folder = root / "assets/docs/acme/models/emb"
    for suffix in (".tar.gz", ".signatures.json"):
        shutil.copyfile(folder / f"1{suffix}", folder / f"2{suffix}")
    doc = (folder / "1.md").read_text().replace("acme/emb/1", "acme/emb/2")
    (folder / "2.md").write_text(doc.replace("asset-path: 1.tar.gz", "asset-path: 2.tar.gz"))
    (folder / "2.md").write_text((folder / "2.md").read_text().replace("One.", "Two."))
    (folder / "3.md").write_text("# Placeholder acme/emb/3\nComing soon.\n\n## Overview\nSoon.\n")
    with serve_hub(root, work / "serve.log") as server:
        yield server


@pytest.mark.parametrize("path", ["acme/emb", "acme/emb/"])
def test_mirror_of_a_version_less_url_mirrors_the_latest_version(
    source_hub, tmp_path, isolated_cache, path
):
    published = mirror.mirror(source_hub.url(path), tmp_path)
    assert published.handle == "acme/emb/2"
    doc = fmt.parse_doc(published.doc, root=tmp_path)
    assert doc.description == "Two."  # The source's doc, not a starter doc.
    assert validator.validate_tree(tmp_path) == []
    log = source_hub.access_log()
    assert '"GET /acme/emb/2?tf-hub-format=compressed"' in log
    assert "GET /acme/emb?tf-hub-format" not in log and "GET /acme/emb/?tf-hub" not in log
