"""A number character whose compatibility form differs from it (categories No and Nl: `Ⅱ`,
`①`, `½`) is a word break in the search, as a symbol is (review fx61e F6). Before, NFKC glued
its digits or letters onto the word before: `Net①` was the word `net1`, which a query `net`
did not find."""

from __future__ import annotations

import unicodedata

import pytest

from tfhub.hub import search


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ResNetⅡ", ["resnet", "ii"]),
        ("Net①", ["net", "1"]),
        ("size½", ["size", "1", "2"]),
    ],
)
def test_a_number_character_is_a_word_of_its_own(text: str, expected: list[str]) -> None:
    assert set(expected) <= set(search.words(text)), search.words(text)


def test_a_query_for_the_word_finds_it() -> None:
    assert "resnet" in search.words("ResNetⅡ") and "net" in search.words("Net①")


def test_every_such_number_character_is_a_break() -> None:
    numbers = [
        code
        for code in range(0x80, 0x110000)
        if unicodedata.category(chr(code)) in ("No", "Nl")
        and unicodedata.normalize("NFKC", chr(code)) != chr(code)
    ]
    assert numbers and all(code in search._SYMBOL_BREAKS for code in numbers)
