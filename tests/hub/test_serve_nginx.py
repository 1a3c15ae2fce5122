"""The same ROOT behind nginx, with the protocol mapping of archives done by nginx itself.

nginx runs with the configuration `tfhub serve --print-nginx-config` prints (the shipped
template): versioned archives come from ROOT with nginx's sendfile even while tfhub serve is
down; pages, latest-version URLs and folder versions are proxied to tfhub serve.
"""

from __future__ import annotations

import pytest
import requests
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.hub_server import (
    free_port,
    nginx_binary,
    run_nginx,
    serve_hub,
    write_model_doc,
    write_publisher,
)

import tfhub as hub
from tfhub.hub.nginx import nginx_config

pytestmark = pytest.mark.skipif(
    nginx_binary() is None, reason="nginx is not installed (apt-get install nginx)"
)


def test_nginx_serves_archives_and_proxies_the_rest(tmp_path):
    root = tmp_path / "root"
    write_publisher(root, "lab", "Lab")
    doc = write_model_doc(root, "lab/vision/m/1", description="Version one.")
    archive = make_tar_gz(doc.with_name("1.tar.gz"))
    data = open(archive, "rb").read()
    doc2 = write_model_doc(root, "lab/vision/m/2", description="Version two, a folder.")
    for name, content in MODEL_FILES.items():
        (doc2.parent / "2" / name).parent.mkdir(parents=True, exist_ok=True)
        (doc2.parent / "2" / name).write_bytes(content)
    outside = make_tar_gz(tmp_path / "secret.tar.gz", {"saved_model.pb": b"secret"})
    linked = write_model_doc(root, "lab/linked/1", description="A symlink out of ROOT.")
    linked.with_name("1.tar.gz").symlink_to(outside)
    staged = doc.parent / ".3.publish-0123456789abcdef0123456789abcdef"  # A publish at work.
    staged.mkdir()
    make_tar_gz(staged / "3.tar.gz")
    app_port, nginx_port = free_port(), free_port()
    conf = nginx_config(
        str(root), upstream=f"127.0.0.1:{app_port}", listen=f"127.0.0.1:{nginx_port}"
    )
    with run_nginx(conf, tmp_path / "nginx", port=nginx_port) as base:
        url = f"{base}/lab/vision/m/1?tf-hub-format=compressed"
        whole = requests.get(url, timeout=10)  # tfhub serve is not even running yet.
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["Server"].startswith("nginx")
        etag = whole.headers["ETag"]
        part = requests.get(url, headers={"Range": "bytes=7-", "If-Range": etag}, timeout=10)
        assert part.status_code == 206 and part.content == data[7:]
        assert requests.get(url, headers={"If-None-Match": etag}, timeout=10).status_code == 304
        assert requests.head(url, timeout=10).headers["Content-Length"] == str(len(data))
        assert requests.get(f"{base}/lab/vision/m/1", timeout=10).status_code == 502
        # Like tfhub serve, nginx sends no archive through a symlink or a hidden folder: it asks
        # tfhub serve (down here: 502), which refuses them.
        for path in ("lab/linked/1", "lab/vision/m/.3.publish-0123456789abcdef0123456789abcdef/3"):
            answer = requests.get(f"{base}/{path}?tf-hub-format=compressed", timeout=10)
            assert answer.status_code == 502, (path, answer.status_code)
        with serve_hub(root, tmp_path / "serve.log", port=app_port) as app:
            page = requests.get(f"{base}/lab/vision/m/1", timeout=10)
            assert page.status_code == 200 and "Version one." in page.text
            assert read_tree(hub.resolve(f"{base}/lab/vision/m")) == MODEL_FILES  # Latest: 2.
            assert read_tree(hub.resolve(f"{base}/lab/vision/m/1")) == MODEL_FILES
            linked_url = f"{base}/lab/linked/1?tf-hub-format=compressed"
            assert requests.get(linked_url, timeout=10).status_code == 404
            log = app.access_log()
    assert "GET /lab/vision/m?tf-hub-format=compressed" in log  # Proxied: latest is the app's.
    assert "GET /lab/vision/m/1?tf-hub-format=compressed" not in log  # nginx sent that one.
