"""Keras models over a private hub, end to end (session 32 probes), in both Keras flavours."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import models

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def test_layer_over_a_resaved_keras3_model_trains_every_trainable_weight(tmp_path: Path) -> None:
    """A Keras 3 model saved with tf.saved_model.save after `fit` holds a second copy of the
    hub model's variables (its optimizer's Keras variables), which no function reads: a layer
    over it listed them as trainable weights that never trained (10 instead of 6)."""
    import keras
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    x = np.random.RandomState(0).rand(8, 3).astype("float32")
    inputs = keras.Input((3,))
    model = keras.Model(
        inputs,
        keras.layers.Dense(1)(
            KerasLayer(models.save_tf2_module(os.fspath(tmp_path / "tf2")), trainable=True)(inputs)
        ),
    )
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(x, np.zeros((8, 1), "float32"), epochs=1, verbose=0)
    tf.saved_model.save(model, os.fspath(tmp_path / "resaved"))
    nested = KerasLayer(
        os.fspath(tmp_path / "resaved"),
        signature="serving_default",
        output_key="output_0",
        trainable=True,
    )
    assert len(nested.trainable_weights) == 6  # The Dense layer's 2 and the hub model's 4.
    assert "moving_mean" in [w.name for w in nested.non_trainable_weights]
    np.testing.assert_allclose(nested(x).numpy(), model.predict(x, verbose=0), rtol=1e-6)
