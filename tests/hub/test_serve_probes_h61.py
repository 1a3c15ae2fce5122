"""Session 61 probes of `tfhub serve` (one served hub for all, granian, no TensorFlow).

1. A query sent as raw UTF-8 bytes (`curl 'http://hub/?q=Zürich'`: curl, wget and scripts send
   the bytes as typed; browsers percent-encode them) was read as Latin-1 (Starlette's reading of
   the ASGI `query_string`): the search looked for `ZÃ¼rich` and found nothing, the page's title
   and search box showed `ZÃ¼rich`, and the access log wrote it. The path of the same request
   was read as UTF-8 (`/acme/émb/1`'s 404 named `émb`). Now the query's bytes are read as UTF-8
   too, as their percent-encoded form (`?q=Z%C3%BCrich`) always was. (`--server uvicorn`
   refuses such a request line with 400, as h11 does; granian, the default, passes the bytes.)
2. A filter named as docs and each version's `metadata` in the API spell its key
   (`?network-architecture=transformer`, `?module-type=...`) was ignored: every model was
   listed, unfiltered, on the pages and in the API. It now filters as `architecture=` (and
   `task=`) do.
"""

from __future__ import annotations

import time

import pytest
import requests
from tests._helpers.hub_server import (
    raw_target_get,
    serve_hub,
    write_model_doc,
    write_publisher,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """The running hub: acme/emb/1, described in German and Chinese."""
    tmp = tmp_path_factory.mktemp("hub61")
    root = tmp / "hub"
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "acme/emb/1", description="Ein Modell aus Zürich, 模型.")
    write_model_doc(
        root,
        "acme/other/1",
        description="Another model.",
        architecture="transformer",
        task="image-classification",
    )
    with serve_hub(root, tmp / "serve.log", "--cache-dir", str(tmp / "cache")) as running:
        yield running


@pytest.mark.parametrize("word", ["Zürich", "zürich", "模型"])
def test_a_raw_utf8_query_searches_as_its_percent_encoded_form(server, word: str) -> None:
    encoded = requests.get(server.url("/api/models"), params={"q": word}, timeout=30).json()
    assert [model["handle"] for model in encoded["models"]] == ["acme/emb"]
    status, body = raw_target_get(server.port, f"/api/models?q={word}".encode())
    assert status.endswith("200 OK")
    assert '"handle":"acme/emb"' in body.replace(" ", "")
    assert '"total":1' in body.replace(" ", "")


def test_a_raw_utf8_query_is_shown_as_sent_on_the_page_and_in_the_log(server) -> None:
    status, body = raw_target_get(server.port, "/?q=Zürich&page-mark=61".encode())
    assert status.endswith("200 OK")
    assert "<title>Zürich – search" in body and 'value="Zürich"' in body
    assert "Ã" not in body and "/acme/emb/" in body
    deadline = time.monotonic() + 10  # The server logs a request after its answer is sent.
    while "page-mark=61" not in server.access_log() and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = [line for line in server.access_log().splitlines() if "page-mark=61" in line]
    assert logged == [logged[0]] and "?q=Z%C3%BCrich&" in logged[0], logged


def test_the_path_of_a_raw_utf8_request_was_already_read_as_utf8(server) -> None:
    """The twin the query now agrees with: the 404 of `/acme/émb/1` names `émb`."""
    status, body = raw_target_get(server.port, "/acme/émb/1".encode())
    assert status.endswith("404 Not Found")
    assert "/acme/émb/1" in body


def test_the_fixture_hub_has_two_models(server) -> None:
    """Guards the searches above: `acme/other` is there and not found by them."""
    answer = requests.get(server.url("/api/models"), timeout=30).json()
    assert answer["total"] == 2


@pytest.mark.parametrize(
    "query",
    [
        {"network-architecture": "transformer"},
        {"architecture": "transformer"},
        {"module-type": "image-classification"},
        {"task": "image-classification", "network-architecture": "transformer"},
    ],
)
def test_a_filter_named_by_its_doc_key_filters(server, query: dict[str, str]) -> None:
    answer = requests.get(server.url("/api/models"), params=query, timeout=30).json()
    assert [model["handle"] for model in answer["models"]] == ["acme/other"]
    page = requests.get(server.url("/"), params=query, timeout=30).text
    assert "/acme/other/" in page and "/acme/emb/" not in page


def test_the_canonical_filter_wins_over_its_doc_key(server) -> None:
    query = {"architecture": "mlp", "network-architecture": "transformer"}
    answer = requests.get(server.url("/api/models"), params=query, timeout=30).json()
    assert [model["handle"] for model in answer["models"]] == ["acme/emb"]
