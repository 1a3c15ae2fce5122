"""Tests that kill hand-made mutants of hub.KerasLayer's rule modules that the suite let live.

Session 38 mutated `src/tfhub/keras/` one decision at a time (a flipped comparison, a dropped
check, a constant off by one) and ran the covering tests; each test here fails on one such
mutant (named in its docstring) and passes on the code as it is. Real SavedModels and Keras
layers throughout, Keras 3 unless the rule is tf_keras's own.
"""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest
from tests._helpers import models
from tests._helpers.upstream_records import upstream_path

from tfhub import errors

pytestmark = pytest.mark.tf

X2 = np.array([[1.0, 2.0], [0.5, 0.0]], np.float32)


@pytest.fixture(scope="module")
def training_required(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A reusable SavedModel whose `__call__(x[None,2], training)` has no default for
    `training` (traced for both values): x * 2, plus 1 when training. Its one variable's name,
    `probes38/w`, is no other test model's."""
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0, name="probes38/w")

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


@pytest.fixture(scope="module")
def small_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Tiny SavedModels: "two_outputs", not callable, whose `serving_default` returns
    {"double", "half"}; "ints", `__call__(x: int32[None,2])` -> x * 2; "signature", only
    the signatures `scaled(x: float32[None,2], scale: float32[])` -> {"y": x * 2 * scale} and
    `pair(x, y, scale)` -> {"y": (x + y) * scale}."""
    import tensorflow as tf

    class Ints(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.int32)])
        def __call__(self, x):
            return x * 2

    class Scaled(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0, name="w")

        @tf.function(
            input_signature=[tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([], tf.float32)]
        )
        def scaled(self, x, scale):
            return {"y": x * self.w * scale}

        @tf.function(
            input_signature=[tf.TensorSpec([None, 2], tf.float32)] * 2
            + [tf.TensorSpec([], tf.float32)]
        )
        def pair(self, x, y, scale):
            return {"y": (x + y) * scale}

    class TwoOutputs(tf.Module):  # Not callable: only its serving signature.
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def serve(self, x):
            return {"double": x * 2.0, "half": x * 0.5}

    root = tmp_path_factory.mktemp("probes38_small")
    two = TwoOutputs()
    tf.saved_model.save(
        two, os.fspath(root / "two_outputs"), signatures={"serving_default": two.serve}
    )
    tf.saved_model.save(Ints(), os.fspath(root / "ints"))
    scaled = Scaled()
    tf.saved_model.save(
        scaled,
        os.fspath(root / "signature"),
        signatures={"scaled": scaled.scaled, "pair": scaled.pair},
    )
    return {name: os.fspath(root / name) for name in ("ints", "signature", "two_outputs")}


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


# --- _compat.py -------------------------------------------------------------------------------


def test_a_keras3_model_run_inside_a_tf_keras_layer_call_may_hold_a_keras3_hub_layer(model_dir):
    """Mutant: `enclosing_flavour_mismatch_message` without its `layer_flavour in running`
    test: with a call of each flavour running (a Keras 3 model called inside a tf_keras
    Lambda), it unpacked both and failed; the hub layer's own flavour encloses it, so fine."""
    import keras
    import tf_keras

    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    inner = keras.Sequential([keras.Input((3,)), _keras3_layer()(model_dir["tf2"])])
    outer = tf_keras.layers.Lambda(lambda t: inner(t))
    expected = models.tf2_module_expected(x)["logits"]
    np.testing.assert_allclose(np.asarray(outer(x)), expected, atol=1e-5)


# --- _config.py -------------------------------------------------------------------------------


def test_a_tf1_modules_other_signature_and_output_key_stay_in_the_config():
    """Mutants: `config_entries` leaves out any TF1 module's `signature` (resp. `output_key`),
    not only the default one: the rebuilt layer called `default` (resp. returned `default`)."""

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


