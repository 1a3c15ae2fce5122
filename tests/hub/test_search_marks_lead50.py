"""Search words keep the combining marks of scripts that write vowels and signs with them
(Devanagari, Hebrew points, Arabic harakat): a word is not cut at each mark (fix50b's note)."""

from __future__ import annotations

import pytest

from tfhub.hub import search


@pytest.mark.parametrize(
    "text",
    [
        "हिन्दी",  # Devanagari: vowel signs and virama are marks.
        "בְּרֵאשִׁית",  # Hebrew with points.
        "كِتَابٌ",  # Arabic with harakat.
        "தமிழ்",  # Tamil.
    ],
)
def test_a_word_with_combining_marks_is_one_word(text: str) -> None:
    assert search.words(f"model {text} encoder") == ["model", text, "encoder"]


def test_latin_words_and_compounds_are_as_before() -> None:
    assert search.words("Résumé mobilenet_v2_100") == [
        "resume",
        "mobilenet_v2_100",
        "mobilenet",
        "v2",
        "100",
    ]
