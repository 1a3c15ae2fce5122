"""The SavedModel that make_image_classifier exports is callable, as upstream's (a tf_keras model
saved with tf.saved_model.save): `tf.saved_model.load(d)(images)` returns the probabilities, and
`hub.KerasLayer(d)` reuses the classifier; its serving_default signature stays as it was. The
tf_keras export is checked by the end-to-end tests (tests/tools/test_make_image_classifier.py,
in a TF_USE_LEGACY_KERAS=1 subprocess)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tfhub.tools.image_modules import load_module_layer
from tfhub.tools.make_image_classifier import build_model, get_default_hparams
from tfhub.tools.make_image_classifier.export import save_model

pytestmark = [pytest.mark.tf]


def _exported(image_modules: dict[str, str], folder: Path) -> tuple[object, np.ndarray]:
    """A Keras 3 classifier on the "fixed" module, with a Dense layer that is not its initial
    one, saved in `folder`; returns (the model, what it predicts for a batch of images)."""
    layer = load_module_layer(image_modules["fixed"], trainable=False)
    model = build_model(layer, get_default_hparams(), (32, 32), 3)
    kernel, bias = model.get_layer("dense").get_weights()
    rng = np.random.default_rng(1)
    model.get_layer("dense").set_weights([rng.normal(size=kernel.shape), bias + 0.5])
    save_model(model, os.fspath(folder))
    return model, np.asarray(model(_images(), training=False))


def _images() -> np.ndarray:
    return np.random.default_rng(0).uniform(size=(4, 32, 32, 3)).astype(np.float32)


def test_the_loaded_saved_model_is_callable_as_serving_default(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    import tensorflow as tf

    _, expected = _exported(image_modules, tmp_path / "sm")
    loaded = tf.saved_model.load(os.fspath(tmp_path / "sm"))

    called = loaded(tf.constant(_images()))
    served = loaded.signatures["serving_default"](input_1=tf.constant(_images()))
    assert sorted(loaded.signatures) == ["serve", "serving_default"]  # No signature added.
    assert list(served) == ["dense"]
    np.testing.assert_allclose(called.numpy(), served["dense"].numpy(), atol=1e-6)
    np.testing.assert_allclose(called.numpy(), expected, atol=1e-6)
    assert len(loaded.trainable_variables) == 2  # The Dense layer's (the module is frozen).
    assert len(loaded.variables) > len(loaded.trainable_variables)


def test_hub_keras_layer_reuses_the_exported_classifier(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    import keras

    import tfhub

    _, expected = _exported(image_modules, tmp_path / "sm")
    layer = tfhub.KerasLayer(os.fspath(tmp_path / "sm"))
    reused = keras.Sequential([keras.Input(shape=(32, 32, 3)), layer])

    np.testing.assert_allclose(reused.predict(_images(), verbose=0), expected, atol=1e-6)
    assert layer.trainable_weights == [] and len(layer.weights) > 2


def test_the_exported_classifier_keeps_its_regularization_losses(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    """The Dense kernel's L2 term (--l2_regularizer, 1e-4 by default) is one of the loaded
    SavedModel's `regularization_losses`, as in upstream's tf_keras export, so fine-tuning the
    classifier with `hub.KerasLayer(d, trainable=True)` keeps it."""
    import tensorflow as tf

    import tfhub

    model, _ = _exported(image_modules, tmp_path / "sm")
    expected = [float(loss) for loss in model.losses]
    loaded = tf.saved_model.load(os.fspath(tmp_path / "sm"))

    assert len(expected) == 1 and expected[0] > 0
    assert [float(loss()) for loss in loaded.regularization_losses] == pytest.approx(expected)
    layer = tfhub.KerasLayer(os.fspath(tmp_path / "sm"), trainable=True)
    layer(tf.constant(_images()))
    assert [float(loss) for loss in layer.losses] == pytest.approx(expected)
