"""The start tags of an HTML page, as a browser's tokenizer sees them: for the tests that check
what a rendered doc or a served page may hold."""

from __future__ import annotations

from html.parser import HTMLParser

Tag = tuple[str, list[tuple[str, str | None]]]  # (name, [(attribute, value or None), ...])


def start_tags(html: str) -> list[Tag]:
    """Every start tag of `html` with its attributes, in order."""
    found: list[Tag] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found
