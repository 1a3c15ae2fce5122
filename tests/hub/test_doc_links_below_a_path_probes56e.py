"""A doc's site-absolute links lead into the hub below `--base-url`'s path (rf56e-F4).

docs/hub.md: with `--base-url https://corp.example/hub` the hub answers below `/hub`, the
proxy in front passing only that path on; the pages link there (`/hub/static/hub.css`). A doc's
link written for a hub at `/` (`[emb](/acme/emb/1)`) was shown as `href="/acme/emb/1"`: behind
that proxy, a 404 of the site around the hub.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub.catalog import Catalog
from tfhub.hub.pages import doc_html

DOC = """
- [emb](/acme/emb/1) and [its publisher](/acme) and [the index](/) and [a search](/?q=emb)
- [relative](../emb/1) [fragment](#usage) [other site](//example.com/x) [outside](https://example.com/a)
- ![an image](/acme/chart.png)
- written in code: `<a href="/acme/emb/1">`
- [already below it](/hub/acme/emb/1) [the hub itself](/hub) [another site's path](/hubs/x)

## Usage
"""


def _catalog(tmp_path: Path) -> Catalog:
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/emb/1")
    return Catalog.scan(tmp_path)


def test_site_absolute_links_get_the_base_urls_path(tmp_path: Path) -> None:
    shown = asyncio.run(doc_html(DOC, "https://corp.example/hub", _catalog(tmp_path)))
    assert 'href="/hub/acme/emb/1"' in shown
    assert 'href="/hub/acme"' in shown
    assert 'href="/hub/"' in shown
    assert 'href="/hub/?q=emb"' in shown
    assert 'href="/hub/hubs/x"' in shown
    assert "/hub/hub/" not in shown and 'href="/hub/hub"' not in shown  # Already below it.
    assert 'src="/hub/acme/chart.png"' in shown
    # Left as written: relative links, fragments, other hosts, and text that is no tag.
    assert 'href="../emb/1"' in shown
    assert 'href="#user-content-usage"' in shown
    assert 'href="//example.com/x"' in shown
    assert 'href="https://example.com/a"' in shown
    assert (
        "&lt;a href=&quot;/acme/emb/1&quot;&gt;" in shown or '&lt;a href="/acme/emb/1"&gt;' in shown
    )


def test_a_hub_at_the_root_keeps_them(tmp_path: Path) -> None:
    shown = asyncio.run(doc_html(DOC, "https://corp.example", _catalog(tmp_path)))
    assert 'href="/acme/emb/1"' in shown
    assert 'href="/"' in shown
