"""Model documentation (untrusted Markdown) to safe HTML.

markdown-it-py (CommonMark, tables on, raw HTML parsed as CommonMark says) turns the text into
HTML, then nh3 (the Python binding of the Rust sanitiser Ammonia) keeps only an allow-list of
tags and attributes: no `<script>`/`<style>` (content dropped), no event handlers, no `style`,
and links or images only with http(s)/mailto URLs or relative ones (no `javascript:`/`data:`).
Every link gets `rel="noopener noreferrer nofollow"`.

Headings get ids from their text, as GitHub gives them (`## Usage` -> `usage`), so a doc's
in-page links (`[Usage](#usage)`) work. Every `id` and `name` a doc keeps, written by hand or
made from a heading, is prefixed with `ID_PREFIX` (GitHub's `user-content-`), and so is every
`#fragment` link: a doc cannot clobber the page's own ids (`id="q"`, the search box) or DOM
names (`document.forms`), and `#usage` still leads to `## Usage`.

A doc's top-level headings (`# Title`, `<h1>`) are shown as `<h2>`: the page's own `<h1>` names
the model, and a page has one `<h1>` (screen readers jump to it as the page's title).

Every image keeps or gets an `alt` (`alt=""` where a raw `<img>` had none: screen readers read
an image without one by its file name), and a link with no text, such as `[](url)`, gets its
URL as text (GitHub keeps such a link empty: it is invisible and a screen reader reads nothing
useful). nh3 can only set an attribute on every tag, overwriting the alts a doc gives, so this
is a pass over the sanitised HTML (`_accessible`); `elements` lists images and links for the
validator's warnings.

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
import posixpath
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_URL_SCHEMES = {"http", "https", "mailto"}
MAX_RENDERED_CHARS = 65_536
_EXTRA_ATTRIBUTES = {
    "*": {"id"},
    "a": {"name"},
    "code": {"class"},
    "pre": {"class"},
    "th": {"align"},
    "td": {"align"},
}
ID_PREFIX = "user-content-"
_SLUG_DROPPED = re.compile(r"[^\w\- ]")  # GitHub keeps letters, digits, `_`, `-` and spaces.
# A whole tag of sanitised HTML. nh3 (html5ever) writes every attribute value in double quotes
# with `"` escaped, and escapes `<` in text: outside values, `<` starts a tag and `>` ends it,
# so a `<img` or `>` inside a value (`title="<img src=x>"`) is never taken for a tag.
_TAG = re.compile(r'<(/?)([A-Za-z][A-Za-z0-9]*)((?:[^">]|"[^"]*")*)>')
_ATTRIBUTE = re.compile(r'([^\s="/>]+)(?:="([^"]*)")?')
_LINK_END = re.compile(r"</a>", re.IGNORECASE)
_EMPTY_LINK_END = re.compile(r"\s*</a>", re.IGNORECASE)
# A site-absolute URL in a sanitised tag's attributes: `/path`, not `//host/path`.
_SITE_ABSOLUTE = re.compile(r'(\s(?:href|src))="(/(?!/)[^"]*)"', re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")
    parser.core.ruler.push("heading_ids", _heading_ids)
    return parser


def slug(text: str) -> str:
    """A heading's id as GitHub makes it: lower case, punctuation dropped, spaces as `-`
    ("Usage & tips" -> "usage--tips")."""
    text = unicodedata.normalize("NFC", text).strip().lower()
    return _SLUG_DROPPED.sub("", text).replace(" ", "-")


def _heading_ids(state: Any) -> None:
    """markdown-it core rule: an `id` for each heading from its text (`slug`), made unique
    in the doc as GitHub does (`usage`, `usage-1`, ...); `sanitize` adds `ID_PREFIX`."""
    seen: set[str] = set()
    tokens = state.tokens
    for index, token in enumerate(tokens[:-1]):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        words = [c.content for c in inline.children or [] if c.type in ("text", "code_inline")]
        base = slug("".join(words)) or "section"
        unique, count = base, 0
        while unique in seen:
            count += 1
            unique = f"{base}-{count}"
        seen.add(unique)
        token.attrSet("id", unique)


def _prefixed(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: `ID_PREFIX` before ids, names and `#fragment` links."""
    if attribute in ("id", "name"):
        return value if value.startswith(ID_PREFIX) else ID_PREFIX + value
    if attribute == "href" and value.startswith("#") and len(value) > 1:
        fragment = value[1:]
        return value if fragment.startswith(ID_PREFIX) else f"#{ID_PREFIX}{fragment}"
    return value


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
        attribute_filter=_prefixed,
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
    return _accessible(sanitize(_markdown().render(text)))


