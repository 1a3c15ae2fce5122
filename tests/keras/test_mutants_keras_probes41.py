"""Tests that kill hand-made mutants of hub.KerasLayer that the suite (and session 38's
probes) let live.

Session 41 mutated `src/tfhub/keras/` a second time, one decision at a time, and ran the
covering tests; each test here fails on one such mutant (named in its docstring) and passes on
the code as it is. Real SavedModels and Keras layers throughout, Keras 3 unless the rule is
tf_keras's own.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.tf

X2 = np.array([[1.0, 2.0], [0.5, 0.0]], np.float32)


def _keras3_layer():
    from tfhub.keras.layer import KerasLayer

    return KerasLayer


# --- layer.py ---------------------------------------------------------------------------------


def test_two_keras3_layers_over_one_loaded_object_share_each_keras_variable(model_dir):
    """Mutant: `_adopt_model` wraps each variable anew for every layer (no `_WRAPPERS`
    lookup): a model of two layers over one `hub.load` object listed its variable twice, and
    each optimizer step updated it twice."""
    import keras

    import tfhub as hub

    obj = hub.load(model_dir["scaled"])
    first = _keras3_layer()(obj, trainable=True, arguments={"scale": 1.0})
    second = _keras3_layer()(obj, trainable=True, arguments={"scale": 1.0})
    assert first.trainable_weights[0] is second.trainable_weights[0]
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Add()([first(inputs), second(inputs)]))
    assert len(model.trainable_weights) == 1
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    # The model computes 2 * w * x (w = 2). On x = [1, 0] with target 0, the mse is
    # (2w)^2 / 2 and its gradient 4w = 8: one SGD step moves w once, to 2 - 0.1 * 8.
    x, y = np.array([[1.0, 0.0]], np.float32), np.array([[0.0, 0.0]], np.float32)
    model.train_on_batch(x, y)
    np.testing.assert_allclose(obj.variables[0].numpy(), 2.0 - 0.1 * 8.0, rtol=1e-5)


def test_input_shape_is_the_connected_inputs_before_the_declared_one(model_dir):
    """Mutant: the Keras 3 layer's `input_shape` answers from `input_shape=` first: once
    connected to an input with a known batch size it still said `(None, 3)`, and without
    either it failed with an IndexError, not the AttributeError Keras 2 raised (which
    `hasattr(layer, "input_shape")` relies on)."""
    import keras

    assert not hasattr(_keras3_layer()(model_dir["tf2"]), "input_shape")
    layer = _keras3_layer()(model_dir["tf2"], input_shape=(3,))
    assert layer.input_shape == (None, 3)
    layer(keras.Input((3,), batch_size=2))
    assert layer.input_shape == (2, 3)


@pytest.fixture(scope="module")
def twin_names(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SavedModel whose two variables have one name, `w`: `__call__(x[None,2])` -> x * a + b
    with a = 3, b = 1."""
    import os

    import tensorflow as tf

    class Twins(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = tf.Variable(3.0, name="w")
            self.b = tf.Variable(1.0, name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return x * self.a + self.b

    path = os.fspath(tmp_path_factory.mktemp("probes41") / "twin_names")
    tf.saved_model.save(Twins(), path)
    return path


def test_a_models_two_variables_of_one_name_get_distinct_keras3_paths(twin_names):
    """Mutants: `_adopt_model` names each Keras variable after its variable without
    `UniqueNames` (and `UniqueNames.unique` forgets the names it gave): both were `<layer>/w`,
    so `get_state_tree()` (keyed by path) kept one of the two values, and optimizer slots
    (keyed by path too) collided."""
    import keras

    layer = _keras3_layer()(twin_names, trainable=True, name="twins")
    paths = sorted(weight.path for weight in layer.weights)
    assert paths == ["twins/w", "twins/w_1"]
    model = keras.Sequential([keras.Input((2,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    values = sorted(float(v) for v in tf_nest_leaves(model.get_state_tree()["trainable_variables"]))
    assert values == [1.0, 3.0]


def tf_nest_leaves(tree):
    """The leaves of a nest of dicts."""
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in tf_nest_leaves(value)]
    return [tree]


def test_input_and_output_shape_of_a_layer_called_on_two_shapes_are_refused():
    """Mutant: `_shape_of_every_call` never compares the calls' shapes: a Keras 3 layer
    called on inputs of two shapes answered `input_shape`/`output_shape` with the first
    call's, where Keras 2 raised (the notion is ill-defined)."""
    import keras

    layer = _keras3_layer()(lambda x: x * 2.0)
    layer(keras.Input((2,)))
    layer(keras.Input((2,)))
    assert layer.input_shape == (None, 2) and layer.output_shape == (None, 2)
    layer(keras.Input((3,)))
    with pytest.raises(AttributeError, match="multiple inbound nodes, with different input"):
        layer.input_shape  # noqa: B018
    with pytest.raises(AttributeError, match="multiple inbound nodes, with different output"):
        layer.output_shape  # noqa: B018


@pytest.fixture(scope="module")
def signatures_only(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SavedModel that is not callable, with three signatures: `alpha(x: float32[None,2])`
    -> {"a": x + 1}, `serving_default(x)` -> {"out": x * 2}, and `scaled(x, scale:
    float32[])` -> {"y": x * 2 * scale}."""
    import os

    import tensorflow as tf

    spec = tf.TensorSpec([None, 2], tf.float32)

    class Signatures(tf.Module):
        @tf.function(input_signature=[spec])
        def alpha(self, x):
            return {"a": x + 1.0}

        @tf.function(input_signature=[spec])
        def serve(self, x):
            return {"out": x * 2.0}

        @tf.function(input_signature=[spec, tf.TensorSpec([], tf.float32)])
        def scaled(self, x, scale):
            return {"y": x * 2.0 * scale}

    module = Signatures()
    path = os.fspath(tmp_path_factory.mktemp("probes41") / "signatures_only")
    signatures = {"alpha": module.alpha, "serving_default": module.serve, "scaled": module.scaled}
    tf.saved_model.save(module, path, signatures=signatures)
    return path


def test_a_signatures_input_given_in_the_call_wins_over_arguments(signatures_only):
    """Mutant: `_invoke` merges a signature's dict of inputs under `arguments` (`{**inputs,
    **arguments}`): an input the call gives was overridden by `arguments`, where upstream's
    layer updated the arguments with the inputs (`kwargs.update(inputs)`)."""
    layer = _keras3_layer()(
        signatures_only, signature="scaled", output_key="y", arguments={"scale": 3.0}
    )
    np.testing.assert_allclose(layer(X2).numpy(), X2 * 6.0)
    given = {"x": X2, "scale": np.float32(5.0)}
    np.testing.assert_allclose(layer(given).numpy(), X2 * 10.0)


def test_the_signature_suggested_for_a_model_without_call_is_serving_default(signatures_only):
    """Mutant: `suggested_signature` takes the first signature by name whatever the others
    (`alpha` here), not `serving_default`, the one exporters mean to be called."""
    from tfhub import errors

    with pytest.raises(errors.SignatureRequiredError) as caught:
        _keras3_layer()(signatures_only)
    assert caught.value.suggested == ("serving_default", "out")
    assert "signature='serving_default', output_key='out'" in str(caught.value)


# --- tf_keras_layer.py ------------------------------------------------------------------------


def test_a_tf_keras_file_holding_more_weights_than_the_model_is_refused(model_dir, tmp_path):
    """Mutant: the tf_keras layer's `_load_variables_by_position` refuses a store of fewer
    weights only (`<` for `!=`): a `.keras` file saved over a model of 5 variables, loaded
    where the handle's folder now holds a model of 1, was read by position (here failing on a
    shape, without saying that the file belongs to another model)."""
    import os
    import shutil

    import tensorflow as tf
    import tf_keras

    from tfhub import errors
    from tfhub.keras.tf_keras_layer import KerasLayer as TfKerasLayer

    class One(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x):
            return x * self.w

    handle = os.fspath(tmp_path / "model")
    shutil.copytree(model_dir["tf2"], handle)
    model = tf_keras.Sequential([tf_keras.Input((3,)), TfKerasLayer(handle)])
    model.save(os.fspath(tmp_path / "five.keras"))
    shutil.rmtree(handle)
    tf.saved_model.save(One(), handle)
    with pytest.raises(errors.ArgumentError, match="has 1 weights .* but the file holds 5"):
        tf_keras.models.load_model(os.fspath(tmp_path / "five.keras"))


def test_tf_keras_reads_the_layers_own_call_signature(model_dir):
    """Mutant: `_without_autograph` does not set `__signature__`: tf_keras read the wrapper's
    `(*args, **kwargs)`, so `layer(inputs=x)` failed (an IndexError) and a positional
    `training` was passed a second time."""
    from tfhub.keras.tf_keras_layer import KerasLayer as TfKerasLayer

    x = np.array([[1.0, 2.0, 3.0, 4.0]], np.float32)
    layer = TfKerasLayer(model_dir["dropout"], trainable=True)
    np.testing.assert_allclose(layer(inputs=x), 2.0 * x)
    np.testing.assert_allclose(layer(x, False), 2.0 * x)
    dropped = np.asarray(layer(np.ones((100, 4), np.float32), True))  # Dropout runs.
    assert (dropped == 0).any()


# --- _arguments.py ----------------------------------------------------------------------------


def test_a_tf1_modules_default_signature_returns_all_its_outputs_as_a_dict():
    """Mutant: `check_output_options` gives a TF1 module the `default` output key even with
    `signature_outputs_as_dict=True`, so the pair counted as both set and the layer was
    refused; upstream applies that default only without `signature_outputs_as_dict`."""
    from tests._helpers.upstream_records import upstream_path

    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    keras_layer = _keras3_layer()
    handle = upstream_path("tf1_multi_sig")
    outputs = keras_layer(handle, signature_outputs_as_dict=True)(x)
    assert sorted(outputs) == ["default", "hidden"]
    np.testing.assert_allclose(
        outputs["hidden"].numpy(), keras_layer(handle, output_key="hidden")(x)
    )
    np.testing.assert_allclose(outputs["default"].numpy(), keras_layer(handle)(x).numpy())


def test_a_falsy_fourth_positional_argument_is_refused_too(model_dir):
    """Mutant: `check_sentinel` refuses only a truthy value (`if sentinel:`): the TF1 empty
    tag set passed positionally after `arguments` (`KerasLayer(h, False, None, [])`) was
    dropped silently instead of refused."""
    from tfhub import errors

    for value in ([], 0, ""):
        with pytest.raises(errors.ArgumentError, match=r"by keyword. Received: _sentinel="):
            _keras3_layer()(model_dir["tf2"], False, None, value)


def test_an_empty_output_key_counts_as_given_with_a_signature(signatures_only):
    """Mutants: `check_output_options` tests `bool(output_key)` for upstream's `output_key is
    not None`: `output_key=""` with a signature was refused as if no output was chosen;
    upstream took it as given, and returned the whole dict (no key to pick). And
    `select_output` picks for any key but None: it then looked for an output named ""."""
    layer = _keras3_layer()(signatures_only, signature="serving_default", output_key="")
    outputs = layer(X2)
    assert sorted(outputs) == ["out"]
    np.testing.assert_allclose(outputs["out"].numpy(), 2.0 * X2)


# --- hub_callable.py --------------------------------------------------------------------------


def test_arguments_reach_a_function_that_takes_keyword_arguments():
    """Mutant: `function_parameters` reads a function taking `**kwargs` like any other, so
    `arguments` it takes through them were refused as parameters it does not have."""
    import tensorflow as tf

    @tf.function
    def scaled(x, **kwargs):
        return x * kwargs["scale"]

    scaled.get_concrete_function(tf.TensorSpec([None, 2], tf.float32), scale=3.0)
    layer = _keras3_layer()(scaled, arguments={"scale": 3.0})
    np.testing.assert_allclose(layer(X2).numpy(), 3.0 * X2)


def test_a_trainable_tf1_layer_runs_the_modules_update_ops_when_training():
    """Mutant: `make_hub_callable` gives a TF1 signature no `train_fn`: a trainable layer
    over a module's `train` graph normalized with the batch's statistics but never ran its
    UPDATE_OPS, so the moving mean and variance never moved, as they do in hub.Module."""
    from tests._helpers.upstream_records import record, upstream_path
    from tests.tf1.conftest import numpy_inputs

    run = next(r for r in record("tf1_train_tags")["runs"] if "after_running_update_ops_once" in r)
    layer = _keras3_layer()(upstream_path("tf1_train_tags"), tags=["train"], trainable=True)
    by_name = {weight.name: weight for weight in layer.weights}
    (x,) = numpy_inputs(run["inputs"]).values()
    before = {name: weight.numpy().copy() for name, weight in by_name.items()}
    layer(x, training=False)
    for name, weight in by_name.items():
        np.testing.assert_allclose(weight.numpy(), before[name])
    layer(x, training=True)
    for name, value in run["after_running_update_ops_once"].items():
        keras_name = name[len("module/") : -len(":0")].replace("/", "_")
        np.testing.assert_allclose(by_name[keras_name].numpy(), value["value"], atol=1e-5)


def test_a_model_neither_callable_nor_with_signatures_is_refused_as_such(tmp_path):
    """Mutant: `select_function` goes on past an empty `signatures` (`is None` for `not`):
    asked to suggest one of no signatures, it failed with an IndexError instead of saying
    that the object has neither `__call__` nor signatures."""
    import os

    import tensorflow as tf

    from tfhub import errors

    module = tf.Module()
    module.w = tf.Variable(1.0)
    path = os.fspath(tmp_path / "bare")
    tf.saved_model.save(module, path)
    with pytest.raises(errors.TFHubLoadError, match="is not callable and has no signatures"):
        _keras3_layer()(path)
    with pytest.raises(errors.TFHubLoadError, match="Loaded object has no signatures"):
        _keras3_layer()(path, signature="serving_default", output_key="y")


# --- _calling.py ------------------------------------------------------------------------------


def test_a_models_own_error_on_inputs_that_match_its_spec_is_not_called_a_mismatch(tmp_path):
    """Mutant: `_input_mismatch_message` never finds a spec compatible: a model's own
    InvalidArgumentError (here its check that inputs are non-negative) on inputs of the right
    dtype and shape was reported as inputs that "do not match what the model expects"."""
    import os

    import tensorflow as tf

    from tfhub import errors

    class Checked(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            with tf.control_dependencies([tf.debugging.assert_non_negative(x)]):
                return x * 2.0

    path = os.fspath(tmp_path / "checked")
    tf.saved_model.save(Checked(), path)
    layer = _keras3_layer()(path)
    np.testing.assert_allclose(layer(X2).numpy(), 2.0 * X2)
    with pytest.raises(tf.errors.InvalidArgumentError) as caught:
        layer(-X2)
    assert not isinstance(caught.value, errors.CallInputSpecError)


# --- _config.py -------------------------------------------------------------------------------


def test_signature_outputs_as_dict_survives_the_config(signatures_only):
    """Mutant: `config_entries` leaves `signature_outputs_as_dict` out: the rebuilt layer,
    with a signature and neither output option, was refused (a saved model did not load)."""
    layer = _keras3_layer()(
        signatures_only, signature="serving_default", signature_outputs_as_dict=True
    )
    config = layer.get_config()
    assert config["signature_outputs_as_dict"] is True
    outputs = _keras3_layer().from_config(config)(X2)
    np.testing.assert_allclose(outputs["out"].numpy(), 2.0 * X2)


# --- export.py --------------------------------------------------------------------------------


def test_export_layer_writes_into_an_existing_empty_folder_without_overwrite(model_dir, tmp_path):
    """Mutant: `_check_target` refuses any existing folder without `overwrite`, not only one
    that holds files: the empty folder that its docstring allows was refused."""
    import tfhub as hub

    layer = _keras3_layer()(model_dir["scaled"], arguments={"scale": 3.0})
    target = tmp_path / "empty"
    target.mkdir()
    assert hub.export_layer(layer, target) == str(target)
    reloaded = _keras3_layer()(str(target), arguments={"scale": 3.0})
    np.testing.assert_allclose(reloaded(X2).numpy(), 6.0 * X2)


# --- _keras2_api.py ---------------------------------------------------------------------------


def test_keras2_compute_mask_refuses_a_mask_it_cannot_pass_on(model_dir):
    """Mutant: Keras 2's `compute_mask` returns None whatever mask it is given, where Keras 2
    raised (a TypeError) for a layer that supports no masking: the mask was dropped silently."""
    import tensorflow as tf

    from tfhub import errors

    layer = _keras3_layer()(model_dir["tf2"])
    x = tf.ones([2, 3])
    assert layer.compute_mask(x) is None and layer.compute_mask(x, mask=None) is None
    with pytest.raises(errors.ArgumentTypeError, match="does not support masking") as caught:
        layer.compute_mask(x, mask=tf.ones([2], tf.bool))
    assert isinstance(caught.value, TypeError)


def test_keras3_on_another_backend_is_refused_with_the_setting_to_change(model_dir, monkeypatch):
    """Mutant: the Keras 3 layer's `_check_environment` never refuses a backend: Keras 3 on
    JAX (here Keras's answer patched: no other backend is installed) built the layer over a
    SavedModel it cannot run, instead of a SettingError naming KERAS_BACKEND."""
    import keras

    from tfhub import errors

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(errors.SettingError, match="set KERAS_BACKEND=tensorflow") as caught:
        _keras3_layer()(model_dir["tf2"])
    assert caught.value.name == "KERAS_BACKEND"
    assert str(caught.value).endswith("Received: keras.backend.backend()='jax'")


def test_the_serialization_error_names_only_the_arguments_that_are_not_json(model_dir):
    """Mutant: `_json_checked` names every key of `arguments`, not only those whose values
    JSON cannot hold: upstream's "contains non json-serializable values in key: a, b" then
    blamed `a`, a plain float."""
    from tfhub import errors

    arguments = {"a": 2.0, "b": np.float32(1.0)}
    layer = _keras3_layer()(model_dir["affine_defaults"], arguments=arguments)
    with pytest.raises(errors.SerializationError, match=r"values in key: b\. ") as caught:
        layer.get_config()
    assert "key: a" not in str(caught.value)


def test_keras2_node_accessors_as_keras2_raised_and_indexed(model_dir):
    """Keras 2 raised RuntimeError for `get_input_at` of a layer never called (tfhub raised
    only AttributeError) and indexed its nodes as a list (tfhub refused -1): mutkeras41's
    finding, by reading tf_keras' `_get_node_attribute_at_index`."""
    import keras

    from tfhub import errors
    from tfhub.keras.layer import KerasLayer

    layer = KerasLayer(model_dir["tf2"])
    for expected in (RuntimeError, AttributeError):
        with pytest.raises(expected, match="never been called"):
            layer.get_input_at(0)
    with pytest.raises(errors.LayerNotCalledError):
        layer.get_output_shape_at(0)
    first, second = keras.Input((3,)), keras.Input((3,))
    out_first, out_second = layer(first), layer(second)
    assert layer.get_input_at(-1) is second and layer.get_output_at(-2) is out_first
    assert layer.get_output_at(-1) is out_second
    with pytest.raises(ValueError, match="only 2 inbound nodes"):
        layer.get_output_at(-3)
