"""tfhub.server.serve_models: the hub server in a thread, over a plain folder of archives."""

from __future__ import annotations

import http.client

import requests
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree

import tfhub as hub
from tfhub.server import serve_models


def test_hosting_protocol_ranges_and_404(tmp_path):
    (tmp_path / "models" / "m").mkdir(parents=True)
    archive = make_tar_gz(tmp_path / "models" / "m" / "1.tar.gz")
    data = open(archive, "rb").read()
    (tmp_path / "secret.txt").write_text("not an archive")
    with serve_models(str(tmp_path)) as server:
        assert server.url("x").startswith("http://127.0.0.1:")
        path = hub.resolve(server.url("models/m/1"))
        assert read_tree(path) == MODEL_FILES
        whole = requests.get(server.url("models/m/1.tar.gz"), timeout=10)
        assert whole.content == data and whole.headers["ETag"]
        part = requests.get(
            server.url("models/m/1.tar.gz"),
            timeout=10,
            headers={"Range": "bytes=10-", "If-Range": whole.headers["ETag"]},
        )
        assert part.status_code == 206 and part.content == data[10:]
        stale = requests.get(
            server.url("models/m/1.tar.gz"),
            timeout=10,
            headers={"Range": "bytes=10-", "If-Range": '"old"'},
        )
        assert stale.status_code == 200 and stale.content == data
        assert requests.get(server.url("models/nope"), timeout=10).status_code == 404
        # Only archives of the folder are served, never its other files.
        assert requests.get(server.url("secret.txt"), timeout=10).status_code == 404
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/../../etc/passwd")  # Sent as is (requests would normalize).
        assert connection.getresponse().status in (400, 404)
        connection.close()
