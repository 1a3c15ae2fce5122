"""The load options of a Keras model load reach the hub model its hub.KerasLayer loads again.

`tf_keras.models.load_model(path, options=...)` rebuilds the layer from its config (which keeps
no `load_options`), inside TensorFlow's load context; the layer loads its handle with those
options, as tensorflow_hub's did. Observed through an option whose effect shows on the loaded
object: `experimental_load_function_aliases=True` gives it `function_aliases`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def aliased_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SavedModel, `__call__(x[None, 3]) = x @ [[1], [2], [3]]`, saved with a function alias."""
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kernel = tf.Variable([[1.0], [2.0], [3.0]])

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: Any) -> Any:
            return tf.matmul(x, self.kernel)

    model = Model()
    path = os.fspath(tmp_path_factory.mktemp("aliased") / "model")
    options = tf.saved_model.SaveOptions(function_aliases={"forward": model.__call__})
    tf.saved_model.save(model, path, options=options)
    return path


def _aliases_options() -> Any:
    import tensorflow as tf

    return tf.saved_model.LoadOptions(experimental_load_function_aliases=True)


@pytest.mark.parametrize("save_format", ["tf", "h5"])
def test_tf_keras_load_model_options_reach_the_hub_model(
    aliased_model: str, tmp_path: Any, save_format: str
) -> None:
    import numpy as np
    import tf_keras

    from tfhub.keras.tf_keras_layer import KerasLayer

    inputs = tf_keras.Input((3,))
    outputs = tf_keras.layers.Add()([KerasLayer(aliased_model)(inputs) for _ in range(2)])
    model = tf_keras.Model(inputs, outputs)
    path = os.fspath(tmp_path / ("model.h5" if save_format == "h5" else "model"))
    model.save(path, save_format=save_format)

    restored = tf_keras.models.load_model(path, options=_aliases_options())
    layers = [layer for layer in restored.layers if isinstance(layer, KerasLayer)]
    assert len(layers) == 2  # Each gets the options (the context outlives the first load).
    for layer in layers:
        assert "forward" in layer.resolved_object.function_aliases
    np.testing.assert_allclose(restored(np.ones((1, 3), np.float32)), [[12.0]])
    # Without options, TensorFlow's defaults (no aliases), as before.
    plain = tf_keras.models.load_model(path).get_layer(layers[0].name).resolved_object
    assert not hasattr(plain, "function_aliases")


def test_the_layers_own_load_options_come_first(aliased_model: str) -> None:
    import tensorflow as tf

    from tfhub import _tf_private
    from tfhub.keras.tf_keras_layer import KerasLayer

    assert _tf_private.load_context_options() is None
    with tf.__internal__.load_context(_aliases_options()):
        assert _tf_private.load_context_options() is not None
        own = KerasLayer(aliased_model, load_options=tf.saved_model.LoadOptions())
        from_context = KerasLayer(aliased_model)
    assert not hasattr(own.resolved_object, "function_aliases")
    assert "forward" in from_context.resolved_object.function_aliases
    assert _tf_private.load_context_options() is None


def test_keras3_reads_the_same_context(aliased_model: str, tmp_path: Any) -> None:
    """Keras 3's `load_model` takes no options and enters no load context: the handle loads
    with TensorFlow's defaults, unless the caller enters one around the load."""
    import keras
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    path = os.fspath(tmp_path / "model.keras")
    keras.Sequential([keras.Input((3,)), KerasLayer(aliased_model)]).save(path)
    plain = keras.saving.load_model(path).layers[0].resolved_object
    assert not hasattr(plain, "function_aliases")
    with tf.__internal__.load_context(_aliases_options()):
        restored = keras.saving.load_model(path)
    assert "forward" in restored.layers[0].resolved_object.function_aliases


def test_tf_saved_model_load_of_an_export_loads_no_handle(
    aliased_model: str, tmp_path: Any
) -> None:
    """An exported model holds the hub model's functions and variables: loading it needs no
    handle (here: gone), so `tf.saved_model.load`'s options have no layer to reach."""
    import shutil

    import keras
    import numpy as np
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    handle = shutil.copytree(aliased_model, tmp_path / "hub")
    model = keras.Sequential([keras.Input((3,)), KerasLayer(os.fspath(handle))])
    model.export(os.fspath(tmp_path / "exported"), verbose=False)
    shutil.rmtree(handle)
    exported = tf.saved_model.load(os.fspath(tmp_path / "exported"), options=_aliases_options())
    np.testing.assert_allclose(exported.serve(np.ones((1, 3), np.float32)), [[6.0]])
