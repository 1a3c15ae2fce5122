"""What a second probe of the hub's pages found: index titles that ignored the filters, doc
images without alt and links without text, no validate warning for them, no way to skip the
header from the keyboard, and a pager that was no landmark.

The browser tests use Debian's chromium (playwright, `tests/hub/conftest.py`) and are skipped,
saying so, without it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests
from tests._helpers.chromium import needs_chromium
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher

from tfhub.cli.main import main
from tfhub.hub.render import markdown_to_html

VALID = Path(__file__).parent.parent / "data" / "hub_docs" / "valid"
MANY = 60  # Models of the publisher `many`: two pages of the index (50 a page).
SLOPPY_BODY = """## Overview

![](https://cdn.example.com/chart.png)

<img src="https://cdn.example.com/raw.png">

See [](https://example.com/paper).
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("round-two-root")
    write_publisher(root, "many", "Many")
    write_publisher(root, "lab", "Lab")
    for number in range(MANY):
        write_model_doc(root, f"many/model-{number:02d}/1", task="text-embedding")
    write_model_doc(root, "lab/images/1", task="image-classification")
    write_model_doc(root, "lab/sloppy/1", body=SLOPPY_BODY)
    with serve_hub(root, tmp_path_factory.mktemp("log") / "serve.log") as running:
        yield running


def _title(url: str) -> str:
    page = requests.get(url, timeout=10).text
    found = re.search(r"<title>([^<]*)</title>", page)
    assert found is not None, page
    return found[1]


def test_each_filtered_index_page_has_its_own_title(server):
    """`/?publisher=many` and `/?task=x` were both titled "Models (…)": a browser's history
    and tabs could not tell them apart."""
    paths = {
        "?publisher=many": "Models by many (1–50 of 60) · tfhub",
        "?publisher=many&start=50": "Models by many (51–60 of 60) · tfhub",
        "?task=image-classification": "Models for task image-classification · tfhub",
        "?task=text-embedding": "Models for task text-embedding (1–50 of 61) · tfhub",
        "?publisher=lab&task=image-classification": (
            "Models by lab for task image-classification · tfhub"
        ),
        "?q=model&publisher=lab": "model – search in models by lab · tfhub",
        "?q=model": "model – search (1–50 of 62) · tfhub",
        "": "Models (1–50 of 62) · tfhub",
    }
    titles = {path: _title(server.url(path)) for path in paths}
    assert titles == paths


def test_a_filter_value_in_the_title_is_escaped_and_cut(server):
    title = _title(server.url("?task=" + "<b>" * 100))
    assert title == f"Models for task {'&lt;b&gt;' * 26}&lt;b · tfhub"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ('<img src="x.png">', '<img alt="" src="x.png">'),
        ("<IMG SRC=x.png>", '<img alt="" src="x.png">'),
        ('<img src="x.png" alt="a chart">', '<img src="x.png" alt="a chart">'),
        ("<img src=x.png alt>", '<img src="x.png" alt="">'),
        ("![a chart](x.png)", '<img src="x.png" alt="a chart">'),
        # Attribute values that look like an alt or a tag are values, not attributes.
        ('<img src="x.png?alt=1">', '<img alt="" src="x.png?alt=1">'),
        ("<img src='x\" alt=\"'>", '<img alt="" src="x&quot; alt=&quot;">'),
        ('<img src="x" alt="<img src=y>">', '<img src="x" alt="&lt;img src=y&gt;">'),
        ("<img alt='a\"><img src=z' src=q>", '<img alt="a&quot;&gt;&lt;img src=z" src="q">'),
        ("<img src=x data-alt=1>", '<img alt="" src="x">'),
        ("`<img src=x>`", "<code>&lt;img src=x&gt;</code>"),
    ],
)
def test_every_image_has_an_alt_and_a_given_alt_is_kept(markdown, expected):
    """A raw `<img>` without `alt` kept none (screen readers read its file name); nh3 can only
    set an alt on every image, which would overwrite the ones docs give."""
    assert expected in markdown_to_html(markdown)


