"""`hub.text_embedding_column_v2` over an output of known shape beyond `[batch, K]`.

tensorflow_hub 0.10.0's column took any single float output of `__call__` (after
`output_key`): its `variable_shape` was the output's shape without the batch dimension, and
`DenseFeatures` flattened each example to that many numbers (checked by running 0.10.0's column
over this model: `[batch, 1, 2]` gave `[batch, 2]`). tfhub refused any rank but 2
(`ModuleSpecError`). An output whose shape is not known past the batch dimension (a sequence
output of any length) has no `variable_shape`, and is still refused.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf

TABLE = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


def _save_model(path: str) -> str:
    """`__call__(strings)` -> {"default": [batch, 2], "one": [batch, 1, 2], "pair": [batch, 2, 2],
    "seq": [batch, None, 2]}: row `i` of TABLE for each string, `i` its hash bucket of 3."""
    import tensorflow as tf

    class Embedding(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.table = tf.Variable(TABLE)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text: Any) -> Any:
            rows = tf.gather(self.table, tf.strings.to_hash_bucket_fast(text, 3))
            one = tf.expand_dims(rows, 1)
            seq = tf.tile(one, [1, tf.strings.length(text[0]) + 1, 1])
            return {"default": rows, "one": one, "pair": tf.concat([one, one * 10], 1), "seq": seq}

    tf.saved_model.save(Embedding(), path)
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _save_model(os.fspath(tmp_path_factory.mktemp("rf57g") / "embedding"))


def _dense_features(column: Any, texts: list[str]) -> np.ndarray:
    import tensorflow as tf
    import tf_keras

    layer = tf_keras.layers.DenseFeatures([column])
    return layer({"text": tf.constant(texts)}).numpy()


def test_output_of_known_shape_is_flattened_per_example(model: str) -> None:
    texts = ["hello", "cat", "mat"]
    rows = _dense_features(hub.text_embedding_column_v2("text", model, output_key="default"), texts)
    one = hub.text_embedding_column_v2("text", model, output_key="one")
    pair = hub.text_embedding_column_v2("text", model, output_key="pair")
    assert one.variable_shape.as_list() == [1, 2]
    assert pair.variable_shape.as_list() == [2, 2]
    np.testing.assert_allclose(_dense_features(one, texts), rows)
    np.testing.assert_allclose(_dense_features(pair, texts), np.hstack([rows, rows * 10]))


def test_output_of_unknown_shape_is_refused(model: str) -> None:
    with pytest.raises(errors.ModuleSpecError, match=r"known") as caught:
        hub.text_embedding_column_v2("text", model, output_key="seq")
    assert "(None, None, 2)" in str(caught.value)
    assert "Received: output_key='seq'" in str(caught.value)
