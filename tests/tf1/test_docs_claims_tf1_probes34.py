"""Claims of docs/tf1.md no other test checked, tried as a reader would (session 34 probes)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _quick_start_module_fn(is_training: bool = False) -> None:
    """The page's `module_fn`, as written."""
    x = tf.compat.v1.placeholder(tf.float32, [None, 3])
    w = tf.compat.v1.get_variable("w", initializer=np.eye(3, dtype=np.float32))
    hub.add_signature(inputs=x, outputs={"default": tf.matmul(x, w), "sum": tf.reduce_sum(x, 1)})
    hub.attach_message("about", tf.train.BytesList(value=[b"my first module"]))


def test_the_quick_start_runs_as_written(tmp_path: Path) -> None:
    """The Quick start: a graph module exported with a session, then used eagerly and through
    `eval_function_for_module`, its attached message read back from the export."""
    path = os.fspath(tmp_path / "my_module")
    spec = hub.create_module_spec(_quick_start_module_fn)
    with tf.Graph().as_default():
        m = hub.Module(spec, trainable=True)
        y = m(np.ones([2, 3], np.float32))
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            np.testing.assert_allclose(sess.run(y), np.ones([2, 3]))
            m.export(path, sess)

    m = hub.Module(path)
    total = m(np.ones([1, 3], np.float32), as_dict=True)["sum"]
    assert isinstance(total, tf.Tensor) and total.numpy().tolist() == [3.0]  # An eager tensor.
    with hub.eval_function_for_module(path) as f:
        np.testing.assert_allclose(f(np.ones([1, 3], np.float32)), np.ones([1, 3]))
    message = m.get_attached_message("about", tf.train.BytesList)
    assert list(message.value) == [b"my first module"]
    about = hub.load_module_spec(path).get_attached_message("about", tf.train.BytesList)
    assert list(about.value) == [b"my first module"]


def test_an_eager_module_is_not_trackable_and_hub_load_of_it_saves(tmp_path: Path) -> None:
    """Docs: "`tf.saved_model.save` of a `tf.Module` that holds one fails ("Tried to export a
    function which references an 'untracked' resource") ... hold `hub.load(handle)` instead."""
    path = os.fspath(tmp_path / "module")
    hub.Module(hub.create_module_spec(_quick_start_module_fn)).export(path)  # Eager: no session.
    spec = tf.TensorSpec([None, 3], tf.float32)

    holder = tf.Module()
    holder.module = hub.Module(path)
    holder.f = tf.function(lambda x: holder.module(x), input_signature=[spec])
    with pytest.raises(AssertionError, match="references an 'untracked' resource"):
        tf.saved_model.save(holder, os.fspath(tmp_path / "eager_holder"))

    holder = tf.Module()
    holder.loaded = hub.load(path)
    default = holder.loaded.signatures["default"]
    holder.f = tf.function(lambda x: default(x)["default"], input_signature=[spec])
    tf.saved_model.save(holder, os.fspath(tmp_path / "load_holder"))
    again = tf.saved_model.load(os.fspath(tmp_path / "load_holder"))
    np.testing.assert_allclose(again.f(tf.ones([1, 3])), np.ones([1, 3]))


def _ragged_and_sparse_module_fn() -> None:
    values = tf.compat.v1.placeholder(tf.float32, [None])
    splits = tf.compat.v1.placeholder(tf.int64, [None])
    ragged = tf.RaggedTensor.from_row_splits(values, splits, validate=False)
    sparse = tf.compat.v1.sparse_placeholder(tf.float32, [None, 3])
    hub.add_signature(
        inputs={"r": ragged, "s": sparse},
        outputs={"rs": tf.reduce_sum(ragged, axis=1), "ss": tf.sparse.reduce_sum(sparse, axis=1)},
    )


def test_eval_function_takes_ragged_and_sparse_tensor_values() -> None:
    """`eval_function_for_module`'s `f` runs "on numpy values (and `SparseTensorValue` /
    `RaggedTensorValue`s)", and on eager sparse and ragged tensors made before the block."""
    spec = hub.create_module_spec(_ragged_and_sparse_module_fn)
    info = spec.get_input_info_dict()
    assert info["s"].is_sparse and info["r"].is_composite and not info["r"].is_sparse
    ragged_value = tf.compat.v1.ragged.RaggedTensorValue(
        np.array([1.0, 2.0, 3.0], np.float32), np.array([0, 2, 3], np.int64)
    )
    sparse_value = tf.compat.v1.SparseTensorValue([[0, 0], [1, 2]], [1, 5], [2, 3])
    ragged = tf.ragged.constant([[1.0, 2.0], [3.0]])
    sparse = tf.sparse.from_dense(tf.constant([[1.0, 0.0, 0.0], [0.0, 0.0, 5.0]]))
    with hub.eval_function_for_module(spec) as f:
        for inputs in ({"r": ragged_value, "s": sparse_value}, {"r": ragged, "s": sparse}):
            out = f(inputs, as_dict=True)
            np.testing.assert_allclose(out["rs"], [3.0, 3.0])
            np.testing.assert_allclose(out["ss"], [1.0, 5.0])


