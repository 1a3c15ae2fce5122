"""Keras models saved with the real tensorflow_hub's KerasLayer load with tfhub's, and back.

tensorflow_hub 0.16.1 (tf_keras, as it ran) builds, fine-tunes (two steps) and saves models that
hold its `hub.KerasLayer` over upstream's own fixtures, as `.h5`, `.keras` and the SavedModel
format. tfhub loads them where upstream did, with `custom_objects={"KerasLayer":
hub.KerasLayer}` (upstream needed it too for `.h5` and `.keras`): the same predictions, the
fine-tuned weights restored, and training goes on. Keras 3 reads the `.h5` (with
`compile=False`: Keras 3 cannot rebuild tf_keras's compiled metrics) and the `.keras` files.
The other way round, tensorflow_hub loads tf_keras models saved with tfhub's layer, given
`custom_objects={"KerasLayer": ..., "tfhub>KerasLayer": ...}` (`.h5` names the class as tfhub
registered it). A `.keras` file upstream saved over a model listing no `variables` (its layer
had no weights there; tfhub's has them) loads too, the layer keeping the folder's values.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.python_process import child_env, run_python
from tests._helpers.upstream_records import upstream_path

pytestmark = [pytest.mark.tf, pytest.mark.slow]

# fixture: (Keras input arguments, inputs, trainable): a TF2 SavedModel with trainable and
# non-trainable variables, fine-tuned; a TF1 Hub module with a vocabulary table over strings
# (upstream's layer cannot fine-tune TF1 modules: its head only).
CASES = {
    "tf2_saved_model": ("shape=(3,)", [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], True),
    "tf1_text_vocab": ("shape=(), dtype='string'", ["a good film", "the bad cat"], False),
}
FORMATS = ("h5", "keras", "tf")

SAVE_SCRIPT = """
    import json, sys
    import numpy as np, tensorflow as tf, tf_keras as keras
    import HUB as hub
    out, cases = sys.argv[1], json.loads(sys.argv[2])
    result = {}
    for name, (handle, input_args, inputs, trainable) in cases.items():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([
            eval(f"keras.Input({input_args})"),
            hub.KerasLayer(handle, trainable=trainable),
            keras.layers.Dense(2),
        ])
        model.compile("adam", "mse")
        x = tf.constant(inputs)
        model.fit(x, np.ones((len(inputs), 2), np.float32), epochs=2, verbose=0)
        for fmt in ("h5", "keras"):
            model.save(f"{out}/{name}.{fmt}")
        model.save(f"{out}/{name}_tf", save_format="tf")
        result[name] = {
            "predictions": model.predict(x, verbose=0).tolist(),
            "hub_weights": {w.name: w.numpy().tolist() for w in model.layers[0].weights},
        }
    print(json.dumps(result))
"""

LOAD_SCRIPT = """
    import json, sys
    import numpy as np, tensorflow as tf
    import HUB as hub
    keras = tf.keras
    out, cases = sys.argv[1], json.loads(sys.argv[2])
    result = {}
    for name, (handle, input_args, inputs, trainable) in cases.items():
        x = tf.constant(inputs)
        for fmt in ("h5", "keras", "tf"):
            path = f"{out}/{name}_tf" if fmt == "tf" else f"{out}/{name}.{fmt}"
            names = {"KerasLayer": hub.KerasLayer, "tfhub>KerasLayer": hub.KerasLayer}
            model = keras.models.load_model(path, custom_objects=names)
            layer = model.layers[0]
            before = model.predict(x, verbose=0)
            model.fit(x, np.zeros((len(inputs), 2), np.float32), epochs=1, verbose=0)
            result[f"{name}.{fmt}"] = {
                "class": type(layer).__module__ + "." + type(layer).__name__,
                "predictions": before.tolist(),
                "trained": bool(np.abs(model.predict(x, verbose=0) - before).max() > 0),
            }
    print(json.dumps(result))
