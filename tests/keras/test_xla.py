"""Keras 3 compiles a model with XLA when asked (`jit_compile=True`) and by default on a GPU,
if every layer `supports_jit`. XLA has no kernels for strings or lookup tables: compiling a
text model's hub.KerasLayer aborted the process. The layer now says it does not support XLA
for such a model (Keras warns and trains without), and keeps XLA for the others.

The models train in a child process: a regression aborts that process, not the test run.
"""

from __future__ import annotations

import json

from tests._helpers.python_process import REPO_ROOT
from tests._helpers.warm_python import run_warm_python

_SCRIPT = r"""
import json, sys, warnings

import keras
import numpy as np
import tensorflow as tf

import tfhub as hub

floats, text, tf1_text = sys.argv[1:]
strings = tf.constant(["a b", "c", "hello world", ""])
cases = {
    "tf2 floats": (floats, {}, np.ones((4, 3), np.float32)),
    "tf2 floats signature": (
        floats, {"signature": "features", "output_key": "hidden"}, np.ones((4, 3), np.float32)
    ),
    "tf2 text": (text, {"input_shape": [], "dtype": tf.string}, strings),
    "tf1 text": (tf1_text, {"input_shape": [], "dtype": tf.string}, strings),
}
results = {}
for name, (handle, kwargs, x) in cases.items():
    layer = hub.KerasLayer(handle, trainable=True, **kwargs)
    model = keras.Sequential([layer, keras.layers.Dense(1)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.compile(keras.optimizers.SGD(0.01), "mse", jit_compile=True)
    history = model.fit(x, np.ones((4, 1)), epochs=2, batch_size=4, verbose=0)
    warned = any("jit_compile" in str(w.message) for w in caught)
    finite = bool(np.isfinite(history.history["loss"]).all())
    results[name] = [layer.supports_jit, model.jit_compile, warned, finite]
layer = hub.KerasLayer(floats)
layer.supports_jit = False  # A user's own choice is kept.
results["set by the user"] = [layer.supports_jit]
print(json.dumps(results))
"""


def test_xla_compiles_numeric_models_and_is_refused_for_text_models(model_dir):
    upstream = REPO_ROOT / "tests/data/upstream"
    done = run_warm_python(
        _SCRIPT, model_dir["tf2"], model_dir["text"], str(upstream / "tf1_text_vocab")
    )
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results == {
        "tf2 floats": [True, True, False, True],
        "tf2 floats signature": [True, True, False, True],
        "tf2 text": [False, False, True, True],
        "tf1 text": [False, False, True, True],
        "set by the user": [False],
    }


_STRINGS_UNDER_XLA_SCRIPT = r"""
import json, os, sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np
import tensorflow as tf
import tf_keras

from tfhub import errors
from tfhub.keras.layer import KerasLayer as Keras3Layer
from tfhub.keras.tf_keras_layer import KerasLayer as TfKerasLayer

floats, text = sys.argv[1:]
strings = tf.constant(["a b", "c", "hello world", ""])
results = {}


def outcome(run):
    try:
        run()
        return "ran"
    except errors.XlaStringInputError as err:
        return type(err).__name__ if "jit_compile=False" in str(err) else str(err)


def fit_tf_keras(handle, kwargs, x):
    model = tf_keras.Sequential([TfKerasLayer(handle, trainable=True, **kwargs),
                                 tf_keras.layers.Dense(1)])
    model.compile("sgd", "mse", jit_compile=True)
    model.fit(x, np.ones((4, 1)), epochs=1, verbose=0)


results["tf_keras text"] = outcome(
    lambda: fit_tf_keras(text, {"input_shape": [], "dtype": tf.string}, strings))
results["tf_keras floats"] = outcome(
    lambda: fit_tf_keras(floats, {}, np.ones((4, 3), np.float32)))
layer = Keras3Layer(text)
results["keras3 tf.function"] = outcome(
    lambda: tf.function(lambda x: layer(x), jit_compile=True)(strings))
results["keras3 eager"] = outcome(lambda: layer(strings))
print(json.dumps(results))
"""


def test_strings_under_xla_are_refused_while_tracing(model_dir):
    """Strings reaching the layer inside a function XLA compiles (tf_keras's
    `jit_compile=True`, whose layers Keras does not ask; a `tf.function(jit_compile=True)`)
    are refused with the fix, where TensorFlow said "Detected unsupported operations ...
    DT_STRING" at the first step."""
    done = run_warm_python(_STRINGS_UNDER_XLA_SCRIPT, model_dir["tf2"], model_dir["text"])
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results == {
        "tf_keras text": "XlaStringInputError",
        "tf_keras floats": "ran",
        "keras3 tf.function": "XlaStringInputError",
        "keras3 eager": "ran",
    }
