"""`get_weights`/`set_weights` of a hub layer keep one order whether it is trainable or not
(session 59).

Keras's own layers list their weights in one order whatever `trainable` is, so values taken
with `get_weights()` before `layer.trainable = ...` go back with `set_weights()` after it, as
`EarlyStopping(restore_best_weights=True)` does across a callback that unfreezes a base model.
tfhub's tf_keras layer over a TF1 Hub module listed a frozen layer's weights in the module's
order (upstream's, for `.h5` files) and a trainable one's with the trainable weights first:
over a module whose non-trainable variable sits between two trainable ones of the same shape
(tests/_helpers/weight_order_models.py), the values went back shifted, silently.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np
import pytest
from tests._helpers import weight_order_models
from tests.keras._support import Flavour
from tests.keras.conftest import flavour_tuple

pytestmark = pytest.mark.tf

X = np.ones((1, 4), np.float32)


@pytest.fixture(scope="module")
def tf1_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The TF1 Hub module whose variables are `a`, `moving_mean` (not trainable), `b`."""
    path = os.fspath(tmp_path_factory.mktemp("k59w") / "tf1")
    return weight_order_models.save_tf1_mixed_order_module(path)


@pytest.fixture(params=["keras3", "tf_keras"])
def fl(request: pytest.FixtureRequest) -> Flavour:
    """Runs a test once with Keras 3 and once with tf_keras."""
    return flavour_tuple(request.param)


def _model(fl: Flavour, handle: str, *, trainable: bool) -> tuple[Any, Any]:
    """A model of the hub layer alone with each weight doubled; returns it and the layer."""
    inputs = fl.keras.Input((4,))
    layer = fl.layer(handle, trainable=trainable)
    model = fl.keras.Model(inputs, layer(inputs))
    for weight in layer.weights:
        weight.assign(weight * 2.0)
    return model, layer


def _names(layer: Any) -> list[str]:
    """The weights' names without scope, port, or the `_N` a process that made variables of
    the same name before (other tests, in one pytest worker) adds."""
    names = [weight.name.split(":")[0].rsplit("/", 1)[-1] for weight in layer.weights]
    return [re.sub(r"_[0-9]+$", "", name) for name in names]


@pytest.mark.parametrize("trainable", [False, True], ids=["to_frozen", "to_trainable"])
def test_weights_taken_before_a_trainable_toggle_go_back_after_it(
    fl, tf1_module, trainable
) -> None:
    """`values = model.get_weights(); layer.trainable = not layer.trainable;
    model.set_weights(values)` leaves the model as it was, both ways, in both flavours."""
    model, layer = _model(fl, tf1_module, trainable=not trainable)
    want = weight_order_models.expected(X, scale=2.0)
    np.testing.assert_allclose(model.predict(X, verbose=0), want, rtol=1e-6)
    names = _names(layer)
    values = model.get_weights()
    layer.trainable = trainable
    assert _names(layer) == names
    model.set_weights(values)
    np.testing.assert_allclose(model.predict(X, verbose=0), want, rtol=1e-6)


def test_tf_keras_trainable_tf1_layer_lists_its_weights_as_upstream(tf1_module) -> None:
    """tensorflow_hub 0.16.1's tf_keras layer over a TF1 module, `trainable=True` or not,
    listed its `weights` in the module's order: tfhub's too (its trainable weights are still
    `a` and `b`, and `.h5` files still hold them first, as Keras writes any layer)."""
    fl = flavour_tuple("tf_keras")
    _, layer = _model(fl, tf1_module, trainable=True)
    assert _names(layer) == ["a", "moving_mean", "b"]
    assert [re.sub(r"_[0-9]+$", "", w.name.split(":")[0]) for w in layer.trainable_weights] == [
        "a",
        "b",
    ]


def test_tf_keras_early_stopping_restores_the_best_epoch_across_an_unfreezing_callback(
    tf1_module,
) -> None:
    """Gradual unfreezing: a callback sets `trainable = True` after the first epoch, after
    `EarlyStopping(restore_best_weights=True)` kept that epoch's `model.get_weights()`; the
    weights it restores are each variable's own (they were another one's, silently)."""
    import tf_keras

    fl = flavour_tuple("tf_keras")
    model, layer = _model(fl, tf1_module, trainable=False)
    model.compile(tf_keras.optimizers.SGD(0.01), "mse")
    kept: dict[str, np.ndarray] = {}

    class Unfreeze(tf_keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if epoch == 0:
                kept.update({w.name: w.numpy().copy() for w in layer.weights})
                layer.trainable = True

    stop = tf_keras.callbacks.EarlyStopping(
        monitor="loss", patience=1, min_delta=1e9, restore_best_weights=True
    )
    model.fit(X, np.zeros((1, 4)), epochs=3, verbose=0, callbacks=[stop, Unfreeze()])
    assert kept
    for weight in layer.weights:
        np.testing.assert_allclose(weight.numpy(), kept[weight.name], err_msg=weight.name)
