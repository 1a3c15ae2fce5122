"""Tests that kill hand-made mutants of hub.KerasLayer's rule modules that the suite let live.

Session 38 mutated `src/tfhub/keras/` one decision at a time (a flipped comparison, a dropped
check, a constant off by one) and ran the covering tests; each test here fails on one such
mutant (named in its docstring) and passes on the code as it is. Real SavedModels and Keras
layers throughout, Keras 3 unless the rule is tf_keras's own.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from tfhub import errors

pytestmark = pytest.mark.tf

X2 = np.array([[1.0, 2.0], [0.5, 0.0]], np.float32)


@pytest.fixture(scope="module")
def training_required(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A reusable SavedModel whose `__call__(x[None,2], training)` has no default for
    `training` (traced for both values): x * 2, plus 1 when training."""
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0, name="w")

        def __call__(self, x, training):
            return x * self.w + (1.0 if training else 0.0)

    model = Model()
    call = tf.function(model.__call__)
    for training in (False, True):
        call.get_concrete_function(tf.TensorSpec([None, 2], tf.float32), training)
    root = tf.train.Checkpoint(model=model)
    root.__call__ = call
    root.variables = [model.w]
    root.trainable_variables = [model.w]
    path = os.fspath(tmp_path_factory.mktemp("probes38") / "training_required")
    tf.saved_model.save(root, path)
    return path


def _keras3_layer():
    from tfhub.keras.layer import KerasLayer

    return KerasLayer


# --- _arguments.py ----------------------------------------------------------------------------


def test_arguments_that_are_not_a_dict_are_refused_even_if_dict_could_read_them(model_dir):
    """Mutant: `check_arguments` without its isinstance check (`dict(arguments)` then took a
    list of pairs)."""
    with pytest.raises(errors.ArgumentError, match=r"`arguments` must be a dict"):
        _keras3_layer()(model_dir["scaled"], arguments=[("scale", 3.0)])


def test_the_layer_keeps_a_copy_of_arguments(model_dir):
    """Mutant: `check_arguments` returns the caller's dict itself, so changing it afterwards
    changed the layer's calls and config."""
    arguments = {"scale": 3.0}
    layer = _keras3_layer()(model_dir["scaled"], arguments=arguments)
    arguments["scale"] = 5.0
    np.testing.assert_allclose(layer(X2).numpy(), 6 * X2)
    assert layer.get_config()["arguments"] == {"scale": 3.0}


def test_a_training_parameter_without_default_is_not_asked_of_arguments(training_required):
    """Mutant: `training` left out of what the call gives (`given_by_call`), so a `__call__(x,
    training)` without a default was refused for lacking `arguments={'training': ...}`."""
    layer = _keras3_layer()(training_required, trainable=True)
    np.testing.assert_allclose(layer(X2, training=False).numpy(), 2 * X2)
    np.testing.assert_allclose(layer(X2, training=True).numpy(), 2 * X2 + 1)


# --- _config.py -------------------------------------------------------------------------------


def test_a_tf1_modules_other_signature_and_output_key_stay_in_the_config():
    """Mutants: `config_entries` leaves out any TF1 module's `signature` (resp. `output_key`),
    not only the default one: the rebuilt layer called `default` (resp. returned `default`)."""
    from tests._helpers.upstream_records import upstream_path

    keras_layer = _keras3_layer()
    handle = upstream_path("tf1_multi_sig")
    pair = keras_layer(handle, signature="sum_pair", output_key="default")
    config = pair.get_config()
    assert config["signature"] == "sum_pair"
    inputs = {
        "a": np.array([1.0, 2.0, 3.0], np.float32),
        "b": np.array([0.5, -1.0, 10.0], np.float32),
    }
    np.testing.assert_allclose(keras_layer.from_config(config)(inputs).numpy(), [2.0, 0.0, 23.0])
    hidden = keras_layer(handle, output_key="hidden")
    config = hidden.get_config()
    assert config["output_key"] == "hidden" and "signature" not in config
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    rebuilt = keras_layer.from_config(config)(x).numpy()
    assert rebuilt.shape == (1, 4)
    np.testing.assert_allclose(rebuilt, hidden(x).numpy())


# --- _registration.py -------------------------------------------------------------------------


def test_registration_survives_a_layer_module_that_fails_other_than_by_import_error(monkeypatch):
    """Mutant: `_import_quietly` catches only ImportError. A Keras without an API the layer
    module uses at import (`keras.saving.register_keras_serializable`) raises AttributeError,
    which must not break the user's `import keras` either."""
    from tfhub.keras import _registration

    def fail(name: str) -> None:
        raise AttributeError(f"module 'keras' has no attribute 'saving' (importing {name})")

    monkeypatch.setattr(_registration.importlib, "import_module", fail)
    assert _registration.register("tf_keras") is False


# --- _weight_names.py -------------------------------------------------------------------------


def test_three_tf_keras_layers_over_loads_of_one_model_have_distinct_weight_names(model_dir):
    """Mutant: `make_unique` looks for `hidden/kernel_1` (no `:0`) among the live names, so it
    never sees it taken and gives the third load `_1` again: two layers' weights (and the
    optimizer slots an `.h5` file keys by them) shared a name."""
    from tfhub.keras.tf_keras_layer import KerasLayer

    layers = [KerasLayer(model_dir["tf2"]) for _ in range(3)]
    names = [weight.name for layer in layers for weight in layer.weights]
    assert len(names) == 15 and len(set(names)) == 15, names
