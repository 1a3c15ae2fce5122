"""Where validate places a link's warning (rvfix60f): every way of writing a target, and not a
longer URL starting with it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest

from tfhub.hub import doc_warnings
from tfhub.hub.docs_format import DocFile


def _doc(body: str) -> DocFile:
    """What `_body_line` reads of a doc: its body and the line it starts at."""
    return cast(DocFile, SimpleNamespace(body=body, body_line=10))


@pytest.mark.parametrize(
    "target",
    [
        "[x]:https://x/a",
        "[x](  https://x/a)",
        "[x]:  https://x/a",
        "<img src=https://x/a>",
        "[x](<https://x/a>)",
        '<a href="https://x/a">',
    ],
)
def test_validate_places_each_way_of_writing_a_target_on_its_line(target: str) -> None:
    body = "https://x/a in text\n[y](https://x/a/b)\n" + target + "\n"
    assert doc_warnings._body_line(_doc(body), "https://x/a") == 12


def test_validate_does_not_take_a_longer_url_for_the_link() -> None:
    body = "[y](https://x/a/b)\n[z](https://x/a)\n"
    assert doc_warnings._body_line(_doc(body), "https://x/a") == 11
