"""A doc's relative link to another doc file of the hub leads to that doc's page (fix57d).

A doc of tfhub.dev's format lives at `assets/docs/<publisher>/models/<name>/<version>.md`; on
GitHub (and in the tensorflow/tfhub.dev repository) `[v2](2.md)` or `[Acme](../../acme.md)`
opens the doc file named. The hub showed such a link as written: on the page
`/acme/emb/1` the browser asked `/acme/emb/2.md`, a 404. Now a relative link that names a doc
file the hub serves (relative to the doc's own file) leads to that doc's page; another relative
link is read from the doc's own page (`/acme/emb/1`) wherever the hub shows the doc; other links
are left as written.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from pathlib import Path

import pytest
import requests
from tests._helpers.chromium import needs_chromium
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher

from tfhub.hub.catalog import Catalog
from tfhub.hub.pages import doc_html

EMB_1 = """Links to other docs of this hub:

- [version 2](2.md) and [its usage](2.md#usage)
- [the publisher](../../acme.md) and [another publisher](../../../other/other.md)
- [the picks](../../collections/picks/1.md) and [the Lite model](lite/1.md)
- [this doc's usage](1.md#usage) and [an escaped name](%32.md)

Read from the page /acme/emb/1, or left as written:

- [no such doc](3.md) [outside the docs](../../../../../../etc/passwd.md)
- [a page URL](../emb/2) [site-absolute](/acme/emb/2) [a fragment](#usage)
- [other host](https://example.com/acme/models/emb/2.md) [a folder](../emb/)

## Usage
Use it.
"""
# Links written against the page's URL `/acme/emb/2`, as the hub shows it: it shows the doc at
# `/acme/emb` (the latest version) and `/acme/emb/2/` too.
EMB_2 = """Version two. Page links: [the first](1) [the first again](../emb/1)
[a search](../../?q=emb)

## Usage
Use version two.
"""
PICKS = """# Collection acme/picks/1
Our picks.

<!-- task: text-embedding -->

## Overview
[emb, version 1](../../models/emb/1.md) by [Acme](../../acme.md)
"""
LITE = """# Lite acme/emb/1
The Lite form of acme/emb.

<!-- asset-path: https://example.com/emb.tflite -->
<!-- parent-model: acme/emb/1 -->

## Overview
The [module](../1.md).
"""
ACME = """# Publisher acme
Acme

[![Icon URL]](https://example.com/icon.png)

## Acme
Our [first model](models/emb/1.md).
"""
# Where each link of EMB_1 leads on the page of acme/emb/1 (hub at the root).
EXPECTED = {
    "version 2": "/acme/emb/2",
    "its usage": "/acme/emb/2#user-content-usage",
    "the publisher": "/acme",
    "another publisher": "/other",
    "the picks": "/acme/collections/picks/1",
    "the Lite model": "/acme/lite-model/emb/1",
    "this doc's usage": "/acme/emb/1#user-content-usage",
    "an escaped name": "/acme/emb/2",
    "no such doc": "/acme/emb/3.md",  # Read from the doc's page, /acme/emb/1: still a 404.
    "outside the docs": "/etc/passwd.md",
    "a page URL": "/acme/emb/2",
    "site-absolute": "/acme/emb/2",
    "a fragment": "#user-content-usage",
    "other host": "https://example.com/acme/models/emb/2.md",
    "a folder": "/acme/emb/",
}


def _write_hub(root: Path) -> Path:
    write_publisher(root, "other", "Other")
    docs = root / "assets" / "docs"
    (docs / "acme").mkdir(parents=True)
    (docs / "acme" / "acme.md").write_text(ACME)
    write_model_doc(root, "acme/emb/1", body=EMB_1)
    write_model_doc(root, "acme/emb/2", body=EMB_2)
    for path, text in (("collections/picks/1.md", PICKS), ("models/emb/lite/1.md", LITE)):
        (docs / "acme" / path).parent.mkdir(parents=True, exist_ok=True)
        (docs / "acme" / path).write_text(text)
    return root


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_hub(tmp_path_factory.mktemp("hub"))


@pytest.fixture(scope="module")
def server(hub_root: Path, tmp_path_factory: pytest.TempPathFactory):
    with serve_hub(hub_root, tmp_path_factory.mktemp("log") / "serve.log") as running:
        yield running


def _links(page: str) -> dict[str, str]:
    """Link text -> href of the doc's links on a page (sanitised HTML: attributes in `"`)."""
    import re

    found = re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', page)
    return {text: urllib.parse.unquote(href.replace("&amp;", "&")) for href, text in found}


def test_relative_links_to_doc_files_lead_to_their_pages(server) -> None:
    page = requests.get(server.url("acme/emb/1"), timeout=30)
    assert page.status_code == 200
    links = _links(page.text)
    assert {text: links.get(text) for text in EXPECTED} == EXPECTED
    for text, href in EXPECTED.items():
        if text in ("no such doc", "outside the docs", "other host", "a folder"):
            continue
        followed = requests.get(urllib.parse.urljoin(page.url, href), timeout=30)
        assert followed.status_code == 200, (text, href)


def test_collection_lite_and_publisher_docs_link_by_file_too(server) -> None:
    picks = _links(requests.get(server.url("acme/collections/picks/1"), timeout=30).text)
    assert picks["emb, version 1"] == "/acme/emb/1"
    assert picks["Acme"] == "/acme"
    lite = _links(requests.get(server.url("acme/lite-model/emb/1"), timeout=30).text)
    assert lite["module"] == "/acme/emb/1"
    publisher = _links(requests.get(server.url("acme"), timeout=30).text)
    assert publisher["first model"] == "/acme/emb/1"


def test_below_a_base_urls_path_they_lead_below_it(hub_root: Path) -> None:
    catalog = Catalog.scan(hub_root)
    _, version = catalog.find(["acme", "emb", "1"]) or (None, None)
    assert version is not None
    shown = asyncio.run(
        doc_html(
            version.doc.body, "https://corp.example/hub", catalog, doc_path=version.doc.rel_path
        )
    )
    links = _links(shown)
    assert links["version 2"] == "/hub/acme/emb/2"
    assert links["the publisher"] == "/hub/acme"
    assert links["its usage"] == "/hub/acme/emb/2#user-content-usage"
    assert links["site-absolute"] == "/hub/acme/emb/2"  # As before (below_path).
    assert links["no such doc"] == "/hub/acme/emb/3.md"
    assert links["a page URL"] == "/hub/acme/emb/2"


@pytest.mark.slow
@needs_chromium
def test_a_browser_following_them_reaches_the_pages(server, page) -> None:
    page.goto(server.url("acme/emb/1"))
    with page.expect_navigation():
        page.get_by_role("link", name="version 2", exact=True).click()
    assert page.url == server.url("acme/emb/2")
    assert "acme/emb version 2" in page.locator("h1").inner_text()
    page.goto(server.url("acme/emb/1"))
    answer = None
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name="its usage").click()
    answer = navigation.value
    assert answer is not None and answer.status == 200
    assert page.url == server.url("acme/emb/2#user-content-usage")
    assert page.locator("#user-content-usage").inner_text() == "Usage"
    page.goto(server.url("acme/emb/1"))
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name="the publisher").click()
    assert navigation.value is not None and navigation.value.status == 200
    assert page.url == server.url("acme")


SLOPPY = """Links the pages cannot follow:

![chart](chart.png)
[version 3](3.md)
[the paper](paper.pdf)
[out of the docs](../../../../x.md)

Links they follow: [version 1](1.md), [the page](../emb/1), [Acme](../../acme.md), [a
folder](../emb/).
"""


def test_validate_warns_about_relative_links_and_images_the_pages_cannot_follow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An image beside a doc (`![chart](chart.png)`), a link to a doc that is not there and one
    to a file of the docs folder passed validate silently; the pages show them broken (the hub
    serves no file of the docs folder but its docs' pages). Warnings: the page still works."""
    from tfhub.cli.main import main

    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1", body=SLOPPY)
    (doc.parent / "chart.png").write_bytes(b"\x89PNG")
    (doc.parent / "paper.pdf").write_bytes(b"%PDF")
    assert main(["validate", str(root)]) == 0
    out, err = capsys.readouterr()
    lines = doc.read_text().splitlines()
    shown = f"{root}/{doc.relative_to(root).as_posix()}"

    def at(text: str) -> str:
        return f"tfhub: {shown}:{1 + next(i for i, line in enumerate(lines) if text in line)}"

    assert out.startswith(f"OK: {root}: ") and out.count("\n") == 1  # No problem (fx62a).
    assert err.splitlines() == [
        f"{at('(chart.png)')}: warning: the image chart.png names a file of the docs folder, "
        "which the hub does not serve (the page shows it broken): put it at a URL the users "
        "can reach",
        f"{at('(3.md)')}: warning: the link to 3.md names no doc of this hub (no file "
        "assets/docs/acme/models/emb/3.md; the page leads to a 404): link a doc that is there",
        f"{at('(paper.pdf)')}: warning: the link to paper.pdf names a file of the docs folder, "
        "which the hub does not serve (the page leads to a 404): put it at a URL the users "
        "can reach",
        f"{at('(../../../../x.md)')}: warning: the link to ../../../../x.md names no doc of "
        "this hub (it leads out of assets/docs; the page leads to a 404): link a doc that is "
        "there",
    ]


@pytest.mark.parametrize("path", ["acme/emb/2", "acme/emb", "acme/emb/2/"])
def test_page_relative_links_lead_where_they_do_from_the_docs_own_page(server, path) -> None:
    """The hub shows a version's doc at `/acme/emb/2`, and the latest's at `/acme/emb` and with
    a trailing `/`: a link written against `/acme/emb/2` (`[the first](1)`) led from
    `/acme/emb` to `/acme/1`, and from `/acme/emb/2/` to `/acme/emb/2/1`, both 404s. Such a
    link is read from the doc's own page (`/acme/emb/2`) wherever it is shown."""
    page = requests.get(server.url(path), timeout=30)
    assert page.status_code == 200
    links = _links(page.text)
    for text, expected in (
        ("the first", "/acme/emb/1"),
        ("the first again", "/acme/emb/1"),
        ("a search", "/?q=emb"),
    ):
        followed = requests.get(urllib.parse.urljoin(page.url, links[text]), timeout=30)
        assert (followed.status_code, followed.url) == (200, server.url(expected)), text
