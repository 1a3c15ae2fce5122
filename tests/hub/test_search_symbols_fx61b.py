"""A symbol whose compatibility form is letters (`™`, `㎏`, `℃`) stays a word break in search.

Since text is compared in NFKC (session 61), `TF™ model` was indexed as `tftm`, `model`,
`Google AI™ Lab` as `google`, `aitm`, `lab`, and `5㎏` as `5kg`: the symbol's letters were glued
onto the word before it, and since a query word shorter than MIN_PREFIX matches whole words
only, `tf` and `ai` no longer found these docs. Now such a symbol is its letters as a word of
their own (`tf`, `tm`, `model`).
"""

from __future__ import annotations

import sys
import unicodedata

import pytest

from tfhub.hub import search
from tfhub.hub.search import index_words, normalized, words


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("TF™ model", ["tf", "tm", "model"]),
        ("Google AI™ Lab", ["google", "ai", "tm", "lab"]),
        ("5㎏ weights", ["5", "kg", "weights"]),
        ("at 20℃", ["at", "20", "c"]),
        ("No№5", ["no", "no", "5"]),
    ],
)
def test_a_symbols_letters_are_a_word_of_their_own(text: str, found: list[str]) -> None:
    assert words(text) == found


@pytest.mark.parametrize("text", ["TF™ model", "Google AI™ Lab"])
def test_a_short_word_before_a_symbol_is_indexed_whole(text: str) -> None:
    indexed = index_words(text)
    assert ("tf" in indexed) or ("ai" in indexed), indexed
    assert not any(word.endswith("tm") and word != "tm" for word in indexed), indexed


def test_text_without_such_symbols_is_normalized_as_before() -> None:
    assert (
        normalized("Café Straße 模型 ｍｏｂｉｌｅ ﬁne $5 +1")
        == "cafe straße 模型 mobile fine $5 +1"
    )


def test_the_symbol_table_has_every_such_symbol_of_unicode() -> None:
    """The table scans the blocks that hold them (fast at import); this scans all of Unicode."""
    expected = {}
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        category = unicodedata.category(char)  # Number characters too (fx61e F6).
        if category.startswith("S") or category in ("No", "Nl"):
            compatible = unicodedata.normalize("NFKC", char)
            if compatible != char:
                expected[code] = f" {compatible} "
    assert search._SYMBOL_BREAKS == expected
