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
import textwrap
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.python_process import child_env
from tests._helpers.upstream_records import upstream_path
from tests.keras._child_parts import result_of, run_parts

pytestmark = [pytest.mark.tf, pytest.mark.slow]

# fixture: (Keras input arguments, inputs, trainable): a TF2 SavedModel with trainable and
# non-trainable variables, fine-tuned; a TF1 Hub module with a vocabulary table over strings
# (upstream's layer cannot fine-tune TF1 modules: its head only).
CASES = {
    "tf2_saved_model": ("shape=(3,)", [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], True),
    "tf1_text_vocab": ("shape=(), dtype='string'", ["a good film", "the bad cat"], False),
}
FORMATS = ("h5", "keras", "tf")

# The functions every child defines: `save_models` builds, fine-tunes (two steps) and saves
# each case's model with `hub.KerasLayer`; `load_models` loads each saved file, predicts and
# trains one step. `hub` is tensorflow_hub or tfhub (the child's "HUB"), under tf_keras.
COMMON = """
    import json, sys
    import numpy as np, tensorflow as tf, tf_keras
    import HUB as hub

    def save_models(out, cases):
        keras = tf_keras
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
        return result

    def load_models(out, cases):
        keras = tf.keras
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
        return result
"""

# tensorflow_hub saves the cases into argv[1], and a `tf.Module` saved as it was into argv[2]
# (the loaded object lists no `variables`, so tensorflow_hub's layer gave it no weights, while
# tfhub's tracks its two variables, to fine-tune them).
UPSTREAM_SAVES = """
    @part
    def upstream_saved():
        return save_models(sys.argv[1], json.loads(sys.argv[3]))

    class Affine(tf.Module):
        def __init__(self):
            self.w = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
            self.b = tf.Variable([0.5, -0.5], trainable=False)

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x):
            return tf.matmul(x, self.w) + self.b

    @part
    def bare_upstream():
        out, keras = sys.argv[2], tf_keras
        tf.saved_model.save(Affine(), f"{out}/bare")
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((3,)), hub.KerasLayer(f"{out}/bare"), keras.layers.Dense(2)]
        )
        model.compile("adam", "mse")
        x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]], np.float32)
        model.fit(x, np.ones((2, 2), np.float32), epochs=2, verbose=0)
        model.save(f"{out}/bare.keras")
        return {
            "hub_weights": len(model.layers[0].weights),
            "predictions": model.predict(x, verbose=0).tolist(),
        }
"""

# tfhub's layer loads the `.keras` file of the bare module (the last argument) under the
# child's Keras.
BARE_LOADS = """
    @part
    def bare_loads():
        model = tf.keras.models.load_model(
            sys.argv[-1], custom_objects={"KerasLayer": hub.KerasLayer}, compile=False
        )
        x = tf.constant([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]])
        return {
            "predictions": model(x).numpy().tolist(),
            "hub_weights": [w.numpy().tolist() for w in model.layers[0].weights],
        }
"""

# tfhub (under tf_keras) saves the cases (argv[3]) into argv[1], loads upstream's from argv[2]
# and the `.keras` file of the bare module; its saves come first, as in a fresh process.
TFHUB_SAVES_AND_LOADS = (
    """
    @part
    def tfhub_saved():
        return save_models(sys.argv[1], json.loads(sys.argv[3]))

    @part
    def tfhub_loads_upstream():
        return load_models(sys.argv[2], json.loads(sys.argv[3]))
"""
    + BARE_LOADS
)

# What a Keras 3 user's program imports (no tf_keras) before BARE_LOADS.
KERAS3_IMPORTS = """
    import sys
    import tensorflow as tf
    import HUB as hub
"""

UPSTREAM_LOADS = """
    @part
    def upstream_loads_tfhub():
        return load_models(sys.argv[1], json.loads(sys.argv[2]))
"""


def _cases() -> dict:
    return {
        name: (upstream_path(name), input_args, inputs, trainable)
        for name, (input_args, inputs, trainable) in CASES.items()
    }


def _needs_upstream() -> None:
    if importlib.util.find_spec("tensorflow_hub") is None:
        pytest.skip("tensorflow_hub is not installed (`./run test` installs 0.16.1)")


def _run(parts: str, hub_module: str, *args: str, legacy: str = "1", common: str = COMMON) -> dict:
    """Runs `common` + `parts` in one child with `hub` being `hub_module` and
    TF_USE_LEGACY_KERAS=`legacy`; returns the parts' results (see `run_parts`)."""
    code = textwrap.dedent(common) + textwrap.dedent(parts)
    env = child_env(TF_USE_LEGACY_KERAS=legacy)
    return run_parts(code.replace("HUB", hub_module), *args, env=env)


class Saved(NamedTuple):
    """The folders of one module's run: what upstream saved, the bare module's, tfhub's."""

    upstream: Path
    bare: Path
    ours: Path
    cases: dict


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Saved, dict]:
    """The folders and what tensorflow_hub 0.16.1 computed saving the cases and the bare
    module, in one child (under tf_keras); the tests only read the folders. Computed once per
    test run, by the first pytest worker that asks (`computed_once`)."""
    _needs_upstream()
    found = computed_once(tmp_path_factory, f"{__name__}.saved", lambda: _save(tmp_path_factory))
    upstream, bare, ours = (Path(folder) for folder in found["folders"])
    return Saved(upstream, bare, ours, found["cases"]), found["parts"]


