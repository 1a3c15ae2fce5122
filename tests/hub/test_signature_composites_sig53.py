"""The signature summary keeps what `tfhub inspect` says of a sparse or ragged input: its
type, dtype and dense shape, and (TF2, whose signature takes the composite as its dense
components `x`, `x_1`, `x_2`) the keys its components are passed under; the model page and
the API show them. Before, the summary kept name, dtype and shape only: a TF2 model page
showed a SparseTensor input as three unrelated dense inputs, a TF1 module's as a dense one."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import (
    serve_hub,
    signature_summary_json,
    write_model_doc,
    write_publisher,
    write_signatures,
)

from tfhub.hub import publish, signatures, starter

SPARSE_KEYS = [("x", "indices"), ("x_1", "values"), ("x_2", "dense_shape")]
RAGGED_KEYS = [("ids", "flat_values"), ("ids_1", "row_splits")]


class _Rows(HTMLParser):
    """The text of each cell of each row of the page's `#signatures` table, and the row's class."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self._inside = 0  # Depth of tables from the signatures one (0: outside).
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self._inside or ("id", "signatures") in attrs):
            self._inside += 1
        elif self._inside and tag == "tr":
            self.rows.append((dict(attrs).get("class") or "", []))
        elif self._inside and tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._inside and tag in ("td", "th") and self._cell is not None:
            self.rows[-1][1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif self._inside and tag == "table":
            self._inside -= 1


def _rows(page: str) -> list[tuple[str, list[str]]]:
    parser = _Rows()
    parser.feed(page)
    return parser.rows


def _page(root: Path, path: str) -> tuple[str, dict[str, Any]]:
    """(the model page of `path`, the API's answer for its model) from a served hub."""
    with serve_hub(root, root.parent / f"serve-{path.replace('/', '-')}.log") as server:
        page = requests.get(server.url(path), timeout=30)
        api = requests.get(server.url("api/models/" + path.rsplit("/", 1)[0]), timeout=30)
    assert page.status_code == 200 and api.status_code == 200, (page.text, api.text)
    return page.text, api.json()


def _inputs(summary: signatures.SignatureSummary, name: str) -> tuple[signatures.TensorInfo, ...]:
    (meta,) = summary.meta_graphs
    (signature,) = [s for s in meta.signatures if s.name == name]
    return signature.inputs


@pytest.fixture(scope="module")
def composite_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF2 SavedModel whose signatures take a SparseTensor and a RaggedTensor."""
    tf = pytest.importorskip("tensorflow")

    class Composite(tf.Module):
        @tf.function(input_signature=[tf.SparseTensorSpec([None, 5], tf.float32)])
        def sparse(self, x: Any) -> Any:
            return {"sum": tf.sparse.reduce_sum(x, axis=1)}

        @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.int64)])
        def ragged(self, ids: Any) -> Any:
            return {"sum": tf.reduce_sum(ids, axis=1)}

    module = Composite()
    path = tmp_path_factory.mktemp("composite") / "m"
    tf.saved_model.save(
        module, str(path), signatures={"sparse": module.sparse, "ragged": module.ragged}
    )
    return path


@pytest.mark.tf
def test_a_tf2_models_sparse_and_ragged_inputs_are_summarised_and_shown_as_such(
    composite_model: Path, tmp_path: Path
) -> None:
    root = tmp_path / "hub"
    info = starter.StarterInfo(task="text-embedding")
    published = publish.publish(composite_model, root, "lab/composite/1", info=info)
    summary = signatures.read_summary(published.signatures)
    (sparse,) = _inputs(summary, "sparse")
    assert (sparse.name, sparse.type, sparse.dtype, sparse.shape) == (
        "x",
        "SparseTensor",
        "float32",
        (None, 5),
    )
    assert [(c.key, c.part) for c in sparse.components] == SPARSE_KEYS
    assert [(c.dtype, c.shape) for c in sparse.components] == [
        ("int64", (None, 2)),
        ("float32", (None,)),
        ("int64", (2,)),
    ]
    (ragged,) = _inputs(summary, "ragged")
    assert (ragged.name, ragged.type, ragged.dtype, ragged.shape) == (
        "ids",
        "RaggedTensor",
        "int64",
        (None, None),
    )
    assert [(c.key, c.part) for c in ragged.components] == RAGGED_KEYS

    page, api = _page(root, "lab/composite/1")
    rows = _rows(page)
    assert ("", ["serve", "sparse", "input", "x", "SparseTensor float32", "[?, 5]"]) in rows
    assert ("", ["serve", "ragged", "input", "ids", "RaggedTensor int64", "[?, ?]"]) in rows
    # The keys a caller passes, each with its part, dtype and shape, below the composite.
    sparse_row = rows.index(
        ("", ["serve", "sparse", "input", "x", "SparseTensor float32", "[?, 5]"])
    )
    assert rows[sparse_row + 1] == (
        "components",
        [
            "",
            "passed as: x indices int64 [?, 2], x_1 values float32 [?], x_2 dense_shape int64 [2]",
        ],
    )
    assert not any(row[1][3:4] == ["x_1"] for row in rows)  # No longer a dense input of its own.
    stored = api["versions"][0]["signatures"]["meta_graphs"][0]["signatures"]["sparse"]
    assert stored["inputs"][0]["type"] == "SparseTensor"
    assert [(c["key"], c["part"]) for c in stored["inputs"][0]["components"]] == SPARSE_KEYS


@pytest.mark.tf
def test_a_tf1_hub_modules_sparse_input_is_summarised_and_shown_as_a_sparse_tensor(
    tmp_path: Path,
) -> None:
    tf = pytest.importorskip("tensorflow")
    import tfhub as hub

    def module_fn() -> None:
        ids = tf.compat.v1.sparse_placeholder(tf.int64, shape=[None, None], name="ids")
        table = tf.compat.v1.get_variable("table", [5, 2])
        embedding = tf.nn.embedding_lookup_sparse(table, ids, None, combiner="sum")
        hub.add_signature(inputs={"ids": ids}, outputs={"default": embedding})

    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(str(tmp_path / "module"), session)
    root = tmp_path / "hub"
    info = starter.StarterInfo(task="text-embedding")
    published = publish.publish(tmp_path / "module", root, "lab/sparse-tf1/1", info=info)
    summary = signatures.read_summary(published.signatures)
    (ids,) = _inputs(summary, "default")
    assert (ids.name, ids.type, ids.dtype, ids.shape, ids.components) == (
        "ids",
        "SparseTensor",
        "int64",
        (None, None),
        (),
    )
    page, api = _page(root, "lab/sparse-tf1/1")
    rows = _rows(page)
    row = ("", ["", "default", "input", "ids", "SparseTensor int64", "[?, ?]"])
    assert row in rows
    assert rows[rows.index(row) + 1][0] != "components"  # Passed as a SparseTensor itself.
    stored = api["versions"][0]["signatures"]["meta_graphs"][0]["signatures"]["default"]
    assert stored["inputs"] == [
        {"name": "ids", "type": "SparseTensor", "dtype": "int64", "shape": [None, None]}
    ]


def test_a_summary_written_before_reads_as_before_and_dense_tensors_are_written_the_same(
    tmp_path: Path,
) -> None:
    old = signature_summary_json()  # name, dtype, shape only: what older tfhub versions wrote.
    path = tmp_path / "1.signatures.json"
    path.write_text(json.dumps(old))
    summary = signatures.read_summary(path)
    (tensor,) = summary.meta_graphs[0].signatures[0].inputs
    assert tensor == signatures.TensorInfo("x", "float32", (None, 3))
    assert (tensor.type, tensor.components) == (None, ())
    signatures.write_summary(summary, tmp_path / "again.json")
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["meta_graphs"] == old["meta_graphs"]  # No "type" or "components" of a dense one.


def _composite_summary(type_name: str, key: str) -> dict[str, Any]:
    summary = signature_summary_json()
    component = {"key": key, "part": "values", "dtype": "float32", "shape": [None]}
    tensor = {"name": "x", "dtype": "float32", "shape": [None, 5], "type": type_name}
    summary["meta_graphs"][0]["signatures"]["serving_default"]["inputs"] = [
        {**tensor, "components": [component]}
    ]
    return summary


def test_a_composite_round_trips_through_the_json(tmp_path: Path) -> None:
    path = tmp_path / "1.signatures.json"
    path.write_text(json.dumps(_composite_summary("SparseTensor", "x_1")))
    summary = signatures.read_summary(path)
    (tensor,) = summary.meta_graphs[0].signatures[0].inputs
    assert tensor.components == (signatures.ComponentInfo("x_1", "values", "float32", (None,)),)
    signatures.write_summary(summary, tmp_path / "again.json")
    assert signatures.read_summary(tmp_path / "again.json") == summary


def test_a_crafted_type_or_component_key_is_escaped_on_the_page(tmp_path: Path) -> None:
    write_publisher(tmp_path, "lab", "Lab")
    doc = write_model_doc(tmp_path, "lab/crafted/1")
    make_tar_gz(doc.with_name("1.tar.gz"))
    write_signatures(doc, _composite_summary("<b>Sparse</b>", "<script>alert(1)</script>"))
    page, _ = _page(tmp_path, "lab/crafted/1")
    assert "<script>alert(1)" not in page and "<b>Sparse" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    rows = _rows(page)
    assert (
        "",
        ["serve", "serving_default", "input", "x", "<b>Sparse</b> float32", "[?, 5]"],
    ) in rows


def test_a_call_input_described_with_its_type_keeps_it() -> None:
    """`__call__`'s inputs are read as the signatures' are: once `model_info` gives a traced
    SparseTensor its "type" (tests/test_model_info_call_composites_lead53.py), the summary
    keeps it."""
    sparse = {"name": "x", "type": "SparseTensor", "dtype": "float32", "shape": [None, 5]}
    call = signatures._call_info({"call": [{"inputs": [sparse]}], "takes_training": False})
    assert call is not None
    assert call.input_signatures == (
        (signatures.TensorInfo("x", "float32", (None, 5), type="SparseTensor"),),
    )
