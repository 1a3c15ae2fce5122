"""A RaggedTensor or SparseTensor given to a model that takes dense tensors (session 63).

The layer checked inputs against the model's input specs by dtype and shape only. A ragged
float32[2, None] "fits" float32[None, 3] by shape, a SparseTensor string[2] fits string[None],
so no mismatch was found and TensorFlow's error came through ("Could not find matching concrete
function", "Attempt to convert a value (SparseTensor(...)) with an unsupported type"), unlike
a dense tensor of the wrong shape (a CallInputSpecError naming what the model expects). Where
a mismatch was found (a signature), the message read "Received: inputs=float32[2, 3]" for a
sparse float32[2, 3]: the very dtype and shape it said were expected. The kind of tensor is
now part of the check and of the message, which says how to make the input dense, or, for a
TF1 Hub module's sparse input (its signature takes `<input>_indices`, `_values`, `_dense_shape`),
how to pass the SparseTensor's parts: that model does take a SparseTensor, so "make the inputs
dense" would be wrong there.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from tests.keras._support import Flavour

from tfhub import errors

pytestmark = pytest.mark.tf

ROWS = [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


def test_a_ragged_input_to_a_dense_call_is_said_and_a_dense_retry_works(
    flavour: Flavour, model_dir: dict[str, str]
) -> None:
    """Upstream let TensorFlow's ValueError through; the CallInputSpecError is one too."""
    import tensorflow as tf

    layer = flavour.layer(model_dir["tf2"])
    with pytest.raises(errors.CallInputSpecError) as caught:
        layer(tf.ragged.constant(ROWS))
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert "expects: float32[None, 3]" in message
    assert "Received: inputs=RaggedTensor float32[2, None]" in message
    assert "ragged.to_tensor()" in message and "sparse" not in message
    dense = layer(np.array(ROWS, np.float32))
    assert dense.shape == (2, 2)


def test_a_sparse_input_to_a_dense_call_is_said(
    flavour: Flavour, model_dir: dict[str, str]
) -> None:
    """Upstream let TensorFlow's TypeError through; the CallInputSpecError is one too."""
    import tensorflow as tf

    layer = flavour.layer(model_dir["text"])
    with pytest.raises(errors.CallInputSpecError) as caught:
        layer(tf.sparse.from_dense(tf.constant(["a b", "c"])))
    assert isinstance(caught.value, TypeError)
    message = str(caught.value)
    assert "expects: string[None]" in message
    assert "Received: inputs=SparseTensor string[2]" in message
    assert "tf.sparse.to_dense(" in message
    assert ".to_tensor()" not in message


def test_a_sparse_input_to_a_signature_is_not_described_as_dense(
    flavour: Flavour, model_dir: dict[str, str]
) -> None:
    import tensorflow as tf

    layer = flavour.layer(model_dir["tf2"], signature="features", signature_outputs_as_dict=True)
    with pytest.raises(errors.CallInputSpecError) as caught:
        layer(tf.sparse.from_dense(np.array(ROWS, np.float32)))
    assert "Received: inputs=SparseTensor float32[2, 3]" in str(caught.value)


@pytest.fixture(scope="module")
def sparse_tf1_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A TF1 Hub module whose default signature takes a sparse float32 [None, 3] input x and
    returns x @ [[1], [2], [3]]."""
    import tensorflow as tf

    import tfhub as hub

    def module_fn() -> None:
        sparse = tf.compat.v1.sparse_placeholder(tf.float32, [None, 3])
        weights = tf.compat.v1.get_variable("w", initializer=tf.constant([[1.0], [2.0], [3.0]]))
        hub.add_signature(inputs=sparse, outputs=tf.sparse.sparse_dense_matmul(sparse, weights))

    path = os.fspath(tmp_path_factory.mktemp("sparse_tf1") / "module")
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(path, session)
    return path


def test_a_sparse_input_to_a_tf1_sparse_signature_says_to_pass_its_parts(
    flavour: Flavour, sparse_tf1_module: str
) -> None:
    import tensorflow as tf

    layer = flavour.layer(sparse_tf1_module)
    sparse = tf.sparse.from_dense(np.array(ROWS, np.float32))
    with pytest.raises(errors.CallInputSpecError) as caught:
        layer(sparse)
    message = str(caught.value)
    assert "make the inputs dense" not in message
    parts = "'default_values': sparse.values, 'default_dense_shape': sparse.dense_shape}."
    assert f"pass {{'default_indices': sparse.indices, {parts}" in message
    given = {"default_indices": sparse.indices, "default_values": sparse.values}
    given["default_dense_shape"] = sparse.dense_shape
    np.testing.assert_allclose(layer(given), [[14.0], [14.0]])  # What the message says works.


def test_a_sparse_input_to_a_ragged_model_is_not_told_to_make_it_dense(tmp_path) -> None:
    """A model of a RaggedTensorSpec input: its spec is said as ragged (a dense tensor "fit"
    it by dtype and shape before, and TensorFlow's error came through), and a SparseTensor is
    not told to be made dense (the model does not take dense tensors either)."""
    import tensorflow as tf

    from tfhub.keras.tf_keras_layer import KerasLayer

    class RowSums(tf.Module):
        @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.float32)])
        def __call__(self, rows: tf.RaggedTensor) -> tf.Tensor:
            return tf.reduce_sum(rows, axis=1)

    tf.saved_model.save(RowSums(), os.fspath(tmp_path / "ragged"))
    layer = KerasLayer(os.fspath(tmp_path / "ragged"))
    for given in (np.ones((2, 2), np.float32), tf.sparse.from_dense(np.ones((2, 2), np.float32))):
        with pytest.raises(errors.CallInputSpecError) as caught:
            layer(given)
        message = str(caught.value)
        assert "expects: RaggedTensor float32[None, None]." in message
        assert "dense" not in message.split("Received:")[0]
    np.testing.assert_allclose(layer(tf.ragged.constant([[1.0, 2.0], [3.0]])), [3.0, 3.0])


def test_a_ragged_input_of_another_ragged_rank_or_row_splits_dtype_is_said_lead63(
    tmp_path,
) -> None:
    """Review rv63c: a RaggedTensor of ragged_rank 2, or with int32 row splits, "fit" a
    ragged_rank-1 int64 spec by kind, dtype and shape, and TensorFlow's "Could not find matching
    concrete function" came through."""
    import tensorflow as tf

    from tfhub.keras.tf_keras_layer import KerasLayer

    class Cells(tf.Module):
        @tf.function(input_signature=[tf.RaggedTensorSpec([None, None, None], tf.float32, 1)])
        def __call__(self, rows: tf.RaggedTensor) -> tf.Tensor:
            return tf.reduce_sum(rows.flat_values)

    tf.saved_model.save(Cells(), os.fspath(tmp_path / "cells"))
    layer = KerasLayer(os.fspath(tmp_path / "cells"))
    deep = tf.ragged.constant([[[1.0], [2.0, 3.0]], [[4.0]]], ragged_rank=2)
    narrow = tf.RaggedTensor.from_row_splits(
        tf.ones((3, 2)), tf.constant([0, 2, 3], tf.int32), validate=False
    )
    for given in (deep, narrow):
        with pytest.raises(errors.CallInputSpecError):
            layer(given)
    fits = tf.RaggedTensor.from_row_splits(tf.ones((3, 2)), tf.constant([0, 2, 3], tf.int64))
    np.testing.assert_allclose(layer(fits), 6.0)