def test_a_graph_layers_variable_does_not_take_a_live_eager_layers_name(training_required):
    """Mutant: `make_unique` records a variable it could not rename (a graph's) under its name,
    in place of the live eager variable that holds it: once the graph is gone, the next eager
    load kept the same name as the first."""
    import tensorflow as tf

    from tfhub.keras.tf_keras_layer import KerasLayer

    gc.collect()
    first = KerasLayer(training_required)
    assert [w.name for w in first.weights] == ["probes38/w:0"]
    with tf.Graph().as_default():
        in_graph = KerasLayer(training_required)
        assert [w.name for w in in_graph.weights] == ["probes38/w:0"]  # Graph names stay.
    del in_graph
    gc.collect()
    later = KerasLayer(training_required)
    assert [w.name for w in later.weights] == ["probes38/w_1:0"]


# --- _xla.py ----------------------------------------------------------------------------------


def test_strings_only_inside_a_nested_function_keep_xla_off(tmp_path):
    """Mutant: `_has_strings_or_tables` reads only the nodes of the traced function, not the
    functions of its library: a model with float inputs and outputs whose `__call__` calls a
    `tf.function` holding a string constant was said to compile with XLA (which aborts on
    strings)."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function
        def _through_text(self, x):
            return x * tf.strings.to_number(tf.constant("2.0"))  # A string constant.

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return self._through_text(x)

    path = os.fspath(tmp_path / "nested_strings")
    tf.saved_model.save(Model(), path)
    layer = _keras3_layer()(path)
    np.testing.assert_allclose(layer(X2).numpy(), 2 * X2)
    assert layer.supports_jit is False


# --- _calling.py ------------------------------------------------------------------------------


def test_a_tf1_signature_given_the_wrong_shape_names_what_it_expects():
    """Mutant: `call` turns only TypeError and ValueError into a CallInputSpecError: a TF1
    module's signature runs its graph on any shape and fails with TensorFlow's
    InvalidArgumentError ("Matrix size-incompatible"), which then came out raw."""
    import tensorflow as tf

    layer = _keras3_layer()(upstream_path("tf1_multi_sig"))
    with pytest.raises(errors.CallInputSpecError, match=r"float32\[None, 3\]"):
        layer(tf.zeros((2, 4)))


def test_python_bools_for_a_float_input_are_not_made_numbers(model_dir):
    """Mutant: `_number_dtype` takes bools as numbers (bool is an int), so `[[True, False]]`
    became floats for a float32 input; they stay bools, which the model refuses."""
    layer = _keras3_layer()(model_dir["scaled"], arguments={"scale": 3.0})
    np.testing.assert_allclose(layer([[1, 0]]).numpy(), [[6.0, 0.0]])  # Ints: made floats.
    with pytest.raises(errors.CallInputSpecError, match=r"Received: inputs=bool\[1, 2\]"):
        layer([[True, False]])


def test_python_floats_for_an_int_input_are_left_to_the_model(small_models):
    """Mutant: `_number_dtype` takes floats for an integer input too, so `[[1.5, 2.0]]` was
    made int32 (TensorFlow refused to convert 1.5) instead of floats the model refuses by
    name."""
    layer = _keras3_layer()(small_models["ints"])
    got = layer([[1, 2]])
    assert got.dtype == "int32"
    np.testing.assert_array_equal(got.numpy(), [[2, 4]])
    with pytest.raises(errors.CallInputSpecError, match=r"int32\[None, 2\]"):
        layer([[1.5, 2.0]])


def test_python_ints_for_the_open_signature_input_take_its_dtype(small_models):
    """Mutant: `_input_spec_for` does not pick the input `arguments` leave open from the
    signature's dict of inputs: `[[1, 2]]` then became int32, which the float input refused."""
    layer = _keras3_layer()(
        small_models["signature"], signature="scaled", output_key="y", arguments={"scale": 3.0}
    )
    np.testing.assert_allclose(layer([[1, 2]]).numpy(), [[6.0, 12.0]])


