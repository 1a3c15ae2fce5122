"""tfhub.hub.search over scripts written without spaces (Chinese, Japanese, Korean, Thai).

A run of such characters was indexed as one word, and query words under 3 characters match
whole words only: `模型` did not find `这是一个文本嵌入模型`, nor `모델` find `모델입니다`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher

from tfhub.hub.catalog import Catalog
from tfhub.hub.search import SearchIndex, words

DESCRIPTIONS = {
    "acme/zh-text/1": "这是一个文本嵌入模型，支持中文。",
    "acme/ja-text/1": "日本語のテキスト埋め込みモデルです。",
    "acme/ko-text/1": "한국어 텍스트 임베딩 모델입니다.",
    "acme/th-text/1": "แบบจำลองการฝังข้อความภาษาไทย",
    "acme/mixed/1": "BERT模型用于文本分类 (classification).",
    "acme/model/1": "The model acme/model.",
    "acme/cafe/1": "Café models from news, crème brûlée.",
    "google/imagenet/mobilenet_v2_100_224/feature_vector/5": "Image feature vectors.",
    "google/efficientnet/b0/feature-vector/1": "EfficientNet B0 features.",
}

LONG_RUN = "一二三四五六七八九十百千万亿零壹贰叁肆伍"  # 20 characters: 19 pairs.


def _root(root: Path) -> Path:
    write_publisher(root, "acme", "Acme")
    write_publisher(root, "google", "Google")
    for handle, description in DESCRIPTIONS.items():
        body = f"A small model. {LONG_RUN}" if handle == "acme/zh-text/1" else "A small model."
        write_model_doc(root, handle, description=description, body=body)
    return root


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    return SearchIndex.build(Catalog.scan(_root(tmp_path_factory.mktemp("root"))))


def _found(index: SearchIndex, query: str) -> list[str]:
    return [model.handle for model in index.search(query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Chinese: any part of two or more characters, and single characters.
        ("模型", ["acme/mixed", "acme/zh-text"]),
        ("嵌入", ["acme/zh-text"]),
        ("文本嵌入模型", ["acme/zh-text"]),
        ("一个文本", ["acme/zh-text"]),
        ("文本", ["acme/mixed", "acme/zh-text"]),
        ("模", ["acme/mixed", "acme/zh-text"]),
        ("型", ["acme/mixed", "acme/zh-text"]),  # The last character of a run.
        ("模式", []),
        ("嵌入 分类", []),
        (LONG_RUN, ["acme/zh-text"]),  # In the body; more pairs than `MAX_QUERY_WORDS`.
        (LONG_RUN[:-1] + "陆", []),  # Every pair is asked, the last too.
        # Japanese: kanji and kana in one run.
        ("埋め込み", ["acme/ja-text"]),
        ("テキスト", ["acme/ja-text"]),
        ("モデル", ["acme/ja-text"]),
        ("日本語", ["acme/ja-text"]),
        ("込", ["acme/ja-text"]),
        ("埋め込みモデル", ["acme/ja-text"]),
        # Korean: words carry their particles (`모델입니다`).
        ("모델", ["acme/ko-text"]),
        ("임베딩", ["acme/ko-text"]),
        ("한국어 모델", ["acme/ko-text"]),
        ("텍스트", ["acme/ko-text"]),
        # Thai, with its combining vowel and tone marks (`ข้อความ`).
        ("ภาษาไทย", ["acme/th-text"]),
        ("ข้อความ", ["acme/th-text"]),
        ("การฝัง", ["acme/th-text"]),
        # Mixed with Latin words, spaced or not; Latin words still match as prefixes.
        ("bert 模型", ["acme/mixed"]),
        ("BERT模型", ["acme/mixed"]),
        ("class 文本", ["acme/mixed"]),
        ("bert 嵌入", []),
        # Punctuation of these scripts is no word.
        ("。", []),
        ("・，", []),
    ],
)
def test_unspaced_scripts_match_any_part_of_two_or_more_characters(index, query, expected):
    assert sorted(_found(index, query)) == expected, query


LATIN = {  # What these queries found before runs of unspaced scripts were cut in pairs.
    "mobile": ["google/imagenet/mobilenet_v2_100_224/feature_vector"],
    "mobilenet_v2_1": ["google/imagenet/mobilenet_v2_100_224/feature_vector"],
    "v2_100_2": ["google/imagenet/mobilenet_v2_100_224/feature_vector"],
    "efficientnet-b0": ["google/efficientnet/b0/feature-vector"],
    "efficientnet/b": ["google/efficientnet/b0/feature-vector"],
    "acme/model/1": ["acme/model"],
    "model": [  # The handle and description count most, then by handle.
        "acme/model",
        "acme/cafe",
        "acme/ja-text",
        "acme/ko-text",
        "acme/mixed",
        "acme/th-text",
        "acme/zh-text",
        "google/efficientnet/b0/feature-vector",
        "google/imagenet/mobilenet_v2_100_224/feature_vector",
    ],
    "feature": [
        "google/efficientnet/b0/feature-vector",
        "google/imagenet/mobilenet_v2_100_224/feature_vector",
    ],
    "café": ["acme/cafe"],
    "crème": ["acme/cafe"],
    "news models": ["acme/cafe"],
    "classification": ["acme/mixed"],
    "be": [],
    "a": [  # Whole words only: `a` of `A small model.`, every model's body.
        "acme/cafe",
        "acme/ja-text",
        "acme/ko-text",
        "acme/mixed",
        "acme/model",
        "acme/th-text",
        "acme/zh-text",
        "google/efficientnet/b0/feature-vector",
        "google/imagenet/mobilenet_v2_100_224/feature_vector",
    ],
    "zebra": [],
    ".*[(": [],
}


def test_latin_script_results_and_their_order_are_unchanged(index):
    for query, expected in LATIN.items():
        assert _found(index, query) == expected, query
    assert len(index.search("")) == len(DESCRIPTIONS)
    assert words("mobilenet_v2_100 Text") == ["mobilenet_v2_100", "text", "mobilenet", "v2", "100"]


def test_a_run_of_an_unspaced_script_is_cut_in_overlapping_pairs():
    assert words("BERT模型用于 型 ข้อ") == ["bert", "模型", "型用", "用于", "型", "ข้", "้อ"]


def test_a_served_page_finds_a_model_by_a_part_of_its_chinese_description(tmp_path):
    root = _root(tmp_path / "root")
    with serve_hub(root, tmp_path / "serve.log") as server:
        page = requests.get(server.url("/"), params={"q": "模型"}, timeout=10)
        none = requests.get(server.url("/"), params={"q": "模式"}, timeout=10)
    assert page.status_code == 200
    assert "acme/zh-text" in page.text and "acme/mixed" in page.text
    assert "acme/ja-text" not in page.text and "acme/zh-text" not in none.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cafe", ["acme/cafe"]),  # Without its accent: `café` was `caf` + `é`.
        ("CAFÉ", ["acme/cafe"]),
        ("brû", ["acme/cafe"]),  # A prefix of `brûlée`, which was `br` + `ûlée`.
        ("brulee", ["acme/cafe"]),
        ("creme brulee", ["acme/cafe"]),
        ("ûlée", []),  # No longer a word of its own.
    ],
)
def test_latin_letters_with_diacritics_are_in_their_words_and_folded(index, query, expected):
    """A Latin word with an accented letter was cut there (`brûlée` indexed as `br` and
    `ûlée`), so `brû` found nothing, and `cafe` did not find `café` (no folding, as search
    engines fold diacritics)."""
    assert _found(index, query) == expected


def test_words_keep_letters_of_any_script_and_fold_only_latin_diacritics():
    assert words("naïve-bayes_v2 Straße") == ["naive-bayes_v2", "straße", "naive", "bayes", "v2"]
    assert words("Tiếng Việt модель2 Ελληνικά") == ["tieng", "viet", "модель2", "ελληνικά"]
    assert words("ガ") == ["ガ"]  # Kana voicing marks are kept (not folded to カ).
