"""The same ROOT behind nginx, with the protocol mapping of archives done by nginx itself.

nginx runs with the configuration `tfhub serve --print-nginx-config` prints (the shipped
template): versioned archives come from ROOT with nginx's sendfile even while tfhub serve is
down; pages, latest-version URLs and folder versions are proxied to tfhub serve.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest
import requests
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.hub_server import (
    free_port,
    nginx_binary,
    run_nginx,
    serve_hub,
    write_model_doc,
    write_model_folder,
    write_publisher,
)

import tfhub as hub
from tfhub import errors
from tfhub.hub.middleware import SECURITY_HEADERS
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
    write_model_folder(doc2)
    outside = make_tar_gz(tmp_path / "secret.tar.gz", {"saved_model.pb": b"secret"})
    linked = write_model_doc(root, "lab/linked/1", description="A symlink out of ROOT.")
    linked.with_name("1.tar.gz").symlink_to(outside)
    staged = doc.parent / ".3.publish-0123456789abcdef0123456789abcdef"  # A publish at work.
    staged.mkdir()
    make_tar_gz(staged / "3.tar.gz")
    app_port, nginx_port = free_port(), free_port()
    conf = nginx_config(  # An open hub: nginx sends archives without asking tfhub serve.
        str(root), upstream=f"127.0.0.1:{app_port}", listen=f"127.0.0.1:{nginx_port}", auth=False
    )
    with run_nginx(conf, tmp_path / "nginx", port=nginx_port) as base:
        url = f"{base}/lab/vision/m/1?tf-hub-format=compressed"
        whole = requests.get(url, timeout=10)  # tfhub serve is not even running yet.
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["Server"].startswith("nginx")
        for name, value in SECURITY_HEADERS.items():  # As tfhub serve sends on every answer.
            assert whole.headers[name] == value, name
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


def _prefix_proxy(port: int, app_port: int, *, strip: bool) -> str:
    """An nginx `server` that publishes the hub below /hub/, as a team's existing site would:
    passing the prefix on (`proxy_pass http://app;`) or stripping it (`.../;`)."""
    target = f"http://127.0.0.1:{app_port}{'/' if strip else ''}"
    return f"""server {{
    listen 127.0.0.1:{port};
    location = /healthz {{ return 200 "ok"; }}
    location /hub/ {{ proxy_pass {target}; proxy_set_header Host $http_host; }}
}}
"""


def test_a_hub_below_a_path_answers_through_either_kind_of_proxy(tmp_path):
    """`--base-url https://corp.example/hub` made the pages link to /hub/..., but the server
    answered only at /: behind a proxy that passes the path on (nginx's `proxy_pass` without a
    URI, the usual form), or opened directly, every page, archive and link was a 404."""
    root = tmp_path / "root"
    write_publisher(root, "lab", "Lab")
    doc = write_model_doc(root, "lab/m/1", description="Version one.")
    make_tar_gz(doc.with_name("1.tar.gz"))
    app_port, passing, stripping = free_port(), free_port(), free_port()
    base_url = f"http://127.0.0.1:{passing}/hub"
    log = tmp_path / "serve.log"
    with (
        serve_hub(root, log, "--base-url", base_url, port=app_port) as app,
        run_nginx(_prefix_proxy(passing, app_port, strip=False), tmp_path / "n1", port=passing),
        run_nginx(_prefix_proxy(stripping, app_port, strip=True), tmp_path / "n2", port=stripping),
    ):
        for proxy in (f"http://127.0.0.1:{passing}", f"http://127.0.0.1:{stripping}", app.url()):
            hub_url = f"{proxy.rstrip('/')}/hub"
            page = requests.get(f"{hub_url}/lab/m/1", timeout=10)
            assert page.status_code == 200 and "Version one." in page.text, proxy
            found = re.findall(r'(?:href|src)="([^"]+)"', page.text)
            # Not the doc's own links, nor in-page anchors (the "Skip to content" link, #main).
            links = [link for link in found if "example.com" not in link and link[:1] != "#"]
            # The CSS is linked by path only (the CSP's 'self' must cover it), the rest in full.
            public = [urllib.parse.urljoin(base_url, link) for link in links]
            assert len(links) >= 5 and all(link.startswith(f"{base_url}/") for link in public)
            for link in links:  # Every link of the page answers (the CSS, the API, the archive).
                local = urllib.parse.urljoin(page.url, link).replace(base_url, hub_url)
                assert requests.get(local, timeout=10).status_code == 200, local
            assert requests.get(f"{hub_url}/", timeout=10).status_code == 200
            assert read_tree(hub.resolve(f"{hub_url}/lab/m/1")) == MODEL_FILES
        assert requests.get(app.url("lab/m/1"), timeout=10).status_code == 200  # Also at /.
        assert requests.get(app.url("hubx/lab/m/1"), timeout=10).status_code == 404
    logged = log.read_text()
    assert '"GET /hub/lab/m/1" 200' in logged and '"GET /lab/m/1" 200' in logged  # As asked.


def test_the_printed_config_serves_below_the_base_urls_path(tmp_path):
    """`--print-nginx-config` with `--base-url https://host/ml.hub`: nginx sends versioned
    archives itself below /ml.hub/ (the config ignored the path, so they went to tfhub serve
    or nowhere) and proxies the rest there; a path that cannot go into a config is refused."""
    root = tmp_path / "root"
    write_publisher(root, "lab", "Lab")
    doc = write_model_doc(root, "lab/m/1", description="Version one.")
    data = open(make_tar_gz(doc.with_name("1.tar.gz")), "rb").read()
    app_port, nginx_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{nginx_port}/ml.hub"
    conf = nginx_config(
        str(root), upstream=f"127.0.0.1:{app_port}", listen=f"127.0.0.1:{nginx_port}",
        base_url=base_url, auth=False,
    )  # fmt: skip
    with run_nginx(conf, tmp_path / "nginx", port=nginx_port):
        archive = requests.get(f"{base_url}/lab/m/1?tf-hub-format=compressed", timeout=10)
        assert archive.status_code == 200 and archive.content == data  # tfhub serve is down.
        assert archive.headers["Server"].startswith("nginx")
        with serve_hub(root, tmp_path / "serve.log", "--base-url", base_url, port=app_port):
            page = requests.get(f"{base_url}/lab/m/1", timeout=10)
            assert page.status_code == 200 and 'href="/ml.hub/static/hub.css"' in page.text
            assert read_tree(hub.resolve(f"{base_url}/lab/m")) == MODEL_FILES  # Latest: proxied.
    with pytest.raises(errors.ServeConfigError, match="must be plain segments"):
        nginx_config(str(root), upstream="h:1", listen="80", base_url="https://h/a;b")
