"""Where `text_embedding_column_v2`'s output check (rf57g: any float32 output of known shape
past the batch) draws its lines: a rank-4 `[None, 1, 1, K]` output is taken and trains; an
output of rank 1, of unknown rank, or with a 0 dimension (`[None, 1, 0]`) is refused, and the
message says a dimension must be non-zero too (it said "known", which 0 is)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf


def _save_model(path: str) -> str:
    """`__call__(strings)` -> a dict of outputs of several shapes (row `i` of a trainable
    table for each string, `i` its hash bucket of 3)."""
    import tensorflow as tf

    class Embedding(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.table = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text: Any) -> Any:
            rows = tf.gather(self.table, tf.strings.to_hash_bucket_fast(text, 3))
            unknown_rank = tf.reshape(rows, tf.shape(rows)[: tf.strings.length(text[0]) + 1])
            return {
                "default": rows,
                "rank4": rows[:, None, None, :],
                "rank1": rows[:, 0],
                "zero": tf.zeros([tf.shape(text)[0], 1, 0]),
                "unknown_rank": unknown_rank,
            }

    tf.saved_model.save(Embedding(), path)
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _save_model(os.fspath(tmp_path_factory.mktemp("rev57c") / "embedding"))


def test_rank_4_output_is_flattened_and_trains(model: str) -> None:
    import tensorflow as tf
    import tf_keras

    column = hub.text_embedding_column_v2("text", model, output_key="rank4", trainable=True)
    assert column.variable_shape.as_list() == [1, 1, 2]
    inputs = {"text": tf_keras.Input(shape=(), dtype=tf.string, name="text")}
    features = tf_keras.layers.DenseFeatures([column])(inputs)
    keras_model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(features))
    texts = {"text": tf.constant(["a", "b"])}
    table = [v for v in keras_model.trainable_variables if tuple(v.shape) == (3, 2)]
    assert len(table) == 1 and tuple(features.shape) == (None, 2)
    before = table[0].numpy().copy()
    keras_model.compile("sgd", "mse")
    keras_model.fit(texts, np.array([[10.0], [20.0]]), epochs=1, verbose=0)
    assert not np.allclose(table[0].numpy(), before)


@pytest.mark.parametrize(
    ("output_key", "said"),
    [
        ("rank1", "shape=(None,)"),
        ("unknown_rank", "shape=<unknown>"),
        ("zero", "shape=(None, 1, 0)"),
    ],
)
def test_other_outputs_are_refused_saying_what_is_taken(
    model: str, output_key: str, said: str
) -> None:
    with pytest.raises(errors.ModuleSpecError) as caught:
        hub.text_embedding_column_v2("text", model, output_key=output_key)
    message = str(caught.value)
    assert said in message and message.endswith(f"Received: output_key={output_key!r}")
    assert "known, non-zero K (or more dimensions, all known and non-zero" in message
