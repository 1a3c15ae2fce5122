"""KerasLayer errors keep upstream's class (as a base) and the start of its message (issue 11.6)."""

from __future__ import annotations

import pickle

import pytest

tf = pytest.importorskip("tensorflow")

from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _callable_layer(flavour):
    scale = tf.Variable(3.0)
    fn = tf.function(lambda x: x * scale, input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    fn.variables = [scale]
    return flavour.layer(fn)


def test_get_config_of_a_callable_layer_is_not_implemented(flavour) -> None:
    with pytest.raises(
        NotImplementedError,
        match=r"^Can only generate a valid config for `hub\.KerasLayer\(handle, \.\.\.\)`",
    ) as info:
        _callable_layer(flavour).get_config()
    assert isinstance(info.value, errors.ConfigNotSupportedError)
    assert isinstance(info.value, errors.SerializationError | ValueError)  # as tfhub raised before
    assert "tf.saved_model.save" in str(info.value)  # tfhub's advice follows upstream's words
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is type(info.value) and str(again) == str(info.value)


def test_config_of_unserializable_arguments(flavour, model_dir) -> None:
    layer = flavour.layer(model_dir["tf2"], arguments={"x": object()})
    upstream = r"^`hub\.KerasLayer\(\.\.\., arguments\)` contains non json-serializable values"
    with pytest.raises(ValueError, match=upstream + " in key: x"):
        layer.get_config()


def test_a_pathlib_handle_is_taken_as_hub_load_takes_it(flavour, model_dir) -> None:
    """hub.load took a pathlib.Path; KerasLayer said "Expected a string, got PosixPath"."""
    import pathlib

    layer = flavour.layer(pathlib.Path(model_dir["tf2"]))
    assert layer.get_config()["handle"] == str(model_dir["tf2"])  # A str: the config is JSON.


def test_handle_and_signature_errors_start_as_upstream(flavour, model_dir, tmp_path) -> None:
    with pytest.raises(ValueError, match=r"^Expected a string, got 42"):
        flavour.layer(42)
    with pytest.raises(TypeError, match=r"^Cannot convert to nest of TensorShapes"):
        flavour.layer(model_dir["tf2"], output_shape=[object()])
    module = tf.Module()  # not callable, one signature
    module.double = tf.function(lambda x: {"y": 2.0 * x}, [tf.TensorSpec([None], tf.float32)])
    tf.saved_model.save(module, str(tmp_path), signatures={"double": module.double})
    with pytest.raises(ValueError, match=r"^Signature name has to be specified"):
        flavour.layer(str(tmp_path))


def test_a_keras_export_names_the_signature_and_output_to_pass(tmp_path) -> None:
    """A Keras 3 model exported with `model.export` (or `tf.saved_model.save`) loads as an
    object that is not callable: the errors say which signature and output to pass, and that
    call works."""
    import keras
    import numpy as np

    import tfhub as hub

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.export(str(tmp_path / "exported"), verbose=False)
    with pytest.raises(ValueError, match=r"^Signature name has to be specified") as caught:
        hub.KerasLayer(str(tmp_path / "exported"))
    message = str(caught.value)
    assert "a Keras model saved with tf.saved_model.save or exported with model.export" in message
    offered = message.split("e.g. ")[1].split(". Received")[0]
    assert offered == "signature='serving_default', output_key='output_0'"
    with pytest.raises(ValueError, match=r"^When using a signature, either output_key") as caught:
        hub.KerasLayer(str(tmp_path / "exported"), signature="serving_default")
    assert " Its outputs: ['output_0']. Received: " in str(caught.value)
    layer = hub.KerasLayer(
        str(tmp_path / "exported"), signature="serving_default", output_key="output_0"
    )
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(layer(x), model(x), rtol=1e-6)


def test_errors_inside_fit_and_tf_function_keep_their_class(flavour, model_dir) -> None:
    """AutoGraph (Keras's `fit`, `tf.function`) re-raised every tfhub error as a StagingError,
    which `except ValueError` no longer caught (upstream's plain ValueError went through)."""
    import numpy as np

    layer = flavour.layer(model_dir["tf2"], trainable=True)  # Takes float32 [None, 3].
    model = flavour.keras.Sequential([layer, flavour.keras.layers.Dense(1)])
    model.compile(flavour.keras.optimizers.SGD(0.01), "mse")
    with pytest.raises(errors.InputSpecError, match="float32\\[None, 3\\]") as raised:
        model.fit(np.ones((4, 5), np.float32), np.ones((4, 1)), epochs=1, verbose=0)
    assert isinstance(raised.value, ValueError)
    # Upstream's layer let TensorFlow's TypeError (binding inputs to a tf.function) through.
    assert isinstance(raised.value, TypeError)

    traced = tf.function(lambda x: flavour.layer(model_dir["tf2"])(x))
    with pytest.raises(errors.InputSpecError, match="float32\\[None, 3\\]") as raised:
        traced(tf.ones((2, 5)))
    assert isinstance(raised.value, TypeError)
    with pytest.raises(TypeError, match="float32\\[None, 3\\]"):
        flavour.layer(model_dir["tf2"])(tf.ones((2, 3), tf.int32))  # Eagerly, another dtype.
