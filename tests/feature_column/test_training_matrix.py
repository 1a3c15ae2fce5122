"""Every column x {input_layer, DenseFeatures} x {tf.compat.v1 optimizer, Keras fit} trains its
module's weights when trainable=True and leaves them alone otherwise (issue 11 item 4).

Cases that test_base.py already covers are not repeated here: input_layer with a graph optimizer
and eager Keras fit for the two text columns, graph-mode (eager disabled) tf_keras fit for both.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.feature_column._support import (
    IMAGE_FC,
    IMAGE_V1,
    SENTENCES,
    TEXT_V1,
    TEXT_V2,
    TOKENS,
    sparse_tokens,
)

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf

IMAGES = np.array(IMAGE_FC["inputs"]["images"]["value"], np.float32)


def _column(kind, trainable):
    if kind == "text":
        return hub.text_embedding_column("x", TEXT_V1, trainable=trainable)
    if kind == "sparse_text":
        return hub.sparse_text_embedding_column("x", TEXT_V1, "mean", None, trainable=trainable)
    if kind == "text_v2":
        return hub.text_embedding_column_v2("x", TEXT_V2, trainable=trainable)
    return hub.image_embedding_column("x", IMAGE_V1)  # Upstream's image column never trains.


def _features(kind):
    """The column's input as a tensor in the current graph (or eagerly)."""
    if kind == "sparse_text":
        return {"x": sparse_tokens()}
    return {"x": tf.constant(IMAGES if kind == "image" else SENTENCES)}


CASES = [
    ("text", True),
    ("text", False),
    ("sparse_text", True),
    ("sparse_text", False),
    ("text_v2", True),
    ("text_v2", False),
    ("image", False),
]


GRAPH_CASES = [(*case, "DenseFeatures") for case in CASES] + [
    ("sparse_text", True, "input_layer"),
    ("sparse_text", False, "input_layer"),
    ("image", False, "input_layer"),
]
FIT_CASES = [case for case in CASES if case[0] in ("sparse_text", "image")]


@pytest.mark.parametrize(("kind", "trainable", "via"), GRAPH_CASES)
def test_graph_optimizer_trains_exactly_trainable_columns(kind, trainable, via):
    column = _column(kind, trainable)
    with tf.Graph().as_default():
        if via == "input_layer":
            output = tf.compat.v1.feature_column.input_layer(_features(kind), [column])
        else:
            output = tf_keras.layers.DenseFeatures([column])(_features(kind))
        module_vars = list(tf.compat.v1.global_variables())
        assert module_vars, "the module has variables to check"
        trained = set(tf.compat.v1.trainable_variables())
        assert trained == (set(module_vars) if trainable else set())
        head = tf.compat.v1.Variable(1.0, name="head")
        loss = tf.reduce_sum(tf.square(output * head - 1.0))
        step = tf.compat.v1.train.GradientDescentOptimizer(0.05).minimize(loss)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            before = session.run(module_vars)
            session.run(step)
            after = session.run(module_vars)
    changed = max(np.abs(a - b).max() for a, b in zip(after, before, strict=True))
    assert (changed > 1e-4) if trainable else (changed == 0.0)


@pytest.mark.parametrize(("kind", "trainable"), FIT_CASES)
def test_keras_fit_trains_exactly_trainable_columns(kind, trainable):
    features = _features(kind)
    layer = tf_keras.layers.DenseFeatures([_column(kind, trainable)], name="features")
    model = tf_keras.Sequential([layer, tf_keras.layers.Dense(1, name="head")])
    model.compile(tf_keras.optimizers.SGD(0.05), "mse")
    model(features)
    before = [w.numpy() for w in layer.weights]
    assert before, "the module has weights to check"
    assert len(layer.trainable_weights) == (len(before) if trainable else 0)
    labels = np.ones((len(IMAGES) if kind == "image" else len(TOKENS), 1))
    model.fit(features, labels, batch_size=len(labels), epochs=1, verbose=0)
    changed = max(np.abs(w.numpy() - b).max() for w, b in zip(layer.weights, before, strict=True))
    assert (changed > 1e-4) if trainable else (changed == 0.0)
