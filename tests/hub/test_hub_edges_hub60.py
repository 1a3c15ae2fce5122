"""Session 60 probes of the private hub, as users meet it (one in-process server for all).

1. An archive of tfhub.dev's bucket layout (`ROOT/<p>/<m>/<v>.tar.gz`, no doc) asked for by its
   file's own URL (`/bucket/emb/3.tar.gz`, what a `gsutil ls`-style listing or a browser's
   address bar gives) was sent with `Content-Disposition: attachment; filename="3.tar.gz.tar.gz"`:
   the browser saved it under a doubled suffix.
2. The JSON API answered `/api/publishers/acme/` (a trailing slash, as a script joining URLs
   writes it) with "no such API path ... its API is .../api/publishers/<name>", the very path
   asked for, while `/api/models/acme/emb/` and every page (`/acme/`, `/acme/emb/1/`) are
   answered with or without the slash; `/api/models/`, `/api/publishers/` and `/api/facets/`
   were 404s too.
3. nginx in front (`--print-nginx-config`) sent `<version>.tar.gz` whenever the file was in
   the docs folder, with or without its doc: a version unpublished by removing its doc (a
   retracted model), which `tfhub serve`, the pages and the API no longer have (404), was still
   downloaded through nginx.
"""

from __future__ import annotations

import logging
import time

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import (
    free_port,
    nginx_binary,
    run_nginx,
    write_model_doc,
    write_publisher,
)

from tfhub.hub.nginx import nginx_config
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The running server and its ROOT."""
    tmp = tmp_path_factory.mktemp("hub60")
    root = tmp / "hub"
    write_publisher(root, "acme", "Acme")
    make_tar_gz(write_model_doc(root, "acme/emb/1", asset="1.tar.gz").with_name("1.tar.gz"))
    (root / "bucket" / "emb").mkdir(parents=True)
    make_tar_gz(root / "bucket" / "emb" / "3.tar.gz")  # No doc: tfhub.dev's bucket layout.
    retracted = write_model_doc(root, "acme/emb/2", asset="2.tar.gz")
    make_tar_gz(retracted.with_name("2.tar.gz"))
    retracted.unlink()  # Unpublished: its doc removed, its archive left behind.
    settings = ServeSettings(root=str(root), cache_dir=str(tmp / "cache"))
    with BackgroundServer(settings) as running:
        yield running, str(root)


@pytest.fixture(scope="module")
def server(hub):
    return hub[0]


@pytest.mark.parametrize(
    "path", ["bucket/emb/3.tar.gz", "bucket/emb/3.tar.gz?tf-hub-format=compressed"]
)
def test_a_bucket_archive_asked_by_its_file_name_is_saved_under_that_name(server, path):
    expected = requests.get(server.url("bucket/emb/3?tf-hub-format=compressed"), timeout=30)
    for answer in (
        requests.get(server.url(path), timeout=30),
        requests.head(server.url(path), timeout=30),
    ):
        assert answer.status_code == 200, (path, answer.status_code)
        assert answer.headers["Content-Disposition"] == 'attachment; filename="3.tar.gz"'
    assert requests.get(server.url(path), timeout=30).content == expected.content


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("api/models/", "models"),
        ("api/publishers/", "publishers"),
        ("api/publishers/acme/", "doc_markdown"),
        ("api/facets/", "task"),
        ("api/models/acme/emb/", "versions"),
    ],
)
def test_the_api_answers_its_paths_with_a_trailing_slash_as_without(server, path, key):
    slashed = requests.get(server.url(path), timeout=30)
    plain = requests.get(server.url(path.rstrip("/")), timeout=30)
    assert plain.status_code == 200 and key in plain.json()
    assert (slashed.status_code, slashed.json()) == (200, plain.json()), slashed.text


def test_an_unknown_publisher_with_a_slash_is_the_publishers_404_not_an_unknown_path(server):
    answer = requests.get(server.url("api/publishers/nobody/"), timeout=30)
    assert answer.status_code == 404
    assert answer.json()["error"].startswith("404 Not Found: no publisher nobody in this hub")


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install nginx)")
def _access_lines_once(caplog, wanted: str, within: float = 10.0) -> list[str]:
    """The access log's lines once one holds `wanted` (or after `within` seconds): the server
    logs a request after its answer is sent, so the client may read it before the line is."""
    deadline = time.monotonic() + within
    while True:
        logged = [r.getMessage() for r in caplog.records if r.name == "tfhub.hub.access"]
        if any(wanted in line for line in logged) or time.monotonic() > deadline:
            return logged
        time.sleep(0.05)


def test_nginx_sends_no_archive_of_a_version_whose_doc_is_gone(hub, tmp_path, caplog):
    server, root = hub
    port = free_port()
    conf = nginx_config(root, upstream=f"127.0.0.1:{server.port}", listen=f"127.0.0.1:{port}")
    caplog.set_level(logging.INFO, logger="tfhub.hub.access")
    with run_nginx(conf, tmp_path / "nginx", port=port) as base:
        kept = requests.get(f"{base}/acme/emb/1?tf-hub-format=compressed", timeout=30)
        gone = requests.get(f"{base}/acme/emb/2?tf-hub-format=compressed", timeout=30)
    logged = _access_lines_once(caplog, "/acme/emb/2?")
    assert kept.status_code == 200 and kept.content[:2] == b"\x1f\x8b"
    # nginx sent the published version's archive itself (tfhub serve never saw it), and asked
    # tfhub serve about the one whose doc is gone (its answer is the 404 below).
    assert not [line for line in logged if "/acme/emb/1?" in line], logged
    assert [line for line in logged if "/acme/emb/2?" in line], logged
    direct = requests.get(server.url("acme/emb/2?tf-hub-format=compressed"), timeout=30)
    assert direct.status_code == 404
    assert (gone.status_code, gone.text) == (404, direct.text)