def _save(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Runs UPSTREAM_SAVES in a child; `saved`'s result, as JSON data."""
    root = tmp_path_factory.mktemp("upstream_saved")
    folders = Saved(root / "upstream", root / "bare", root / "ours", _cases())
    for folder in folders[:3]:
        folder.mkdir()
    args = (os.fspath(folders.upstream), os.fspath(folders.bare), json.dumps(folders.cases))
    return {
        "folders": [os.fspath(folder) for folder in folders[:3]],
        "cases": folders.cases,
        "parts": _run(UPSTREAM_SAVES, "tensorflow_hub", *args),
    }


@pytest.fixture(scope="module")
def tfhub_run(saved, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """What tfhub did under tf_keras in one child (saved its models, loaded upstream's and
    the bare module's file), then tensorflow_hub loading tfhub's files in another. Computed
    once per test run, by the first pytest worker that asks (`computed_once`)."""
    folders, _ = saved
    return computed_once(
        tmp_path_factory, f"{__name__}.tfhub_run", lambda: _tfhub_saves_and_loads(folders)
    )


def _tfhub_saves_and_loads(folders: Saved) -> dict:
    """Runs TFHUB_SAVES_AND_LOADS, then UPSTREAM_LOADS, each in a child; `tfhub_run`'s result."""
    cases = json.dumps(folders.cases)
    bare_file = os.fspath(folders.bare / "bare.keras")
    ours, upstream = os.fspath(folders.ours), os.fspath(folders.upstream)
    parts = _run(TFHUB_SAVES_AND_LOADS, "tfhub", ours, upstream, cases, bare_file)
    return {**parts, **_run(UPSTREAM_LOADS, "tensorflow_hub", ours, cases)}


def test_tf_keras_loads_upstream_saved_models_and_trains_on(saved, tfhub_run) -> None:
    folders, upstream_parts = saved
    upstream = result_of(upstream_parts, "upstream_saved")
    result = result_of(tfhub_run, "tfhub_loads_upstream")
    for name in folders.cases:
        for fmt in FORMATS:
            loaded = result[f"{name}.{fmt}"]
            assert loaded["class"] == "tfhub.keras.tf_keras_layer.KerasLayer", (name, fmt)
            np.testing.assert_allclose(
                loaded["predictions"], upstream[name]["predictions"], atol=1e-5
            )
            assert loaded["trained"], (name, fmt)


def test_tensorflow_hub_loads_models_saved_with_tfhub(saved, tfhub_run) -> None:
    folders, _ = saved
    ours = result_of(tfhub_run, "tfhub_saved")
    result = result_of(tfhub_run, "upstream_loads_tfhub")
    for name in folders.cases:
        for fmt in FORMATS:
            loaded = result[f"{name}.{fmt}"]
            assert loaded["class"] == "tensorflow_hub.keras_layer.KerasLayer", (name, fmt)
            np.testing.assert_allclose(loaded["predictions"], ours[name]["predictions"], atol=1e-5)
            assert loaded["trained"], (name, fmt)


@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("name", list(CASES))
def test_keras_3_loads_upstream_saved_models(saved, name, fmt) -> None:
    import keras
    import tensorflow as tf

    import tfhub as hub

    folders, upstream_parts = saved
    cases, upstream = folders.cases, result_of(upstream_parts, "upstream_saved")
    model = keras.models.load_model(
        folders.upstream / f"{name}.{fmt}",
        custom_objects={"KerasLayer": hub.KerasLayer},
        compile=False,
    )
    layer = model.layers[0]
    assert isinstance(layer, hub.KerasLayer) and isinstance(layer, keras.layers.Layer)
    x = tf.constant(cases[name][2])
    np.testing.assert_allclose(model(x), upstream[name]["predictions"], atol=1e-5)
    # The fine-tuned weights came from the file, not from the model folder.
    upstream_weights = upstream[name]["hub_weights"]
    assert len(layer.weights) == len(upstream_weights)
    for weight, stored in zip(layer.weights, upstream_weights.values(), strict=True):
        np.testing.assert_allclose(weight.numpy(), stored, atol=1e-6)
    if cases[name][3]:  # Fine-tuned: the folder's weights differ.
        fresh = hub.KerasLayer(cases[name][0]).weights
        pairs = zip(fresh, layer.weights, strict=True)
        assert max(np.abs(a.numpy() - b.numpy()).max() for a, b in pairs) > 1e-4


@pytest.mark.parametrize("legacy", ["1", "0"], ids=["tf_keras", "keras3"])
def test_upstream_keras_file_over_a_model_listing_no_variables_loads(
    saved, legacy, request: pytest.FixtureRequest
) -> None:
    """tensorflow_hub saved no weights for such a model's layer: tfhub's keeps the folder's.
    (Under tf_keras, tfhub_run's child loads the file; under Keras 3, a child of its own.)"""
    folders, upstream_parts = saved
    upstream = result_of(upstream_parts, "bare_upstream")
    assert upstream["hub_weights"] == 0
    if legacy == "1":
        parts = request.getfixturevalue("tfhub_run")
    else:
        bare_file = os.fspath(folders.bare / "bare.keras")
        parts = _run(BARE_LOADS, "tfhub", bare_file, legacy=legacy, common=KERAS3_IMPORTS)
    loaded = result_of(parts, "bare_loads")
    np.testing.assert_allclose(loaded["predictions"], upstream["predictions"], atol=1e-5)
    assert loaded["hub_weights"] == [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [0.5, -0.5]]
