"""hub.add_signature accepts inputs that are not placeholders, rewriting colocation as upstream.

Upstream (native_module_test.py, ColocationRewritingTest) accepted any tensor as a signature
input, logged a warning for inputs from ops with several outputs, and raised its "Failed to
rewrite colocation constraints" error only when applying made the rewrite ambiguous.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _computed_input_module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None])
    doubled = tf.multiply(x, 2.0, name="doubled")  # The signature's input is not a placeholder.
    hub.add_signature(inputs=doubled, outputs=doubled + 1.0)


def test_input_computed_in_module_fn_is_replaced_by_the_callers_value() -> None:
    spec = hub.create_module_spec(_computed_input_module_fn)
    assert spec.get_input_info_dict()["default"].dtype == tf.float32
    with tf.Graph().as_default():
        out = hub.Module(spec)(tf.constant([1.0, 5.0]))
        with tf.compat.v1.Session() as session:
            np.testing.assert_allclose(session.run(out), [2.0, 6.0])


def _valid_colocation_module_fn() -> None:
    w = tf.Variable(111, name="w")
    with tf.compat.v1.colocate_with(w.op):
        v = tf.Variable(1.0, name="v")  # State colocated with state: fine.
        y = tf.add(v, 1, name="y")
    x = tf.compat.v1.placeholder(tf.float32, name="x")
    with tf.compat.v1.colocate_with(x):
        z = tf.add(x, 1, name="z")  # Colocated with an input: rewritten to the caller's tensor.
    hub.add_signature(inputs={"x": x}, outputs={"y": y, "z": z})


def test_colocation_with_inputs_is_rewritten_to_the_callers_tensor() -> None:
    spec = hub.create_module_spec(_valid_colocation_module_fn)
    with tf.Graph().as_default():
        u = tf.constant(7.0, name="u")
        outputs = hub.Module(spec, name="m")({"x": u}, as_dict=True)
        assert outputs["y"].op.colocation_groups() == [b"loc:@m/w"]
        assert outputs["z"].op.colocation_groups() == [b"loc:@u"]


def _multivalued_module_fn() -> None:
    x, y = tf.split([1, 2], 2, name="split")
    with tf.compat.v1.colocate_with(x), tf.compat.v1.colocate_with(y):
        z = tf.add(x, y, name="add")
    hub.add_signature(inputs={"x": x, "y": y}, outputs=z, name="both")
    hub.add_signature(inputs={"x": x}, outputs=z, name="partial")


def test_inputs_from_a_multivalued_op_warn_and_fail_only_when_ambiguous(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="tfhub.tf1.native_module"):
        spec = hub.create_module_spec(_multivalued_module_fn)
    assert "single output" in caplog.text
    assert "Affected inputs: x='split:0', y='split:1'" in caplog.text
    with tf.Graph().as_default():
        u = tf.constant([1], name="u")
        with tf.compat.v1.colocate_with(u):
            v = tf.constant([2], name="v")
        w = tf.constant([3], name="w")
        module = hub.Module(spec, name="m")
        z = module({"x": u, "y": v}, signature="both")  # Same colocation: unambiguous.
        assert z.op.colocation_groups() == [b"loc:@u"]
        with tf.compat.v1.Session() as session:
            np.testing.assert_array_equal(session.run(z), [3])
        # Upstream's ValueError (tfhub's ModuleSpecError subclasses it), same wording.
        with pytest.raises(
            ValueError, match=r"(?s)Failed to rewrite .*'loc:@m_apply_both_1/split'"
        ):
            module({"x": u, "y": w}, signature="both")
        with pytest.raises(errors.ModuleSpecError, match=r"(?s)Failed to rewrite .*partial/split"):
            module({"x": u}, signature="partial")


def test_input_subject_to_colocation_is_still_refused() -> None:
    def module_fn() -> None:
        u = tf.add(42, 69, name="u")
        with tf.compat.v1.colocate_with(u):
            x = tf.compat.v1.placeholder(tf.float32, name="x")
        hub.add_signature(inputs=x, outputs=x + 1.0)

    with pytest.raises(ValueError, match=r"(?s)input.*colocate.*loc:@u"):
        hub.create_module_spec(module_fn)


def _doubling_module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None, 3])
    hub.add_signature(inputs=x, outputs=x * 2.0)


def test_a_variable_input_is_read_as_upstream_converted_it() -> None:
    """Upstream converted inputs with convert_to_tensor_or_indexed_slices, which reads a variable
    (a CompositeTensor in TF 2.x, which is not passed on as it is)."""
    spec = hub.create_module_spec(_doubling_module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        variable = tf.compat.v1.get_variable("v", initializer=np.ones([2, 3], np.float32))
        resource = tf.Variable(np.full([1, 3], 3.0, np.float32))
        outputs = module(variable), module({"default": resource})
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            doubled, doubled_resource = session.run(outputs)
    np.testing.assert_allclose(doubled, np.full([2, 3], 2.0))
    np.testing.assert_allclose(doubled_resource, np.full([1, 3], 6.0))
    eager_output = hub.Module(spec)(tf.Variable(np.ones([2, 3], np.float32)))
    np.testing.assert_allclose(eager_output.numpy(), np.full([2, 3], 2.0))


def test_a_variable_of_another_dtype_is_a_signature_input_error() -> None:
    spec = hub.create_module_spec(_doubling_module_fn)
    with tf.Graph().as_default():
        variable = tf.Variable(np.ones([2, 3], np.int32))
        with pytest.raises(errors.SignatureInputError, match="'default'") as raised:
            hub.Module(spec)(variable)
    assert isinstance(raised.value, ValueError)
