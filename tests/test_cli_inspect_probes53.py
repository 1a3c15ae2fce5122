"""`tfhub inspect` counts a model's variables as loading it lists them, and shows sparse and
ragged signature inputs as what they are (session 53).

A Keras 3 `model.export` stores each variable twice: once in the `variables` list its
signatures use, once as a copy in `_all_variables`; inspect counted both (16 for 8). A TF2
signature takes a SparseTensor or RaggedTensor as its components (`x`, `x_1`, `x_2`), which
inspect showed as unrelated dense tensors; a TF1 Hub module's sparse input (a COO TensorInfo)
was shown as a dense tensor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tfhub.cli.main import main

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tf


def _inspect(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(["inspect", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def keras_export(tmp_path_factory: pytest.TempPathFactory) -> str:
    import keras

    path = str(tmp_path_factory.mktemp("k3") / "exported")
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(2),
        ]
    )
    model.export(path, verbose=False)
    return path


def test_a_keras_3_export_counts_each_variable_once(
    capsys: pytest.CaptureFixture[str], keras_export: str
) -> None:
    loaded = tf.saved_model.load(keras_export)
    listed = loaded.variables
    expected_bytes = sum(int(v.shape.num_elements()) * v.dtype.size for v in listed)
    info = json.loads(_inspect(capsys, keras_export, "--json"))
    assert info["variables"]["count"] == len(listed) == 8
    assert info["variables"]["bytes"] == expected_bytes
    assert info["variables"]["stored"] == {"count": 16, "bytes": 2 * expected_bytes}
    text = _inspect(capsys, keras_export)
    line = next(line for line in text.splitlines() if line.startswith("variables:"))
    assert line.startswith(f"variables: 8 ({expected_bytes} bytes)")
    assert "16" in line and "outside" in line


def test_a_model_whose_variables_list_holds_all_says_nothing_more(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A reusable SavedModel lists every variable: the count is the checkpoint's."""
    root = tf.train.Checkpoint(a=tf.Variable([1.0, 2.0]), b=tf.Variable(3, dtype=tf.int64))
    root.variables = [root.a, root.b, root.a, root.save_counter]  # a twice: one variable.
    tf.saved_model.save(root, str(tmp_path / "m"))
    info = json.loads(_inspect(capsys, str(tmp_path / "m"), "--json"))
    assert info["variables"] == {"count": 3, "bytes": 24}  # save_counter: an int64.


def test_a_model_without_a_variables_list_counts_every_variable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Two unnamed variables of the same shape and value are two variables."""
    root = tf.Module()
    root.a, root.b = tf.Variable(tf.zeros([4])), tf.Variable(tf.zeros([4]))
    tf.saved_model.save(root, str(tmp_path / "m"))
    info = json.loads(_inspect(capsys, str(tmp_path / "m"), "--json"))
    assert info["variables"] == {"count": 2, "bytes": 32}


@pytest.fixture(scope="module")
def composite_inputs(tmp_path_factory: pytest.TempPathFactory) -> str:
    class Composite(tf.Module):
        @tf.function(input_signature=[tf.SparseTensorSpec([None, 5], tf.float32)])
        def sparse(self, x: Any) -> Any:
            return {"sum": tf.sparse.reduce_sum(x, axis=1)}

        @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.int64)])
        def ragged(self, ids: Any) -> Any:
            return {"sum": tf.reduce_sum(ids, axis=1)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def dense(self, text: Any) -> Any:
            return {"length": tf.strings.length(text)}

    module = Composite()
    path = str(tmp_path_factory.mktemp("composite") / "m")
    signatures = {"sparse": module.sparse, "ragged": module.ragged, "dense": module.dense}
    tf.saved_model.save(module, path, signatures=signatures)
    return path


def _signature(info: dict[str, Any], name: str) -> dict[str, Any]:
    return info["meta_graphs"][0]["signatures"][name]


def test_tf2_sparse_and_ragged_signature_inputs_are_shown_as_such(
    capsys: pytest.CaptureFixture[str], composite_inputs: str
) -> None:
    info = json.loads(_inspect(capsys, composite_inputs, "--json"))
    sparse = _signature(info, "sparse")["inputs"]
    assert list(sparse) == ["x"]
    assert sparse["x"]["type"] == "SparseTensor"
    assert (sparse["x"]["dtype"], sparse["x"]["shape"]) == ("float32", [None, 5])
    assert [(c["key"], c["part"], c["dtype"]) for c in sparse["x"]["components"]] == [
        ("x", "indices", "int64"),
        ("x_1", "values", "float32"),
        ("x_2", "dense_shape", "int64"),
    ]
    ragged = _signature(info, "ragged")["inputs"]
    assert list(ragged) == ["ids"]
    assert ragged["ids"]["type"] == "RaggedTensor"
    assert (ragged["ids"]["dtype"], ragged["ids"]["shape"]) == ("int64", [None, None])
    assert [(c["key"], c["part"]) for c in ragged["ids"]["components"]] == [
        ("ids", "flat_values"),
        ("ids_1", "row_splits"),
    ]
    dense = _signature(info, "dense")["inputs"]
    assert dense == {"text": {"dtype": "string", "shape": [None]}}
    text = _inspect(capsys, composite_inputs)
    assert (
        "    input 'x': SparseTensor float32 shape=[None, 5] (passed as 'x' indices, "
        "'x_1' values, 'x_2' dense_shape)" in text.splitlines()
    )
    assert (
        "    input 'ids': RaggedTensor int64 shape=[None, None] (passed as 'ids' flat_values, "
        "'ids_1' row_splits)" in text.splitlines()
    )


def test_the_shown_components_are_what_the_signature_takes(composite_inputs: str) -> None:
    """The keys inspect names call the loaded signature (it takes no SparseTensor)."""
    loaded = tf.saved_model.load(composite_inputs)
    value = tf.sparse.from_dense(tf.constant([[1.0, 0, 0, 0, 2]]))
    result = loaded.signatures["sparse"](x=value.indices, x_1=value.values, x_2=value.dense_shape)
    assert result["sum"].numpy().tolist() == [3.0]


def test_a_tf1_hub_module_sparse_input_is_shown_as_a_sparse_tensor(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import tfhub as hub

    def module_fn() -> None:
        ids = tf.compat.v1.sparse_placeholder(tf.int64, shape=[None, None], name="ids")
        table = tf.compat.v1.get_variable("table", [5, 2])
        embedding = tf.nn.embedding_lookup_sparse(table, ids, None, combiner="sum")
        hub.add_signature(inputs={"ids": ids}, outputs={"default": embedding})

    with tf.Graph().as_default():
        spec = hub.create_module_spec(module_fn)
        module = hub.Module(spec)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(str(tmp_path / "module"), session)
    info = json.loads(_inspect(capsys, str(tmp_path / "module"), "--json"))
    ids = _signature(info, "default")["inputs"]["ids"]
    assert (ids["type"], ids["dtype"], ids["shape"]) == ("SparseTensor", "int64", [None, None])
    text = _inspect(capsys, str(tmp_path / "module"))
    assert "    input 'ids': SparseTensor int64 shape=[None, None]" in text.splitlines()
