"""The JSON API reads docs and measures folders in a worker thread, not on the event loop: a
64 MiB doc, or a folder version of many files, read in the request's handler held up every
other request of the worker meanwhile (review47b)."""

from __future__ import annotations

import threading
from typing import Any

from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub import api
from tfhub.hub.app import create_app
from tfhub.hub.settings import ServeSettings


def test_docs_and_sizes_are_read_off_the_event_loop(tmp_path, monkeypatch):
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", description="Embeddings.")
    app = create_app(ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0))
    loop_thread = threading.get_ident()  # asgi_request runs the app's loop in this thread.
    threads: dict[str, set[int]] = {"sizes": set(), "docs": set()}
    version_size, file_text = api.version_size, api._file_text

    def sized(*args: Any, **kwargs: Any) -> Any:
        threads["sizes"].add(threading.get_ident())
        return version_size(*args, **kwargs)

    def read(*args: Any, **kwargs: Any) -> Any:
        threads["docs"].add(threading.get_ident())
        return file_text(*args, **kwargs)

    monkeypatch.setattr(api, "version_size", sized)
    monkeypatch.setattr(api, "_file_text", read)
    assert asgi_request(app, "GET", b"/api/models/acme/emb")[0] == 200
    assert asgi_request(app, "GET", b"/api/publishers/acme")[0] == 200
    assert threads["sizes"] and threads["docs"]
    assert loop_thread not in threads["sizes"] | threads["docs"], threads
