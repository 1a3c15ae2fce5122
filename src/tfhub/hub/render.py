"""Model documentation (untrusted Markdown) to safe HTML.

markdown-it-py (CommonMark, tables on, raw HTML parsed as CommonMark says) turns the text into
HTML, then nh3 (the Python binding of the Rust sanitiser Ammonia) keeps only an allow-list of
tags and attributes: no `<script>`/`<style>` (content dropped), no event handlers, no `style`,
and links or images only with http(s)/mailto URLs or relative ones (no `javascript:`/`data:`).
Every link gets `rel="noopener noreferrer nofollow"`.

Rendering costs more than linear time on hostile input (nh3 on thousands of nested `<div>`s,
markdown-it on long runs of brackets or emphasis): 250 KB of `<div>` took 12 s. A doc longer
than `MAX_RENDERED_CHARS` is therefore shown escaped, as preformatted text (its first
`MAX_RENDERED_CHARS` characters), with a note; at that size the slowest inputs found render in
about 1 s on a busy 2-core machine, and tfhub.dev's docs (a few KB, at most ~50 KB) stay
below it.
"""

from __future__ import annotations

import functools
import html
from typing import Any

_URL_SCHEMES = {"http", "https", "mailto"}
MAX_RENDERED_CHARS = 65_536
_EXTRA_ATTRIBUTES = {"code": {"class"}, "pre": {"class"}, "th": {"align"}, "td": {"align"}}


@functools.lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")


def _attributes() -> dict[str, set[str]]:
    import nh3

    allowed = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag, names in _EXTRA_ATTRIBUTES.items():
        allowed.setdefault(tag, set()).update(names)
    return allowed


def sanitize(html: str) -> str:
    """Keeps only safe tags, attributes and URL schemes of an HTML fragment."""
    import nh3  # Not at import: the validator reads MAX_RENDERED_CHARS without it.

    return nh3.clean(
        html,
        attributes=_attributes(),
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def too_large(text: str) -> bool:
    """True if the Markdown is longer than the renderer takes (`MAX_RENDERED_CHARS`)."""
    return len(text) > MAX_RENDERED_CHARS


def markdown_to_html(text: str) -> str:
    """Renders untrusted Markdown to sanitised HTML.

    Args:
        text: the Markdown (may contain raw HTML, scripts, `javascript:` links...).

    Returns:
        An HTML fragment safe to put into a page; for a text longer than `MAX_RENDERED_CHARS`,
        a note and the start of the text escaped in a `<pre>`.
    """
    if too_large(text):
        return _plain_text(text)
    return sanitize(_markdown().render(text))


def _plain_text(text: str) -> str:
    """A note and the start of a text too long to render, escaped in a `<pre>`: its first
    `MAX_RENDERED_CHARS` characters, so that the page stays as small as a rendered one (a
    10 MB doc made a 10 MB page that took Chromium 12 s to lay out)."""
    shown = text[:MAX_RENDERED_CHARS]
    return (
        f'<p class="warning too-large">This documentation is {len(text):,} characters long, '
        f"more than the {MAX_RENDERED_CHARS:,} this hub renders: its first "
        f"{len(shown):,} characters are shown as plain text (the rest is left out).</p>\n"
        f'<pre class="too-large">{html.escape(shown)}</pre>'
    )
