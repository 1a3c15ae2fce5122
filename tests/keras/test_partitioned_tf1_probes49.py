"""hub.KerasLayer over a TF1 module with a partitioned variable, in both flavours
(review49a-F3).

TensorFlow's `tf.compat.v1.saved_model.load_v2` lists each partition of such a module twice;
the second copy cannot be read eagerly. The layer made both copies weights, so a model over it
(even frozen) could not `get_weights()`, `save_weights()` nor save a `.keras` file ("is out of
scope"), and its trainable weights held copies that never train.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from tests._helpers import partitioned_tf1_module as pm
from tests.keras._support import Flavour

pytestmark = pytest.mark.tf

IDS = np.array([0, 3, 1, 2], np.int64)
TARGETS = np.zeros((4, 2), np.float32)


@pytest.fixture(scope="module")
def module_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return pm.save_partitioned_module(os.fspath(tmp_path_factory.mktemp("part49") / "module"))


def _model(flavour: Flavour, handle: str, *, trainable: bool) -> tuple[object, object]:
    """(model, hub layer): the layer alone over int64 ids."""
    keras = flavour.keras
    inputs = keras.Input((), dtype="int64")
    layer = flavour.layer(handle, trainable=trainable)
    return keras.Model(inputs, layer(inputs)), layer


@pytest.mark.parametrize("trainable", [False, True])
def test_weights_hold_each_partition_once(flavour, module_path, trainable: bool) -> None:
    model, layer = _model(flavour, module_path, trainable=trainable)
    assert len(layer.weights) == 4  # emb/part_0, emb/part_1, scale, count.
    assert len(layer.trainable_weights) == (3 if trainable else 0)
    values = sorted((w.tolist() for w in model.get_weights()), key=str)
    want = [pm.EMB[:2].tolist(), pm.EMB[2:].tolist(), pm.SCALE.tolist(), pm.COUNT.tolist()]
    assert values == sorted(want, key=str)


@pytest.mark.parametrize("trainable", [False, True])
def test_save_weights_and_keras_file_round_trip(
    flavour, module_path, tmp_path, trainable: bool
) -> None:
    model, layer = _model(flavour, module_path, trainable=trainable)
    for weight in layer.weights:
        weight.assign(weight * 2.0)
    changed = pm.expected(IDS, emb=2 * pm.EMB, scale=2 * pm.SCALE) + pm.COUNT  # count doubled.
    np.testing.assert_allclose(model.predict(IDS, verbose=0), changed, rtol=1e-6)
    model.save_weights(os.fspath(tmp_path / "model.weights.h5"))
    fresh, _ = _model(flavour, module_path, trainable=trainable)
    np.testing.assert_allclose(fresh.predict(IDS, verbose=0), pm.expected(IDS), rtol=1e-6)
    fresh.load_weights(os.fspath(tmp_path / "model.weights.h5"))
    np.testing.assert_allclose(fresh.predict(IDS, verbose=0), changed, rtol=1e-6)
    path = os.fspath(tmp_path / "model.keras")
    model.save(path)
    keras = flavour.keras
    loader = keras.saving.load_model if flavour.name == "keras3" else keras.models.load_model
    np.testing.assert_allclose(loader(path).predict(IDS, verbose=0), changed, rtol=1e-6)


def test_fit_updates_the_partitions_the_module_reads(flavour, module_path) -> None:
    """The layer's trainable weights are the variables the module's function reads: after
    `fit`, its predictions follow the weights' new values."""
    keras = flavour.keras
    model, layer = _model(flavour, module_path, trainable=True)
    model.compile(keras.optimizers.SGD(0.01), "mse")
    model.fit(IDS, TARGETS, epochs=2, batch_size=4, verbose=0)
    weights = [np.asarray(w) for w in layer.get_weights()]
    parts = [w for w in weights if w.shape == (2, 2)]  # part_0, part_1 in the module's order.
    (scale,) = [w for w in weights if w.shape == (2,)]
    assert len(weights) == 4 and len(parts) == 2
    assert not np.allclose(parts[0], pm.EMB[:2]) and not np.allclose(parts[1], pm.EMB[2:])
    assert not np.allclose(scale, pm.SCALE)
    want = pm.expected(IDS, emb=np.concatenate(parts), scale=scale)
    np.testing.assert_allclose(model.predict(IDS, verbose=0), want, rtol=1e-5)


def test_checkpoint_and_saved_model_saves_reach_each_partition_once(
    flavour, module_path, tmp_path
) -> None:
    """review49f-F7: checkpoints and SavedModels walk the loaded root's tracked `variables`,
    which still held the dead copies: `tf.train.Checkpoint`, `tf.saved_model.save`, Keras 3's
    `model.export()`, tf_keras' default `save_weights` and SavedModel `save` all failed with
    "is out of scope" (plain TensorFlow too, with `tf.saved_model.load`). Keras 3's
    `model.export()` still does: its traced serving function reaches the module's function
    graph, which holds them."""
    import tensorflow as tf

    import tfhub as hub

    model, layer = _model(flavour, module_path, trainable=True)
    expected = np.asarray(model(IDS))
    tf.train.Checkpoint(layer=layer).write(os.fspath(tmp_path / "layer_ckpt"))
    tf.train.Checkpoint(m=hub.load(module_path)).write(os.fspath(tmp_path / "root_ckpt"))
    tf.saved_model.save(layer, os.fspath(tmp_path / "layer_sm"))
    if flavour.name == "tf_keras":
        model.save_weights(os.fspath(tmp_path / "weights"))  # TensorFlow's checkpoint format.
        model.save(os.fspath(tmp_path / "model_sm"))  # The SavedModel format.
        again = flavour.keras.models.load_model(os.fspath(tmp_path / "model_sm"))
        np.testing.assert_allclose(np.asarray(again(IDS)), expected, rtol=1e-6)
    else:  # Keras 3's model.export() still fails (docs/keras.md says why); this works.
        tf.saved_model.save(model, os.fspath(tmp_path / "model_sm"))
    for variable in layer.trainable_weights:
        variable.assign(variable * 0.0)  # Restored from the layer's checkpoint below.
    tf.train.Checkpoint(layer=layer).read(os.fspath(tmp_path / "layer_ckpt")).assert_consumed()
    np.testing.assert_allclose(np.asarray(model(IDS)), expected, rtol=1e-6)
