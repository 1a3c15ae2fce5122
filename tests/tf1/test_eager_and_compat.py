"""hub.Module in eager mode (beyond upstream), and tfhub exports in tensorflow_hub 0.16.1."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.tf1.conftest import EMBEDDINGS, L2, W_HIDDEN, hidden_np

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 2.0]], np.float32)
WORDS = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [b"apple", b"cherry", b"durian"], [2, 2])


def test_eager_module_from_in_memory_spec_returns_eager_tensors(rich_spec: Any) -> None:
    module = hub.Module(rich_spec)
    out = module(X, as_dict=True)
    assert isinstance(out["hidden"], tf.Tensor)
    np.testing.assert_allclose(out["hidden"].numpy(), hidden_np(X), atol=1e-5)
    embed = module(WORDS, signature="embed")
    np.testing.assert_allclose(
        embed.numpy(), [EMBEDDINGS[0] + EMBEDDINGS[2], EMBEDDINGS[3]], atol=1e-6
    )
    np.testing.assert_allclose(module({"a": [1.0], "b": [2.0]}, signature="pair").numpy(), [5.0])
    assert module.trainable_variables == []
    assert sorted(module.variable_map) == sorted(v.name[:-2] for v in module.variables)


def test_eager_gradient_tape_and_regularization_losses(rich_export: Path) -> None:
    module = hub.Module(str(rich_export), trainable=True)
    names = sorted(v.name for v in module.trainable_variables)
    assert names == [
        "bn/beta:0",
        "bn/gamma:0",
        "embeddings:0",
        "hidden/b:0",
        "hidden/w:0",
        "pair/scale:0",
    ]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(module(X, as_dict=True)["hidden"])
    grads = dict(zip(names, tape.gradient(loss, module.trainable_variables), strict=True))
    active = (X @ W_HIDDEN + module.variable_map["hidden/b"].numpy()) > 0
    np.testing.assert_allclose(grads["hidden/b:0"].numpy(), active.sum(0), atol=1e-6)
    np.testing.assert_allclose(
        grads["hidden/w:0"].numpy(), X.T @ active.astype(np.float32), atol=1e-5
    )
    (reg,) = module.get_regularization_losses()
    np.testing.assert_allclose(reg.numpy(), L2 * np.sum(W_HIDDEN**2), rtol=1e-5)


def test_eager_export_writes_current_values(rich_export: Path, tmp_path: Path) -> None:
    module = hub.Module(str(rich_export), trainable=True)
    module.variable_map["pair/scale"].assign(10.0)
    module.export(str(tmp_path / "eager_export"))
    with tf.Graph().as_default():
        reloaded = hub.Module(str(tmp_path / "eager_export"))
        result = reloaded({"a": [1.0], "b": [2.0]}, signature="pair")
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(result), [21.0])


def test_eager_ragged_inputs_and_outputs() -> None:
    def module_fn() -> None:
        values = tf.compat.v1.placeholder(tf.float32, [None])
        splits = tf.compat.v1.placeholder(tf.int64, [None])
        ragged = tf.RaggedTensor.from_row_splits(values, splits, validate=False)
        hub.add_signature(
            inputs=ragged, outputs={"sum": tf.reduce_sum(ragged, axis=1), "double": ragged * 2}
        )

    spec = hub.create_module_spec(module_fn)
    info = spec.get_input_info_dict()["default"]
    assert info.is_composite and not info.is_sparse
    out = hub.Module(spec)(tf.ragged.constant([[1.0, 2.0], [3.0]]), as_dict=True)
    np.testing.assert_allclose(out["sum"].numpy(), [3.0, 3.0])
    assert out["double"].to_list() == [[2.0, 4.0], [6.0]]
    from_lists = hub.Module(spec)([[1.0, 1.0, 1.0], [], [4.0]], as_dict=True)["sum"]
    np.testing.assert_allclose(from_lists.numpy(), [3.0, 0.0, 4.0])
    with hub.eval_function_for_module(spec) as f:
        np.testing.assert_allclose(f([[1.0, 2.0], [], [5.0]], as_dict=True)["sum"], [3.0, 0.0, 5.0])
    with tf.Graph().as_default():
        graph_out = hub.Module(spec)(tf.ragged.constant([[1.0], [2.0, 5.0]]), as_dict=True)
        with tf.compat.v1.Session() as session:
            np.testing.assert_allclose(session.run(graph_out["sum"]), [1.0, 7.0])


def test_eager_partitioned_variables_map_and_export(tmp_path: Path) -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 4])
        w = tf.compat.v1.get_variable(
            "w",
            shape=[4, 2],
            initializer=tf.compat.v1.ones_initializer(),
            partitioner=tf.compat.v1.fixed_size_partitioner(2),
        )
        hub.add_signature(inputs=x, outputs=tf.matmul(x, w))

    module = hub.Module(hub.create_module_spec(module_fn))
    parts = module.variable_map["w"]
    assert [v.name for v in parts] == ["w/part_0:0", "w/part_1:0"]
    parts[1].assign(tf.fill([2, 2], 3.0))
    np.testing.assert_allclose(module(tf.ones([1, 4])).numpy(), [[8.0, 8.0]])
    module.export(str(tmp_path / "out"))
    with hub.eval_function_for_module(str(tmp_path / "out")) as f:
        np.testing.assert_allclose(f(np.ones([1, 4], np.float32)), [[8.0, 8.0]])


def test_tfhub_export_loads_with_tfhub_load_and_keras_layer(rich_export: Path) -> None:
    loaded = hub.load(str(rich_export), tags=["train"])
    out = loaded.signatures["pair"](a=tf.constant([1.0]), b=tf.constant([2.0]))
    np.testing.assert_allclose(out["default"].numpy(), [5.0])
    layer = hub.KerasLayer(str(rich_export), signature="default", output_key="hidden")
    np.testing.assert_allclose(layer(tf.constant(X)).numpy(), hidden_np(X), atol=1e-5)


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow_hub") is None,
    reason="tensorflow_hub (upstream, for the compatibility check) is not installed",
)
def test_tfhub_export_loads_in_upstream_tensorflow_hub(rich_export: Path) -> None:
    import tensorflow_hub as upstream_hub

    loaded = upstream_hub.load(str(rich_export))
    out = loaded.signatures["default"](x=tf.constant(X))
    np.testing.assert_allclose(out["hidden"].numpy(), hidden_np(X), atol=1e-5)
    layer = upstream_hub.KerasLayer(str(rich_export), signature="default", output_key="hidden")
    np.testing.assert_allclose(layer(tf.constant(X)).numpy(), hidden_np(X), atol=1e-5)
    train = upstream_hub.load(str(rich_export), tags=["train"])
    normalized = train.signatures["default"](x=tf.constant(X))["default"].numpy()
    np.testing.assert_allclose(normalized.mean(0), np.zeros(4), atol=1e-4)


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow_hub") is None,
    reason="tensorflow_hub (upstream, for the compatibility check) is not installed",
)
def test_eager_export_with_moved_vocab_asset_loads_in_upstream(
    rich_export: Path, vocab_file: Path, tmp_path: Path
) -> None:
    """An eager-exported module, moved, with its vocab source gone: sparse lookup in upstream."""
    import shutil

    import tensorflow_hub as upstream_hub

    module = hub.Module(str(rich_export), trainable=True)
    module.variable_map["embeddings"].assign(2 * EMBEDDINGS)
    module.export(str(tmp_path / "exported"))
    shutil.move(str(tmp_path / "exported"), str(tmp_path / "moved"))
    hidden_vocab = vocab_file.with_name("hidden_for_upstream.txt")
    vocab_file.rename(hidden_vocab)  # Only the export's own assets/ copy is left.
    try:
        loaded = upstream_hub.load(str(tmp_path / "moved"))
        out = loaded.signatures["embed"](
            words_indices=WORDS.indices,
            words_values=WORDS.values,
            words_dense_shape=WORDS.dense_shape,
        )
    finally:
        hidden_vocab.rename(vocab_file)
    expected = 2 * np.stack([EMBEDDINGS[0] + EMBEDDINGS[2], EMBEDDINGS[3]])
    np.testing.assert_allclose(out["default"].numpy(), expected, atol=1e-6)


def test_eager_module_inside_tf_function_and_not_created_there(upstream_dir: Path) -> None:
    path = str(upstream_dir / "tf1_multi_sig")
    module = hub.Module(path)

    @tf.function
    def apply(x: Any) -> Any:
        return module(x, as_dict=True)["hidden"]

    x = tf.constant([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(apply(x).numpy(), module(x, as_dict=True)["hidden"].numpy())

    @tf.function(autograph=False)
    def create(x: Any) -> Any:
        return hub.Module(path)(x)

    with pytest.raises(errors.EagerNotSupportedError, match="created inside a tf.function"):
        create(x)


def test_eager_trainable_train_tags_run_update_ops(upstream_dir: Path) -> None:
    from tests._helpers.upstream_records import record as expected_json
    from tests.tf1.conftest import numpy_inputs

    runs = expected_json("tf1_train_tags")["runs"]
    run = next(r for r in runs if "after_running_update_ops_once" in r)
    module = hub.Module(str(upstream_dir / "tf1_train_tags"), tags={"train"}, trainable=True)
    out = module(numpy_inputs(run["inputs"]), as_dict=True)
    for key, value in run["outputs"].items():
        np.testing.assert_allclose(out[key].numpy(), value["value"], atol=1e-5)
    for name, value in run["after_running_update_ops_once"].items():
        variable = module.variable_map[name[len("module/") : -len(":0")]]
        np.testing.assert_allclose(variable.numpy(), value["value"], atol=1e-5)
    frozen = hub.Module(str(upstream_dir / "tf1_train_tags"), tags={"train"})
    before = frozen.variable_map["bn/moving_mean"].numpy()
    frozen(numpy_inputs(run["inputs"]))  # trainable=False: no UPDATE_OPS, as in a graph.
    np.testing.assert_allclose(frozen.variable_map["bn/moving_mean"].numpy(), before)


def test_sparse_outputs_in_eager_and_graph() -> None:
    def module_fn() -> None:
        sentences = tf.compat.v1.placeholder(tf.string, [None])
        tokens = tf.compat.v1.string_split(sentences)
        hub.add_signature(inputs=sentences, outputs={"tokens": tokens})

    spec = hub.create_module_spec(module_fn)
    assert spec.get_output_info_dict()["tokens"].is_sparse
    eager = hub.Module(spec)(["a b c", "d"], as_dict=True)["tokens"]
    assert isinstance(eager, tf.SparseTensor)
    assert eager.values.numpy().tolist() == [b"a", b"b", b"c", b"d"]
    with tf.Graph().as_default():
        graph_out = hub.Module(spec)(["a b c", "d"], as_dict=True)["tokens"]
        with tf.compat.v1.Session() as session:
            value = session.run(graph_out)
    assert value.indices.tolist() == [[0, 0], [0, 1], [0, 2], [1, 0]]
    assert value.dense_shape.tolist() == [2, 3]
