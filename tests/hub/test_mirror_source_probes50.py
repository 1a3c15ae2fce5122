"""review50b-F5: a source hub whose JSON API names a `latest_version` outside the handle grammar
(-1, 22 digits) is not blamed on the user's handle: mirror says it cannot tell the handle, to
pass --as, and a warning names the API URL and the value."""

from __future__ import annotations

import http.server
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from tfhub import errors
from tfhub.hub import mirror


def _source(latest: object) -> http.server.ThreadingHTTPServer:
    """A hub API answering /api/models/acme/emb with `latest` as latest_version."""
    body = json.dumps(
        {
            "handle": "acme/emb",
            "latest_version": latest,
            "versions": [{"version": latest, "doc_markdown": f"# Module acme/emb/{latest}\nX.\n"}],
        }
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path.startswith("/api/models/acme/emb")
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture(params=[-1, 1234567890123456789012])
def source(request) -> Iterator[tuple[str, object]]:
    server = _source(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/acme/emb", request.param
    finally:
        server.shutdown()
        server.server_close()


def test_a_bad_latest_version_of_the_source_api_is_not_blamed_on_the_handle(
    source, tmp_path, caplog
):
    url, latest = source
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.mirror_source"):
        with pytest.raises(errors.InvalidHandleError) as caught:
            mirror.mirror(url, tmp_path / "hub")
    message = str(caught.value)
    assert message.startswith(f"Cannot tell the hub handle of {url!r}:")
    assert "pass --as publisher/model/version" in message
    assert "shorten it" not in message and "acme/emb/-1" not in message
    assert (
        f"The hub's JSON API at {url.replace('/acme/emb', '/api/models/acme/emb')} names "
        f"latest_version {latest}, which is not a version" in caplog.text
    )
    assert not (tmp_path / "hub").exists()
