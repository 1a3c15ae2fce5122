"""TextEmbedder given a caller's bad batch (review of session 60): an empty batch, a batch
with an item that is not a string, or one that is not UTF-8 text is the caller's to fix, not a
sign that the module is no text embedding (it said "is not a text embedding: it fails on 0
string(s) (the first '')" for [], and a bare "'NoneType' object is not subscriptable" for
[None])."""

from __future__ import annotations

import numpy as np
import pytest

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index.embedding_generator import generate_embeddings
from tfhub.tools.make_nearest_neighbour_index.text_embedding import TextEmbedder

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def embedder(text_module: str) -> TextEmbedder:
    return TextEmbedder(text_module)


def test_an_empty_batch_has_no_vectors(embedder: TextEmbedder, text_module: str) -> None:
    vectors = embedder([])
    assert vectors.shape == (0, embedder.dim) and vectors.dtype == np.float32
    items, embeddings = generate_embeddings([], text_module, np.ones([embedder.dim, 2]))
    assert list(items) == [] and embeddings.shape == (0, 2)


@pytest.mark.parametrize(
    ("batch", "index", "shown"), [(["ok", None], 1, "None"), ([None], 0, "None"), ([5], 0, "5")]
)
def test_an_item_that_is_not_a_string_is_the_callers(
    embedder: TextEmbedder, batch: list, index: int, shown: str
) -> None:
    with pytest.raises(errors.ArgumentTypeError) as caught:
        embedder(batch)
    message = str(caught.value)
    assert not isinstance(caught.value, errors.NotATextEmbeddingError)
    assert f"sentences[{index}] is {shown} (a {type(batch[index]).__name__}), not a string" in (
        message
    )
    assert "is not a text embedding" not in message


def test_an_item_that_is_not_utf8_text_is_the_callers(embedder: TextEmbedder) -> None:
    with pytest.raises(errors.ArgumentError) as caught:
        embedder(["fine", "bad \udcff"])
    assert not isinstance(caught.value, errors.NotATextEmbeddingError)
    assert "sentences[1] is not UTF-8 text" in str(caught.value)
    assert "is not a text embedding" not in str(caught.value)


def test_str_and_bytes_items_are_embedded_alike(embedder: TextEmbedder) -> None:
    both = embedder(["hello world", b"hello world"])
    assert both.shape == (2, embedder.dim)
    np.testing.assert_array_equal(both[0], both[1])
