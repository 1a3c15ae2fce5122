"""`?tf-hub-format=` as the hosting protocol defines it: "a comma separated list of the model
formats that the client is interested in". A hub started without `--uncompressed-base` serves
compressed archives only; a client listing `uncompressed,compressed` (either will do, the
uncompressed one preferred) was answered 406, although the hub had the format it also accepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub.app import create_app
from tfhub.hub.settings import ServeSettings


@pytest.fixture(scope="module")
def hubs(tmp_path_factory: pytest.TempPathFactory):
    """(app without --uncompressed-base, app with gs://bucket/hub, the archive's bytes)."""
    root = tmp_path_factory.mktemp("hub")
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    archive = Path(make_tar_gz(doc.with_name("1.tar.gz"), folders=True)).read_bytes()
    settings = {"root": str(root), "access_log": False, "rescan_seconds": 0}
    compressed_only = create_app(ServeSettings(**settings))
    both = create_app(ServeSettings(**settings, uncompressed_base="gs://bucket/hub"))
    return compressed_only, both, archive


@pytest.mark.parametrize(
    "query", ["uncompressed,compressed", "uncompressed, compressed", "zip,uncompressed,compressed"]
)
def test_a_list_naming_compressed_gets_the_archive_from_a_compressed_only_hub(hubs, query):
    compressed_only, _, archive = hubs
    status, body = asgi_request(
        compressed_only, "GET", b"/acme/emb/1", f"tf-hub-format={query}".encode()
    )
    assert (status, body) == (200, archive)


def test_the_first_format_the_hub_serves_wins(hubs):
    """With --uncompressed-base the list's order is the client's preference, as before."""
    _, both, archive = hubs
    status, body = asgi_request(
        both, "GET", b"/acme/emb/1", b"tf-hub-format=uncompressed,compressed"
    )
    assert (status, body) == (303, b"gs://bucket/hub/acme/emb/1")
    assert asgi_request(both, "GET", b"/acme/emb/1", b"tf-hub-format=compressed,uncompressed") == (
        200,
        archive,
    )


def test_uncompressed_alone_is_still_refused_saying_why(hubs):
    compressed_only, _, _ = hubs
    status, body = asgi_request(
        compressed_only, "GET", b"/acme/emb/1", b"tf-hub-format=uncompressed"
    )
    assert status == 406 and b"--uncompressed-base" in body
    status, body = asgi_request(compressed_only, "GET", b"/acme/emb/1", b"tf-hub-format=zip")
    assert status == 406 and b"must list 'compressed' or 'uncompressed'" in body
