"""hub.KerasLayer used the way Keras 3 and tf_keras users use it: sharing one loaded model
between layers, copying a layer, ... (both flavours, tiny models, one epoch)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from tests.keras._support import Flavour

import tfhub as hub

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0], [0.25, 0.25, 0.25]], np.float32)
Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]], np.float32)
LINEAR_W = [[1.0, -1.0], [0.5, 0.25], [0.0, 2.0]]


def _save_linear(path: str) -> str:
    """A reusable SavedModel `x[None,3] @ w` with one trainable variable and no losses."""
    import tensorflow as tf

    w = tf.Variable(LINEAR_W, name="w")
    root = tf.train.Checkpoint(w=w)
    root.__call__ = tf.function(
        lambda x: tf.matmul(x, w), input_signature=[tf.TensorSpec([None, 3], tf.float32)]
    )
    root.variables = [w]
    root.trainable_variables = [w]
    tf.saved_model.save(root, path)
    return path


@pytest.fixture(scope="module")
def linear_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _save_linear(os.fspath(tmp_path_factory.mktemp("linear") / "linear"))


def _fit_one_step(flavour: Flavour, first: Any, second: Any) -> Any:
    """A model adding `first(x)` and `second(x)`, fitted one SGD step on (X, Y)."""
    keras = flavour.keras
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Add()([first(inputs), second(inputs)]))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(X, Y, epochs=1, batch_size=3, verbose=0)
    return model


def test_two_layers_over_one_loaded_model_train_it_once(flavour, linear_dir, tmp_path) -> None:
    """`obj = hub.load(h)` passed to two KerasLayers: the model holds obj's variable once and
    one step moves it as one layer called twice does. Keras 3 listed it once per layer, so the
    optimizer applied each step twice."""
    shared = hub.load(linear_dir)
    first, second = flavour.layer(shared, trainable=True), flavour.layer(shared, trainable=True)
    model = _fit_one_step(flavour, first, second)
    assert len(model.trainable_weights) == 1
    alone = hub.load(linear_dir)
    layer = flavour.layer(alone, trainable=True)
    _fit_one_step(flavour, layer, layer)  # Keras's own way to share weights.
    assert not np.allclose(alone.w.numpy(), LINEAR_W)
    np.testing.assert_allclose(shared.w.numpy(), alone.w.numpy(), rtol=1e-6)
    path = os.fspath(tmp_path / "model.weights.h5")
    model.save_weights(path)
    shared.w.assign(np.zeros((3, 2), np.float32))
    model.load_weights(path)
    np.testing.assert_allclose(shared.w.numpy(), alone.w.numpy(), rtol=1e-6)


def test_deepcopy_of_a_layer_is_an_independent_layer(flavour, linear_dir) -> None:
    """`copy.deepcopy(layer)` (keras-tuner, scikit-learn style wrappers) gives a layer with the
    same outputs and its own weights in both flavours; tf_keras raised "cannot pickle
    'FuncGraph' object" from deep inside the loaded model. A layer over a Python callable has no
    config to copy it from, and says so."""
    import copy

    import tensorflow as tf

    from tfhub import errors

    layer = flavour.layer(linear_dir, trainable=True)
    layer.weights[0].assign(np.ones((3, 2), np.float32))
    copied = copy.deepcopy(layer)
    assert copied is not layer and copied.trainable and copied.name == layer.name
    np.testing.assert_allclose(copied(X), layer(X))
    copied.weights[0].assign(np.zeros((3, 2), np.float32))
    np.testing.assert_allclose(copied(X), np.zeros((3, 2)))
    np.testing.assert_allclose(layer(X), X @ np.ones((3, 2)))
    fn = tf.function(lambda x: x * 2.0, input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    with pytest.raises(errors.ConfigNotSupportedError, match="string `handle`"):
        copy.deepcopy(flavour.layer(fn))
