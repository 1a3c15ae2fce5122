"""rf54c-F1: one search request held the whole worker for seconds. The index page and
`/api/models` searched on the event loop (every other request of the worker, downloads too,
waited), and a compound query word (`aaa.aab.aac...`) that matched nothing asked for every one
of its parts, past the 16 words a query is read for: an 8 KB query took 12 s on a hub of 3,000
docs, and 4 of them made a model page wait 53 s."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub import search
from tfhub.hub.app import create_app
from tfhub.hub.catalog import Catalog
from tfhub.hub.search import MAX_QUERY_WORDS, SearchIndex
from tfhub.hub.settings import ServeSettings

# One compound word of ~1,900 parts of three letters (7,900 characters, inside the 8 KB target).
LONG_COMPOUND = ".".join(
    a + b + c for a in "abcdefghijklmnopqrstuvwxyz" for b in "aeiouy" for c in "bcdfghjklmnp"
)[:7900]


def _hub(root: Any) -> Any:
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "acme/emb/1", description="Embeddings of aab abe aca.")
    write_model_doc(root, "acme/other/1", description="Another model.")
    return root


def _counted_lookups(index: SearchIndex, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The words `index` looks up in its vocabulary from now on (each a prefix scan)."""
    asked: list[str] = []
    matching = SearchIndex._matching

    def counting(self: SearchIndex, word: str) -> dict[str, int]:
        asked.append(word)
        return matching(self, word)

    monkeypatch.setattr(SearchIndex, "_matching", counting)
    return asked


def test_a_compound_query_word_asks_for_at_most_the_first_16_parts(tmp_path, monkeypatch):
    index = SearchIndex.build(Catalog.scan(_hub(tmp_path)))
    asked = _counted_lookups(index, monkeypatch)
    assert index.search(LONG_COMPOUND) == []
    assert len(LONG_COMPOUND.split(".")) > 1000
    assert len(asked) <= 1 + MAX_QUERY_WORDS, len(asked)  # The word whole, then its parts.


def test_the_parts_stop_being_asked_once_no_model_has_them_all(tmp_path, monkeypatch):
    index = SearchIndex.build(Catalog.scan(_hub(tmp_path)))
    asked = _counted_lookups(index, monkeypatch)
    assert index.search("zzzq-aab-abe-aca") == []  # `zzzq` is in no doc: the rest is not asked.
    assert asked == ["zzzq-aab-abe-aca", "zzzq"]


def test_a_compound_of_up_to_16_parts_still_finds_its_model(tmp_path):
    index = SearchIndex.build(Catalog.scan(_hub(tmp_path)))
    assert [model.handle for model in index.search("aab-abe-aca-embeddings")] == ["acme/emb"]
    assert [model.handle for model in index.search("efficient-aab")] == []


@pytest.mark.parametrize(
    ("path", "query"),
    [(b"/", b"q=emb"), (b"/api/models", b"q=emb"), (b"/", b"task=text-embedding")],
)
def test_searches_run_off_the_event_loop(tmp_path, monkeypatch, path, query):
    app = create_app(ServeSettings(root=str(_hub(tmp_path)), access_log=False, rescan_seconds=0))
    loop_thread = threading.get_ident()  # asgi_request runs the app's loop in this thread.
    threads: set[int] = set()
    searched, counted = SearchIndex.search, SearchIndex.facet_counts

    def search_in(self: SearchIndex, *args: Any, **kwargs: Any) -> Any:
        threads.add(threading.get_ident())
        return searched(self, *args, **kwargs)

    def count_in(self: SearchIndex, *args: Any, **kwargs: Any) -> Any:
        threads.add(threading.get_ident())
        return counted(self, *args, **kwargs)

    monkeypatch.setattr(search.SearchIndex, "search", search_in)
    monkeypatch.setattr(search.SearchIndex, "facet_counts", count_in)
    status, body = asgi_request(app, "GET", path, query)
    assert status == 200 and b"acme/emb" in body
    assert threads and loop_thread not in threads, threads
