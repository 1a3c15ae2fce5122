"""`tfhub validate` reports metadata values nothing can use: an asset-path URL that cannot be
fetched whatever the network, an empty value.

`http:///x.tar.gz` (no host) and `http://host:99999/x.tar.gz` (no port number) passed
validate; `tfhub mirror --from-docs` then failed on them, one at a time.
"""

from __future__ import annotations

import pytest
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub import validator


@pytest.mark.parametrize(
    ("asset", "reported"),
    [
        ("http:///x.tar.gz", "'asset-path' is a URL that names no host"),
        ("https://:443/x.tar.gz", "'asset-path' is a URL that names no host"),
        ("gs:///x.tar.gz", "'asset-path' is a URL that names no bucket (gs://BUCKET/PATH)"),
        (
            "http://127.0.0.1:99999/x.tar.gz",
            "'asset-path' is a URL whose port is not a port number (0-65535)",
        ),
        (
            "https://example.com:http/x.tar.gz",
            "'asset-path' is a URL whose port is not a port number (0-65535)",
        ),
    ],
)
def test_validate_reports_an_asset_url_without_host_or_port(tmp_path, asset, reported):
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", asset=asset)
    problems = validator.validate_tree(tmp_path)
    assert [(p.line, p.message) for p in problems] == [(4, f"{reported}. Received: {asset!r}")]


@pytest.mark.parametrize(
    "asset",
    [
        "https://example.com/x.tar.gz",
        "http://127.0.0.1:8000/hub/x.tar.gz",
        "http://[::1]:8000/x.tar.gz",
        "gs://bucket/x.tar.gz",
    ],
)
def test_validate_accepts_asset_urls_with_host_and_port(tmp_path, asset):
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", asset=asset)
    assert validator.validate_tree(tmp_path) == []


@pytest.mark.parametrize("key", ["language", "dataset", "license", "network-architecture"])
def test_validate_reports_a_metadata_line_without_a_value(tmp_path, key):
    """`<!-- language: -->` passed, and the index's filters and /api/facets listed an empty
    language (tfhub.dev's tag lists refused it)."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1")
    lines = doc.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if text.startswith(f"<!-- {key}:"))
    lines[line] = f"<!-- {key}:  -->"
    doc.write_text("\n".join(lines) + "\n")
    problems = validator.validate_tree(tmp_path)
    message = f"metadata {key!r} has no value: give one, or leave the line out"
    assert [(p.line, p.message) for p in problems] == [(line + 1, message)]
