"""Feature columns used as TF1/tf_keras users did: odd batches and inputs that do not fit."""

from __future__ import annotations

import numpy as np
import pytest
from tests.feature_column._support import TEXT_V1, TEXT_V2

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _no_tokens(rows: int) -> object:
    """A SparseTensor of `rows` examples, none with a token."""
    return tf.SparseTensor(tf.zeros([0, 2], tf.int64), tf.constant([], tf.string), [rows, 2])


@pytest.mark.parametrize("combiner", ["mean", "sqrtn", "sum"])
def test_sparse_column_embeds_a_batch_without_any_token_as_zeros(combiner):
    """Before: TensorFlow's raw InvalidArgumentError "indices[0] == 0 out of range [0, 0)"."""
    column = hub.sparse_text_embedding_column("tokens", TEXT_V1, combiner, None)
    output = tf_keras.layers.DenseFeatures([column])({"tokens": _no_tokens(3)})
    np.testing.assert_array_equal(output.numpy(), np.zeros([3, 4], np.float32))


def test_sparse_column_in_input_layer_embeds_a_batch_without_any_token_as_zeros():
    column = hub.sparse_text_embedding_column("tokens", TEXT_V1, "mean", None)
    with tf.Graph().as_default():
        tokens = tf.compat.v1.sparse_placeholder(tf.string)
        output = tf.compat.v1.feature_column.input_layer({"tokens": tokens}, [column])
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            no_tokens = tf.compat.v1.SparseTensorValue(
                np.zeros([0, 2], np.int64), np.array([], object), [2, 2]
            )
            some = tf.compat.v1.SparseTensorValue([[1, 0]], ["cat"], [2, 2])
            np.testing.assert_array_equal(
                session.run(output, {tokens: no_tokens}), np.zeros([2, 4])
            )
            assert session.run(output, {tokens: some})[0].tolist() == [0.0] * 4


def test_text_column_v2_names_itself_for_features_that_are_not_strings():
    """Before: a bare TypeError from binding the SavedModel's tf.function, naming neither."""
    layer = tf_keras.layers.DenseFeatures([hub.text_embedding_column_v2("sentences", TEXT_V2)])
    with pytest.raises(errors.InputSpecError, match=r"text_embedding_column_v2\('sentences'\)"):
        layer({"sentences": tf.constant([1, 2])})
    with pytest.raises(TypeError, match="int32"):  # Still the builtin TensorFlow raised.
        layer({"sentences": tf.constant([1, 2])})


@pytest.mark.parametrize("make", [hub.text_embedding_column, hub.text_embedding_column_v2])
def test_dense_text_columns_refuse_several_strings_per_example(make):
    """Before: a [2, 2] batch gave 4 embeddings, so the rows no longer matched the examples."""
    path = TEXT_V1 if make is hub.text_embedding_column else TEXT_V2
    layer = tf_keras.layers.DenseFeatures([make("sentences", path)])
    for batch in (tf.constant(["a", "b"]), tf.constant([["a"], ["b"]])):
        assert layer({"sentences": batch}).shape == (2, 4)
    assert layer({"sentences": tf.zeros([0, 1], tf.string)}).shape == (0, 4)
    with pytest.raises(errors.InputSpecError, match=r"one string per example.*\(2, 2\)"):
        layer({"sentences": tf.constant([["a", "c"], ["b", "d"]])})
    with pytest.raises(errors.InputSpecError, match="sparse_text_embedding_column"):
        layer({"sentences": tf.constant([[["a"]], [["b"]]])})


def _save_two_input_text_model(path: str) -> str:
    """A TF2 SavedModel whose `__call__(text, scale)` needs a second tensor besides the text."""

    class TwoInputs(tf.Module):
        def __init__(self) -> None:
            self.weights = tf.Variable(tf.ones([1, 3]))

        @tf.function(
            input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.float32)]
        )
        def __call__(self, text, scale):
            lengths = tf.cast(tf.strings.length(text), tf.float32)
            return (lengths * scale)[:, None] * self.weights

    tf.saved_model.save(TwoInputs(), path)
    return path


def test_text_column_v2_refuses_a_module_that_needs_a_second_input(tmp_path):
    """Before: accepted when made; DenseFeatures then failed with a bare TypeError from binding
    the tf.function ("missing a required argument: 'scale'"), naming neither column nor module."""
    path = _save_two_input_text_model(str(tmp_path / "two_inputs"))
    with pytest.raises(errors.ModuleSpecError, match="Module is not a text embedding") as caught:
        hub.text_embedding_column_v2("sentences", path)
    message = str(caught.value)
    assert repr(path) in message and "and no other tensor" in message
    assert "TensorSpec(shape=(None,), dtype=tf.float32" in message


def test_sparse_column_refuses_tokens_of_rank_3_naming_the_column():
    """Before: TensorFlow's raw "Input to reshape is a tensor with 16 values, but the requested
    shape has 8" (the lookup gave [batch, 2, K] where the column promises [batch, K])."""
    column = hub.sparse_text_embedding_column("tokens", TEXT_V1, "sum", None)
    layer = tf_keras.layers.DenseFeatures([column])
    tokens = tf.SparseTensor([[0, 0, 0], [1, 0, 1]], ["cat", "hello"], [2, 2, 2])
    with pytest.raises(errors.InputSpecError, match=r"sparse_text_embedding_column\('tokens'\).*"):
        layer({"tokens": tokens})
    with pytest.raises(
        ValueError, match=r"\(batch, tokens\).*Received: tokens of shape \(2, 2, 2\)"
    ):
        layer({"tokens": tokens})


def test_dense_text_column_checks_a_width_unknown_until_run_time():
    """Before: a tf_keras.Input(shape=(None,)) fed 2 strings per example gave 2 rows per
    example, and Keras failed later on the labels' batch size (or trained on shifted rows)."""
    column = hub.text_embedding_column_v2("sentences", TEXT_V2)
    inputs = {"sentences": tf_keras.Input(shape=(None,), dtype=tf.string, name="sentences")}
    model = tf_keras.Model(inputs, tf_keras.layers.DenseFeatures([column])(inputs))
    assert model.predict({"sentences": np.array([["a"], ["b"]])}, verbose=0).shape == (2, 4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="one string per example"):
        model.predict({"sentences": np.array([["a", "c"], ["b", "d"]])}, verbose=0)
