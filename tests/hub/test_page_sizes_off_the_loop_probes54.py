"""rf54c-F2: a model page measured its versions' sizes (a walk of each folder version) on the
event loop: six views of a page whose folder version held 60,000 files made `/healthz` wait
3.9 s, while the JSON API, which measures the same sizes in a worker thread (lead47), held up
nothing."""

from __future__ import annotations

import threading
from typing import Any

from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_model_folder, write_publisher

from tfhub.hub import pages
from tfhub.hub.app import create_app
from tfhub.hub.settings import ServeSettings


def test_a_model_page_measures_its_versions_off_the_event_loop(tmp_path, monkeypatch):
    write_publisher(tmp_path, "acme", "Acme")
    write_model_folder(write_model_doc(tmp_path, "acme/emb/1", asset="1"))
    write_model_folder(write_model_doc(tmp_path, "acme/emb/2", asset="2"))
    app = create_app(ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0))
    loop_thread = threading.get_ident()  # asgi_request runs the app's loop in this thread.
    threads: set[int] = set()
    measured = pages.version_size

    def sized(*args: Any, **kwargs: Any) -> Any:
        threads.add(threading.get_ident())
        return measured(*args, **kwargs)

    monkeypatch.setattr(pages, "version_size", sized)
    status, body = asgi_request(app, "GET", b"/acme/emb/2")
    assert status == 200 and b"acme/emb" in body
    assert b"<td>-</td>" not in body  # Both folder versions measured (a size, not "-").
    assert len(threads) >= 1 and loop_thread not in threads, threads
