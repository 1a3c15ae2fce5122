"""rf54c-F4: a browser saved the model page's "Archive" link (`.../1?tf-hub-format=compressed`)
as `1.tar`, gzip bytes under a .tar name: the answer had `Content-Type: application/x-tar` and
no `Content-Disposition`, so the browser named the file after the URL's last segment and the
type (`emb.tar` for the latest URL). Archives now carry tfhub.dev's storage name,
`<version>.tar.gz`, from tfhub serve and from nginx's config alike."""

from __future__ import annotations

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import (
    free_port,
    nginx_binary,
    run_nginx,
    serve_hub,
    write_model_doc,
    write_model_folder,
    write_publisher,
)

from tfhub.hub.nginx import nginx_config

DISPOSITION = 'attachment; filename="{}.tar.gz"'


def _hub(root):
    write_publisher(root, "acme", "Acme")
    make_tar_gz(write_model_doc(root, "acme/emb/1", asset="1.tar.gz").with_name("1.tar.gz"))
    write_model_folder(write_model_doc(root, "acme/emb/2", asset="2"))
    (root / "bucket" / "emb").mkdir(parents=True)
    make_tar_gz(root / "bucket" / "emb" / "3.tar.gz")  # No doc: tfhub.dev's bucket layout.
    return root


def test_tfhub_serve_names_the_archive_version_tar_gz(tmp_path):
    with serve_hub(_hub(tmp_path / "root"), tmp_path / "serve.log") as server:
        for path, version in [
            ("acme/emb/1", 1),
            ("acme/emb/2", 2),
            ("acme/emb", 2),
            ("bucket/emb/3", 3),
        ]:
            url = server.url(f"{path}?tf-hub-format=compressed")
            for answer in (requests.get(url, timeout=30), requests.head(url, timeout=30)):
                assert answer.status_code == 200, (path, answer.status_code)
                assert answer.headers.get("Content-Disposition") == DISPOSITION.format(version)


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_names_the_archive_version_tar_gz(tmp_path):
    root = _hub(tmp_path / "root")
    nginx_port = free_port()
    conf = nginx_config(
        str(root), upstream=f"127.0.0.1:{free_port()}", listen=f"127.0.0.1:{nginx_port}", auth=False
    )
    with run_nginx(conf, tmp_path / "nginx", port=nginx_port) as base:
        whole = requests.get(f"{base}/acme/emb/1?tf-hub-format=compressed", timeout=10)
    assert whole.status_code == 200 and whole.headers["Server"].startswith("nginx")
    assert whole.headers.get("Content-Disposition") == DISPOSITION.format(1)