def test_the_layer_dtype_hint_is_only_for_a_model_of_strings_or_ints(model_dir):
    """Mutant: `_layer_dtype_hint` without its `want.is_floating` test: float inputs of the
    wrong shape to a float model got the hint to pass `dtype=tf.float32`, which they had."""
    import tensorflow as tf

    with pytest.raises(errors.CallInputSpecError, match=r"float32\[None, 3\]") as caught:
        _keras3_layer()(model_dir["tf2"])(tf.zeros((2, 5)))
    assert "Keras gives a layer inputs" not in str(caught.value)


def test_an_assertion_of_the_model_itself_is_not_called_a_deleted_model():
    """Mutant: `deleted_model_error` without its test of TensorFlow's words: every
    AssertionError of a call (here the callable's own check) was reported as "a loaded model
    that no longer exists"."""
    import tensorflow as tf

    def checked(x):
        tf.debugging.assert_non_negative(x, message="inputs must be non-negative")
        return x * 2.0

    layer = _keras3_layer()(checked)
    np.testing.assert_allclose(layer(X2).numpy(), 2 * X2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative"):
        layer(-X2)

    def asserting(x):
        assert x.shape.rank == 2, "a batch of rows"
        return x

    with pytest.raises(AssertionError, match="a batch of rows") as caught:
        _keras3_layer()(asserting)(tf.constant([1.0]))
    assert not isinstance(caught.value, errors.DeletedModelError)


# --- _layer_body.py ---------------------------------------------------------------------------


def test_a_keras_file_without_the_layers_weights_is_refused_for_a_model_listing_them(tmp_path):
    """Mutant: `load_own_variables` keeps the model folder's values for a store of no weights
    whatever the model, not only for one listing no `variables` (which tensorflow_hub saved
    without weights): a `.keras` file saved over another model at the handle's path loaded
    silently with weights it never held."""
    import shutil

    import keras
    import tensorflow as tf
    import tf_keras

    from tfhub.keras.tf_keras_layer import KerasLayer as TfKerasLayer

    class Bare(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x):
            return x[:, :2] * 2.0

    handle = os.fspath(tmp_path / "model")
    tf.saved_model.save(Bare(), handle)
    saved = {
        "tf_keras": tf_keras.Sequential([tf_keras.Input((3,)), TfKerasLayer(handle)]),
        "keras3": keras.Sequential([keras.Input((3,)), _keras3_layer()(handle)]),
    }
    for name, model in saved.items():
        model.save(os.fspath(tmp_path / f"{name}.keras"))
    shutil.rmtree(handle)
    models.save_tf2_module(handle)  # Another model, with 5 variables, at the same path.
    with pytest.raises(errors.ArgumentError, match="has 5 weights .* but the file holds 0"):
        tf_keras.models.load_model(os.fspath(tmp_path / "tf_keras.keras"))
    with pytest.raises(ValueError, match="expected 5 variables, but received 0"):
        keras.models.load_model(os.fspath(tmp_path / "keras3.keras"))


# --- layer.py ---------------------------------------------------------------------------------


def test_input_shape_and_input_dim_are_the_layers_before_any_call(model_dir):
    """Mutants: the Keras 3 layer's `input_shape` ignores the declared `input_shape=`, and
    `_pop_input_shape` ignores `input_dim=` (Keras 2's spelling of a 1-D input shape)."""
    import keras

    by_shape = _keras3_layer()(model_dir["tf2"], input_shape=(3,))
    assert by_shape.input_shape == (None, 3)
    by_dim = _keras3_layer()(model_dir["tf2"], input_dim=3)
    assert by_dim.input_shape == (None, 3)
    model = keras.Sequential([by_dim])  # Builds from the declared shape.
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    expected = models.tf2_module_expected(x)["logits"]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


def test_tf_keras_training_given_as_0_or_a_numpy_false_is_inference_under_mirroring(model_dir):
    """Mutant: the tf_keras layer's `call` passes `training` on without making an int or a
    NumPy bool a Python bool: `training=0` was not `False` to the strategy check, which
    refused a trainable layer built outside `strategy.scope()` that only predicts."""
    import tensorflow as tf

    from tfhub.keras.tf_keras_layer import KerasLayer

    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    expected = models.tf2_module_expected(x)["logits"]
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    outside = KerasLayer(model_dir["tf2"], trainable=True)
    with strategy.scope():
        for training in (0, np.False_):
            np.testing.assert_allclose(outside(x, training=training), expected, atol=1e-5)
        with pytest.raises(errors.ArgumentError, match="cannot train under MirroredStrategy"):
            outside(x, training=1)


# --- hub_callable.py --------------------------------------------------------------------------


def test_a_callable_with_load_options_is_refused():
    """Mutant: `load_handle` refuses a callable with `tags` only, not with `load_options`
    (which it would silently ignore)."""
    import tensorflow as tf

    options = tf.saved_model.LoadOptions(allow_partial_checkpoint=True)
    with pytest.raises(errors.ArgumentError, match="mutually exclusive with setting tags or"):
        _keras3_layer()(lambda x: x, load_options=options)


def test_a_missing_file_url_is_not_explained_as_a_relative_path(tmp_path):
    """Mutant: `load_handle` rewords ModelNotFoundError for any handle that is not an
    absolute path, URLs too: a `file://` URL was said to be "a relative path"."""
    url = (tmp_path / "gone").as_uri()
    with pytest.raises(errors.ModelNotFoundError) as caught:
        _keras3_layer()(url)
    assert "relative path" not in str(caught.value)


def test_a_lone_tensor_goes_nowhere_when_arguments_leave_two_inputs(small_models):
    """Mutant: `_open_signature_input` takes the first input left when `arguments` leave
    several: the lone tensor was put under `x`, and the error showed a dict the caller never
    passed, instead of the tensor."""
    keras_layer = _keras3_layer()
    layer = keras_layer(
        small_models["signature"], signature="pair", output_key="y", arguments={"scale": 3.0}
    )
    assert layer.hub_callable.open_input is None
    np.testing.assert_allclose(layer({"x": X2, "y": X2}).numpy(), 6 * X2)
    with pytest.raises(errors.CallInputSpecError, match=r"Received: inputs=float32\[2, 2\]"):
        layer(X2)


def test_a_model_without_call_and_a_serving_signature_of_two_outputs_suggests_no_pair(
    small_models,
):
    """Mutant: `select_function` suggests `(signature, first output)` whatever the number of
    outputs; with two, no one output is *the* answer: `.suggested` is None, both are named."""
    with pytest.raises(errors.SignatureRequiredError) as caught:
        _keras3_layer()(small_models["two_outputs"])
    assert caught.value.suggested is None
    assert caught.value.available == ["serving_default"]
    assert "(its outputs: ['double', 'half'])" in str(caught.value)


# --- hub_callable.input_specs_of ----------------------------------------------------------------


def test_a_function_traced_twice_for_one_input_spec_has_that_spec_once(model_dir):
    """Mutant: `input_specs_of` lists a spec once per traced function (the model's `__call__`
    was traced for training=False and True): with two specs, Python ints were no longer made
    the float32 the model takes, and the error named the spec twice."""
    import tensorflow as tf

    layer = _keras3_layer()(model_dir["tf2"])
    assert len(layer.hub_callable.input_specs) == 1
    x = [[1, 2, 3]]
    expected = models.tf2_module_expected(np.array(x, np.float32))["logits"]
    np.testing.assert_allclose(layer(x).numpy(), expected, atol=1e-5)
    with pytest.raises(errors.CallInputSpecError, match=r"expects: float32\[None, 3\]\. Pass"):
        layer(tf.zeros((2, 5)))


def test_a_python_tf_function_with_an_input_signature_has_that_spec_before_any_call():
    """Mutant: `input_specs_of` ignores a Python `tf.function`'s `input_signature` and reads
    only its traced functions (none before the first call): Python ints were then made int32,
    which the float32 signature refused."""
    import tensorflow as tf

    double = tf.function(lambda x: x * 2.0, input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    layer = _keras3_layer()(double)
    assert len(layer.hub_callable.input_specs) == 1
    np.testing.assert_allclose(layer([[1, 2]]).numpy(), [[2.0, 4.0]])


# --- export.py --------------------------------------------------------------------------------


def test_an_export_onto_an_existing_file_is_refused_before_writing(model_dir, tmp_path):
    """Mutant: `_check_target` without its file test: the model was written beside the file
    and the rename onto it failed, a write error, instead of the refusal naming the file."""
    import tfhub as hub

    target = tmp_path / "afile"
    target.write_text("x")
    with pytest.raises(errors.ExportError, match="The export folder is an existing file") as got:
        hub.export_layer(_keras3_layer()(model_dir["tf2"]), os.fspath(target), overwrite=True)
    assert not isinstance(got.value, errors.ExportWriteError)
    assert target.read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


# --- tf_keras_layer.py ------------------------------------------------------------------------


def test_tf_keras_in_a_graph_trains_when_the_learning_phase_is_fed(model_dir):
    """Mutant: the tf_keras layer's `call` takes `training=None` as False instead of Keras's
    learning phase: in a TF1 graph, feeding `learning_phase()` True no longer turned the
    model's dropout on, as it did upstream."""
    import tensorflow as tf
    import tf_keras

    from tfhub.keras.tf_keras_layer import KerasLayer

    x = np.ones((64, 4), np.float32)
    with tf.Graph().as_default():
        layer = KerasLayer(model_dir["dropout"], trainable=True)
        outputs = layer(tf.constant(x))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            inference = session.run(outputs)
            training = session.run(outputs, {tf_keras.backend.learning_phase(): True})
    np.testing.assert_allclose(inference, 2 * x)
    assert set(np.unique(training)) == {0.0, 4.0}  # Dropout(0.5): zeroed, or scaled by 2.


def test_keras3_training_known_to_be_false_is_inference_under_mirroring(model_dir):
    """Defect found through the tf_keras mutant above: Keras 3 makes `training=0` (or a NumPy
    False) a bool tensor before `call`, and the strategy check took only the Python `False` for
    inference: a trainable layer built outside `strategy.scope()` was refused for predicting.
    A tensor whose value is known picks the mode as `smart_cond` does."""
    import tensorflow as tf

    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    expected = models.tf2_module_expected(x)["logits"]
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    outside = _keras3_layer()(model_dir["tf2"], trainable=True)
    with strategy.scope():
        for training in (0, np.False_, tf.constant(False)):
            np.testing.assert_allclose(outside(x, training=training), expected, atol=1e-5)
        with pytest.raises(errors.ArgumentError, match="cannot train under MirroredStrategy"):
            outside(x, training=tf.constant(True))


def test_a_training_value_of_several_elements_is_not_read_as_a_bool(model_dir):
    """Found reviewing the fix above: reading `training` for the strategy check ran on every
    call of a trainable layer, and `bool()` of a value of several elements raised numpy's bare
    ValueError ("truth value of an array ... is ambiguous"). With no strategy it is not read;
    under one, such a value is not known to be inference: the layer is refused as for any
    training it cannot rule out."""
    import tensorflow as tf

    x = np.array([[1.0, 2.0]], np.float32)
    layer = _keras3_layer()(model_dir["scaled"], trainable=True, arguments={"scale": 1.0})
    expected = layer(x)
    for training in (np.array([False, True]), tf.constant([False, False])):
        np.testing.assert_allclose(layer(x, training=training), expected)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        with pytest.raises(errors.ArgumentError, match="cannot train under MirroredStrategy"):
            layer(x, training=tf.constant([False, False]))
