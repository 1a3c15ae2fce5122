"""`hub.eval_function_for_module` leaves the caller's default graph and session alone (session 51).

Before: its block ran with its private graph and session as the default ones, so in a graph
`x.eval()` failed ("the tensor's graph is different from the session's graph") and a
`hub.Module` made in the block landed in the private graph, thrown away at the block's end.
Upstream 0.10.0 yields under `original_graph.as_default()` (module.py) and never makes its
session the default one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tests._helpers.upstream_records import upstream_path

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf

MULTI = upstream_path("tf1_multi_sig")  # Made by tensorflow_hub 0.15: `default`, `sum_pair`.


def test_the_block_keeps_the_callers_graph_and_session() -> None:
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session:
        x = tf.constant([[1.0, 2.0, 3.0]])
        with hub.eval_function_for_module(MULTI) as f:
            assert tf.compat.v1.get_default_graph() is graph
            assert tf.compat.v1.get_default_session() is session
            expected = f(np.array([[1.0, 2.0, 3.0]], np.float32))
            np.testing.assert_allclose(f(x.eval()), expected)
            module = hub.Module(MULTI)  # In the caller's graph, as upstream.
            y = module(x)
        assert y.graph is graph
        session.run(tf.compat.v1.global_variables_initializer())
        np.testing.assert_allclose(session.run(y), expected)


def test_the_block_stays_eager_when_called_eagerly() -> None:
    """Eagerly, values made in the block are eager tensors (read before they are fed)."""
    with hub.eval_function_for_module(MULTI) as f:
        assert tf.executing_eagerly()
        value: Any = tf.ones([1, 3])
        np.testing.assert_allclose(f(value), f(np.ones([1, 3], np.float32)))
        pair = f({"a": tf.ones([2]), "b": np.ones(2)}, signature="sum_pair")
    np.testing.assert_allclose(pair, [3.0, 3.0])


def test_the_function_called_after_its_block_says_to_call_it_inside() -> None:
    # rf51b-F2: TensorFlow's bare RuntimeError "Attempted to use a closed Session." (upstream
    # 0.10.0: AttributeError "'NoneType' object has no attribute 'run'").
    with hub.eval_function_for_module(MULTI) as f:
        f([[1.0, 2.0, 3.0]])
    with pytest.raises(hub.errors.EvalFunctionClosedError, match="inside") as raised:
        f([[1.0, 2.0, 3.0]])
    assert isinstance(raised.value, AttributeError)