@dataclass(frozen=True)
class Element:
    """An image or link of a rendered doc, as the validator checks it.

    Attributes:
        tag: "img" or "a".
        attributes: its attributes, values unescaped (`src`, `alt`, `href`...).
        text: for a link, its text with the alt text of images inside; "" for an image.
    """

    tag: str
    attributes: dict[str, str]
    text: str


def elements(text: str) -> list[Element]:
    """The images and links of a doc's Markdown as sanitised (before `_accessible` fills in
    missing alts and link texts); [] for a doc too long to render."""
    if too_large(text):
        return []
    fragment = sanitize(_markdown().render(text))
    found = []
    for match in _TAG.finditer(fragment):
        tag = match[2].lower()
        if match[1] or tag not in ("img", "a"):
            continue
        link_text = _link_text(fragment, match.end()) if tag == "a" else ""
        found.append(Element(tag, _attributes_of(match[3]), link_text))
    return found


def _attributes_of(written: str) -> dict[str, str]:
    """The attributes of a sanitised tag (the part after its name), values unescaped."""
    return {name.lower(): html.unescape(value) for name, value in _ATTRIBUTE.findall(written)}


def _link_text(fragment: str, start: int) -> str:
    """The text of the link whose start tag ends at `start`: its text and its images' alts."""
    end = _LINK_END.search(fragment, start)
    inside = fragment[start : end.start() if end else len(fragment)]
    parts = []
    for piece in re.split(_TAG, inside)[::4]:  # Text between tags (split keeps 3 groups).
        parts.append(html.unescape(piece))
    for match in _TAG.finditer(inside):
        if match[2].lower() == "img" and not match[1]:
            parts.append(_attributes_of(match[3]).get("alt", ""))
    return " ".join(part.strip() for part in parts if part.strip())


def _accessible(fragment: str) -> str:
    """Sanitised HTML with each `<h1>` made an `<h2>` (the page's `<h1>` is its own),
    `alt=""` on each `<img>` that has no `alt` and its URL as the text of each link that has
    no text nor image (`[](url)`)."""
    shown, last = [], 0
    for match in _TAG.finditer(fragment):
        shown += [fragment[last : match.start()], _accessible_tag(fragment, match)]
        last = match.end()
    shown.append(fragment[last:])
    return "".join(shown)


def _accessible_tag(fragment: str, match: re.Match[str]) -> str:
    """One tag of `_accessible`, with what it adds."""
    tag = match[2].lower()
    if tag == "h1":
        return f"<{match[1]}h2{match[3]}>"
    if match[1] or tag not in ("img", "a"):
        return match[0]
    attributes = _attributes_of(match[3])
    if tag == "img":
        return match[0] if "alt" in attributes else f'<{match[2]} alt=""{match[3]}>'
    empty = _EMPTY_LINK_END.match(fragment, match.end())
    if empty is None or not attributes.get("href"):
        return match[0]
    return match[0] + html.escape(attributes["href"], quote=False)


def below_path(fragment: str, prefix: str) -> str:
    """Sanitised HTML whose links' and images' site-absolute URLs (`href="/acme/emb/1"`,
    written for a hub at `/`) lead below `prefix` (`/hub/acme/emb/1`), the path of the hub's
    --base-url, where a proxy passes only that path on; one already below it (`/hub/acme`),
    relative, `#fragment`, `//host` and full URLs are left as written. Only tags are read:
    text that shows a tag (`&lt;a href="/x"&gt;`) is left alone."""
    if not prefix:
        return fragment
    escaped = html.escape(prefix, quote=True)

    def prefixed(attribute: re.Match[str]) -> str:
        url = attribute[2]
        if url == escaped or url.startswith(tuple(escaped + end for end in "/?#")):
            return attribute[0]  # Already below it, as the hub reads such a path.
        return f'{attribute[1]}="{escaped}{url}"'

    def rebased(match: re.Match[str]) -> str:
        if match[1] or match[2].lower() not in ("a", "img"):
            return match[0]
        return f"<{match[2]}{_SITE_ABSOLUTE.sub(prefixed, match[3])}>"

    return _TAG.sub(rebased, fragment)


