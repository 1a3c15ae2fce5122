"""A hub started without --uncompressed-base refuses tf-hub-format=uncompressed (406) and says
how to stop asking for it: TFHUB_MODEL_LOAD_FORMAT, or, for the tools, their absl flag
--tfhub_model_load_format, which a user of make_image_classifier gives instead (rf53c: the
answer named only the variable the user never set)."""

from __future__ import annotations

from tests._helpers.archives import make_tar_gz
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub.app import create_app
from tfhub.hub.settings import ServeSettings


def test_an_uncompressed_request_is_told_both_ways_to_ask_for_archives(tmp_path):
    root = tmp_path / "root"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"), {"saved_model.pb": b"pb"})
    app = create_app(ServeSettings(root=str(root), access_log=False, cache_dir=str(tmp_path / "c")))
    status, body = asgi_request(app, "GET", b"/acme/emb/1", b"tf-hub-format=uncompressed")
    assert status == 406
    text = body.decode()
    assert "TFHUB_MODEL_LOAD_FORMAT" in text and "--tfhub_model_load_format" in text
    assert "COMPRESSED" in text
