"""What a user of the hub's pages meets, in a real headless browser (Debian's chromium driven
by playwright; nothing is downloaded): headings and titles, keyboard-only and script-free use,
paging through many models, the 404 and 400 pages, and the caching of the pages' CSS.

Skipped, saying so, without /usr/bin/chromium or playwright. One hub and one browser serve
the whole module.
"""

from __future__ import annotations

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.chromium import needs_chromium
from tests._helpers.hub_server import (
    serve_hub,
    signature_summary_json,
    write_model_doc,
    write_publisher,
    write_signatures,
)

pytestmark = [pytest.mark.slow, needs_chromium]
CASED = ["Zeta", "alpha", "LaBSE", "gamma", "Beta"]  # tfhub.dev has such handles (google/LaBSE).
MANY = 120  # Models of the publisher `many`: more than two pages of the index (50 a page).
DOC_WITH_TITLES = """# The Model

Intro.

<h1>A raw title</h1>

## Usage
```python
print("<h1>not a heading</h1>")
```

| a | b |
|---|---|
| 1 | 2 |
"""


def _write_collection(root, version: int) -> None:
    doc = root / f"assets/docs/lab/collections/picks/{version}.md"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(
        f"# Collection lab/picks/{version}\nOur picks.\n\n<!-- task: text-embedding -->\n\n"
        "## Overview\n| Model |\n|:-----:|\n| [half-plus-two](/lab/half-plus-two/1) |\n"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages-root")
    write_publisher(root, "lab", "Lab")
    write_publisher(root, "many", "Many")
    for number in range(MANY):
        write_model_doc(root, f"many/model-{number:03d}/1", description=f"Model number {number}.")
    doc = write_model_doc(root, "lab/half-plus-two/1", description="Halves and adds two.")
    make_tar_gz(doc.with_name("1.tar.gz"))
    summary = signature_summary_json()
    summary["variables"] = {"count": 1, "bytes": 4}
    write_signatures(doc, summary)
    write_model_doc(root, "lab/titled/1", description="A doc with titles.", body=DOC_WITH_TITLES)
    for version in (1, 2):
        _write_collection(root, version)
    for name in CASED:
        write_model_doc(root, f"lab/{name}/1", description="Named with capitals or not.")
    with serve_hub(root, tmp_path_factory.mktemp("log") / "serve.log") as running:
        yield running


# Per page: lang, h1 count, heading levels in order, unlabelled controls, images without alt,
# links without text, and the page's width (360 px viewport: no sideways scrolling).
AUDIT = """() => {
  const levels = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]);
  const skips = levels.filter((level, i) => i > 0 && level > levels[i - 1] + 1);
  const unlabelled = [...document.querySelectorAll('input,select,textarea,button')].filter(
    e => !(e.getAttribute('aria-label') || (e.labels && e.labels.length) ||
           (e.tagName === 'BUTTON' && e.innerText.trim())));
  const noAlt = [...document.querySelectorAll('img')].filter(i => !i.hasAttribute('alt'));
  const blank = [...document.querySelectorAll('a[href]')].filter(a => !a.innerText.trim());
  return {lang: document.documentElement.lang, h1: levels.filter(l => l === 1).length,
          skips: skips.length, unlabelled: unlabelled.length, noAlt: noAlt.length,
          blank: blank.length, wide: document.documentElement.scrollWidth > innerWidth};
}"""
AUDITED = [
    "",
    "?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "?q=.*%5B(",
    "?q=%C3%BC%E6%A8%A1%F0%9F%8E%89",
    "?start=100",
    "lab",
    "many",
    "lab/collections/picks/2",
    "lab/half-plus-two/1",
    "lab/titled/1",
    "lab/half-plus-two/99",
    "nothing/here",
    "lab/half-plus-two/1)",
]


def test_every_page_passes_the_accessibility_audit_at_phone_width(server, browser):
    """A doc's `# Title` (and raw `<h1>`) was a second `<h1>` on its model's page: screen
    readers' 'next heading 1' and outlines took the doc's title for the page's."""
    page = browser.new_page(viewport={"width": 360, "height": 800})
    outside: list[str] = []
    page.on(
        "request", lambda r: None if r.url.startswith(server.url("")) else outside.append(r.url)
    )
    found = {}
    for path in AUDITED:
        page.goto(server.url(path))
        found[path] = page.evaluate(AUDIT)
    page.close()
    clean = {
        "lang": "en",
        "h1": 1,
        "skips": 0,
        "unlabelled": 0,
        "noAlt": 0,
        "blank": 0,
        "wide": False,
    }
    assert {path: audit for path, audit in found.items() if audit != clean} == {}
    assert outside == []  # The hub is offline: no font, script or style from elsewhere.


def test_a_docs_titles_are_second_level_headings(server, page):
    page.goto(server.url("lab/titled/1"))
    assert page.locator("h1").all_inner_texts() == ["lab/titled version 1"]
    doc = page.locator("#doc h2").all_inner_texts()
    assert doc == ["Overview", "The Model", "A raw title", "Usage"]
    assert page.locator("#doc h2").nth(1).get_attribute("id") == "user-content-the-model"
    assert "<h1>not a heading</h1>" in page.inner_text("#doc pre")
    assert page.locator("#doc table td").all_inner_texts() == ["1", "2"]


def test_every_page_has_its_own_title(server, page):
    """Every 404 page was titled 'Not found' and both versions of a collection 'lab/picks
    (collection)'."""
    paths = [
        "",
        "?q=model",
        "?start=50",
        "lab",
        "lab/half-plus-two/1",
        "lab/collections/picks/1",
        "lab/collections/picks/2",
        "lab/half-plus-two/99",
        "lab/nope/1",
        "nothing/here",
        "lab/half-plus-two/1)",
    ]
    titles = []
    for path in paths:
        page.goto(server.url(path))
        titles.append(page.title())
    assert len(set(titles)) == len(titles), titles
    assert titles[5] == "lab/picks/1 (collection) · tfhub"
    assert titles[8] == "Not found: /lab/nope/1 · tfhub"


def test_the_404_page_searches_for_the_model_not_its_version(server, page):
    """The 'Search for it' link of /lab/half-plus/1 searched for '1', which found nothing of
    the model the user was after."""
    page.goto(server.url("lab/half-plus/1"))
    with page.expect_navigation():
        page.click("#search-for-it")
    assert page.input_value("#q") == "half-plus"
    assert page.locator("#results a.handle").all_inner_texts() == ["lab/half-plus-two"]


def test_a_mistyped_address_is_a_page_for_a_browser_and_text_for_clients(server, page):
    """A link copied with the `)` after it (`/lab/half-plus-two/1)`) was a plain-text 400:
    no page, no way on."""
    answer = page.goto(server.url("lab/half-plus-two/1)"))
    assert answer.status == 400 and answer.headers["content-type"] == "text/html; charset=utf-8"
    assert page.inner_text("h1") == "Bad address"
    assert "/lab/half-plus-two/1)" in page.inner_text("#refused-path")
    page.focus("#all-models")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title().startswith("Models (1–50 of ")
    client = requests.get(server.url("lab/half-plus-two/1)"), timeout=10)
    assert client.status_code == 400 and client.headers["Content-Type"].startswith("text/plain")
    archive = server.url("lab/a%2Fb?tf-hub-format=compressed")
    compressed = requests.get(archive, headers={"Accept": "text/html"}, timeout=10)
    assert compressed.headers["Content-Type"].startswith("text/plain")


def test_the_css_is_revalidated_so_an_upgrade_shows_its_own(server):
    """The CSS had Last-Modified and no Cache-Control: browsers kept it for a tenth of its
    age without asking, so new pages after an upgrade were shown with the old CSS."""
    css = requests.get(server.url("static/hub.css"), timeout=10)
    assert css.headers["Cache-Control"] == "public, no-cache"
    again = requests.get(
        server.url("static/hub.css"), headers={"If-None-Match": css.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 304 and again.headers["Cache-Control"] == "public, no-cache"


def test_a_hub_with_tokens_lets_only_the_browser_keep_the_css(server, tmp_path):
    (tmp_path / "tokens").write_text("t0ken\n")
    tokens = ["--token-file", str(tmp_path / "tokens")]
    with serve_hub(server.root, tmp_path / "serve.log", *tokens) as secured:
        css = requests.get(secured.url("static/hub.css"), auth=("me", "t0ken"), timeout=10)
    assert css.headers["Cache-Control"] == "private, no-cache"


def test_keyboard_only_from_the_header_search_to_a_model_page(server, page):
    """Tab, type and Enter only: the header's search box, a result, the model page; each
    focused control shows its focus."""
    page.goto(server.url("lab"))
    for _ in range(3):  # Skip to content, the brand, the search box.
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Search models"
    page.keyboard.type("halves")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tabs = 0
    while page.evaluate("document.activeElement.className") != "handle" and tabs < 30:
        page.keyboard.press("Tab")
        tabs += 1
        assert page.evaluate("document.activeElement.matches(':focus-visible')")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", page.evaluate("document.activeElement.outerHTML")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title() == "lab/half-plus-two/1 · tfhub"
    assert "TF2 SavedModel · 1 variable (4 B)" in page.inner_text("main")


def test_paging_through_many_models_without_javascript(browser, server):
    """The search form and the page links are plain HTML: with scripts off, a filter and the
    Next/Previous links reach every model once."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server.url(""))
    page.select_option("#filter-publisher", "many")
    with page.expect_navigation():
        page.click("#search-button")
    seen: list[str] = []
    while True:
        seen += page.locator("#results a.handle").all_inner_texts()
        if not page.locator("#next").count():
            break
        with page.expect_navigation():
            page.click("#next")
        assert page.input_value("#filter-publisher") == "many"
    assert seen == [f"many/model-{number:03d}" for number in range(MANY)]
    assert page.title() == "Models by many (101–120 of 120) · tfhub"
    with page.expect_navigation():
        page.click("#previous")
    assert page.locator("#results a.handle").first.inner_text() == "many/model-050"
    context.close()


def test_models_are_listed_by_name_whatever_the_case(server, page):
    """A plain sort listed every handle with a capital first: lab/Beta, lab/LaBSE, lab/Zeta,
    then lab/alpha, lab/gamma (tfhub.dev has google/LaBSE, google/Wiki-words-250)."""
    expected = ["lab/alpha", "lab/Beta", "lab/gamma", "lab/LaBSE", "lab/Zeta"]
    page.goto(server.url("?q=capitals"))
    assert page.locator("#results a.handle").all_inner_texts() == expected
    page.goto(server.url("lab"))
    listed = page.locator("ul.results a.handle").all_inner_texts()
    assert [handle for handle in listed if handle.split("/")[-1] in CASED] == expected


def test_an_empty_hub_says_how_to_add_a_model(browser, tmp_path):
    """A hub with no model yet said 'No model matches.', as if a search had found nothing."""
    (tmp_path / "root").mkdir()
    with serve_hub(tmp_path / "root", tmp_path / "serve.log") as empty:
        page = browser.new_page()
        page.goto(empty.url(""))
        text = page.inner_text("#no-models")
        page.close()
    assert "tfhub publish MODEL_DIR ROOT --handle publisher/model/1" in text


def test_a_text_pasted_into_a_search_box_is_searched_not_refused(server, page):
    """The search boxes took any length: 500 words pasted (10 KB once percent-encoded) made a
    URL longer than the hub answers, and the browser showed a plain-text 414."""
    for box in ("#q", "header input[name=q]"):
        page.goto(server.url(""))
        page.fill(box, "模型 " * 500)
        with page.expect_navigation() as navigation:
            page.press(box, "Enter")
        assert navigation.value.status == 200, box
        assert page.locator("#result-count").count() == 1
