"""Warnings about how a doc's body shows on the hub's pages (`tfhub validate` logs them as
`file:line: warning: ...`; they do not fail validation): images on outside hosts (a hub without
internet access shows them broken), images without alt text, links without text, and relative
URLs the pages cannot follow: an image or link naming a file of the docs folder that is no doc
(the hub serves none), a link to a `.md` file that is not there (a relative link to a doc leads
to its page: `render.doc_file_links`)."""

from __future__ import annotations

import logging
import posixpath
import re
import urllib.parse
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .docs_format import DocFile, Problem
from .docs_layout import DOCS_DIR_POSIX

if TYPE_CHECKING:
    from . import render

logger = logging.getLogger(__name__)

_NO_TEXT = "screen readers read nothing useful; the page shows the URL as its text"
_OUTSIDE = "a hub without internet access shows it broken; keep images the users can reach"
_NO_ALT = "screen readers read its file name or nothing"
_REACH = "put it at a URL the users can reach"


def content_warnings(doc: DocFile) -> list[Problem]:
    """What a doc's body shows badly, as warnings: images on outside hosts, images without alt
    text and links without text (as the hub renders the body; [] without markdown-it and nh3).

    Args:
        doc: the parsed doc.

    Returns:
        One `Problem` per thing an image or link does badly, at the body line naming its URL:
        the N-th image or link of a URL at the N-th place the body names it (so a URL linked
        on five lines is warned about on each), else the last such line, else where the body
        starts.
    """
    try:
        from . import render

        found = render.elements(doc.body)
    except ImportError:  # The hub's renderer is not installed: these checks need it.
        logger.debug("markdown-it or nh3 is not installed: no check of %s's images and links", doc)
        return []
    docs = _docs_folder(doc)
    seen: dict[str, int] = {}  # How many images and links of each URL came before.
    problems = []
    for element in found:
        url = element.attributes.get("src" if element.tag == "img" else "href", "")
        nth = seen.get(url, 0)
        seen[url] = nth + 1
        for message in _element_warnings(element) + _relative_warnings(element, doc, docs):
            problems.append(Problem(doc.display_path, _body_line(doc, url, nth), message))
    return problems


def _element_warnings(element: render.Element) -> list[str]:
    """A message for each thing an image or link of a body does badly."""
    if element.tag == "a":
        href = element.attributes.get("href", "")
        if element.text or not href:
            return []
        return [f"the link to {href} has no text ({_NO_TEXT}): write [where it leads]({href})"]
    src = element.attributes.get("src", "")
    found = []
    host = urllib.parse.urlsplit(src).netloc
    if host:
        found.append(f"the image {src} is on another host, {host} ({_OUTSIDE})")
    if not element.attributes.get("alt", "").strip():
        found.append(f"the image {src} has no alt text ({_NO_ALT}): write ![what it shows]({src})")
    return found


def _relative_warnings(element: render.Element, doc: DocFile, docs: Path | None) -> list[str]:
    """The message for an image's or link's relative URL the doc's page cannot follow
    (`_file_problem`; `docs`: ROOT/assets/docs, None if unknown: no warning)."""
    image = element.tag == "img"
    url = element.attributes.get("src" if image else "href", "")
    parts = urllib.parse.urlsplit(url)
    if docs is None or parts.scheme or parts.netloc or parts.path[:1] in ("", "/"):
        return []
    found = _file_problem(url, parts.path, doc.rel_path, docs, image=image)
    return [] if found is None else [found]


def _file_problem(url: str, path: str, rel_path: str, docs: Path, *, image: bool) -> str | None:
    """What is wrong with a relative URL of the doc at `rel_path` (below `docs`) whose path is
    `path`, read from the doc's folder as GitHub reads it: it names a file of `docs` that is
    no doc (an image or a PDF beside the doc: the hub serves none), or a link names a `.md`
    file that is not there or lies out of `docs`. None if it names a doc there, or no file
    (a page URL, `../emb/1`: it works as written)."""
    named = posixpath.normpath(posixpath.join(posixpath.dirname(rel_path), unquote(path)))
    outside = named == ".." or named.startswith(("../", "/"))
    there = not outside and _is_file(docs / named)
    what = "image" if image else "link to"
    if there and (image or not named.endswith(".md")):
        return (
            f"the {what} {url} names a file of the docs folder, which the hub does not serve "
            f"(the page {'shows it broken' if image else 'leads to a 404'}): {_REACH}"
        )
    if named.endswith(".md") and not there and not image:
        where = (
            f"it leads out of {DOCS_DIR_POSIX}" if outside else f"no file {DOCS_DIR_POSIX}/{named}"
        )
        return (
            f"the link to {url} names no doc of this hub ({where}; the page leads to a 404): "
            "link a doc that is there"
        )
    return None


def _is_file(path: Path) -> bool:
    """True if `path` is a regular file (or a link to one); False if it cannot be looked at."""
    try:
        return path.is_file()
    except (OSError, ValueError):  # A name too long, a folder that cannot be searched.
        return False


def _docs_folder(doc: DocFile) -> Path | None:
    """ROOT/assets/docs of a doc read from a hub folder (its `rel_path` is below it), else
    None (a doc read alone, whose `rel_path` is its name, or one outside ROOT/assets/docs)."""
    rel = PurePosixPath(doc.rel_path)
    path = Path(doc.path).absolute()
    if rel.is_absolute() or len(rel.parts) < 2 or ".." in rel.parts:
        return None
    if path.parts[-len(rel.parts) :] != rel.parts:
        return None
    return path.parents[len(rel.parts) - 1]


def _body_line(doc: DocFile, url: str, nth: int = 0) -> int:
    """The line of the doc's body holding the `nth` (from 0) place that names `url` as a link's
    or image's target (`](url`, `]:url`, `](<url>`, `<url>`, `src=url`, `href="url"`, with any
    spaces after `](` or `]:`; the URL ending there, not a longer one starting with it; not the
    URL in a link's text; a line naming it twice counts twice), the last such line if fewer;
    where no such place is, the same over any place the URL is written; the body's first line
    if none."""
    if not url:
        return doc.body_line
    lines = _lines_naming(doc, _target_pattern(url)) or _lines_naming(
        doc, re.compile(re.escape(url))
    )
    return lines[min(nth, len(lines) - 1)] if lines else doc.body_line


def _target_pattern(url: str) -> re.Pattern[str]:
    """How Markdown and HTML write `url` as a link's or image's target, ending there."""
    return re.compile(
        r"""(\]\(\s*<?|\]:\s*<?|<|(?:src|href)=["']?)""" + re.escape(url) + r"""(?=[\s)>"']|$)"""
    )


def _lines_naming(doc: DocFile, pattern: re.Pattern[str]) -> list[int]:
    """The doc's line numbers, once per place of its body that `pattern` matches."""
    found: list[int] = []
    for offset, line in enumerate(doc.body.splitlines()):
        count = sum(1 for _ in pattern.finditer(line))
        found += [doc.body_line + offset] * count
    return found
