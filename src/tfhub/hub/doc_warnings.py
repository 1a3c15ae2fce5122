"""Warnings about how a doc's body shows on the hub's pages (`tfhub validate` logs them as
`file:line: warning: ...`; they do not fail validation): images on outside hosts (a hub without
internet access shows them broken), images without alt text and links without text."""

from __future__ import annotations

import logging
import urllib.parse
from typing import TYPE_CHECKING

from .docs_format import DocFile, Problem

if TYPE_CHECKING:
    from . import render

logger = logging.getLogger(__name__)

_NO_TEXT = "screen readers read nothing useful; the page shows the URL as its text"
_OUTSIDE = "a hub without internet access shows it broken; keep images the users can reach"
_NO_ALT = "screen readers read its file name or nothing"


def content_warnings(doc: DocFile) -> list[Problem]:
    """What a doc's body shows badly, as warnings: images on outside hosts, images without alt
    text and links without text (as the hub renders the body; [] without markdown-it and nh3).

    Args:
        doc: the parsed doc.

    Returns:
        One `Problem` per image or link, at the first body line that names its URL (else where
        the body starts).
    """
    try:
        from . import render

        found = render.elements(doc.body)
    except ImportError:  # The hub's renderer is not installed: these checks need it.
        logger.debug("markdown-it or nh3 is not installed: no check of %s's images and links", doc)
        return []
    return [
        Problem(doc.display_path, _body_line(doc, url), message)
        for element in found
        for url, message in _element_warnings(element)
    ]


def _element_warnings(element: render.Element) -> list[tuple[str, str]]:
    """(URL, message) for each thing an image or link of a body does badly."""
    if element.tag == "a":
        href = element.attributes.get("href", "")
        if element.text or not href:
            return []
        return [
            (href, f"the link to {href} has no text ({_NO_TEXT}): write [where it leads]({href})")
        ]
    src = element.attributes.get("src", "")
    found = []
    host = urllib.parse.urlsplit(src).netloc
    if host:
        found.append((src, f"the image {src} is on another host, {host} ({_OUTSIDE})"))
    if not element.attributes.get("alt", "").strip():
        found.append(
            (src, f"the image {src} has no alt text ({_NO_ALT}): write ![what it shows]({src})")
        )
    return found


def _body_line(doc: DocFile, url: str) -> int:
    """The first line of the doc's body that has `url` in it (the body's first if none)."""
    for offset, line in enumerate(doc.body.splitlines()):
        if url and url in line:
            return doc.body_line + offset
    return doc.body_line
