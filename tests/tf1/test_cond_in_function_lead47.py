"""A trainable TF1 module with update ops applied in a tf.cond INSIDE a tf.function (in a TF1
Graph) still works (review47c M-a): the function's automatic control dependencies run the
branch's stateful ops, so its moving averages update. Session 47's refusal of update ops in a
cond/while body (for a plain Graph, where nothing can run them) took this case in too."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def test_update_ops_in_a_cond_inside_a_tf_function_run(upstream_dir):
    with tf.Graph().as_default():
        module = hub.Module(str(upstream_dir / "tf1_train_tags"), trainable=True, tags={"train"})

        @tf.function
        def apply(x, pick):
            return tf.cond(pick, lambda: module(x), lambda: tf.zeros([2, 3]))

        y = apply(tf.ones([2, 3]) * 3, tf.constant(True))
        mean = module.variable_map["bn/moving_mean"]
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            before = session.run(mean)
            session.run(y)
            after = session.run(mean)
    assert not np.allclose(before, after)  # The branch's update ran with the function.
