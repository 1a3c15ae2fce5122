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
            "'asset-path' is a URL that names a port that is not a port number (1 to 65535)",
        ),
        (  # Nothing listens on port 0: mirror failed at its download.
            "http://127.0.0.1:0/x.tar.gz",
            "'asset-path' is a URL that names a port that is not a port number (1 to 65535)",
        ),
        (
            "https://example.com:http/x.tar.gz",
            "'asset-path' is a URL that names a port that is not a port number (1 to 65535)",
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


@pytest.mark.parametrize("asset", ["file:///etc/x.tar.gz", "ftp://h/x.tar.gz", "s3://b/x.tar.gz"])
def test_validate_says_an_asset_url_of_another_scheme_is_one(tmp_path, asset):
    """A file:// (ftp://, s3://) asset-path was reported as a file missing beside the doc, and
    `tfhub mirror --from-docs` skipped it without a word."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", asset=asset)
    scheme = asset.split(":")[0]
    message = (
        f"'asset-path' is a {scheme}:// URL, which a hub does not fetch (`tfhub mirror` skips "
        f"it): give an http(s) or gs:// URL, or a file beside the doc. Received: {asset!r}"
    )
    assert [(p.line, p.message) for p in validator.validate_tree(tmp_path)] == [(4, message)]


def test_a_local_asset_path_with_a_colon_is_still_a_file_beside_the_doc(tmp_path):
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1", asset="model:1.tar.gz")
    (doc.parent / "model:1.tar.gz").write_bytes(b"")
    messages = [p.message for p in validator.validate_tree(tmp_path)]
    assert not any("URL" in message or "does not exist" in message for message in messages)


@pytest.mark.parametrize(
    ("asset", "secret"),
    [
        ("https://reader:s3cret@example.com/x.tar.gz", "s3cret"),
        ("https://bucket.s3.amazonaws.com/x.tar.gz?X-Amz-Signature=abc123def", "abc123def"),
        ("https://example.com/x.tar.gz?access_token=tok987", "tok987"),
    ],
)
def test_validate_refuses_an_asset_url_with_credentials_without_printing_them(
    tmp_path, capsys, asset, secret
):
    """A doc's asset-path is shown to every visitor (the model's page, its doc, /api/models):
    credentials in it were accepted and published. The problem names it redacted."""
    from tfhub.cli.main import main

    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", asset=asset)
    problems = validator.validate_tree(tmp_path)
    assert [p.line for p in problems] == [4]
    assert "'asset-path' holds credentials" in problems[0].message
    assert "tfhub mirror URL ROOT --as HANDLE" in problems[0].message
    assert "***" in problems[0].message and secret not in problems[0].message
    assert main(["validate", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert secret not in out + err and "holds credentials" in out
