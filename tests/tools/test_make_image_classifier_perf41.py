"""make_image_classifier's first epoch (session 41): Keras 3 traces the train step once, not
twice (the optimizer's and metrics' variables exist before `fit`), and training gives what it
gave when the first step created them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tfhub.tools.make_image_classifier import fit, get_default_hparams
from tfhub.tools.make_image_classifier.model import build_head

pytestmark = [pytest.mark.tf]

FEATURES, CLASSES, IMAGES = 8, 3, 45  # 45 images: batches of 16, 16 and a partial 13.


def _data() -> tuple[Any, int]:
    import tensorflow as tf

    rng = np.random.default_rng(0)
    features = rng.normal(size=(IMAGES, FEATURES)).astype(np.float32)
    labels = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, IMAGES)]
    return tf.data.Dataset.from_tensor_slices((features, labels)).batch(16), IMAGES


def _train(*, epochs: int = 2) -> tuple[Any, Any, int]:
    """Trains a head with Keras 3 and a fixed seed; returns (model, history, train steps traced)."""
    import keras

    keras.utils.set_random_seed(0)
    hparams = get_default_hparams()._replace(
        train_epochs=epochs, batch_size=16, learning_rate=0.1, dropout_rate=0.2
    )
    model = build_head(hparams, FEATURES, CLASSES)
    traces = []
    step = model.train_step

    def counted(data: Any) -> Any:  # Python runs it once per trace.
        traces.append(1)
        return step(data)

    model.train_step = counted
    history = fit.train_model(model, hparams, _data(), _data(), say=lambda _: None)
    return model, history, len(traces)


@pytest.fixture(autouse=True)
def _keras3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "0")


def test_train_step_is_traced_once_in_a_run() -> None:
    model, history, traces = _train()
    assert traces == 1  # Twice when the first trace created the momentum and metric variables.
    assert len(history.history["loss"]) == 2
    assert model.optimizer.built


def test_training_is_what_it_was_with_the_variables_made_in_the_first_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, history, traces = _train()
    monkeypatch.setattr(fit, "build_training_state", lambda *_: None)  # Keras makes them.
    before_model, before_history, before_traces = _train()
    assert (traces, before_traces) == (1, 2)
    assert history.history == before_history.history  # Metrics reset: the same values.
    for got, want in zip(model.get_weights(), before_model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    momentum = [np.asarray(v) for v in model.optimizer.variables]
    for got, want in zip(
        momentum, [np.asarray(v) for v in before_model.optimizer.variables], strict=True
    ):
        np.testing.assert_array_equal(got, want)


def test_nothing_is_built_for_a_model_of_unknown_output_shape() -> None:
    import keras

    model = keras.Sequential([keras.layers.Dense(2)])  # Not built: no output shape.
    model.compile(optimizer="sgd", loss="mse")
    fit.build_training_state(model, "keras")
    assert not model.optimizer.built


@pytest.mark.parametrize("size", [(224, 224), (7, 5), (600, 500)])  # Down, odd, up.
def test_decoded_pixels_stay_in_range_without_a_clip(tmp_path: Any, size: tuple[int, int]) -> None:
    """decode_one rounds the bilinear resize without clipping it: its pixels are the clipped
    ones on an image of hard 0/255 edges and noise (a filter that overshoots would fail)."""
    import tensorflow as tf

    from tfhub.tools.image_decoding import decode_one

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(240, 320, 3), dtype=np.uint8)
    image[::2, ::3] = 255
    image[1::2, 1::3] = 0
    path = tmp_path / "edges.png"
    path.write_bytes(tf.io.encode_png(image).numpy())
    resized = tf.image.resize(tf.cast(image, tf.float32), size, method="bilinear")
    clipped = tf.round(tf.clip_by_value(resized, 0.0, 255.0)).numpy()
    pixels = decode_one(tf.constant(str(path)), size).numpy()
    np.testing.assert_array_equal(pixels, clipped.astype(np.uint8))
    floats = decode_one(tf.constant(str(path)), size, as_float=True).numpy()
    np.testing.assert_array_equal(floats, clipped / np.float32(255.0))
    assert float(resized.numpy().max()) <= 255.0 and float(resized.numpy().min()) >= 0.0
