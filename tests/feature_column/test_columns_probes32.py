"""Feature columns fed what a TF1/tf_keras user gets wrong (session 32 probes).

Before: a feature missing from the dict, a scalar, a tf.RaggedTensor (what tf.strings.split
returns) or a tf.SparseTensor for a dense text column each failed with TensorFlow's bare
ValueError ("Feature s is not in features dictionary.", "Attempt to convert a value
(SparseTensor(...)) ... to a Tensor", "object of type 'RaggedTensor' has no len()"), naming
neither the hub column nor what it takes; a sparse image feature was reported as a wrong dtype
("Received: images.dtype=float32").
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.feature_column._support import IMAGE_V1, TEXT_V1, TEXT_V2

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

COLUMNS = {
    "text_embedding_column": lambda: hub.text_embedding_column("s", TEXT_V1),
    "sparse_text_embedding_column": lambda: hub.sparse_text_embedding_column(
        "s", TEXT_V1, "mean", None
    ),
    "image_embedding_column": lambda: hub.image_embedding_column("s", IMAGE_V1),
    "text_embedding_column_v2": lambda: hub.text_embedding_column_v2("s", TEXT_V2),
}


def _dense_features(name: str, features: dict[str, Any]) -> Any:
    return tf_keras.layers.DenseFeatures([COLUMNS[name]()])(features)


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_a_missing_feature_names_the_column_in_dense_features(name: str) -> None:
    with pytest.raises(errors.CallInputSpecError, match=rf"hub\.{name}\('s'\).*features dict"):
        _dense_features(name, {"other": tf.constant(["a"])})
    with pytest.raises(ValueError, match="Pass a dict of features holding under 's'"):
        _dense_features(name, {"other": tf.constant(["a"])})  # Still TF's ValueError.


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_a_missing_feature_names_the_column_in_input_layer(name: str) -> None:
    column = COLUMNS[name]()
    with tf.Graph().as_default():
        with pytest.raises(errors.CallInputSpecError, match=rf"hub\.{name}\('s'\)"):
            tf.compat.v1.feature_column.input_layer({"other": tf.constant(["a"])}, [column])


@pytest.mark.parametrize("name", ["text_embedding_column", "text_embedding_column_v2"])
def test_a_scalar_text_feature_says_what_the_column_takes(name: str) -> None:
    with pytest.raises(errors.CallInputSpecError, match=r"rank 0.*strings, one per example"):
        _dense_features(name, {"s": tf.constant("a sentence")})


@pytest.mark.parametrize("name", ["text_embedding_column", "text_embedding_column_v2"])
def test_a_sparse_feature_for_a_dense_text_column_points_to_the_sparse_column(name: str) -> None:
    tokens = tf.SparseTensor([[0, 0], [1, 0]], ["cat", "hello"], [2, 1])  # As from parsing.
    with pytest.raises(errors.CallInputSpecError, match=r"SparseTensor.*tf\.sparse\.to_dense"):
        _dense_features(name, {"s": tokens})


def test_ragged_tokens_say_to_pass_them_as_sparse() -> None:
    tokens = tf.strings.split(tf.constant(["hello world", "cat"]))
    with pytest.raises(errors.CallInputSpecError, match=r"tokens\.to_sparse\(\)"):
        _dense_features("sparse_text_embedding_column", {"s": tokens})
    embedded = _dense_features("sparse_text_embedding_column", {"s": tokens.to_sparse()})
    assert embedded.shape == (2, 4)


def test_dense_tokens_for_the_sparse_column_say_how_to_make_them_sparse() -> None:
    with pytest.raises(errors.InputSpecError, match=r"tf\.sparse\.from_dense"):
        _dense_features("sparse_text_embedding_column", {"s": tf.constant([["a", "b"]])})


def test_sparse_images_are_not_reported_as_a_wrong_dtype() -> None:
    images = tf.SparseTensor([[0, 0, 0, 0]], [1.0], [1, 8, 6, 3])
    with pytest.raises(errors.InputSpecError, match="dense.*SparseTensor") as caught:
        _dense_features("image_embedding_column", {"s": images})
    assert "images.dtype" not in str(caught.value)


def test_text_column_v2_given_a_loaded_model_says_to_pass_its_handle() -> None:
    """Before: the resolver's "A handle must be a non-empty string", naming no column."""
    with pytest.raises(errors.HandleTypeError, match=r"text_embedding_column_v2.*pass that handle"):
        hub.text_embedding_column_v2("s", hub.load(TEXT_V2))
    with pytest.raises(TypeError, match="Received: module_path of type int"):
        hub.text_embedding_column_v2("s", 5)
