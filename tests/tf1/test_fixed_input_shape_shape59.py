"""A TF1 module's fixed input shape is enforced in eager and Keras calls, as hub.Module does.

TensorFlow's TF1 loader prunes a module's signatures without checking the shapes they are
called with: a hub.KerasLayer over an image module fixed at [None, 8, 6, 3] ran on 10x12
images silently (a wrong result), and on images of another rank the conv op aborted the whole
process. hub.Module in a graph refuses both with SignatureInputError.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from tests._helpers.image_models import save_tf1_image_module
from tests.keras.conftest import flavour_tuple

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf

RIGHT = np.random.default_rng(0).uniform(size=(2, 8, 6, 3)).astype(np.float32)
WRONG_SIZE = np.ones((2, 10, 12, 3), np.float32)
WRONG_RANK = np.ones((10, 12, 3), np.float32)


@pytest.fixture(scope="module")
def fixed_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A TF1 image module whose "images" input is fixed at [None, 8, 6, 3]."""
    path = tmp_path_factory.mktemp("fixed_shape59") / "module"
    return save_tf1_image_module(os.fspath(path), image_size=(8, 6), fixed_shape=True)


@pytest.fixture(params=["keras3", "tf_keras"])
def layer_of(request: pytest.FixtureRequest, fixed_module: str):
    """A hub.KerasLayer of `fixed_module`, once per Keras flavour, and that flavour."""
    flavour = flavour_tuple(request.param)
    return flavour.layer(fixed_module), flavour


def _expected_features(fixed_module: str) -> np.ndarray:
    """The module's outputs for RIGHT, computed by hub.Module in a graph."""
    import tensorflow as tf

    with tf.Graph().as_default():
        outputs = hub.Module(fixed_module)(tf.constant(RIGHT))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return session.run(outputs)


@pytest.mark.parametrize("images", [WRONG_SIZE, WRONG_RANK], ids=["height_width", "rank"])
def test_keras_layer_refuses_a_shape_the_module_does_not_take(layer_of, images) -> None:
    """The check (model_calls.check_fixed_shapes) raises SignatureInputError, which the layer
    says as its CallInputSpecError (what it raises for inputs its function cannot take)."""
    layer, _ = layer_of
    with pytest.raises(errors.CallInputSpecError) as caught:
        layer(images)
    assert isinstance(caught.value, TypeError | ValueError)
    message = str(caught.value)
    given = "[" + ", ".join(str(dim) for dim in images.shape) + "]"
    for part in (
        "'images'",
        "signature 'default'",
        "[None, 8, 6, 3]",
        f"Received: inputs=float32{given}",
    ):
        assert part in message


def test_keras_layer_runs_the_fixed_shape_and_none_batch(layer_of, fixed_module) -> None:
    layer, _ = layer_of
    np.testing.assert_allclose(layer(RIGHT), _expected_features(fixed_module), rtol=1e-5)
    assert layer(np.ones((5, 8, 6, 3), np.float32)).shape == (5, 8)


def test_keras_model_on_input_of_the_fixed_shape_builds_and_fits(layer_of) -> None:
    layer, flavour = layer_of
    keras = flavour.keras
    inputs = keras.Input((8, 6, 3))
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(RIGHT, np.ones((2, 1), np.float32), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_eager_hub_module_refuses_wrong_shapes_and_runs_the_right_one(fixed_module) -> None:
    """Regression guard: the eager hub.Module refused these before (tensor_info's check)."""
    module = hub.Module(fixed_module)
    for images in (WRONG_SIZE, WRONG_RANK):
        with pytest.raises(errors.SignatureInputError, match="images"):
            module(images)
    np.testing.assert_allclose(module(RIGHT), _expected_features(fixed_module), rtol=1e-5)


def test_check_fixed_shapes_names_input_shapes_and_signature(fixed_module) -> None:
    """The one check, on the module's real pruned signature: the message says what, where,
    both shapes; dims of None on either side (a symbolic Keras input) pass."""
    import keras

    from tfhub.model_calls import call_with_training, check_fixed_shapes

    model = hub.load(fixed_module)
    signature = model.signatures["default"]
    with pytest.raises(errors.SignatureInputError) as caught:
        call_with_training(None, signature, (), {"images": WRONG_SIZE}, signature="default")
    assert isinstance(caught.value, TypeError | ValueError)
    assert str(caught.value).startswith(
        "Input 'images' of signature 'default' has shape (2, 10, 12, 3), but the module "
        "expects (None, 8, 6, 3)"
    )
    with pytest.raises(errors.SignatureInputError, match=r"has shape \(10, 12, 3\)") as caught:
        check_fixed_shapes(signature, (WRONG_RANK,), {})
    assert "b'" not in str(caught.value)  # TensorFlow's bytes name, decoded (rev59c).
    check_fixed_shapes(signature, (keras.Input((None, None, 3)),), {})
    check_fixed_shapes(signature, (keras.Input((8, 6, 3)),), {})
    outputs = call_with_training(None, signature, (), {"images": RIGHT})
    np.testing.assert_allclose(outputs["default"], _expected_features(fixed_module), rtol=1e-5)