"""


def _cases() -> dict:
    return {
        name: (upstream_path(name), input_args, inputs, trainable)
        for name, (input_args, inputs, trainable) in CASES.items()
    }


def _run(script: str, hub_module: str, folder: str, cases: dict) -> dict:
    """Runs a script under tf_keras with `hub` being `hub_module`; returns what it printed."""
    done = run_python(
        script.replace("HUB", hub_module),
        folder,
        json.dumps(cases),
        env=child_env(TF_USE_LEGACY_KERAS="1"),
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def upstream_saved(tmp_path_factory) -> tuple[str, dict, dict]:
    """(folder, cases, what upstream computed) for models saved by tensorflow_hub 0.16.1."""
    if importlib.util.find_spec("tensorflow_hub") is None:
        pytest.skip("tensorflow_hub is not installed (`./run test` installs 0.16.1)")
    folder = os.fspath(tmp_path_factory.mktemp("upstream_saved"))
    cases = _cases()
    return folder, cases, _run(SAVE_SCRIPT, "tensorflow_hub", folder, cases)


def test_tf_keras_loads_upstream_saved_models_and_trains_on(upstream_saved) -> None:
    folder, cases, upstream = upstream_saved
    result = _run(LOAD_SCRIPT, "tfhub", folder, cases)
    for name in cases:
        for fmt in FORMATS:
            loaded = result[f"{name}.{fmt}"]
            assert loaded["class"] == "tfhub.keras.tf_keras_layer.KerasLayer", (name, fmt)
            np.testing.assert_allclose(
                loaded["predictions"], upstream[name]["predictions"], atol=1e-5
            )
            assert loaded["trained"], (name, fmt)


def test_tensorflow_hub_loads_models_saved_with_tfhub(tmp_path) -> None:
    if importlib.util.find_spec("tensorflow_hub") is None:
        pytest.skip("tensorflow_hub is not installed (`./run test` installs 0.16.1)")
    cases = _cases()
    ours = _run(SAVE_SCRIPT, "tfhub", os.fspath(tmp_path), cases)
    result = _run(LOAD_SCRIPT, "tensorflow_hub", os.fspath(tmp_path), cases)
    for name in cases:
        for fmt in FORMATS:
            loaded = result[f"{name}.{fmt}"]
            assert loaded["class"] == "tensorflow_hub.keras_layer.KerasLayer", (name, fmt)
            np.testing.assert_allclose(loaded["predictions"], ours[name]["predictions"], atol=1e-5)
            assert loaded["trained"], (name, fmt)


@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("name", list(CASES))
def test_keras_3_loads_upstream_saved_models(upstream_saved, name, fmt) -> None:
    import keras
    import tensorflow as tf

    import tfhub as hub

    folder, cases, upstream = upstream_saved
    model = keras.models.load_model(
        f"{folder}/{name}.{fmt}", custom_objects={"KerasLayer": hub.KerasLayer}, compile=False
    )
    layer = model.layers[0]
    assert isinstance(layer, hub.KerasLayer) and isinstance(layer, keras.layers.Layer)
    x = tf.constant(cases[name][2])
    np.testing.assert_allclose(model(x), upstream[name]["predictions"], atol=1e-5)
    # The fine-tuned weights came from the file, not from the model folder.
    upstream_weights = upstream[name]["hub_weights"]
    assert len(layer.weights) == len(upstream_weights)
    for weight, saved in zip(layer.weights, upstream_weights.values(), strict=True):
        np.testing.assert_allclose(weight.numpy(), saved, atol=1e-6)
    if cases[name][3]:  # Fine-tuned: the folder's weights differ.
        fresh = hub.KerasLayer(cases[name][0]).weights
        pairs = zip(fresh, layer.weights, strict=True)
        assert max(np.abs(a.numpy() - b.numpy()).max() for a, b in pairs) > 1e-4


# A `tf.Module` saved as it was: the loaded object lists no `variables`, so tensorflow_hub's
# layer gave it no weights, while tfhub's tracks its two variables (to fine-tune them).
BARE_MODULE_SCRIPT = """
    import json, sys
    import numpy as np, tensorflow as tf, tf_keras as keras
    import tensorflow_hub as hub

    class Affine(tf.Module):
        def __init__(self):
            self.w = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
            self.b = tf.Variable([0.5, -0.5], trainable=False)

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x):
            return tf.matmul(x, self.w) + self.b

    out = sys.argv[1]
    tf.saved_model.save(Affine(), f"{out}/bare")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((3,)), hub.KerasLayer(f"{out}/bare"), keras.layers.Dense(2)]
    )
    model.compile("adam", "mse")
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]], np.float32)
    model.fit(x, np.ones((2, 2), np.float32), epochs=2, verbose=0)
    model.save(f"{out}/bare.keras")
    print(json.dumps({
        "hub_weights": len(model.layers[0].weights),
        "predictions": model.predict(x, verbose=0).tolist(),
    }))
"""

BARE_MODULE_LOAD_SCRIPT = """
    import json, sys
    import numpy as np, tensorflow as tf
    import tfhub as hub

    path = sys.argv[1]
    model = tf.keras.models.load_model(
        path, custom_objects={"KerasLayer": hub.KerasLayer}, compile=False
    )
    x = tf.constant([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]])
    print(json.dumps({
        "predictions": model(x).numpy().tolist(),
        "hub_weights": [w.numpy().tolist() for w in model.layers[0].weights],
    }))
"""


@pytest.fixture(scope="module")
def bare_upstream_model(tmp_path_factory) -> tuple[Path, dict]:
    """(folder, what upstream printed) for BARE_MODULE_SCRIPT, saved once for the module by
    tensorflow_hub under tf_keras; the tests only read the folder."""
    if importlib.util.find_spec("tensorflow_hub") is None:
        pytest.skip("tensorflow_hub is not installed (`./run test` installs 0.16.1)")
    folder = tmp_path_factory.mktemp("bare_upstream")
    env = child_env(TF_USE_LEGACY_KERAS="1")
    saved = run_python(BARE_MODULE_SCRIPT, os.fspath(folder), env=env)
    return folder, json.loads(saved.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("legacy", ["1", "0"], ids=["tf_keras", "keras3"])
def test_upstream_keras_file_over_a_model_listing_no_variables_loads(
    bare_upstream_model, legacy
) -> None:
    """tensorflow_hub saved no weights for such a model's layer: tfhub's keeps the folder's."""
    folder, upstream = bare_upstream_model
    assert upstream["hub_weights"] == 0
    done = run_python(
        BARE_MODULE_LOAD_SCRIPT,
        os.fspath(folder / "bare.keras"),
        env=child_env(TF_USE_LEGACY_KERAS=legacy),
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(loaded["predictions"], upstream["predictions"], atol=1e-5)
    assert loaded["hub_weights"] == [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [0.5, -0.5]]
