"""`tfhub serve` behind a reverse proxy on the same host, without --base-url: the pages and the
API write the URL the client used, its scheme from `X-Forwarded-Proto` (nginx's config sets it),
with granian as with uvicorn."""

from __future__ import annotations

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher

# What nginx's config (`tfhub serve --print-nginx-config`) sends for an https request.
PROXIED = {
    "Host": "hub.corp.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "203.0.113.7",
}


@pytest.mark.parametrize("server_name", ["granian", "uvicorn"])
def test_urls_behind_a_tls_proxy_are_https(tmp_path, server_name):
    """granian ignored X-Forwarded-Proto (uvicorn reads it from 127.0.0.1): behind nginx with
    TLS, the default server's snippets and API said http://, a URL the proxy may not answer."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", asset="1.tar.gz")
    make_tar_gz(doc.with_name("1.tar.gz"))
    log = tmp_path / "serve.log"
    with serve_hub(root, log, "--server", server_name, "--rescan", "0") as running:
        page = requests.get(running.url("acme/emb/1"), headers=PROXIED, timeout=30).text
        api = requests.get(running.url("api/models/acme/emb"), headers=PROXIED, timeout=30)
        direct = requests.get(running.url("api/models/acme/emb"), timeout=30).json()
    assert 'hub.load("https://hub.corp.example/acme/emb/1")' in page
    assert api.json()["versions"][0]["url"] == "https://hub.corp.example/acme/emb/1"
    assert direct["versions"][0]["url"] == running.url("acme/emb/1")  # Not proxied: as asked.
    assert "203.0.113.7 [" in log.read_text()  # The access log names the proxy's client.


@pytest.mark.parametrize("server_name", ["granian", "uvicorn"])
def test_a_proxy_sending_only_the_scheme_is_believed_too(tmp_path, server_name):
    """Only X-Forwarded-Proto (`proxy_set_header X-Forwarded-Proto $scheme;` alone): uvicorn
    read it, granian's own wrapper reads it only beside X-Forwarded-For."""
    root = tmp_path / "hub"
    write_model_doc(root, "acme/emb/1")
    headers = {"Host": "hub.corp.example", "X-Forwarded-Proto": "https"}
    with serve_hub(root, tmp_path / "serve.log", "--server", server_name) as running:
        api = requests.get(running.url("api/models/acme/emb"), headers=headers, timeout=30)
        spoofed = {**headers, "X-Forwarded-Proto": "javascript"}
        other = requests.get(running.url("api/models/acme/emb"), headers=spoofed, timeout=30)
    assert api.json()["versions"][0]["url"] == "https://hub.corp.example/acme/emb/1"
    assert other.json()["versions"][0]["url"] == "http://hub.corp.example/acme/emb/1"
