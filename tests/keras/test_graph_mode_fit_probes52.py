"""hub.KerasLayer in tf_keras graph mode: `fit` after `predict`/`evaluate` (rf52a-F1).

With eager execution disabled, TensorFlow gives a function-call op the extra outputs its
gradient needs only when that gradient is first built, which tf_keras does in `fit`. A Session
that ran the graph before (`model.predict` or `model.evaluate` first, a common way to see the
baseline) never sees those outputs, and `fit` failed with "Connecting to invalid output 1 of
source node keras_layer/StatefulPartitionedCall which has 1 outputs" (tensorflow_hub 0.16.1
too): over the model's call, its regularization losses, and also for a frozen hub layer between
trainable Keras layers. The feature columns had the same failure and its fix
(docs/feature_columns.md, "Graph mode").
"""

from __future__ import annotations

import json

import pytest
from tests._helpers import image_models
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python

pytestmark = [pytest.mark.tf]

_SCRIPT = """
import json, sys
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
import tf_keras
import tfhub as hub

tf2, tf1 = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
results = {}


def case(name, build, x, y, before):
    tf_keras.backend.clear_session()
    model, hub_layer, trained = build()
    model.compile("sgd", "mse")
    if before == "predict":
        model.predict(x, verbose=0)
    elif before == "evaluate":
        model.evaluate(x, y, verbose=0)
    start = tf_keras.backend.batch_get_value(trained)
    try:
        losses = model.fit(x, y, epochs=2, verbose=0).history["loss"]
    except Exception as err:
        results[f"{name} {before}"] = f"{type(err).__name__}: {str(err)[:300]}"
        return
    end = tf_keras.backend.batch_get_value(trained)
    changed = [bool(not np.allclose(a, b)) for a, b in zip(start, end)]
    results[f"{name} {before}"] = [bool(np.all(np.isfinite(losses))), changed]


def trainable_tf2():
    layer = hub.KerasLayer(tf2, trainable=True)
    model = tf_keras.Sequential([tf_keras.Input((3,)), layer])
    return model, layer, layer.trainable_weights


def frozen_between_dense():
    dense = tf_keras.layers.Dense(3)
    layer = hub.KerasLayer(tf2, trainable=False)
    model = tf_keras.Sequential([tf_keras.Input((3,)), dense, layer])
    return model, layer, dense.trainable_weights


def trainable_tf1():
    layer = hub.KerasLayer(tf1, trainable=True)
    model = tf_keras.Sequential([tf_keras.Input((8, 8, 3)), layer])
    return model, layer, layer.trainable_weights


x3 = rng.random((8, 3)).astype("float32")
y2 = rng.random((8, 2)).astype("float32")
images = rng.random((8, 8, 8, 3)).astype("float32")
features = rng.random((8, 8)).astype("float32")
for before in ("none", "predict", "evaluate"):
    case("tf2", trainable_tf2, x3, y2, before)
    case("frozen", frozen_between_dense, x3, y2, before)
    case("tf1", trainable_tf1, images, features, before)
print(json.dumps(results))
"""


def test_fit_trains_after_predict_or_evaluate_in_tf_keras_graph_mode(model_dir, tmp_path):
    tf1 = image_models.save_tf1_image_module(tmp_path / "tf1", image_size=(8, 8))
    done = run_warm_python(
        _SCRIPT, model_dir["tf2"], tf1, env=child_env(TF_USE_LEGACY_KERAS="1"), timeout=600
    )
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(results) == 9
    for case, outcome in results.items():
        # Finite losses, and every weight trained changed (the hub model's, or the Dense's
        # whose gradient flows through a frozen hub layer).
        assert outcome == [True, [True] * len(outcome[1])], (case, outcome)
        assert outcome[1], case
