"""Models whose variables have one shape and distinct values, listed in a telling order.

A weight file read in another order than it was written loads without a shape error but
predicts wrong, so predictions show the order. Both models compute
`x * a + moving_mean + 0.001 * b` on inputs of shape [None, 4], with
`a = [1, 2, 3, 4]`, `moving_mean = [10, 20, 30, 40]` (non-trainable), `b = [100, ..., 400]`.

Builders:
    save_tf1_mixed_order_module: a TF1 Hub module whose variables are `a`, `moving_mean`, `b`
        (a non-trainable one between two trainable ones).
    save_tf2_reordered_trainables: a TF2 SavedModel whose `variables` are `moving_mean`, `a`,
        `b` and whose `trainable_variables` are `b`, `a` (another order than `variables`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

A = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
MOVING_MEAN = np.array([10.0, 20.0, 30.0, 40.0], np.float32)
B = np.array([100.0, 200.0, 300.0, 400.0], np.float32)


def expected(x: np.ndarray, *, scale: float = 1.0) -> np.ndarray:
    """What both models compute with each variable multiplied by `scale`."""
    return scale * (x * A + MOVING_MEAN + 0.001 * B)


def save_tf1_mixed_order_module(path: str) -> str:
    """Exports the TF1 Hub module to `path` (with tfhub's `hub.Module`); returns `path`."""
    import tensorflow as tf

    import tfhub as hub

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 4])
        a = tf.compat.v1.get_variable("a", initializer=A)
        moving_mean = tf.compat.v1.get_variable(
            "moving_mean", initializer=MOVING_MEAN, trainable=False
        )
        b = tf.compat.v1.get_variable("b", initializer=B)
        hub.add_signature(inputs=x, outputs=x * a + moving_mean + 0.001 * b)

    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(path, session)
    return str(path)


def save_tf2_reordered_trainables(path: str) -> str:
    """Saves the TF2 model to `path` with `tf.saved_model.save`; returns `path`."""
    import tensorflow as tf

    a = tf.Variable(A, name="a")
    moving_mean = tf.Variable(MOVING_MEAN, name="moving_mean", trainable=False)
    b = tf.Variable(B, name="b")

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    def call(x: Any) -> Any:
        return x * a + moving_mean + 0.001 * b

    root = tf.train.Checkpoint()
    root.__call__ = call
    root.variables = [moving_mean, a, b]
    root.trainable_variables = [b, a]
    tf.saved_model.save(root, path)
    return str(path)
