"""hub.KerasLayer in the training workflows Keras users run daily (session 59): fit with
`steps_per_execution` (and XLA), the checkpointing callbacks (`ModelCheckpoint` with weights
only, `EarlyStopping(restore_best_weights=True)`, `BackupAndRestore`), Keras 3's sharded
weights files and `keras.export.ExportArchive` over the layer alone.

They all go through `get_weights`/`set_weights` or the weights files, so each test checks
that the hub model's own variables (not only the Keras layers around it) come back with the
values they had. Both flavours where Keras offers the workflow; one tiny TF2 SavedModel
(tests/_helpers/models.py) built once for the module; no mocks.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from tests._helpers import models
from tests.keras._support import Flavour
from tests.keras.conftest import flavour_tuple

pytestmark = pytest.mark.tf

X = np.random.RandomState(0).rand(8, 3).astype(np.float32)
Y = np.random.RandomState(1).rand(8, 2).astype(np.float32)


@pytest.fixture(scope="module")
def tf2_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`models.save_tf2_module` (x[None,3] -> logits[None,2], 5 variables), built once."""
    return models.save_tf2_module(os.fspath(tmp_path_factory.mktemp("k59") / "tf2"))


@pytest.fixture(params=["keras3", "tf_keras"])
def fl(request: pytest.FixtureRequest) -> Flavour:
    """Runs a test once with Keras 3 and once with tf_keras."""
    return flavour_tuple(request.param)


def _classifier(fl: Flavour, handle: str) -> tuple[Any, Any]:
    """A trainable hub layer under a Dense head of fixed initial weights; returns the model
    and the hub layer."""
    keras = fl.keras
    inputs = keras.Input((3,))
    layer = fl.layer(handle, trainable=True)
    head = keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    return keras.Model(inputs, head(layer(inputs))), layer


def _values(layer: Any) -> list[np.ndarray]:
    return [np.array(value) for value in layer.get_weights()]


