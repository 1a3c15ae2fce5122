"""A hub.Module with TF1 reference variables applied inside a tf.while_loop body (graph mode).

docs/tf1.md says a module can be applied inside `tf.cond` / `tf.while_loop` bodies (control flow
v2, beyond upstream, whose hub.Module raised a RuntimeError for any application in a branch
graph). A module whose variables are reference variables (`get_variable(use_resource=False)`,
TF1's default) worked in a cond branch but not in a while_loop body: building the loop failed with
TensorFlow's bare `InvalidArgumentError` ("AttrValue must not have reference type value of
float_ref"), as while_v2 cannot carry a reference-typed capture into its cond graph.
"""

from __future__ import annotations

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1


def _module_fn() -> None:
    x = v1.placeholder(tf.float32, [])
    v = v1.get_variable("v", [], initializer=v1.constant_initializer(10.0), use_resource=False)
    hub.add_signature(inputs=x, outputs=x + v)


@pytest.fixture(scope="module")
def spec() -> object:
    return hub.create_module_spec(_module_fn)


def test_reference_variables_module_in_a_while_loop_body(spec) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec)
        assert module.variables[0].op.type == "VariableV2"  # A reference variable.
        steps = v1.placeholder(tf.int32, [])
        _, total = tf.while_loop(
            lambda i, x: i < steps, lambda i, x: (i + 1, module(x)), [tf.constant(0), 1.0]
        )
        assign = v1.assign(module.variable_map["v"], 2.0)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            assert session.run(total, {steps: 4}) == 41.0
            session.run(assign)  # Each run reads the variable's current value.
            assert session.run(total, {steps: 3}) == 7.0


def test_reference_variables_module_in_a_cond_inside_a_while_loop(spec) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec)

        def body(i, x):
            return i + 1, tf.cond(i < 2, lambda: module(x), lambda: x * 2.0)

        _, total = tf.while_loop(lambda i, x: i < 4, body, [tf.constant(0), 1.0])
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            assert session.run(total) == 84.0  # (1 + 10 + 10) * 2 * 2.
