"""Weight files restored by position hold a hub layer's weights in tensorflow_hub's order.

tf_keras `.h5` and `.keras` files, and the legacy `.h5` that Keras 3 reads, restore a layer's
weights by position. tensorflow_hub 0.16.1 listed a TF1 module's variables in the module's
order, all non-trainable, and a TF2 model's trainable variables first (in
`trainable_variables` order), then the others. The models of
tests/_helpers/weight_order_models.py have variables of one shape with distinct values, so a
file read in another order loads without error and predicts wrong: these tests compare
predictions with upstream's. (tfhub listed a TF1 module's trainable variables first, so
upstream's files of such a module loaded shifted into tfhub's layer and back.)
"""

from __future__ import annotations

import importlib.util
import json
import os
import textwrap
import zipfile

import numpy as np
import pytest
from tests._helpers import weight_order_models
from tests._helpers._across_workers import computed_once
from tests._helpers.python_process import child_env
from tests.keras._child_parts import result_of, run_parts

pytestmark = [pytest.mark.tf, pytest.mark.slow]

X = np.ones((1, 4), np.float32)

# `save` saves a model over the hub layer (frozen), its weights doubled so that the file's
# values differ from the model folder's, and returns the predictions for X; `load` loads the
# files `save` wrote and returns their predictions. `hub` is the child's "HUB", under tf_keras.
COMMON = """
    import json, sys
    import numpy as np, tf_keras as keras
    import HUB as hub

    def save(handle, out):
        inputs = keras.Input((4,))
        layer = hub.KerasLayer(handle)
        model = keras.Model(inputs, layer(inputs))
        for weight in layer.weights:
            weight.assign(weight * 2.0)
        model.save(f"{out}/model.h5")
        model.save(f"{out}/model.keras")
        return model.predict(np.ones((1, 4), np.float32), verbose=0).tolist()

    def load(out):
        names = {"KerasLayer": hub.KerasLayer, "tfhub>KerasLayer": hub.KerasLayer}
        result = {}
        for fmt in ("h5", "keras"):
            model = keras.models.load_model(f"{out}/model.{fmt}", custom_objects=names)
            result[fmt] = model.predict(np.ones((1, 4), np.float32), verbose=0).tolist()
        return result

    plan = json.loads(sys.argv[1])  # {model: (handle, folder to save in, folder to load)}
"""

# tfhub saves each model.
TFHUB_SAVES = """
    @part
    def saved_tf1():
        return save(plan["tf1"][0], plan["tf1"][1])

    @part
    def saved_tf2():
        return save(plan["tf2"][0], plan["tf2"][1])
"""

# tensorflow_hub saves each model, then loads the files tfhub saved.
UPSTREAM_SAVES_AND_LOADS = (
    TFHUB_SAVES
    + """
    @part
    def loaded_tf1():
        return load(plan["tf1"][2])

    @part
    def loaded_tf2():
        return load(plan["tf2"][2])
"""
)

BUILDERS = {
    "tf1": weight_order_models.save_tf1_mixed_order_module,
    "tf2": weight_order_models.save_tf2_reordered_trainables,
}


@pytest.fixture(scope="module")
def model_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("weight_order")
    return {name: build(os.fspath(root / name)) for name, build in BUILDERS.items()}


def _needs_upstream() -> None:
    if importlib.util.find_spec("tensorflow_hub") is None:
        pytest.skip("tensorflow_hub is not installed (`./run test` installs 0.16.1)")


def _run(parts: str, hub_module: str, plan: dict) -> dict:
    """Runs COMMON + `parts` in one child under tf_keras with `hub` being `hub_module`;
    returns the parts' results (see `run_parts`)."""
    code = (textwrap.dedent(COMMON) + textwrap.dedent(parts)).replace("HUB", hub_module)
    return run_parts(code, json.dumps(plan), env=child_env(TF_USE_LEGACY_KERAS="1"))


@pytest.fixture(scope="module")
def saved_files(request: pytest.FixtureRequest, tmp_path_factory) -> tuple[dict[str, str], dict]:
    """({model: folder of the files tensorflow_hub 0.16.1 saved}, the parts' results): tfhub
    saves each model in one child, then tensorflow_hub saves each and loads tfhub's files in
    another. Computed once per test run, by the first pytest worker that asks
    (`computed_once`)."""
    _needs_upstream()
    folders, parts = computed_once(
        tmp_path_factory,
        f"{__name__}.saved_files",
        lambda: _save_files(request.getfixturevalue("model_paths"), tmp_path_factory),
    )
    return folders, parts


