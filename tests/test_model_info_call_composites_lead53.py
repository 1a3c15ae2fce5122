"""A reusable SavedModel's `__call__` that takes a SparseTensor or RaggedTensor is described as
taking one (`tfhub inspect`, the private hub's signature summary): it was described as a dense
tensor of the same dtype and shape, as `describe` gave each traced input `{name, dtype, shape}`
(sig53-D2, session 53)."""

from __future__ import annotations

import pytest

tf = pytest.importorskip("tensorflow")
from tfhub import model_info  # noqa: E402

pytestmark = pytest.mark.tf


class _Composites(tf.Module):
    @tf.function(
        input_signature=[
            tf.SparseTensorSpec([None, 5], tf.float32),
            tf.RaggedTensorSpec([None, None], tf.int32),
        ]
    )
    def __call__(self, sparse, ragged):
        return tf.sparse.reduce_sum(sparse) + tf.cast(tf.reduce_sum(ragged), tf.float32)


def test_a_call_taking_sparse_and_ragged_tensors_says_so(tmp_path) -> None:
    tf.saved_model.save(_Composites(), str(tmp_path))
    calls = model_info.describe(str(tmp_path))["reusable"]["call"]
    inputs = {entry["name"]: entry for entry in calls[0]["inputs"]}
    assert [entry.get("type") for entry in inputs.values()] == ["SparseTensor", "RaggedTensor"]
    sparse, ragged = inputs.values()
    assert (sparse["dtype"], sparse["shape"]) == ("float32", [None, 5])
    assert (ragged["dtype"], ragged["shape"]) == ("int32", [None, None])