def doc_file_links(
    fragment: str, doc_path: str, page_of: Callable[[str], str | None], prefix: str
) -> str:
    """Sanitised HTML whose relative links lead where they do on GitHub or on the doc's page.

    A relative link or image URL is read as GitHub reads it in the docs repository: relative
    to the doc's own file (`[v2](2.md)` in `acme/models/emb/1.md` names
    `acme/models/emb/2.md`). If `page_of` names the page of the file it names, it leads
    there (`{prefix}/acme/emb/2`, the path percent-encoded). Any other relative URL (a page
    URL such as `../emb/2` or `1`) is read from the doc's own page (`{prefix}/acme/emb/1`),
    wherever the hub shows the doc (`/acme/emb` for the latest version, `/acme/emb/1/`),
    and written site-absolute. Either keeps its query and gives its `#fragment` `ID_PREFIX`,
    as the doc's headings have it. Full and site-absolute URLs, `#fragment` and `?query`
    links are left as written, and so is every URL of a doc the hub shows on no page.

    Args:
        fragment: sanitised HTML of the doc's body.
        doc_path: the doc's path below ROOT/assets/docs, `/`-separated (`DocFile.rel_path`).
        page_of: maps such a path to its page's URL path, unquoted, without leading `/`
            (`Catalog.doc_page`); None for a path the hub serves no doc at.
        prefix: the path of the hub's --base-url (`/hub`), or "" for a hub at `/`.

    Returns:
        The fragment with those `href` and `src` values replaced (escaped).
    """
    own = page_of(doc_path)
    if own is None:
        return fragment
    own_url = f"{prefix}/{urllib.parse.quote(own, safe='/')}"
    folder = posixpath.dirname(doc_path)

    def led(attribute: re.Match[str]) -> str:
        if attribute[1].lower() not in ("href", "src") or attribute[2] is None:
            return attribute[0]
        parts = urllib.parse.urlsplit(html.unescape(attribute[2]))
        # A browser reads `\` as `/` in an http(s) URL: `\\host/x` is another host's.
        if parts.scheme or parts.netloc or parts.path[:1] in ("", "/", "\\"):
            return attribute[0]
        named = posixpath.normpath(posixpath.join(folder, urllib.parse.unquote(parts.path)))
        page = page_of(named)
        if page is not None:
            url = f"{prefix}/{urllib.parse.quote(page, safe='/')}"
        else:
            url = _joined_path(own_url, parts.path)
        if parts.query:
            url += f"?{parts.query}"
        if parts.fragment:
            url += "#" + ID_PREFIX + parts.fragment.removeprefix(ID_PREFIX)
        return f'{attribute[1]}="{html.escape(url, quote=True)}"'

    def rebased(match: re.Match[str]) -> str:
        if match[1] or match[2].lower() not in ("a", "img"):
            return match[0]
        # Attribute by attribute (`_ATTRIBUTE`), as `_attributes_of` reads them: an alt text
        # ending in ` src=` is no `src` (its closing `"` would open a value).
        return f"<{match[2]}{_ATTRIBUTE.sub(led, match[3])}>"

    return _TAG.sub(rebased, fragment)


def _joined_path(base: str, path: str) -> str:
    """The path a relative `path` leads to from the page at the path `base`, as a browser
    resolves it (RFC 3986: `..` never goes above `/`; a `\\` is a `/`), starting with one `/`:
    a browser takes `//x` or `/\\x` for the host x (Python drops the empty segment a browser
    keeps in `/a//x`, a path of this host all the same)."""
    joined = urllib.parse.urljoin(f"http://h{base}", path.replace("\\", "/"))
    return "/" + urllib.parse.urlsplit(joined).path.lstrip("/")


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