def _save_files(
    model_paths: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, str], dict]:
    """Runs TFHUB_SAVES, then UPSTREAM_SAVES_AND_LOADS, each in a child; `saved_files`'
    result."""
    plan = {
        name: (
            path,
            os.fspath(tmp_path_factory.mktemp(f"upstream_{name}")),
            os.fspath(tmp_path_factory.mktemp(f"tfhub_{name}")),
        )
        for name, path in model_paths.items()
    }
    ours = _run(TFHUB_SAVES, "tfhub", {name: (h, t, t) for name, (h, _, t) in plan.items()})
    upstream = _run(UPSTREAM_SAVES_AND_LOADS, "tensorflow_hub", plan)
    ours = {f"ours_{name}": result for name, result in ours.items()}
    return {name: folders[1] for name, folders in plan.items()}, {**ours, **upstream}


@pytest.mark.parametrize("reader", ["tf_keras.h5", "tf_keras.keras", "keras3.h5"])
@pytest.mark.parametrize("name", ["tf1", "tf2"])  # tf2: tfhub's order was upstream's already.
def test_upstream_files_load_with_upstream_predictions(saved_files, name, reader) -> None:
    """Keras 3 reads tf_keras's `.h5`, not its `.keras` (it cannot rebuild tf_keras's
    Functional model)."""
    folders, parts = saved_files
    folder, predictions = folders[name], result_of(parts, f"saved_{name}")
    np.testing.assert_allclose(predictions, weight_order_models.expected(X, scale=2.0), rtol=1e-6)
    flavour, fmt = reader.split(".")
    if flavour == "tf_keras":
        import tf_keras

        from tfhub.keras.tf_keras_layer import KerasLayer as TfKerasLayer

        model = tf_keras.models.load_model(
            f"{folder}/model.{fmt}", custom_objects={"KerasLayer": TfKerasLayer}
        )
    else:
        import keras

        from tfhub.keras.layer import KerasLayer as Keras3Layer

        model = keras.models.load_model(
            f"{folder}/model.{fmt}", custom_objects={"KerasLayer": Keras3Layer}, compile=False
        )
    np.testing.assert_allclose(model(X), predictions, rtol=1e-6)


@pytest.mark.parametrize("name", ["tf1", "tf2"])
def test_tensorflow_hub_loads_tfhub_files_with_tfhub_predictions(saved_files, name) -> None:
    _, parts = saved_files
    ours = result_of(parts, f"ours_saved_{name}")
    np.testing.assert_allclose(ours, weight_order_models.expected(X, scale=2.0), rtol=1e-6)
    loaded = result_of(parts, f"loaded_{name}")
    wrong = {fmt: got for fmt, got in loaded.items() if not np.allclose(got, ours, rtol=1e-6)}
    assert wrong == {}, ours


def _model(keras, layer_class, handle: str, *, trainable: bool = False, scale: float = 2.0):
    """A model over the hub layer, each weight multiplied by `scale`."""
    inputs = keras.Input((4,))
    layer = layer_class(handle, trainable=trainable)
    model = keras.Model(inputs, layer(inputs))
    for weight in layer.weights:
        weight.assign(weight * scale)
    return model


def test_keras_3_keras_files_keep_their_order(model_paths, tmp_path) -> None:
    """Keras 3 `.keras` files (never written by upstream) keep the order tfhub always wrote,
    the trainable weights first, so the files it saved before still load right."""
    import h5py
    import keras

    from tfhub.keras.layer import KerasLayer

    model = _model(keras, KerasLayer, model_paths["tf1"])
    model.save(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        archive.extract("model.weights.h5", tmp_path)
    found: dict[str, np.ndarray] = {}  # The hub layer's are the file's only weights.
    with h5py.File(tmp_path / "model.weights.h5") as weights:
        weights.visititems(
            lambda name, item: (
                found.update({name: item[()]}) if isinstance(item, h5py.Dataset) else None
            )
        )
    (folder,) = {name.rsplit("/", 1)[0] for name in found}
    stored = [found[f"{folder}/{index}"] for index in range(len(found))]
    A, MM, B = weight_order_models.A, weight_order_models.MOVING_MEAN, weight_order_models.B
    np.testing.assert_allclose(stored, [2 * A, 2 * B, 2 * MM])
    again = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(again(X), weight_order_models.expected(X, scale=2.0), rtol=1e-6)


def test_tf_keras_keras_file_order_does_not_depend_on_trainable(model_paths, tmp_path) -> None:
    """A `.keras` file of a fine-tuned TF1 layer (beyond upstream) loads into a frozen one."""
    import tf_keras

    from tfhub.keras.tf_keras_layer import KerasLayer

    trained = _model(tf_keras, KerasLayer, model_paths["tf1"], trainable=True)
    trained.save(tmp_path / "model.keras")
    frozen = _model(tf_keras, KerasLayer, model_paths["tf1"], scale=1.0)
    frozen.load_weights(tmp_path / "model.keras")
    np.testing.assert_allclose(frozen(X), weight_order_models.expected(X, scale=2.0), rtol=1e-6)
