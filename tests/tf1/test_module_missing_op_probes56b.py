"""hub.Module of a TF1 module that uses an op this process has not registered (rf56b-F3).

Upstream's hub.Module let TensorFlow's `tf.errors.NotFoundError` ("Op type not registered 'X'")
through, so TF1 code catches `tf.errors.NotFoundError` (or `OpError`) around it, e.g. to import
the op's library and build the module again. tfhub's `MissingOpError` (a RuntimeError, as
TensorFlow's error for TF2 SavedModels) was not that class; for a TF1 module imported into a
graph it is now `ModuleMissingOpError`, both a `MissingOpError` and that `NotFoundError`.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")
from tests._helpers.missing_ops import export_tf1_module_with_unknown_op  # noqa: E402

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1
OP = "MyCompanyCustomOp"  # Registered by no library.


@pytest.fixture(scope="module")
def module_with_unknown_op(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF1 module whose StringLower op (its nodes and its op list) is renamed to `OP`."""
    return export_tf1_module_with_unknown_op(tmp_path_factory.mktemp("missing_op") / "module", OP)


def test_hub_module_in_a_graph_raises_upstreams_not_found_error(module_with_unknown_op) -> None:
    spec = hub.load_module_spec(str(module_with_unknown_op))  # Reading the spec needs no op.
    with tf.Graph().as_default(), pytest.raises(tf.errors.NotFoundError) as caught:
        hub.Module(spec)
    err = caught.value
    assert isinstance(err, errors.ModuleMissingOpError) and isinstance(err, errors.MissingOpError)
    assert isinstance(err, RuntimeError) and "Op type not registered" in str(err.__cause__)
    assert (err.op, err.library, err.path) == (OP, None, str(module_with_unknown_op))
    assert str(err).startswith(f"The model {module_with_unknown_op} uses the TensorFlow op {OP!r}")
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert (copy.op, copy.path, str(copy)) == (err.op, err.path, str(err))


def test_hub_load_of_a_tf1_module_keeps_tensorflows_not_found_error(
    module_with_unknown_op, tmp_path
) -> None:
    # tensorflow_hub 0.10.0's hub.load let TensorFlow's TF1 loader's NotFoundError through
    # (session 57, measured with the 0.10.0 wheel); tfhub's error is also that class.
    copy = tmp_path / "copy"
    shutil.copytree(module_with_unknown_op, copy)
    with pytest.raises(errors.ModuleMissingOpError) as caught:
        hub.load(str(copy))
    assert isinstance(caught.value, tf.errors.NotFoundError)
    assert isinstance(caught.value, errors.MissingOpError) and caught.value.op == OP
