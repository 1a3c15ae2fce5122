"""The read of a TF1 reference variable for a tf.while_loop body inside a tf.function (traced in
a TF1 graph) does not carry the control dependencies of the call that traced it into others.

wl58 made that read (in the variable's graph, outside the loop) wait for the
`tf.control_dependencies` in effect where the loop is built. Inside a tf.function, that is
where the function is first called: the trace, read included, is reused by every later call
with the same signature, so `with tf.control_dependencies([train_op]): a = f(x)` then
`b = f(x)` made every `session.run(b)` run `train_op` too (here an `assign_add`, counted).
The function's own call op waits for those dependencies; its trace must not.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from tests._helpers.models import save_tf1_ref_variable_model

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A real TF1 module (y = x * w, w a reference variable of ones, shape [2])."""
    path = save_tf1_ref_variable_model(tmp_path_factory.mktemp("ref") / "model", 2)
    return hub.create_module_spec_from_saved_model(str(path))


def _looped(module: object, x: object) -> object:
    """`module` applied twice in a while_loop over `x`."""

    def body(i: object, y: object) -> tuple[object, object]:
        return i + 1, module(y, signature="serving_default", as_dict=True)["y"]

    return tf.while_loop(lambda i, y: i < 2, body, [tf.constant(0), x])[1]


def test_a_later_call_of_the_function_does_not_run_the_first_calls_dependencies(spec) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        counter = v1.get_variable("counter", [], initializer=v1.zeros_initializer())
        looped = tf.function(lambda x: _looped(module, x))
        with tf.control_dependencies([v1.assign_add(counter, 1.0)]):
            first = looped(tf.ones([1, 2]))
        later = looped(tf.ones([1, 2]))  # The same trace: no dependency asked for.
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(later), [[1.0, 1.0]])
            session.run(later)
            assert session.run(counter) == 0.0  # Was 2.0: each run of `later` added 1.
            np.testing.assert_allclose(session.run(first), [[1.0, 1.0]])
            assert session.run(counter) == 1.0  # `first`'s call op still waits for it.


def test_the_read_waits_for_what_the_function_itself_orders(spec) -> None:
    """A `tf.control_dependencies([assign])` inside the function, on an op made outside it, is
    the function's own (a control capture of its graph): the read waits for it, on every call.
    `assign` takes 0.3 s and is the variable's only write: a read not ordered after it fails."""

    def slow_threes() -> object:
        time.sleep(0.3)
        return np.array([3.0, 3.0], np.float32)

    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        value = tf.numpy_function(slow_threes, [], tf.float32)
        value.set_shape([2])
        assign = v1.assign(module.variable_map["w"], value)

        @tf.function
        def looped(x: object) -> object:
            with tf.control_dependencies([assign]):
                return _looped(module, x)

        out = looped(tf.ones([1, 2]))
        with v1.Session() as session:  # No initializer: `assign` is the only write.
            np.testing.assert_allclose(session.run(out), [[9.0, 9.0]])
