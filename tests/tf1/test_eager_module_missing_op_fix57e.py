"""hub.Module used eagerly on a TF1 module with an op this process has not registered.

tensorflow_hub 0.10.0's hub.Module checked the module's op list before importing anything
(`native_module.register_ops_if_needed`) and raised `tf.errors.NotFoundError` ("Graph ops
missing from the python registry ({'X'}) are also absent from the c++ registry") in a graph and
eagerly alike (checked by running 0.10.0's wheel on TensorFlow 2.21 in both modes). tfhub's
graph-mode hub.Module raised `ModuleMissingOpError` (that NotFoundError and a MissingOpError,
tests/tf1/test_module_missing_op_probes56b.py); its eager hub.Module raised a plain
`MissingOpError`, which `except tf.errors.NotFoundError` written for upstream did not catch.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")
from tests._helpers.missing_ops import export_tf1_module_with_unknown_op  # noqa: E402

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1
OP = "MyCompanyCustomOpFix57e"  # Registered by no library.


@pytest.fixture(scope="module")
def module_with_unknown_op(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF1 module whose StringLower op (its nodes and its op list) is renamed to `OP`."""
    return export_tf1_module_with_unknown_op(
        tmp_path_factory.mktemp("missing_op_eager") / "module", OP
    )


def test_eager_hub_module_raises_upstreams_not_found_error(module_with_unknown_op: Path) -> None:
    assert tf.executing_eagerly()
    with pytest.raises(tf.errors.NotFoundError) as caught:
        hub.Module(str(module_with_unknown_op))
    err = caught.value
    assert isinstance(err, errors.ModuleMissingOpError) and isinstance(err, errors.MissingOpError)
    assert isinstance(err, RuntimeError) and "Op type not registered" in str(err.__cause__)
    assert (err.op, err.library, err.path) == (OP, None, str(module_with_unknown_op))
    assert str(err).startswith(f"The model {module_with_unknown_op} uses the TensorFlow op {OP!r}")
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert (copy.op, copy.path, str(copy)) == (err.op, err.path, str(err))


def test_eager_and_graph_mode_raise_the_same_error(module_with_unknown_op: Path) -> None:
    spec = hub.load_module_spec(str(module_with_unknown_op))
    with pytest.raises(errors.MissingOpError) as eager:
        hub.Module(spec)
    with tf.Graph().as_default(), pytest.raises(errors.MissingOpError) as graph:
        hub.Module(spec)
    assert type(eager.value) is type(graph.value)
    assert str(eager.value) == str(graph.value)
