"""hub.Module state under TF1 training tools (session 32, round 2).

- `tf.compat.v1.train.init_from_checkpoint` with a scope map does not reach a module's
  variables (they are not in the variable store; upstream behaves the same), while a map to
  the variable objects does, as docs/tf1.md says.
- A trainable module trained under `MonitoredTrainingSession(checkpoint_dir=...)` is restored
  by a new session from that checkpoint, and `Module.export` from that session writes the
  restored values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
Y = np.array([[1.0], [2.0]], np.float32)


def _embedding_module_fn() -> None:
    ids = tf.compat.v1.placeholder(tf.int64, [None])
    table = tf.compat.v1.get_variable(
        "embeddings", [4, 2], initializer=tf.compat.v1.zeros_initializer()
    )
    hub.add_signature(inputs=ids, outputs=tf.nn.embedding_lookup(table, ids))


def _linear_module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None, 2])
    w = tf.compat.v1.get_variable("w", [2, 1], initializer=tf.compat.v1.zeros_initializer())
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w))


def _ones_checkpoint(tmp_path: Path) -> str:
    """A checkpoint holding `module/embeddings` = ones, as a graph with a module "module"."""
    with tf.Graph().as_default():
        var = tf.compat.v1.get_variable("module/embeddings", initializer=np.ones([4, 2], "f"))
        with tf.compat.v1.Session() as session:
            session.run(var.initializer)
            saver = tf.compat.v1.train.Saver([var])
            return str(saver.save(session, str(tmp_path / "ckpt")))


@pytest.mark.parametrize("form", ["scope", "variable"])
def test_init_from_checkpoint_reaches_a_module_only_through_its_variables(
    tmp_path: Path, form: str
) -> None:
    ckpt = _ones_checkpoint(tmp_path)
    spec = hub.create_module_spec(_embedding_module_fn)
    with tf.Graph().as_default():
        enc = hub.Module(spec, name="enc")
        variable = enc.variable_map["embeddings"]
        if form == "scope":  # Silently maps nothing: the module is not in the variable store.
            tf.compat.v1.train.init_from_checkpoint(ckpt, {"module/": "enc/"})
        else:
            tf.compat.v1.train.init_from_checkpoint(ckpt, {"module/embeddings": variable})
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            value = session.run(variable)
    expected = np.zeros([4, 2]) if form == "scope" else np.ones([4, 2])
    np.testing.assert_array_equal(value, expected)


def _train_graph(spec: Any) -> tuple[Any, Any, Any]:
    module = hub.Module(spec, trainable=True, name="lin")
    loss = tf.reduce_mean(tf.square(module(X) - Y))
    step = tf.compat.v1.train.get_or_create_global_step()
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.01).minimize(loss, step)
    return module, train_op, step


def test_monitored_training_session_restores_the_module_and_exports_it(tmp_path: Path) -> None:
    spec = hub.create_module_spec(_linear_module_fn)
    checkpoint_dir = str(tmp_path / "train")
    with tf.Graph().as_default():
        module, train_op, _ = _train_graph(spec)
        with tf.compat.v1.train.MonitoredTrainingSession(checkpoint_dir=checkpoint_dir) as sess:
            for _ in range(3):
                sess.run(train_op)
            trained = sess.run(module.variable_map["w"])
    assert np.abs(trained).sum() > 0
    assert tf.train.latest_checkpoint(checkpoint_dir).endswith("model.ckpt-3")
    with tf.Graph().as_default():
        module, train_op, step = _train_graph(spec)
        with tf.compat.v1.train.MonitoredTrainingSession(checkpoint_dir=checkpoint_dir) as sess:
            restored, restored_step = sess.run([module.variable_map["w"], step])
            module.export(str(tmp_path / "export"), sess)
            sess.run(train_op)  # Training on after the export leaves the export alone.
    assert restored_step == 3
    np.testing.assert_allclose(restored, trained)
    with tf.Graph().as_default():
        exported = hub.Module(str(tmp_path / "export"))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(exported.variable_map["w"]), trained)
            np.testing.assert_allclose(session.run(exported(X)), X @ trained)
