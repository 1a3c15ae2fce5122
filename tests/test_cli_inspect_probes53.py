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
