"""hub.KerasLayer over models whose `__call__` was saved for only some `training` values, or
whose parameters were traced for Python values (both flavours; rf54a-F1..F3)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tfhub import errors

pytestmark = pytest.mark.tf

_W = [[1.0], [2.0], [3.0]]
_X = np.array([[1.0, 1.0, 1.0], [0.5, 0.0, 2.0]], np.float32)


def _save(path: str, *, default: bool | None, traced: list[dict[str, object]]) -> str:
    """Saves `__call__(x[None,3], training=default, scale=2)` -> (x @ w) * scale, doubled when
    training, traced once per keyword dict of `traced` (an empty dict leaves `training` and
    `scale` to their defaults), with the Reusable SavedModel attributes."""
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(_W, name="w")

        @tf.function
        def __call__(self, x, training=default, scale=2):
            y = tf.matmul(x, self.w) * scale
            return y * 2.0 if training else y

    model = Model()
    for keywords in traced:
        model.__call__.get_concrete_function(tf.TensorSpec([None, 3], tf.float32), **keywords)
    root = tf.train.Checkpoint()
    root.model = model
    root.__call__ = model.__call__
    root.variables = [model.w]
    root.trainable_variables = [model.w]
    tf.saved_model.save(root, path)
    return path


@pytest.fixture(scope="module")
def traced_without_training(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`training=None` by default, traced with `training` left out (the model's own default)."""
    path = os.fspath(tmp_path_factory.mktemp("training_modes") / "without_training")
    return _save(path, default=None, traced=[{}])


def _expected(scale: float = 2.0) -> np.ndarray:
    return _X @ np.array(_W, np.float32) * scale


@pytest.mark.parametrize("trainable", [False, True])
def test_inference_calls_a_model_saved_without_training(
    flavour, traced_without_training, trainable
):
    """rf54a-F2: the layer passed training=False to a `__call__` traced only for its default
    (training=None), which TensorFlow refused ("Could not find matching concrete function"):
    even a frozen layer could not be called or put in a Sequential model, while
    `hub.load(handle)(x)` ran it. It now calls it without `training`, as `hub.load` does."""
    from tfhub import load

    keras = flavour.keras
    np.testing.assert_allclose(load(traced_without_training)(_X).numpy(), _expected())
    layer = flavour.layer(traced_without_training, trainable=trainable)
    np.testing.assert_allclose(layer(_X).numpy(), _expected())
    model = keras.Sequential([keras.Input((3,)), layer])
    np.testing.assert_allclose(model.predict(_X, verbose=0), _expected())


@pytest.fixture(scope="module")
def inference_only(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`training=False` by default, traced only for training=False."""
    path = os.fspath(tmp_path_factory.mktemp("training_modes") / "inference_only")
    return _save(path, default=False, traced=[{"training": False}])


@pytest.mark.parametrize("saved", ["inference_only", "traced_without_training"])
def test_training_a_model_saved_for_inference_says_so(flavour, request, saved):
    """rf54a-F1: `fit` of a trainable layer over a model saved for inference only failed with
    TensorFlow's bare ValueError ("Could not find matching concrete function"), naming neither
    the model nor what to do (tensorflow_hub 0.16.1 the same). Now a TrainingModeError (a
    ValueError, as TensorFlow's) says so; inference still runs."""
    keras = flavour.keras
    path = request.getfixturevalue(saved)
    layer = flavour.layer(path, trainable=True)
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile("sgd", "mse")
    np.testing.assert_allclose(model.predict(_X, verbose=0), _expected())
    with pytest.raises(errors.TrainingModeError) as caught:
        model.fit(_X, np.zeros((2, 1), np.float32), verbose=0)
    assert isinstance(caught.value, ValueError) and caught.value.handle == path
    message = str(caught.value)
    assert repr(path) in message and "trainable=False" in message
    assert "training=True" in message
    with pytest.raises(errors.TrainingModeError):
        layer(_X, training=True)
    frozen = flavour.layer(path)  # Runs in inference mode whatever `training` says.
    np.testing.assert_allclose(frozen(_X, training=True).numpy(), _expected())


@pytest.fixture(scope="module")
def scale_values(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`scale` traced for the Python values 2 and 3 (each with training False and True)."""
    path = os.fspath(tmp_path_factory.mktemp("training_modes") / "scale_values")
    traced = [{"training": t, "scale": s} for t in (False, True) for s in (2, 3)]
    return _save(path, default=False, traced=traced)


def test_an_argument_value_the_model_was_not_saved_for_is_refused_when_built(flavour, scale_values):
    """rf54a-F3: `arguments` giving a parameter traced for Python values another value built
    the layer, and its first call failed with TensorFlow's bare ValueError ("Could not find
    matching concrete function"); docs/keras.md promises ArgumentTypeError when the layer is
    built for a value the parameter's traced spec cannot take."""
    layer = flavour.layer(scale_values, arguments={"scale": 3})
    np.testing.assert_allclose(layer(_X).numpy(), _expected(3.0))
    np.testing.assert_allclose(
        flavour.layer(scale_values, arguments={"scale": 3.0})(_X), _expected(3.0)
    )
    for value in (5, "3", [3]):
        with pytest.raises(errors.ArgumentTypeError, match=r"scale as 2 or 3") as caught:
            flavour.layer(scale_values, arguments={"scale": value})
        assert isinstance(caught.value, TypeError)
        assert f"scale={value!r}" in str(caught.value)
