"""tfhub.hub.render: untrusted Markdown becomes HTML without scripts, handlers or js: URLs."""

from __future__ import annotations

import pytest
from tests._helpers.page_tags import start_tags

from tfhub.hub.render import markdown_to_html

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<svg onload="alert(1)"><circle/></svg>',
    '<iframe src="https://example.com"></iframe>',
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<form action="https://evil"><input name=a></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<meta http-equiv="refresh" content="0;url=https://evil">',
]


DANGEROUS_TAGS = {"script", "iframe", "svg", "style", "object", "embed", "form", "meta", "math"}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_is_defused(text):
    html = markdown_to_html(f"Before.\n\n{text}\n\nAfter.")
    assert "Before." in html
    for tag, attributes in start_tags(html):
        assert tag not in DANGEROUS_TAGS, (text, html)
        for name, value in attributes:
            assert not name.startswith("on") and name != "style", (text, html)
            scheme = (value or "").strip().lower().split(":", 1)[0]
            assert scheme not in ("javascript", "data", "vbscript"), (text, html)
    assert "alert(1)</script" not in html.lower()


def test_ordinary_markdown_is_kept():
    html = markdown_to_html(
        "## Overview\n\nText with **bold**, `code` and [a link](https://example.com/x).\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nimport tfhub\n```\n"
    )
    assert (
        '<h2 id="user-content-overview">Overview</h2>' in html and "<strong>bold</strong>" in html
    )
    assert '<a href="https://example.com/x" rel="noopener noreferrer nofollow">a link</a>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert '<code class="language-python">import tfhub' in html


def test_the_hub_url_written_into_a_page_is_escaped():
    from tfhub.hub.pages import _with_hub_url

    body = markdown_to_html('    hub.load("https://HUB_HOST/a/b/1")\n')
    shown = _with_hub_url(body, 'http://h"><script>x</script>')
    assert "<script>" not in shown and "HUB_HOST" not in shown
    assert "http://h&quot;&gt;&lt;script&gt;x&lt;/script&gt;/a/b/1" in shown


def test_a_text_longer_than_the_renderer_takes_is_escaped_plain_text():
    """Rendering is superlinear on hostile input: 250 KB of '<div>' took 12 s."""
    long_text = "A *x* <script>alert(1)</script>\n" * 3000
    html = markdown_to_html(long_text)
    assert html.startswith('<p class="warning too-large">This documentation is 96,000 ')
    assert "A *x* &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "<em>" not in html  # Not rendered.
    short = "A *x* <script>alert(1)</script>\n" * 100
    assert "<em>x</em>" in markdown_to_html(short) and "too-large" not in markdown_to_html(short)


def test_a_text_far_longer_than_the_renderer_takes_is_shown_only_in_part():
    """A 10 MB doc was shown whole: a 10 MB page that took Chromium 12 s to lay out (and as
    much memory again in the render cache)."""
    from tfhub.hub.render import MAX_RENDERED_CHARS

    huge = "word " * 2_000_000
    html = markdown_to_html(huge)
    assert "This documentation is 10,000,000 characters long" in html
    assert f"its first {MAX_RENDERED_CHARS:,} characters are shown" in html
    assert len(html) < MAX_RENDERED_CHARS + 1_000
    assert "word " * 1000 in html


def test_headings_get_prefixed_ids_and_fragment_links_follow_them():
    """Heading ids were not made, and hand-written ids were stripped: `[Usage](#usage)` led
    nowhere. Ids and `#` links now carry GitHub's `user-content-` prefix."""
    html = markdown_to_html(
        "See [usage](#usage), [the API](#the-api-v2) and [out](https://x.org/#usage).\n\n"
        "## Usage\n\n## Usage\n\n## The `API` (v2)!\n\n"
        '<h3 id="q">raw</h3>\n\n<a name="forms">named</a> <a href="#">top</a>\n'
    )
    assert '<h2 id="user-content-usage">Usage</h2>' in html
    assert '<h2 id="user-content-usage-1">Usage</h2>' in html
    assert 'id="user-content-the-api-v2"' in html
    assert 'href="#user-content-usage"' in html and 'href="#user-content-the-api-v2"' in html
    assert 'href="https://x.org/#usage"' in html  # Other pages' fragments are theirs.
    assert '<h3 id="user-content-q">' in html and 'name="user-content-forms"' in html
    assert 'href="#"' in html
    assert ' id="q"' not in html and ' name="forms"' not in html  # No clobbering the page's.
