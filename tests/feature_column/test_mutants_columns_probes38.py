"""Tests that kill mutants of the feature columns that the other tests let live (session 38).

Each test names the line it guards: a change there (a flipped comparison, a dropped check) made
no other test fail. Real modules only: TF2 SavedModels saved here, TF1 modules made with
hub.create_module_spec and exported.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from tests.feature_column._support import IMAGE_V1

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


class _TrainingTensorEmbedding(tf.Module):
    """A TF2 text embedding whose `__call__` takes `training` as a bool tensor, not a flag."""

    def __init__(self) -> None:
        super().__init__()
        self.weights = tf.Variable([[1.0, 2.0]])

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([], tf.bool)])
    def __call__(self, text: object, training: object) -> object:
        lengths = tf.cast(tf.strings.length(text), tf.float32)[:, None]
        scale = tf.where(training, 10.0, 1.0)
        return lengths * self.weights * scale


def test_text_v2_takes_a_module_whose_training_argument_is_a_tensor(tmp_path) -> None:
    """_signatures.read_tf2_call_inputs: a `training` tensor argument is the flag the column
    passes, not a second input (dropping `spec.name != "training"` refused the module)."""
    path = os.fspath(tmp_path / "training_tensor")
    tf.saved_model.save(_TrainingTensorEmbedding(), path)
    column = hub.text_embedding_column_v2("text", path)
    output = tf_keras.layers.DenseFeatures([column])({"text": tf.constant(["ab", "abcd"])})
    np.testing.assert_allclose(output.numpy(), [[2.0, 4.0], [4.0, 8.0]])


def _any_size_image_module_fn() -> None:
    images = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3])
    hub.add_signature(
        inputs={"images": images}, outputs={"default": tf.reduce_mean(images, [1, 2])}
    )


@pytest.mark.parametrize("image_size", [(0, 2), (2, 0)])
def test_image_size_of_zero_is_refused(image_size) -> None:
    """image._checked_image_size: a zero height or width is not a size (`<= 0`, not `< 0`); a
    module taking any size would otherwise accept it, and parse images of no pixels."""
    spec = hub.create_module_spec(_any_size_image_module_fn)
    with pytest.raises(errors.ArgumentError, match=r"positive ints"):
        hub.image_embedding_column("pixels", spec, image_size=image_size)


def _text_module_fn(output_shape: list, output_dtype: object = tf.float32, sparse: bool = False):
    def module_fn() -> None:
        if sparse:
            text = tf.compat.v1.sparse_placeholder(tf.string, [None], name="text")
            lengths = tf.strings.length(text.values)
        else:
            text = tf.compat.v1.placeholder(tf.string, [None], name="text")
            lengths = tf.strings.length(text)
        dims = [tf.size(lengths) if dim is None else dim for dim in output_shape[1:]]
        ones = tf.ones(tf.stack([1, *dims]), output_dtype)  # A None dim: unknown when built.
        batch = tf.cast(tf.reshape(lengths, [-1, *[1] * (len(output_shape) - 1)]), output_dtype)
        hub.add_signature(inputs=text, outputs=batch * ones)

    return module_fn


@pytest.mark.parametrize(
    ("output_shape", "output_dtype", "said"),
    [
        ([None, None], tf.float32, r"shape=\(None, None\), dtype=float32"),
        ([None, 2, 2], tf.float32, r"shape=\(None, 2, 2\), dtype=float32"),
        ([None, 2], tf.float64, r"shape=\(None, 2\), dtype=float64"),
    ],
    ids=["unknown-width", "rank-3", "float64"],
)
def test_tf1_text_module_with_another_default_output_is_refused(
    output_shape, output_dtype, said
) -> None:
    """_signatures.default_embedding_output_issue: the 'default' output must be float32
    [None, K] with a known K (each clause of the check dropped in turn let these through)."""
    spec = hub.create_module_spec(_text_module_fn(output_shape, output_dtype))
    with pytest.raises(errors.ModuleSpecError, match=f"its 'default' output is Tensor\\({said}"):
        hub.text_embedding_column("text", spec)


def test_tf1_text_module_with_a_sparse_input_is_refused() -> None:
    """text.check_text_embedding: a SparseTensor input is not a batch of strings."""
    spec = hub.create_module_spec(_text_module_fn([None, 2], sparse=True))
    with pytest.raises(errors.ModuleSpecError, match=r"its input is SparseTensor\("):
        hub.text_embedding_column("text", spec)


class _ShapedEmbedding(tf.Module):
    """A TF2 text embedding returning `[N, width]` of `dtype` (width None: known when run)."""

    def __init__(self, width: int | None, dtype: object) -> None:
        super().__init__()
        self._width, self._dtype = width, dtype

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, text: object) -> object:
        lengths = tf.cast(tf.strings.length(text), self._dtype)[:, None]
        width = self._width or tf.shape(text)[0]  # Unknown when traced.
        return lengths * tf.ones([1, width], self._dtype)


@pytest.mark.parametrize(
    ("width", "dtype", "said"),
    [
        (None, tf.float32, r"shape=\(None, None\), dtype=tf.float32"),
        (2, tf.float64, r"shape=\(None, 2\), dtype=tf.float64"),
    ],
    ids=["unknown-width", "float64"],
)
def test_text_v2_module_with_another_output_is_refused(tmp_path, width, dtype, said) -> None:
    """text_v2: `__call__` must return float32 [None, K] with a known K."""
    path = os.fspath(tmp_path / "shaped")
    tf.saved_model.save(_ShapedEmbedding(width, dtype), path)
    with pytest.raises(errors.ModuleSpecError, match=f"returns TensorSpec\\({said}"):
        hub.text_embedding_column_v2("text", path)


class _CountingEmbedding(tf.Module):
    """A TF2 text embedding with a trainable [1, 2] weight and a non-trainable [3] variable."""

    def __init__(self) -> None:
        super().__init__()
        self.weights = tf.Variable([[1.0, 2.0]])
        self.frozen = tf.Variable([0.0, 0.0, 0.0], trainable=False)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, text: object) -> object:
        lengths = tf.cast(tf.strings.length(text), tf.float32)[:, None]
        return lengths * self.weights + tf.reduce_sum(self.frozen)


def test_trainable_input_layer_adds_only_trainable_variables_to_trainable(tmp_path) -> None:
    """_graph.add_to_collections: TRAINABLE_VARIABLES gets the module's trainable variables
    only; the weight collections get all of them."""
    path = os.fspath(tmp_path / "counting")
    tf.saved_model.save(_CountingEmbedding(), path)
    column = hub.text_embedding_column_v2("text", path, trainable=True)
    with tf.Graph().as_default():
        text = tf.compat.v1.placeholder(tf.string, [None])
        tf.compat.v1.feature_column.input_layer(
            {"text": text}, [column], weight_collections=["weights"]
        )
        trainable = [v.shape.as_list() for v in tf.compat.v1.trainable_variables()]
        weights = sorted(v.shape.as_list() for v in tf.compat.v1.get_collection("weights"))
    assert trainable == [[1, 2]]
    assert weights == [[1, 2], [3]]


def test_image_config_holds_image_size_only_when_given() -> None:
    """image.get_config: a size read from the module is not written into the config (so the
    rebuilt column follows the module); a size given is."""
    derived = hub.image_embedding_column("images", IMAGE_V1)
    assert derived.image_size == (8, 6) and derived.get_config()["image_size"] is None
    given = hub.image_embedding_column("images", IMAGE_V1, image_size=(8, 6))
    assert given.get_config()["image_size"] == [8, 6]
