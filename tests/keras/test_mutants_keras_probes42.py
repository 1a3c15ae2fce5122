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
from tests._helpers.python_process import run_python

pytestmark = pytest.mark.tf


def _keras3_layer():
    from tfhub.keras.layer import KerasLayer

    return KerasLayer


# --- _xla.py ----------------------------------------------------------------------------------


def test_a_model_with_an_integer_lookup_table_does_not_support_xla(tmp_path):
    """Mutant: `_has_strings_or_tables` looks for string tensors only: a model of an
    int64 -> int64 lookup table (no string anywhere in its graph) said it `supports_jit`, and
    Keras 3 would have compiled it with XLA, which has no kernels for tables."""
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
            return tf.cast(self.table.lookup(ids), tf.float32)[:, None]

    path = os.fspath(tmp_path / "int_table")
    tf.saved_model.save(IdTable(), path)
    layer = _keras3_layer()(path)
    np.testing.assert_allclose(layer(tf.constant([2, 3], tf.int64)).numpy(), [[20.0], [-1.0]])
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

    done = run_python(_REGISTER_ON_ANOTHER_BACKEND)
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
