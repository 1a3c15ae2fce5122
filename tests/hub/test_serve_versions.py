"""Which version a handle names on a real `tfhub serve`: the latest (no version) and the
spelling of a version number."""

from __future__ import annotations

from pathlib import Path

import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher

COMPRESSED = {"tf-hub-format": "compressed"}
PLACEHOLDER_DOC = """# Placeholder acme/emb/3
Version 3 is coming soon.

<!-- task: text-embedding -->

## Overview
Not published yet.
"""


def _hub_with_versions(root: Path) -> None:
    """acme/emb: versions 1 and 2 with archives, 3 a placeholder (no asset)."""
    write_publisher(root, "acme", "Acme")
    for version in (1, 2):
        doc = write_model_doc(root, f"acme/emb/{version}", description=f"Version {version}.")
        make_tar_gz(doc.with_name(f"{version}.tar.gz"), {"saved_model.pb": bytes([version])})
    (root / "assets/docs/acme/models/emb/3.md").write_text(PLACEHOLDER_DOC)


def test_a_placeholder_as_the_highest_version_leaves_latest_at_the_latest_real_version(tmp_path):
    """The latest handle answered 404 ("3 is a placeholder"): tfhub.dev's latest is the newest
    version one can download, as its API's latest_version and the model page say."""
    _hub_with_versions(tmp_path)
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        latest = requests.get(server.url("acme/emb"), params=COMPRESSED, timeout=10)
        two = requests.get(server.url("acme/emb/2"), params=COMPRESSED, timeout=10)
        three = requests.get(server.url("acme/emb/3"), params=COMPRESSED, timeout=10)
        api = requests.get(server.url("api/models/acme/emb"), timeout=10).json()
        page = requests.get(server.url("acme/emb"), timeout=10)
    assert latest.status_code == 200, latest.text
    assert latest.content == two.content
    assert three.status_code == 404 and "placeholder" in three.text
    assert api["latest_version"] == 2
    assert [v["version"] for v in api["versions"]] == [1, 2, 3]
    assert page.status_code == 200 and "Version 2." in page.text


def test_a_hub_of_placeholders_only_still_shows_its_page(tmp_path):
    write_publisher(tmp_path, "acme", "Acme")
    doc = tmp_path / "assets/docs/acme/models/emb/3.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(PLACEHOLDER_DOC)
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        page = requests.get(server.url("acme/emb"), timeout=10)
        latest = requests.get(server.url("acme/emb"), params=COMPRESSED, timeout=10)
    assert page.status_code == 200 and "coming soon" in page.text
    assert latest.status_code == 404 and "placeholder" in latest.text


def test_a_version_with_a_leading_zero_is_not_an_alias(tmp_path):
    """`/acme/emb/01` served version 1: a second handle string, so a second cache entry (the
    cache keys on sha1 of the handle). tfhub.dev's versions have no leading zeros: 404, with
    the handle to use."""
    _hub_with_versions(tmp_path)
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        answers = {
            path: requests.get(server.url(path), params=COMPRESSED, timeout=10)
            for path in ("acme/emb/01", "acme/emb/002", "acme/emb/00", "acme/emb/05")
        }
        page = requests.get(server.url("acme/emb/01"), timeout=10)
        api = requests.get(server.url("api/models/acme/emb/01"), timeout=10)
        canonical = requests.get(server.url("acme/emb/1"), params=COMPRESSED, timeout=10)
    for path, answer in answers.items():
        assert answer.status_code == 404, (path, answer.status_code)
    assert "acme/emb/1" in answers["acme/emb/01"].text, answers["acme/emb/01"].text
    assert "leading zero" in answers["acme/emb/01"].text
    assert "acme/emb has version(s) 1, 2, 3" in answers["acme/emb/05"].text  # No 5 to name.
    assert page.status_code == 404
    assert api.status_code == 404
    assert canonical.status_code == 200