def _assert_same(actual: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_steps_per_execution_and_xla_train_the_hub_variables_as_one_step_at_a_time(
    fl, tf2_model
) -> None:
    """`compile(steps_per_execution=4, jit_compile=True)` runs four steps per call, compiled
    with XLA: the hub model's variables end where a plain step-by-step fit leaves them."""
    results = []
    for options in ({}, {"steps_per_execution": 4, "jit_compile": True}):
        model, layer = _classifier(fl, tf2_model)
        model.compile(fl.keras.optimizers.SGD(0.1), "mse", **options)
        model.fit(X, Y, batch_size=2, epochs=2, shuffle=False, verbose=0)
        results.append(_values(layer))
    assert not np.allclose(results[0][1], models.TF2_KERNEL)  # hidden/kernel trained.
    _assert_same(results[1], results[0])


def test_model_checkpoint_of_weights_only_loads_into_a_model_built_again(
    fl, tf2_model, tmp_path
) -> None:
    """`ModelCheckpoint(save_weights_only=True)` each epoch (Keras 3's `.weights.h5`,
    tf_keras's TensorFlow checkpoint), then `load_weights` into the same model built again
    (the hub layer loading the handle's original values): the fine-tuned predictions."""
    keras = fl.keras
    path = os.fspath(tmp_path / ("ckpt.weights.h5" if fl.name == "keras3" else "ckpt"))
    model, layer = _classifier(fl, tf2_model)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    checkpoint = keras.callbacks.ModelCheckpoint(path, save_weights_only=True)
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0, callbacks=[checkpoint])

    again, again_layer = _classifier(fl, tf2_model)
    assert not np.allclose(_values(again_layer)[1], _values(layer)[1])
    status = again.load_weights(path)
    if status is not None:  # tf_keras: the optimizer's slots are left unread.
        status.expect_partial()
    _assert_same(_values(again_layer), _values(layer))
    np.testing.assert_allclose(again.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_early_stopping_restores_the_hub_variables_of_the_best_epoch(fl, tf2_model) -> None:
    """`EarlyStopping(restore_best_weights=True)` keeps `model.get_weights()` of the best
    epoch and gives it back with `set_weights`: the hub variables take the values they had
    then, not the last epoch's."""
    keras = fl.keras
    kept: dict[int, list[np.ndarray]] = {}

    class Keep(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            kept[epoch] = _values(layer)

    model, layer = _classifier(fl, tf2_model)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    # min_delta=10: no later epoch counts as better, so the first one is restored.
    stop = keras.callbacks.EarlyStopping(
        monitor="loss", patience=1, min_delta=10.0, restore_best_weights=True
    )
    history = model.fit(X, Y, batch_size=4, epochs=5, verbose=0, callbacks=[Keep(), stop])
    assert len(history.history["loss"]) == 2
    assert not np.allclose(kept[1][1], kept[0][1])
    _assert_same(_values(layer), kept[0])


def test_backup_and_restore_resumes_with_the_hub_variables_of_the_interrupted_fit(
    fl, tf2_model, tmp_path
) -> None:
    """A fit interrupted after its second epoch, then run again in a model built again with
    the same `BackupAndRestore` folder, resumes at the third epoch with the hub variables the
    interrupted fit had reached (not the handle's original values)."""
    keras = fl.keras
    backup = os.fspath(tmp_path / "backup")

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if epoch == 1:
                raise KeyboardInterrupt  # What stops a preempted job, caught below.

    model, layer = _classifier(fl, tf2_model)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    with pytest.raises(KeyboardInterrupt):
        model.fit(
            X,
            Y,
            batch_size=4,
            epochs=4,
            verbose=0,
            callbacks=[keras.callbacks.BackupAndRestore(backup), Interrupt()],
        )
    reached = _values(layer)
    resumed_with: list[list[np.ndarray]] = []

    class Record(keras.callbacks.Callback):
        def on_train_begin(self, logs: Any = None) -> None:
            resumed_with.append(_values(again_layer))

    again, again_layer = _classifier(fl, tf2_model)
    again.compile(keras.optimizers.SGD(0.1), "mse")
    history = again.fit(
        X,
        Y,
        batch_size=4,
        epochs=4,
        verbose=0,
        callbacks=[keras.callbacks.BackupAndRestore(backup), Record()],
    )
    assert len(history.history["loss"]) == 2  # Epochs 3 and 4.
    _assert_same(resumed_with[0], reached)


def test_keras3_sharded_weights_files_hold_the_hub_variables(tf2_model, tmp_path) -> None:
    """Keras 3 `save_weights("m.weights.json", max_shard_size=...)` splits the weights over
    several `.weights.h5` shards; `load_weights` of the `.json` gives the hub variables back."""
    fl = flavour_tuple("keras3")
    model, layer = _classifier(fl, tf2_model)
    for variable in layer.trainable_weights:
        variable.assign(variable + 1.0)
    path = tmp_path / "model.weights.json"
    model.save_weights(os.fspath(path), max_shard_size=1e-7)  # In GB: 100 bytes a shard.
    assert len(list(tmp_path.glob("model_*.weights.h5"))) > 1

    again, again_layer = _classifier(fl, tf2_model)
    again.load_weights(os.fspath(path))
    _assert_same(_values(again_layer), _values(layer))


def test_keras3_export_archive_serves_the_layer_alone(tf2_model, tmp_path) -> None:
    """`keras.export.ExportArchive` tracking the layer (no model around it), with an endpoint
    of its `call`: `tf.saved_model.load` of the folder serves the layer's outputs, also after
    its variables changed (the export holds them, not the handle)."""
    import keras
    import tensorflow as tf

    layer = flavour_tuple("keras3").layer(tf2_model)
    layer.weights[0].assign(layer.weights[0] + 0.5)
    archive = keras.export.ExportArchive()
    archive.track(layer)
    archive.add_endpoint(
        "embed", layer.call, input_signature=[keras.InputSpec(shape=(None, 3), dtype="float32")]
    )
    folder = os.fspath(tmp_path / "exported")
    archive.write_out(folder, verbose=False)
    loaded = tf.saved_model.load(folder)
    np.testing.assert_allclose(loaded.embed(X).numpy(), layer(X).numpy(), rtol=1e-6)
