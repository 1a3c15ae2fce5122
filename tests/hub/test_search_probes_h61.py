"""Session 61 probes of the hub's search (`tfhub.hub.search`, in memory, no server).

1. A query typed with a Japanese or Chinese input method in full-width mode
   (`ｍｏｂｉｌｅｎｅｔ`, `ＢＥＲＴ`) found nothing: text was compared composed (NFC), which
   keeps full-width Latin letters and digits apart from ASCII ones, as it kept half-width kana
   (`ﾓﾃﾞﾙ`) apart from `モデル` and a ligature (`ﬁ`, as PDFs give it) apart from `fi`. Now text
   is compared in its compatibility form (NFKC), as search engines' Unicode normalizers do.
"""

from __future__ import annotations

import pytest

from tfhub.hub.search import normalized, words


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("ｍｏｂｉｌｅｎｅｔ＿ｖ２", "mobilenet_v2"),
        ("ＢＥＲＴ", "bert"),
        ("ﾓﾃﾞﾙ", "モデル"),
        ("ﬁne-tuned", "fine-tuned"),
        ("Ｃａｆé", "cafe"),
    ],
)
def test_compatibility_forms_are_searched_as_their_plain_letters(typed: str, written: str) -> None:
    assert normalized(typed) == normalized(written)
    assert words(typed) == words(written)


def test_plain_text_is_normalized_as_before() -> None:
    """NFKC changes nothing that NFC kept apart from a compatibility form."""
    assert normalized("Café Straße 模型 हिन्दी") == "cafe straße 模型 हिन्दी"