def test_the_error_classes_the_page_names_for_a_module(tmp_path: Path) -> None:
    """Errors: no `default` output without `as_dict=True` → `NoDefaultOutputError` (TypeError,
    also KeyError/ValueError, upstream's words); `eval_function_for_module`'s unknown
    signature → `UnknownEvalSignatureError` (also a KeyError); exporting over a module →
    `ModuleExistsError` (an `ExportError` and `tf.errors.AlreadyExistsError`)."""
    module = hub.Module(hub.create_module_spec(_quick_start_module_fn))
    path = os.fspath(tmp_path / "module")
    module.export(path)

    def sum_only() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 3])
        hub.add_signature(inputs=x, outputs={"sum": tf.reduce_sum(x, 1)})

    with pytest.raises(errors.NoDefaultOutputError) as caught:
        hub.Module(hub.create_module_spec(sum_only))(np.ones([1, 3], np.float32))
    assert all(isinstance(caught.value, kind) for kind in (TypeError, KeyError, ValueError))
    assert str(caught.value).startswith("There is no output named 'default'. Use as_dict=True.")

    with hub.eval_function_for_module(path) as f:
        with pytest.raises(KeyError) as unknown:
            f(np.ones([1, 3], np.float32), signature="nope")
    assert isinstance(unknown.value, errors.UnknownEvalSignatureError)
    assert isinstance(unknown.value, errors.UnknownSignatureError)
    assert "['default']" in str(unknown.value)

    with pytest.raises(tf.errors.AlreadyExistsError) as exists:
        module.export(path)
    assert isinstance(exists.value, errors.ModuleExistsError)
    assert isinstance(exists.value, errors.ExportError)


def _text_module_fn(vocab: str) -> None:
    sentences = tf.compat.v1.placeholder(tf.string, [None])
    table = tf.compat.v1.lookup.StaticVocabularyTable(
        tf.compat.v1.lookup.TextFileInitializer(vocab, tf.string, -2, tf.int64, -1),
        num_oov_buckets=1,
    )
    table_ids = tf.ragged.map_flat_values(table.lookup, tf.strings.split(sentences))
    embeddings = tf.compat.v1.get_variable(
        "embeddings", initializer=np.arange(8, dtype=np.float32).reshape(4, 2)
    )
    vectors = tf.ragged.map_flat_values(tf.nn.embedding_lookup, embeddings, table_ids)
    hub.add_signature(inputs=sentences, outputs=tf.reduce_mean(vectors, axis=1))


def test_the_wrap_function_recipe_runs_a_text_module(tmp_path: Path) -> None:
    """Docs: "Under TF2, run TF1 code with `wrap_function` as in TF1, initializers first":
    the page's snippet as written, over a module with a vocabulary table (whose file `export`
    copied into the module's `assets/`)."""
    vocab = tmp_path / "tokens.txt"
    vocab.write_text("hello\nworld\ncat\n")
    handle = os.fspath(tmp_path / "text_module")
    hub.Module(hub.create_module_spec(lambda: _text_module_fn(os.fspath(vocab)))).export(handle)
    assert (tmp_path / "text_module" / "assets" / "tokens.txt").read_text() == vocab.read_text()
    vocab.unlink()  # The module reads its own copy.

    f = tf.compat.v1.wrap_function(
        lambda s: hub.Module(handle)(s), [tf.TensorSpec([None], tf.string)]
    )
    g = f.graph
    f.prune(
        [],
        [v.initializer for v in g.get_collection("variables")]
        + g.get_collection("table_initializer"),
    )()
    np.testing.assert_allclose(f(tf.constant(["hello world"])), [[1.0, 2.0]])
    # "dog" is out of the vocabulary: its bucket's row (6, 7), averaged with "world" (2, 3).
    np.testing.assert_allclose(f(tf.constant(["cat", "dog world"])), [[4.0, 5.0], [4.0, 5.0]])


@pytest.mark.skipif(
    os.environ.get("TF_USE_LEGACY_KERAS") in ("1", "true", "True"),
    reason="tf.compat.v1.layers works under tf_keras (tests/tf1/test_legacy_layers.py)",
)
def test_legacy_layers_under_keras3_say_what_to_use_instead() -> None:
    """Docs ("Keras 3 note"): under Keras 3 `tf.compat.v1.layers.*` is unavailable; use
    `tf.compat.v1.get_variable` and raw ops, or `TF_USE_LEGACY_KERAS=1`. TensorFlow's own
    AttributeError ("`dense` is not available with Keras 3.") said neither: tfhub adds both."""

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 2])
        hub.add_signature(inputs=x, outputs=tf.compat.v1.layers.dense(x, 2))

    with pytest.raises(AttributeError, match="not available with Keras 3") as caught:
        hub.create_module_spec(module_fn)
    notes = " ".join(getattr(caught.value, "__notes__", []))
    assert "tf.compat.v1.get_variable" in notes and "TF_USE_LEGACY_KERAS=1" in notes


def test_a_url_works_wherever_a_path_does_through_one_cache(
    upstream_dir: Path, served_dir: Path, server: Any, isolated_cache: Path
) -> None:
    """Docs: "Any handle works wherever a path does (`https://...tar.gz`, ...), through the
    same resolver and cache as `hub.load`": `hub.Module` (eager), `eval_function_for_module`,
    `hub.load_module_spec` and `hub.load` of one URL download it once, into one cache entry."""
    shutil.copy(upstream_dir / "half_plus_two_v1.tar.gz", served_dir)
    url = server.url("half_plus_two_v1.tar.gz")
    x = np.array([[1.0], [2.0], [10.0]], np.float32)
    np.testing.assert_allclose(hub.Module(url)(x), [[2.5], [3.0], [7.0]])
    with hub.eval_function_for_module(url) as f:
        np.testing.assert_allclose(f(x), [[2.5], [3.0], [7.0]])
    assert "default" in hub.load_module_spec(url).get_signature_names()
    assert "default" in hub.load(url).signatures
    downloads = [path for method, path, _ in server.state.requests if method == "GET"]
    assert len(downloads) == 1, downloads
    entries = [p for p in isolated_cache.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(entries) == 1 and (entries[0] / "tfhub_module.pb").is_file()
