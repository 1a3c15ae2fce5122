"""Second review of the hub's rewrite of a doc's relative links (`render.doc_file_links`,
session 57): each attribute of a tag is read whole, and links the rewrite must not change stay
as written (rev57a).

A doc's body is rendered as the hub's pages render it (`pages.doc_html`, a real `Catalog` of a
hub folder, markdown-it and nh3); the attributes are read back with Python's HTML parser, as a
browser tokenizes them.
"""

from __future__ import annotations

import asyncio
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub import render
from tfhub.hub.app import create_app
from tfhub.hub.catalog import Catalog
from tfhub.hub.pages import doc_html
from tfhub.hub.settings import ServeSettings

BODY = """Raw HTML whose alt text ends with an attribute's name:

<img alt="a chart src=" src="chart.png"> <img alt="see href=" src="pic.png">

- [mail](mailto:team@example.com) [query](?q=emb) [anchor](#usage)
- [quoted](2.md?a=1&b="2") [odd](x"onmouseover=alert(1))
- <a href="../../../\\\\evil.example/x">up</a> <a href="\\\\evil.example/y">lead</a>

```
[in code](2.md) <a href="2.md">raw</a>
```

## Usage
Use it.
"""


class _Tags(HTMLParser):
    """The attributes of each `<a>` and `<img>` (by the text or alt), as a browser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag == "a":
            self.links.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, _Tags]:
    """The doc of acme/emb/1 rendered for a hub at `/` and one below `/hub`."""
    root = tmp_path_factory.mktemp("hub") / "hub"
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "acme/emb/1", body=BODY)
    write_model_doc(root, "acme/emb/2", body="Version two.")
    catalog = Catalog.scan(root)
    found = catalog.find(["acme", "emb", "1"])
    assert found is not None
    doc = found[1].doc
    parsed = {}
    for base in ("http://hub.example", "http://hub.example/hub"):
        tags = _Tags()
        tags.feed(asyncio.run(doc_html(doc.body, base, catalog, doc_path=doc.rel_path)))
        parsed[base.removeprefix("http://hub.example")] = tags
    return parsed


@pytest.mark.parametrize("prefix", ["", "/hub"])
def test_an_alt_text_ending_with_src_or_href_does_not_swallow_the_next_attribute(
    shown: dict[str, _Tags], prefix: str
) -> None:
    """`<img alt="a chart src=" src="chart.png">`: the rewrite read `src="` across alt's closing
    quote as an attribute, and rewrote the text between two attributes (` src=`), leaving
    `<img alt="a chart src="/acme/emb/src="chart.png">`: the browser saw stray attributes and
    the image's own src, as written, unrewritten (broken on `/acme/emb`)."""
    assert shown[prefix].images == [
        {"alt": "a chart src=", "src": f"{prefix}/acme/emb/chart.png"},
        {"alt": "see href=", "src": f"{prefix}/acme/emb/pic.png"},
    ]


@pytest.mark.parametrize("prefix", ["", "/hub"])
def test_links_the_rewrite_leaves_or_escapes(shown: dict[str, _Tags], prefix: str) -> None:
    """Among them, backslashes, which a browser reads as `/` in an http(s) URL: the rewrite
    wrote `../../../\\\\evil.example/x` (on the page, the path `//evil.example/x` of the hub)
    as `/\\\\evil.example/x`, which a browser opens on the host evil.example; and it rewrote
    `\\\\evil.example/y` (another host, as `//evil.example/y`) into a path of the hub. Neither
    is read as it is on the doc's page; now the first stays on the hub, the second as written."""
    hrefs = [link.get("href") for link in shown[prefix].links]
    assert hrefs == [
        "mailto:team@example.com",
        "?q=emb",
        "#user-content-usage",
        f"{prefix}/acme/emb/2?a=1&b=%222%22",
        f"{prefix}/acme/emb/x%22onmouseover=alert(1)",
        "/evil.example/x",
        "\\\\evil.example/y",
    ]
    assert all("onmouseover" not in link for link in shown[prefix].links)
    assert '[in code](2.md) <a href="2.md">raw</a>' in "".join(shown[prefix].text)


def test_the_rewrite_runs_off_the_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`doc_html` rendered a doc in a worker thread, then rewrote its links on the event loop:
    for a doc at the size limit (2,400 links, 150 kB of HTML) `render.doc_file_links` took
    ~21 ms of CPU per request there, on every page view, holding up every other request."""
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1", body="[v2](2.md) [page](../emb/2)")
    write_model_doc(tmp_path, "acme/emb/2", body="Version two.")
    app = create_app(ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0))
    loop_thread = threading.get_ident()  # asgi_request runs the app's loop in this thread.
    threads: set[int] = set()
    rewrite = render.doc_file_links

    def spied(*args: Any, **kwargs: Any) -> str:
        threads.add(threading.get_ident())
        return rewrite(*args, **kwargs)

    monkeypatch.setattr(render, "doc_file_links", spied)
    for path in (b"/acme", b"/acme/emb", b"/acme/emb/1"):
        status, body = asgi_request(app, "GET", path)
        assert status == 200, path
    assert b'href="/acme/emb/2"' in body  # /acme/emb/1's links, rewritten.
    assert len(threads) >= 1 and loop_thread not in threads, threads
