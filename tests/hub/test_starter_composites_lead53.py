"""The starter doc `tfhub publish` writes shows a SparseTensor or RaggedTensor input as one,
with the keys a TF2 signature takes its components under, and guesses no tfhub.dev task from
it (sig53-D3, session 53): its table showed `| sparse | input | x | float32 | [?, 5] |`, a dense
input, and a sparse float input of rank 4 was guessed an image input."""

from __future__ import annotations

from pathlib import Path

from tfhub.hub import doc_handles, signatures, starter, validator
from tfhub.hub import docs_format as fmt

HANDLE = doc_handles.parse_handle("acme/emb/1")

_SPARSE = signatures.TensorInfo(
    "x",
    "float32",
    (None, 5),
    type="SparseTensor",
    components=(
        signatures.ComponentInfo("x", "indices", "int64", (None, 2)),
        signatures.ComponentInfo("x_1", "values", "float32", (None,)),
        signatures.ComponentInfo("x_2", "dense_shape", "int64", (2,)),
    ),
)


def _summary(*inputs: signatures.TensorInfo) -> signatures.SignatureSummary:
    output = signatures.TensorInfo("y", "float32", (None, 2))
    signature = signatures.SignatureInfo("serving_default", inputs, (output,))
    return signatures.SignatureSummary(
        format="saved_model_v2",
        doc_format="saved_model_2",
        files_bytes=1,
        variable_count=0,
        variable_bytes=0,
        meta_graphs=(signatures.MetaGraphInfo(("serve",), (signature,)),),
    )


def test_a_sparse_input_and_its_components_are_rows_of_the_table(tmp_path: Path) -> None:
    info = starter.StarterInfo(description="Sparse in.", task="text-embedding")
    text = starter.starter_module_doc(HANDLE, _summary(_SPARSE), info, asset_path="1.tar.gz")
    assert "| serving_default | input | x | SparseTensor float32 | [?, 5] |" in text
    assert "| serving_default | passed as | x (indices) | int64 | [?, 2] |" in text
    assert "| serving_default | passed as | x_1 (values) | float32 | [?] |" in text
    assert "| serving_default | passed as | x_2 (dense_shape) | int64 | [2] |" in text
    (tmp_path / "1.tar.gz").write_bytes(b"")
    doc = fmt.parse_text(text, path=tmp_path / "1.md", rel_path="acme/models/emb/1.md")
    assert validator.validate_doc(doc) == []


def test_no_task_is_guessed_from_a_composite_input() -> None:
    image_like = signatures.TensorInfo("x", "float32", (None, 8, 8, 3), type="SparseTensor")
    assert starter.infer_task(_summary(image_like)) is None
    dense = signatures.TensorInfo("x", "float32", (None, 8, 8, 3))
    assert starter.infer_task(_summary(dense)) == "image-feature-vector"
