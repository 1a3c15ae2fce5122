"""A text holding a lone surrogate that no byte stands for (U+D800: Python code can make one,
argv and surrogateescape never do) is "not UTF-8 text" to the nearest-neighbour tool, as a
byte that was not UTF-8 is: `not_utf8` raised a bare UnicodeEncodeError on it, so
SimilarityFinder.find_matches crashed with it (review of session 60)."""

from __future__ import annotations

import os

import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.utils.printable import not_utf8


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\udcff", b"a\xff"),  # A byte that was not UTF-8 (surrogateescape): that byte.
        ("a\ud800", b"a\xed\xa0\x80"),  # No byte: its code as surrogatepass writes it.
        ("\udfff\udc80b", b"\xed\xbf\xbf\x80b"),
        ("a\u00e9", None),
    ],
)
def test_not_utf8_gives_bytes_for_any_lone_surrogate(text: str, expected: bytes | None) -> None:
    data = not_utf8(text)
    assert data == expected
    if data is not None:
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")


def test_a_handle_with_a_lone_surrogate_is_an_invalid_handle() -> None:
    from tfhub.handle_check import cache_key

    with pytest.raises(errors.InvalidHandleError, match=r"not UTF-8 text \(\\xed\)"):
        cache_key("https://example.com/m\ud800")


@pytest.fixture(scope="module")
def finder(text_module: str, tmp_path_factory: pytest.TempPathFactory):
    from tfhub.tools.make_nearest_neighbour_index import index_builder
    from tfhub.tools.make_nearest_neighbour_index.similarity_finder import SimilarityFinder

    root = tmp_path_factory.mktemp("surrogate_index")
    os.mkdir(root / "embeds")
    items = nn.lines(4)
    vectors = nn.text_embedding_expected(items, dim=nn.DIM)
    records = [(i.encode(), v.tolist()) for i, v in zip(items, vectors, strict=True)]
    nn.write_records(root / "embeds" / "emb-00000-of-00001.tfrecords", records)
    index_builder.run(index_builder.BuildConfig(str(root / "embeds"), str(root / "index")))
    return SimilarityFinder(text_module, str(root / "index"))


@pytest.mark.tf
@pytest.mark.parametrize("query", ["a\ud800", "a\udcff"])
def test_find_matches_refuses_a_query_with_a_lone_surrogate(finder, query: str) -> None:
    with pytest.raises(errors.ArgumentError, match="The query is not UTF-8 text"):
        finder.find_matches(query)


@pytest.mark.tf
@pytest.mark.parametrize(
    ("item", "shown"), [("b\ud800", "b\\xed\\xa0\\x80"), ("b\udcff", "b\\xff")]
)
def test_the_embedder_refuses_an_item_with_a_lone_surrogate_showing_its_bytes(
    finder, item: str, shown: str
) -> None:
    with pytest.raises(errors.ArgumentError) as caught:
        finder.embedder(["fine", item])
    message = str(caught.value)
    assert not isinstance(caught.value, errors.NotATextEmbeddingError)
    assert "sentences[1] is not UTF-8 text" in message
    assert f"Received: sentences[1]=b'{shown}'" in message
