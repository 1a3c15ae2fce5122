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
"""

from __future__ import annotations

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub60")
    root = tmp / "hub"
    write_publisher(root, "acme", "Acme")
    make_tar_gz(write_model_doc(root, "acme/emb/1", asset="1.tar.gz").with_name("1.tar.gz"))
    (root / "bucket" / "emb").mkdir(parents=True)
    make_tar_gz(root / "bucket" / "emb" / "3.tar.gz")  # No doc: tfhub.dev's bucket layout.
    settings = ServeSettings(root=str(root), cache_dir=str(tmp / "cache"))
    with BackgroundServer(settings) as running:
        yield running


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
