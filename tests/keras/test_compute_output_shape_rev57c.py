"""tf_keras's `compute_output_shape` in graph mode (a `tf.Graph`, as TF1-style code builds
models) without `output_shape`.

tf_keras then makes the layer a `base_layer_v1.Layer`, whose `compute_output_shape` traces
nothing outside eager mode and raises a bare NotImplementedError: no message at all (e.g. from
`model.compute_output_shape(...)` of a functional or Sequential model holding the layer, in a
graph). The layer keeps the class (as upstream's raised it) and says what to do: pass
`output_shape`. With `output_shape` it answers.
"""

from __future__ import annotations

import os

import pytest
from tests._helpers import models

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    return models.save_text_embedding(os.fspath(tmp_path_factory.mktemp("rev57c") / "text"))


def test_graph_mode_says_to_pass_output_shape(text_model: str) -> None:
    import tensorflow as tf

    from tfhub.keras.tf_keras_layer import KerasLayer

    with tf.Graph().as_default():
        layer = KerasLayer(text_model, dtype=tf.string)
        with pytest.raises(NotImplementedError) as caught:
            layer.compute_output_shape((None,))
        declared = KerasLayer(text_model, dtype=tf.string, output_shape=[4])
        assert tuple(declared.compute_output_shape((3,))) == (3, 4)
    message = str(caught.value)
    assert f"hub.KerasLayer cannot infer the output shape of {text_model!r}" in message
    assert "graph mode" in message and "pass output_shape=" in message
    assert message.endswith("Received: input_shape=(None,)")


def test_graph_mode_model_says_which_layer_needs_output_shape(text_model: str) -> None:
    import tensorflow as tf
    import tf_keras

    from tfhub.keras.tf_keras_layer import KerasLayer

    with tf.Graph().as_default():
        inputs = tf_keras.Input(shape=(), dtype=tf.string)
        model = tf_keras.Model(inputs, KerasLayer(text_model, dtype=tf.string)(inputs))
        with pytest.raises(NotImplementedError, match=r"pass output_shape=") as caught:
            model.compute_output_shape((None,))
    assert repr(text_model) in str(caught.value)
