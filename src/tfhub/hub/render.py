"""Model documentation (untrusted Markdown) to safe HTML.

markdown-it-py (CommonMark, tables on, raw HTML parsed as CommonMark says) turns the text into
HTML, then nh3 (the Python binding of the Rust sanitiser Ammonia) keeps only an allow-list of
tags and attributes: no `<script>`/`<style>` (content dropped), no event handlers, no `style`,
and links or images only with http(s)/mailto URLs or relative ones (no `javascript:`/`data:`).
Every link gets `rel="noopener noreferrer nofollow"`.
"""

from __future__ import annotations

import functools
from typing import Any

import nh3

_URL_SCHEMES = {"http", "https", "mailto"}
_EXTRA_ATTRIBUTES = {"code": {"class"}, "pre": {"class"}, "th": {"align"}, "td": {"align"}}


@functools.lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")


def _attributes() -> dict[str, set[str]]:
    allowed = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag, names in _EXTRA_ATTRIBUTES.items():
        allowed.setdefault(tag, set()).update(names)
    return allowed


def sanitize(html: str) -> str:
    """Keeps only safe tags, attributes and URL schemes of an HTML fragment."""
    return nh3.clean(
        html,
        attributes=_attributes(),
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def markdown_to_html(text: str) -> str:
    """Renders untrusted Markdown to sanitised HTML.

    Args:
        text: the Markdown (may contain raw HTML, scripts, `javascript:` links...).

    Returns:
        An HTML fragment safe to put into a page.
    """
    return sanitize(_markdown().render(text))
