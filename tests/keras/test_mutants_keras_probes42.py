"""Tests that kill hand-made mutants of hub.KerasLayer that the suite (and the probes of
sessions 38 and 41) let live.

Session 42 mutated `src/tfhub/keras/` a third time: first the mutants session 41 had no time to
run, then decisions of `export.py`, `hub_callable.py`, `_weight_names.py`, `_xla.py` and
`_config.py` not mutated before. Each test here fails on one such mutant (named in its
docstring) and passes on the code as it is. Real SavedModels and Keras layers throughout,
Keras 3 unless the rule is tf_keras's own; a fresh interpreter where the rule is about imports.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from tests._helpers.warm_python import run_warm_python

pytestmark = pytest.mark.tf


def _keras3_layer():
    from tfhub.keras.layer import KerasLayer

    return KerasLayer


# --- _xla.py ----------------------------------------------------------------------------------


def test_a_model_with_an_integer_lookup_table_does_not_support_xla(tmp_path):
    """Mutants: `_has_strings_or_tables` looks for string tensors only (and `_traced` asks
    `traced_functions` of a signature, which gives none): a model of an int64 -> int64 lookup
    table (no string anywhere in its graph), called or through its signature, said it
    `supports_jit`, and Keras 3 would have compiled it with XLA, which has no kernels for
    tables."""
    import tensorflow as tf

    class IdTable(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            init = tf.lookup.KeyValueTensorInitializer(
                tf.constant([1, 2], tf.int64), tf.constant([10, 20], tf.int64)
            )
            self.table = tf.lookup.StaticHashTable(init, default_value=-1)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int64)])
        def __call__(self, ids):
            return {"values": tf.cast(self.table.lookup(ids), tf.float32)[:, None]}

    path = os.fspath(tmp_path / "int_table")
    module = IdTable()
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})
    ids = tf.constant([2, 3], tf.int64)
    called = _keras3_layer()(path, output_key="values")
    signature = _keras3_layer()(path, signature="serving_default", output_key="values")
    for layer in (called, signature):
        np.testing.assert_allclose(layer(ids).numpy(), [[20.0], [-1.0]])
        assert layer.supports_jit is False


def test_strings_passed_only_into_a_nested_function_keep_xla_off(tmp_path):
    """Mutant: `_has_strings_or_tables` reads only attributes of one type, not lists of types:
    a model that turns numbers into strings (`as_string`, whose attributes name only the
    input's type) and hands them to a nested function (`PartitionedCall`, `Tin=[DT_STRING]`)
    said it `supports_jit`."""
    import tensorflow as tf

    @tf.function
    def parse(strings):
        return tf.strings.to_number(strings) * 2.0

    class Stringly(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return parse(tf.strings.as_string(x))

    path = os.fspath(tmp_path / "stringly")
    tf.saved_model.save(Stringly(), path)
    layer = _keras3_layer()(path)
    np.testing.assert_allclose(layer(np.ones((1, 2), np.float32)).numpy(), [[2.0, 2.0]])
    assert layer.supports_jit is False


def test_strings_made_and_parsed_inside_the_model_keep_xla_off(tmp_path):
    """Defect found beside mutant X5: a model that turns its float inputs into strings and back
    (`as_string`, `to_number`: neither op has an attribute of type string) said it
    `supports_jit`, and Keras 3's `fit` with `jit_compile=True` then failed with TensorFlow's
    "Detected unsupported operations" at `AsString` instead of training without XLA."""
    import tensorflow as tf

    class RoundTrip(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return tf.strings.to_number(tf.strings.as_string(x)) * 2.0

    path = os.fspath(tmp_path / "round_trip")
    tf.saved_model.save(RoundTrip(), path)
    layer = _keras3_layer()(path)
    np.testing.assert_allclose(layer(np.ones((1, 2), np.float32)).numpy(), [[2.0, 2.0]])
    assert layer.supports_jit is False


# --- _shapes.py -------------------------------------------------------------------------------


def test_compute_output_shape_takes_the_batch_size_of_the_first_input_as_the_call_does():
    """Mutant: `full_output_shape` prepends the batch size of the last input shape: for
    inputs of batch 2 and of unknown batch, `compute_output_shape` said `(None, 3)` while the
    call (which takes the first input's, `apply_output_shape`) gave outputs of shape `(2, 3)`."""
    import keras

    layer = _keras3_layer()(lambda xs: xs[0] * xs[1], output_shape=[3])
    outputs = layer([keras.Input((3,), batch_size=2), keras.Input((3,))])
    assert tuple(outputs.shape) == (2, 3)
    assert layer.compute_output_shape([(2, 3), (None, 3)]) == (2, 3)


# --- _registration.py -------------------------------------------------------------------------

_REGISTER_ON_ANOTHER_BACKEND = """
import json, sys

import keras

keras.config.backend = lambda: "jax"  # Keras 3 on another backend (none other is installed).
import tfhub  # Keras is imported: tfhub registers its layer (or not) at once.

print(json.dumps(["tfhub.keras.layer" in sys.modules, "tfhub>KerasLayer" in
                  keras.saving.get_custom_objects()]))
"""


def test_keras3_on_another_backend_is_left_alone_by_the_registration():
    """Mutant: `register("keras")` does not ask Keras 3's backend: `import tfhub` after
    Keras 3 on JAX (its answer patched) imported tfhub's Keras 3 layer module, and TensorFlow
    with it, into a program that cannot run it."""
    import json

    done = run_warm_python(_REGISTER_ON_ANOTHER_BACKEND)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [False, False]


# --- _config.py -------------------------------------------------------------------------------


def test_the_config_lists_tags_sorted_whatever_order_or_set_gave_them(tmp_path):
    """Mutant: `config_entries` keeps the order the tags came in: a layer built with
    `tags={"train", "serve"}` (a set, as docs/keras.md writes it) had a config, and so a saved
    file, that depended on the process's string hashing."""
    import tensorflow as tf

    path = os.fspath(tmp_path / "two_tags")
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        y = tf.identity(x * 2.0, name="y")
        builder = tf.compat.v1.saved_model.Builder(path)
        signature = tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        builder.add_meta_graph_and_variables(
            session, ["serve", "train"], signature_def_map={"serving_default": signature}
        )
        builder.save()
    options = {"signature": "serving_default", "output_key": "y"}
    for tags in (["train", "serve"], ("serve", "train"), {"train", "serve"}):
        layer = _keras3_layer()(path, tags=tags, **options)
        assert layer.get_config()["tags"] == ["serve", "train"]
    rebuilt = _keras3_layer().from_config(layer.get_config())
    np.testing.assert_allclose(rebuilt(np.ones((1, 2), np.float32)).numpy(), [[2.0, 2.0]])


# --- _layer_body.py ---------------------------------------------------------------------------


def test_a_tf1_module_trained_under_a_mirrored_strategy_is_refused_with_its_own_remedy():
    """Mutant: `_check_strategy_scope` gives every model the remedy "Create the layer inside
    strategy.scope()": for a TF1 Hub module built inside the scope (whose variables TensorFlow
    loads outside any strategy) that advice was what the user had done; the message must say to
    keep the layer frozen, train without the strategy or use a TF2 SavedModel."""
    import tensorflow as tf
    from tests._helpers.upstream_records import upstream_path

    from tfhub import errors

    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    x = np.ones((2, 3), np.float32)
    with strategy.scope():
        layer = _keras3_layer()(upstream_path("tf1_multi_sig"), trainable=True)
        with pytest.raises(errors.ArgumentError) as caught:
            layer(x, training=True)
    message = str(caught.value)
    assert "cannot train under MirroredStrategy" in message
    assert "TF1 Hub module's variables outside any distribution strategy" in message
    assert "Keep the layer frozen (trainable=False)" in message
    assert "Create the layer inside strategy.scope()" not in message


# --- _weight_names.py -------------------------------------------------------------------------


def test_a_second_tf_keras_layer_over_one_loaded_object_renames_nothing(model_dir):
    """Mutant: `_taken` counts a name as taken whoever holds it: a second tf_keras layer over
    the object `hub.load` returned renamed its (shared) variables `hidden/kernel_1:0`, ...,
    under the first layer too, whose `.h5` weights and optimizer slots are stored by name. A
    layer over another load of the model still gets the `_1` names."""
    import tfhub as hub
    from tfhub.keras.tf_keras_layer import KerasLayer

    obj = hub.load(model_dir["tf2"])
    first = KerasLayer(obj)
    names = [weight.name for weight in first.weights]
    assert "hidden/kernel:0" in names
    second = KerasLayer(obj)
    assert [weight.name for weight in first.weights] == names
    assert [weight.name for weight in second.weights] == names
    other = KerasLayer(hub.load(model_dir["tf2"]))
    assert "hidden/kernel_1:0" in [weight.name for weight in other.weights]


# --- _config.py (TF1 defaults) ----------------------------------------------------------------


def test_a_tf1_modules_default_output_key_stays_out_of_the_config():
    """Mutant: `config_entries` writes a TF1 module's `output_key` even when it is the
    format's default (`default`), which it leaves out of the config as it does the default
    signature (probes38): the config of `hub.KerasLayer(<TF1 module>)` named an output the
    user never chose."""
    from tests._helpers.upstream_records import upstream_path

    layer = _keras3_layer()(upstream_path("tf1_multi_sig"))
    config = layer.get_config()
    assert "signature" not in config and "output_key" not in config
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    np.testing.assert_allclose(_keras3_layer().from_config(config)(x).numpy(), layer(x).numpy())


def test_a_numpy_true_signature_outputs_as_dict_is_written_as_true(model_dir):
    """Mutant: `config_entries` writes `signature_outputs_as_dict` as `value is True`: a layer
    given NumPy's True (as a value read from an array or a flag parser may be) had `false` in
    its config, and its rebuilt layer was refused (a signature then needs an output_key)."""
    import json

    layer = _keras3_layer()(
        model_dir["tf2"], signature="features", signature_outputs_as_dict=np.True_
    )
    config = json.loads(json.dumps(layer.get_config()))
    assert config["signature_outputs_as_dict"] is True
    x = np.ones((2, 3), np.float32)
    rebuilt = _keras3_layer().from_config(config)(x)
    assert sorted(rebuilt) == sorted(layer(x))


def test_empty_tags_stay_in_the_config_of_a_model_with_several_tag_sets(tmp_path):
    """Mutant: `config_entries` writes `tags` only if there are some: `tags=[]` (the graph of
    no tags, for a SavedModel that also has a `train` one) was left out of the config, and the
    rebuilt layer, given no tags, was refused (no default graph to load)."""
    import tensorflow as tf

    path = os.fspath(tmp_path / "two_graphs")
    builder = tf.compat.v1.saved_model.Builder(path)
    for tags, factor in (([], 2.0), (["train"], 3.0)):
        with tf.Graph().as_default(), tf.compat.v1.Session() as session:
            x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
            y = tf.identity(x * factor, name="y")
            signature = tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": y})
            signatures = {"serving_default": signature}
            if tags:
                builder.add_meta_graph(tags, signature_def_map=signatures)
            else:
                builder.add_meta_graph_and_variables(session, tags, signature_def_map=signatures)
    builder.save()
    layer = _keras3_layer()(path, tags=[], signature="serving_default", output_key="y")
    config = layer.get_config()
    assert config["tags"] == []
    x = np.ones((1, 2), np.float32)
    np.testing.assert_allclose(_keras3_layer().from_config(config)(x).numpy(), [[2.0, 2.0]])


def test_a_layer_without_arguments_has_none_in_its_config(model_dir):
    """Mutant: `config_entries` always writes `arguments`: the config of a layer built without
    them said `arguments: {}`, which upstream's config (and a reader of the file) never had."""
    layer = _keras3_layer()(model_dir["tf2"])
    assert "arguments" not in layer.get_config()
    scaled = _keras3_layer()(model_dir["scaled"], arguments={"scale": 2.0})
    assert scaled.get_config()["arguments"] == {"scale": 2.0}


# --- hub_callable.py --------------------------------------------------------------------------


def test_a_callable_with_tags_is_refused():
    """Mutant: `load_handle` refuses a callable with `load_options` only: `tags` given with a
    Python callable (which has no graphs to pick) were dropped silently, where upstream raised
    "Passing a callable handle is mutually exclusive with setting tags"."""
    from tfhub import errors

    with pytest.raises(
        errors.ArgumentError, match="mutually exclusive with setting tags"
    ) as caught:
        _keras3_layer()(lambda x: x * 2.0, tags=["train"])
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).endswith("Received: tags=['train'], load_options=None")


# --- export.py --------------------------------------------------------------------------------


def test_an_exported_tf_module_gets_the_serving_signature_tensorflow_gives_it(tmp_path):
    """Mutant: `export_layer` passes `signatures={}` for an object without signatures: a
    layer over a Python `tf.Module` whose `__call__` has an input signature was exported
    without the `serving_default` signature that `tf.saved_model.save` gives such a module
    (TF Serving and `saved_model_cli` call that one)."""
    import tensorflow as tf

    import tfhub as hub
    from tfhub.keras.export import export_layer

    class Doubler(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return x * self.w

    module = Doubler()
    assert not getattr(module, "signatures", None)
    export_dir = export_layer(_keras3_layer()(module), tmp_path / "exported")
    exported = hub.load(export_dir)
    assert list(exported.signatures) == ["serving_default"]
    (output,) = exported.signatures["serving_default"](x=tf.ones((1, 2))).values()
    np.testing.assert_allclose(output.numpy(), [[2.0, 2.0]])


def test_an_export_running_in_another_thread_keeps_its_temporary_folder(tmp_path):
    """Mutant: `export_layer` does not hold its temporary folder (`live_files.hold`): a second
    export of the same name, started while the first was writing, removed the first's folder
    (and what it held so far) as a killed export's leftover."""
    import threading

    import tensorflow as tf

    from tfhub.keras.export import export_layer

    entered, release = threading.Event(), threading.Event()

    class Slow(tf.Module):
        """Waits inside tf.saved_model.save (listing its children) until released."""

        def __init__(self, factor: float, *, wait: bool) -> None:
            super().__init__()
            self.w = tf.Variable(factor)
            self._wait = wait

        def _trackable_children(self, *args, **kwargs):
            if self._wait:
                self._wait = False
                entered.set()
                assert release.wait(60)
            return super()._trackable_children(*args, **kwargs)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x):
            return x * self.w

    export_dir = tmp_path / "out"
    outcome: dict[str, object] = {}

    def first_export() -> None:
        try:
            outcome["first"] = export_layer(_keras3_layer()(Slow(2.0, wait=True)), export_dir)
        except Exception as err:  # Reported below, in the test's thread.
            outcome["first"] = err

    thread = threading.Thread(target=first_export)
    thread.start()
    try:
        assert entered.wait(60)
        (writing,) = tmp_path.glob(".out.export-*")  # The first export's temporary folder.
        export_layer(_keras3_layer()(Slow(3.0, wait=False)), export_dir)
        assert writing.is_dir()
    finally:
        release.set()
        thread.join(60)
    assert outcome["first"] == os.fspath(export_dir)
    assert sorted(os.listdir(tmp_path)) == ["out"]