@pytest.mark.parametrize(
    ("markdown", "link"),
    [
        ("[](https://example.com/a?b=1&c=2)", "https://example.com/a?b=1&amp;c=2"),
        ('<a href="https://example.com/x"> </a>', "https://example.com/x "),
        ("[](/lab/sloppy/1)", "/lab/sloppy/1"),
    ],
)
def test_a_link_without_text_shows_its_url(markdown, link):
    """`[](url)` rendered a link with no text: invisible, and read as nothing."""
    html = markdown_to_html(markdown)
    assert re.search(r"<a [^>]*>([^<]*)</a>", html)[1] == link, html


def test_a_link_with_text_or_an_image_is_left_as_written():
    assert ">paper</a>" in markdown_to_html("[paper](https://example.com/paper)")
    html = markdown_to_html("[![chart](c.png)](https://example.com/c)")
    assert html.count("https://example.com/c") == 1 and 'alt="chart"' in html


def test_validate_warns_about_outside_images_missing_alts_and_links_without_text(tmp_path, capsys):
    """An offline hub shows images of other hosts broken, and such docs passed validate
    silently; they are warnings (the page still works), not problems."""
    root = tmp_path / "hub"
    shutil.copytree(VALID, root)
    doc = _a_module_doc(root)
    first_body_line = len(doc.read_text().splitlines()) + 2
    doc.write_text(doc.read_text().rstrip("\n") + "\n\n" + SLOPPY_BODY)
    assert main(["validate", str(root)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"OK: {root}: ") and out.count("\n") == 1  # No problem (fx62a).
    shown = f"{root}/{doc.relative_to(root).as_posix()}"
    chart, raw, paper = first_body_line + 2, first_body_line + 4, first_body_line + 6
    assert err.splitlines() == [
        f"tfhub: {shown}:{chart}: warning: the image https://cdn.example.com/chart.png is on "
        "another host, cdn.example.com (a hub without internet access shows it broken; keep "
        "images the users can reach)",
        f"tfhub: {shown}:{chart}: warning: the image https://cdn.example.com/chart.png has no "
        "alt text (screen readers read its file name or nothing): write ![what it shows]"
        "(https://cdn.example.com/chart.png)",
        f"tfhub: {shown}:{raw}: warning: the image https://cdn.example.com/raw.png is on "
        "another host, cdn.example.com (a hub without internet access shows it broken; keep "
        "images the users can reach)",
        f"tfhub: {shown}:{raw}: warning: the image https://cdn.example.com/raw.png has no alt "
        "text (screen readers read its file name or nothing): write ![what it shows]"
        "(https://cdn.example.com/raw.png)",
        f"tfhub: {shown}:{paper}: warning: the link to https://example.com/paper has no text "
        "(screen readers read nothing useful; the page shows the URL as its text): write "
        "[where it leads](https://example.com/paper)",
    ]


def _a_module_doc(root: Path) -> Path:
    """A Module doc of the valid example hub."""
    for doc in sorted((root / "assets/docs").rglob("*.md")):
        if doc.read_text().startswith("# Module "):
            return doc
    raise AssertionError(f"no Module doc under {root}")


@needs_chromium
@pytest.mark.slow
def test_skip_to_content_is_the_first_tab_stop_and_shows_when_focused(server, page):
    page.goto(server.url("?publisher=many"))
    skip = page.locator("a.skip")
    assert skip.bounding_box()["x"] < 0  # Out of sight until focused.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.innerText") == "Skip to content"
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # The next stop is in the main content, past the header.
    assert page.evaluate("document.activeElement.id") == "q"


@needs_chromium
@pytest.mark.slow
def test_the_pager_is_a_navigation_landmark_reached_by_keyboard(server, page):
    page.goto(server.url("?publisher=many"))
    assert page.get_by_role("navigation", name="Pages").locator("a").all_inner_texts() == [
        "Next 50"
    ]
    page.focus("#next")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title() == "Models by many (51–60 of 60) · tfhub"
    page.goto(server.url("?task=image-classification"))  # One page: no empty landmark.
    assert page.get_by_role("navigation").count() == 0


@needs_chromium
@pytest.mark.slow
def test_a_sloppy_docs_images_have_alts_and_links_have_text_in_the_browser(server, page):
    page.goto(server.url("lab/sloppy/1"))
    images = page.locator("#doc img")
    assert images.count() == 2
    assert [images.nth(i).get_attribute("alt") for i in range(2)] == ["", ""]
    assert page.locator("#doc a").all_inner_texts() == ["https://example.com/paper"]
