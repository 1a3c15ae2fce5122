"""hub.KerasLayer in combinations users build that no other test covered (session 62).

A hub layer inside `TimeDistributed` that is fine-tuned; a per-layer `mixed_float16` policy
(tensorflow_hub 0.16.1 failed here: its traced float32 function got float16 inputs); a batch
of zero examples; a Keras 3 model with a trainable hub layer, exported with `model.export()`
and taken up again through its signature by a trainable hub layer that is fine-tuned and saved
as `.keras`. Each passed when written: they guard behaviour that works.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from tests._helpers import models
from tests.keras.conftest import flavour_tuple

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], np.float32)


@pytest.fixture(scope="module")
def handles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The tiny TF2 module (3 -> 2 logits; 4 trainable, 1 non-trainable variables) and text
    embedding (strings -> [batch, 4])."""
    root = tmp_path_factory.mktemp("p62k")
    return {
        "tf2": models.save_tf2_module(os.fspath(root / "tf2")),
        "text": models.save_text_embedding(os.fspath(root / "text")),
    }


def test_time_distributed_hub_layer_fine_tunes_one_set_of_weights(flavour, handles) -> None:
    """`TimeDistributed(hub.KerasLayer(..., trainable=True))` over [batch, steps, 3] gives each
    step the layer's output and trains the hub model's 4 trainable variables (not copies)."""
    keras = flavour.keras
    layer = flavour.layer(handles["tf2"], trainable=True)
    inputs = keras.Input((2, 3))
    model = keras.Model(inputs, keras.layers.TimeDistributed(layer)(inputs))
    steps = np.stack([X, X[::-1]], axis=1)  # [2 examples, 2 steps, 3]
    want = models.tf2_module_expected(X)["logits"]
    got = model.predict(steps, verbose=0)
    np.testing.assert_allclose(got[:, 0], want, rtol=1e-5)
    np.testing.assert_allclose(got[:, 1], want[::-1], rtol=1e-5)
    assert len(model.trainable_weights) == 4
    before = [w.numpy().copy() for w in layer.trainable_weights]
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(steps, np.zeros((2, 2, 2), np.float32), epochs=1, verbose=0)
    assert any(
        not np.allclose(b, w.numpy()) for b, w in zip(before, layer.trainable_weights, strict=True)
    )


def test_a_per_layer_mixed_float16_policy_computes_in_float16(flavour, handles) -> None:
    """`hub.KerasLayer(handle, dtype="mixed_float16")` over a float32 model returns float16
    outputs close to the float32 ones, and its weights stay float32."""
    layer = flavour.layer(handles["tf2"], dtype="mixed_float16")
    outputs = layer(X)
    assert outputs.dtype.name == "float16"
    np.testing.assert_allclose(
        np.asarray(outputs, np.float32), models.tf2_module_expected(X)["logits"], atol=1e-2
    )
    assert {_dtype_name(w) for w in layer.weights} == {"float32"}


def _dtype_name(weight: Any) -> str:
    """A weight's dtype name: Keras 3 gives a string, tf_keras a tf.DType."""
    return getattr(weight.dtype, "name", weight.dtype)


def test_a_batch_of_zero_examples_gives_zero_rows(flavour, handles) -> None:
    """An empty batch (a last `tf.data` batch may be one) passes through, of the output width."""
    import tensorflow as tf

    assert tuple(flavour.layer(handles["tf2"])(tf.zeros([0, 3])).shape) == (0, 2)
    assert tuple(flavour.layer(handles["text"])(tf.constant([], tf.string)).shape) == (0, 4)


def test_keras3_exported_model_fine_tunes_through_its_signature_and_saves(
    handles, tmp_path
) -> None:
    """A Keras 3 model with a trainable hub layer, `model.export()`ed, is taken up by
    `hub.KerasLayer(folder, signature="serve", output_key="output_0", trainable=True)`: it
    serves the model's predictions, lists the exported model's trainable variables (the
    hub model's 4, the head's 2) as trainable, is fine-tuned and round-trips a `.keras` file."""
    keras = flavour_tuple("keras3").keras
    KerasLayer = flavour_tuple("keras3").layer
    inputs = keras.Input((3,))
    hidden = KerasLayer(handles["tf2"], trainable=True)(inputs)
    first = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    folder = os.fspath(tmp_path / "exported")
    first.export(folder, verbose=False)

    layer = KerasLayer(folder, signature="serve", output_key="output_0", trainable=True)
    model = keras.Sequential([keras.Input((3,)), layer])
    before = model.predict(X, verbose=0)
    np.testing.assert_allclose(before, first.predict(X, verbose=0), rtol=1e-5)
    assert len(layer.trainable_weights) == 6
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(X, np.zeros((2, 2), np.float32), epochs=1, verbose=0)
    tuned = model.predict(X, verbose=0)
    assert not np.allclose(tuned, before)
    model.save(os.fspath(tmp_path / "tuned.keras"))
    restored = keras.saving.load_model(os.fspath(tmp_path / "tuned.keras"))
    np.testing.assert_allclose(restored.predict(X, verbose=0), tuned, rtol=1e-5)
