"""Trainable TF1 columns over a module of TF1 reference variables (review rf55b).

F3: `get_variable(..., use_resource=False)` (TF1's default, so most TF1-era Hub modules) makes
    reference variables, of which TensorFlow's eager loader makes no Python object. A trainable
    TF1 column in eager `DenseFeatures` then had no trainable weights and `fit` changed nothing,
    with no word from tfhub (eager `hub.Module(trainable=True)` warns: docs/tf1.md). The column
    must warn, naming itself, the module, the variables and what trains them: a graph, with a
    `tf.compat.v1.train` optimizer (tf_keras' own optimizers need resource variables).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1


@pytest.fixture(scope="module")
def reference_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A text module whose one variable `w` is a TF1 reference variable."""

    def module_fn() -> None:
        text = v1.placeholder(tf.string, [None])
        w = v1.get_variable("w", initializer=tf.ones([3]), use_resource=False)
        lengths = tf.cast(tf.strings.length(text), tf.float32)
        hub.add_signature(inputs=text, outputs=tf.expand_dims(lengths, 1) * w)

    path = tmp_path_factory.mktemp("reference") / "module"
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            module.export(str(path), session)
    return path


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("tfhub") and r.levelno >= logging.WARNING
    ]


def test_a_trainable_eager_column_says_it_cannot_train_reference_variables(
    reference_module: Path, caplog: pytest.LogCaptureFixture
) -> None:
    column = hub.text_embedding_column("comment", str(reference_module), trainable=True)
    layer = tf_keras.layers.DenseFeatures([column])
    with caplog.at_level(logging.WARNING):
        layer({"comment": tf.constant(["ab", "c"])})
    assert layer.trainable_weights == []  # TensorFlow's limit: what the warning is about.
    (message,) = _warnings(caplog)
    assert "hub.text_embedding_column('comment', trainable=True)" in message
    assert str(reference_module) in message and "'w'" in message
    assert "reference variables" in message and "tf.compat.v1.train" in message


def test_a_frozen_column_or_resource_variables_get_no_warning(
    reference_module: Path, upstream_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    frozen = hub.text_embedding_column("a", str(reference_module))
    resource = hub.text_embedding_column("b", str(upstream_dir / "tf1_text_vocab"), trainable=True)
    layer = tf_keras.layers.DenseFeatures([frozen, resource])
    with caplog.at_level(logging.WARNING):
        layer({"a": tf.constant(["ab"]), "b": tf.constant(["ab"])})
    assert _warnings(caplog) == []
    assert len(layer.trainable_weights) == 1  # The resource module's embeddings.


def test_the_warned_remedy_trains_them_in_a_graph(reference_module: Path) -> None:
    """What the warning offers: in a graph, a tf.compat.v1.train optimizer trains them."""
    with tf.Graph().as_default():
        column = hub.text_embedding_column("comment", str(reference_module), trainable=True)
        out = v1.feature_column.input_layer({"comment": tf.constant(["ab", "c"])}, [column])
        (w,) = v1.trainable_variables()
        step = v1.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(out))
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            before = session.run(w)
            session.run(step)
            assert not np.array_equal(session.run(w), before)
