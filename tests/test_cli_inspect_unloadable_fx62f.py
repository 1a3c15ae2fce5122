"""`tfhub inspect --json` of a model it could not load says "callable": null (not known).

When `describe` could not load the model (a missing op library, a damaged file: "reusable" is
{"error": ...}), the JSON said "callable": false, so a script concluded that
`hub.KerasLayer(handle)` is refused, while the model has a `__call__` it could not see.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub

pytestmark = pytest.mark.tf


def _save_callable_with_unknown_op(path: Path) -> Path:
    """A tf.Module whose `__call__` (abs(x)) uses an op no library registers."""
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    module = tf.Module()
    module.__call__ = tf.function(tf.math.abs, input_signature=[tf.TensorSpec([None], tf.float32)])
    tf.saved_model.save(module, str(path))
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((path / "saved_model.pb").read_bytes())
    renamed = 0
    for function in proto.meta_graphs[0].graph_def.library.function:
        for node in function.node_def:
            if node.op == "Abs":
                node.op, renamed = "Fx62fNoSuchOp", renamed + 1
    assert renamed, "the model has no Abs op to rename"
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())
    return path


def test_json_of_a_model_that_cannot_be_loaded_says_callable_is_not_known(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = _save_callable_with_unknown_op(tmp_path / "model")
    code, out, err = run_tfhub(capsys, "inspect", "--json", str(model))
    assert code == 0, err
    info = json.loads(out)
    assert "cannot be loaded" in info["reusable"]["error"]
    assert info["callable"] is None
    assert info["hints"] == []
