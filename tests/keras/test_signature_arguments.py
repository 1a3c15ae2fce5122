"""A KerasLayer over a signature with `arguments=` giving all its inputs but one (both flavours)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tfhub import errors

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def scaled_signature(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SavedModel whose only endpoint is the signature `scaled(x[None,2], scale[])` ->
    {"y": x * w * scale}, w = 2 (a hyperparameter beside the data, as `arguments=` is for)."""
    import tensorflow as tf

    class Scaled(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0, name="w")

        @tf.function(
            input_signature=[tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([], tf.float32)]
        )
        def scaled(self, x, scale):
            return {"y": x * self.w * scale}

    module = Scaled()
    path = os.fspath(tmp_path_factory.mktemp("signature_arguments") / "scaled")
    tf.saved_model.save(module, path, signatures={"scaled": module.scaled})
    return path


def test_a_lone_tensor_is_the_input_that_arguments_leave(flavour, scaled_signature, tmp_path):
    """Before, the tensor went positionally and TensorFlow refused it ("too many positional
    arguments": signatures take keywords), reported as a CallInputSpecError; upstream's layer
    failed with TensorFlow's TypeError."""
    keras = flavour.keras
    layer = flavour.layer(
        scaled_signature, signature="scaled", output_key="y", arguments={"scale": 3.0}
    )
    x = np.array([[1.0, 2.0], [0.5, 0.0]], np.float32)
    np.testing.assert_allclose(layer(x).numpy(), 6 * x)
    np.testing.assert_allclose(layer({"x": x}).numpy(), 6 * x)  # A dict, as before.
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layer(inputs))
    path = os.fspath(tmp_path / "model.keras")
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), 6 * x)
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:  # The lone float16 tensor is cast to the float32 the signature expects.
        half = flavour.layer(
            scaled_signature, signature="scaled", output_key="y", arguments={"scale": 3.0}
        )
        got = half(x)
        assert got.dtype == "float16"
        np.testing.assert_allclose(np.asarray(got, np.float32), 6 * x, rtol=2e-3)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    bare = flavour.layer(scaled_signature, signature="scaled", output_key="y")
    with pytest.raises(errors.CallInputSpecError, match="'scale'"):  # Two inputs left: a dict.
        bare(x)
