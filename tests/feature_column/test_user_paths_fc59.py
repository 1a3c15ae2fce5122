"""Feature columns as users apply them (session 59): symbolic Keras inputs given to
`input_layer`."""

from __future__ import annotations

import pytest
from tests.feature_column._support import TEXT_V1, TEXT_V2

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

COLUMNS = {
    "tf1": lambda: hub.text_embedding_column("s", TEXT_V1, trainable=True),
    "tf2": lambda: hub.text_embedding_column_v2("s", TEXT_V2, trainable=True),
}


@pytest.mark.parametrize("kind", sorted(COLUMNS))
def test_a_keras_3_input_says_to_use_a_keras_layer(kind):
    """Keras 3 has no feature columns: a keras.Input reaching a column gets the remedy (before,
    Keras' "wrap tf_fn in a layer" and "Pass a dict of features holding under 's' a tensor of
    strings", which the user had done)."""
    keras = pytest.importorskip("keras")
    inputs = {"s": keras.Input(shape=(), dtype="string", name="s")}
    with pytest.raises(errors.CallInputSpecError) as raised:
        tf.compat.v1.feature_column.input_layer(inputs, [COLUMNS[kind]()])
    message = str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert "Keras 3" in message and "hub.KerasLayer" in message, message
    assert "Pass a dict of features" not in message, message


def test_a_keras_3_input_in_tf_keras_dense_features_gets_the_same_remedy():
    keras = pytest.importorskip("keras")
    inputs = {"s": keras.Input(shape=(), dtype="string", name="s")}
    with pytest.raises(errors.CallInputSpecError, match="hub.KerasLayer"):
        tf_keras.layers.DenseFeatures([COLUMNS["tf2"]()])(inputs)


def test_a_tf_keras_input_given_to_input_layer_says_to_use_dense_features():
    inputs = {"s": tf_keras.Input(shape=(), dtype=tf.string, name="s")}
    with pytest.raises(errors.CallInputSpecError) as raised:
        tf.compat.v1.feature_column.input_layer(inputs, [COLUMNS["tf1"]()])
    message = str(raised.value)
    assert "tf_keras.layers.DenseFeatures" in message, message
    assert "Pass a dict of features" not in message, message
