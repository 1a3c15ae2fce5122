"""The read of a TF1 reference variable that a tf.while_loop body needs keeps the user's ordering.

fix57e let a module with reference variables (`use_resource=False`) be applied in a while_loop
body (control flow v2) by reading each such variable just outside the loop, as the loop cannot
carry a reference. That read was made under `tf.control_dependencies(None)`, so it was ordered
after nothing the user ordered before the loop: under `with tf.control_dependencies([assign]):
tf.while_loop(...)` it could run before `assign` and see the value from before it (or, as here,
where `assign` is the variable's only initialization, fail with TensorFlow's
FailedPreconditionError "uninitialized value"). Upstream 0.10.0 refused any application in a
while_loop body under control flow v2 (RuntimeError "Module must be applied in the graph it was
instantiated for."); under v1 control flow it read the variable inside the loop, after what the
loop waits for.

Each test's `assign` is the variable's only write in a fresh session, and its value takes a
while to compute, so a read not ordered after it fails for sure (before the fix, it did).
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
SLOW_SECONDS = 0.3  # How long `assign`'s value takes: far longer than an unordered read.
THREES = np.array([3.0, 3.0], np.float32)


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A real TF1 module (y = x * w, w a reference variable of ones, shape [2])."""
    path = save_tf1_ref_variable_model(tmp_path_factory.mktemp("ref") / "model", 2)
    return hub.create_module_spec_from_saved_model(str(path))


def _slow_assign(variable: object) -> object:
    """`variable` = [3, 3], a value that takes SLOW_SECONDS to compute."""
    value = tf.numpy_function(lambda: (time.sleep(SLOW_SECONDS), THREES)[1], [], tf.float32)
    value.set_shape([2])
    return v1.assign(variable, value)


def _loop(module: object, *, before: object = None) -> object:
    """Applies `module` twice in a while_loop over x = [[1, 1]]; `before`: an op the body
    orders before its call."""

    def body(i: object, x: object) -> tuple[object, object]:
        with tf.control_dependencies([] if before is None else [before]):
            return i + 1, module(x, signature="serving_default", as_dict=True)["y"]

    return tf.while_loop(lambda i, x: i < 2, body, [tf.constant(0), tf.ones([1, 2])])[1]


def _run(out: object) -> np.ndarray:
    with v1.Session() as session:  # No initializer: `assign` is the variable's only write.
        return session.run(out)


def test_the_read_waits_for_the_control_dependencies_around_the_loop(spec) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        assert module.variables[0].op.type == "VariableV2"  # A reference variable.
        with tf.control_dependencies([_slow_assign(module.variable_map["w"])]):
            out = _loop(module)
        np.testing.assert_allclose(_run(out), [[9.0, 9.0]])


def test_the_read_waits_for_what_the_body_orders_before_the_call(spec) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        out = _loop(module, before=_slow_assign(module.variable_map["w"]))
        np.testing.assert_allclose(_run(out), [[9.0, 9.0]])


def test_the_read_waits_for_what_a_cond_branch_around_the_loop_orders_before_it(spec) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        assign = _slow_assign(module.variable_map["w"])

        def branch() -> object:
            with tf.control_dependencies([assign]):  # Of the outer graph: the cond waits.
                return _loop(module)

        out = tf.cond(tf.constant(True), branch, lambda: tf.zeros([1, 2]))
        np.testing.assert_allclose(_run(out), [[9.0, 9.0]])


def test_the_read_still_sees_each_run_s_value_without_dependencies(spec) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        out = _loop(module)
        assign = v1.assign(module.variable_map["w"], THREES * 2.0)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(out), [[1.0, 1.0]])
            session.run(assign)
            np.testing.assert_allclose(session.run(out), [[36.0, 36.0]])
