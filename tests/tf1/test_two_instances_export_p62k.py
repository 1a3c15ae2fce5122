"""Two hub.Modules of one spec in one tf.Graph, of one name under different variable scopes
(session 62).

Each instance gets its own variables, regularization losses and update ops (graph variant
tags={"train"}), under its scope ("a/module", "b/module"); exporting the second one, of which
alone the variables were initialized and changed, writes its values, not the first's. Passed
when written: it guards behaviour that works and no other test covered (tests/tf1 exported only
a graph's single module). A name_scope alone does not place a module (its variables stay at
the top: "module", "module_1"); a variable_scope does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1
X = np.array([[2.0, 4.0]], np.float32)


def _module_fn() -> None:
    """x * w - mean; `mean` (not trainable) moves halfway to the batch mean per update op."""
    x = tf1.placeholder(tf.float32, [None, 2])
    w = tf1.get_variable(
        "w", [2], initializer=tf1.constant_initializer(1.0), regularizer=tf.nn.l2_loss
    )
    mean = tf1.get_variable("mean", [2], initializer=tf1.zeros_initializer(), trainable=False)
    tf1.add_to_collection(
        tf1.GraphKeys.UPDATE_OPS, tf1.assign(mean, 0.5 * mean + 0.5 * tf.reduce_mean(x, 0))
    )
    hub.add_signature(inputs=x, outputs=x * w - mean)


def _op_names(key: str) -> list[str]:
    return sorted(item.name for item in tf1.get_collection(key))


def test_export_of_the_second_instance_writes_its_own_values(tmp_path: Path) -> None:
    spec = hub.create_module_spec(_module_fn, tags_and_args=[({"train"}, {}), (set(), {})])
    folder = str(tmp_path / "second")
    with tf.Graph().as_default():
        with tf1.variable_scope("a"):
            first = hub.Module(spec, trainable=True, tags={"train"})
            first(X)
        with tf1.variable_scope("b"):
            second = hub.Module(spec, trainable=True, tags={"train"})
            second(X)
        assert _op_names(tf1.GraphKeys.REGULARIZATION_LOSSES) == [
            "a/module/w/Regularizer/L2Loss:0",
            "b/module/w/Regularizer/L2Loss:0",
        ]
        assert [op.name for op in tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)] == [
            "a/module_apply_default/AssignVariableOp",
            "b/module_apply_default/AssignVariableOp",
        ]
        assert sorted(v.name for v in tf1.trainable_variables()) == ["a/module/w:0", "b/module/w:0"]
        with tf1.Session() as session:
            session.run(tf1.variables_initializer(second.variables))  # Not the first's.
            session.run(second.variable_map["w"].assign([3.0, 5.0]))
            session.run(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS, scope="b/"))
            second.export(folder, session)
    assert _exported_values(folder) == {"w": [3.0, 5.0], "mean": [1.0, 2.0]}


def _exported_values(folder: str) -> dict[str, Any]:
    """The exported module's variables, as lists, read through a new hub.Module."""
    with tf.Graph().as_default():
        module = hub.Module(folder)
        outputs = module(X)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            np.testing.assert_allclose(session.run(outputs), [[5.0, 18.0]])
            values = session.run(module.variable_map)
    return {name: value.tolist() for name, value in values.items()}
