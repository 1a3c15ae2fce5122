"""rv63a-4: a repeated `tf-hub-format` is refused (400) only when its values ask for different
formats as this hub reads them. Before, `conflicting_formats` read each value as a hub with
`--uncompressed-base` does: on a hub without it, `uncompressed,compressed` (which it reads as
compressed) beside `compressed` was answered 400 "different formats"."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_model_folder

from tfhub.hub.app import create_app
from tfhub.hub.settings import ServeSettings

QUERY = b"tf-hub-format=uncompressed,compressed&tf-hub-format=compressed"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hub with one folder version, acme/fold/1."""
    root = tmp_path_factory.mktemp("hub")
    write_model_folder(write_model_doc(root, "acme/fold/1"))
    return root


def test_values_this_hub_reads_alike_are_served(hub, tmp_path):
    app = create_app(ServeSettings(root=str(hub), cache_dir=str(tmp_path / "c"), rescan_seconds=0))
    status, body = asgi_request(app, "GET", b"/acme/fold/1", QUERY)
    assert status == 200, body
    assert body[:2] == b"\x1f\x8b"  # The archive (gzip).


def test_values_a_hub_with_an_uncompressed_base_reads_apart_are_refused(hub, tmp_path):
    settings = ServeSettings(
        root=str(hub),
        cache_dir=str(tmp_path / "c"),
        rescan_seconds=0,
        uncompressed_base="gs://bucket/hub",
    )
    status, body = asgi_request(create_app(settings), "GET", b"/acme/fold/1", QUERY)
    assert status == 400, body
    assert b"different formats" in body
