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
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1
OP = "MyCompanyCustomOpFix57e"  # Registered by no library.


def _module_fn() -> None:
    text = v1.placeholder(tf.string, [None])
    hub.add_signature(inputs=text, outputs=tf.strings.lower(text))


@pytest.fixture(scope="module")
def module_with_unknown_op(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF1 module whose StringLower op (its nodes and its op list) is renamed to `OP`."""
    from tensorflow.core.protobuf import saved_model_pb2

    path = tmp_path_factory.mktemp("missing_op_eager") / "module"
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(_module_fn))
        with v1.Session() as session:
            module.export(str(path), session)
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString((path / "saved_model.pb").read_bytes())
    for meta_graph in saved_model.meta_graphs:
        for node in meta_graph.graph_def.node:
            if node.op == "StringLower":
                node.op = OP
        for op_def in meta_graph.meta_info_def.stripped_op_list.op:
            if op_def.name == "StringLower":
                op_def.name = OP
    (path / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    return path


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
