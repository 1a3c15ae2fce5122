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


def test_mixed_bfloat16_fits_saves_and_loads_back(flavour, linear_dir, tmp_path) -> None:
    """Under `mixed_bfloat16` a trainable layer over float32 weights fits (its weights stay
    float32), predicts in bfloat16 and reloads from a file with the same predictions."""
    keras = flavour.keras
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = flavour.layer(linear_dir, trainable=True)
        model = keras.Sequential([keras.Input((3,)), layer])
        model.compile(keras.optimizers.SGD(0.1), "mse")
        model.fit(X, Y, epochs=1, batch_size=3, verbose=0)
        assert layer.weights[0].dtype == "float32"
        assert not np.allclose(layer.weights[0].numpy(), LINEAR_W)
        assert layer(X).dtype == "bfloat16"
        expected = model.predict(X, verbose=0)
        path = os.fspath(tmp_path / ("model.keras" if flavour.name == "keras3" else "model.h5"))
        model.save(path)
        loader = keras.saving.load_model if flavour.name == "keras3" else keras.models.load_model
        np.testing.assert_allclose(loader(path).predict(X, verbose=0), expected)
    finally:
        keras.mixed_precision.set_global_policy(previous)


RELOAD_EXPORTS = """
    import json, sys
    import numpy as np
    import tfhub as hub
    x = np.array(json.loads(sys.argv[1]), np.float32)
    out = {}
    for name, path, options in json.loads(sys.argv[2]):
        obj = hub.load(path)
        out[name] = {
            "signatures": sorted(obj.signatures),
            "layer": hub.KerasLayer(path, **options)(x).numpy().tolist(),
            "trainable": len(hub.KerasLayer(path, trainable=True, **options).trainable_weights),
        }
    print(json.dumps(out))
"""


def test_exports_of_a_model_with_a_hub_layer_load_in_a_fresh_process(linear_dir, tmp_path):
    """Keras 3 `model.export` and tf_keras `model.save` (SavedModel) of a fine-tuned model
    holding a hub layer: a new interpreter loads both with `hub.load` and `hub.KerasLayer`
    (the Keras 3 export through its serving signature), with the same predictions and the
    model's variables trainable."""
    import json

    from tests._helpers.warm_python import run_warm_python
    from tests.keras.conftest import flavour_tuple

    exports, expected = [], {}
    for name in ("keras3", "tf_keras"):
        flavour = flavour_tuple(name)
        keras = flavour.keras
        layer = flavour.layer(linear_dir, trainable=True)
        model = keras.Sequential([keras.Input((3,)), layer, keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(0.1), "mse")
        model.fit(X, Y[:, :1], epochs=1, batch_size=3, verbose=0)
        path = os.fspath(tmp_path / name)
        if name == "keras3":
            model.export(path, verbose=False)
            options = {"signature": "serving_default", "output_key": "output_0"}
        else:
            model.save(path, save_format="tf")
            options = {}
        exports.append((name, path, options))
        expected[name] = model.predict(X, verbose=0)
    done = run_warm_python(RELOAD_EXPORTS, json.dumps(X.tolist()), json.dumps(exports))
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "serving_default" in result["keras3"]["signatures"]
    for name, predictions in expected.items():
        np.testing.assert_allclose(result[name]["layer"], predictions, atol=1e-5)
        assert result[name]["trainable"] == 3  # The hub model's w, the head's kernel and bias.
