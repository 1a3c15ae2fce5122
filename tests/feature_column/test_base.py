"""What every hub feature column shares (_base.py): training, losses, UPDATE_OPS, config, Keras."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.python_process import REPO_ROOT
from tests._helpers.upstream_records import UPSTREAM_DIR
from tests._helpers.warm_python import run_warm_python
from tests.feature_column._support import (
    EMBEDDINGS,
    EXPECTED_TEXT,
    IMAGE_FC,
    IMAGE_V1,
    SENTENCES,
    TEXT_RECORD,
    TEXT_V1,
    TEXT_V2,
    TOKENS,
    expected_sparse,
)

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf


def _fit_model(column, epochs=2):
    inputs = {"sentences": tf_keras.Input(shape=(), dtype=tf.string, name="sentences")}
    features = tf_keras.layers.DenseFeatures([column], name="features")(inputs)
    outputs = tf_keras.layers.Dense(1, kernel_initializer="ones", name="head")(features)
    model = tf_keras.Model(inputs, outputs)
    model.compile(tf_keras.optimizers.SGD(0.1), "mse")
    model.fit({"sentences": np.array(SENTENCES)}, np.zeros((6, 1)), epochs=epochs, verbose=0)
    return model


@pytest.mark.parametrize("path", [TEXT_V1, TEXT_V2], ids=["tf1", "tf2"])
def test_trainable_column_fit_changes_module_weights_and_saves(path, tmp_path):
    make = hub.text_embedding_column if path == TEXT_V1 else hub.text_embedding_column_v2
    table = np.array(TEXT_RECORD["embedding_table"], np.float32)
    model = _fit_model(make("sentences", path, trainable=True))
    (embeddings,) = model.get_layer("features").trainable_weights
    assert embeddings.name.endswith("embeddings:0")
    assert np.abs(embeddings.numpy() - table).max() > 1e-3  # fit moved the module's weights.
    predictions = model.predict({"sentences": np.array(SENTENCES)}, verbose=0)
    # tf_keras serializes the columns through get_config/from_config and restores the weights.
    model.save(tmp_path / "model.keras")
    reloaded = tf_keras.models.load_model(tmp_path / "model.keras")
    config = reloaded.get_layer("features").get_config()["feature_columns"][0]["config"]
    assert config["trainable"] is True and config["key"] == "sentences"
    again = reloaded.predict({"sentences": np.array(SENTENCES)}, verbose=0)
    np.testing.assert_allclose(again, predictions, atol=1e-6)


def test_frozen_column_fit_keeps_module_weights():
    model = _fit_model(hub.text_embedding_column("sentences", TEXT_V1), epochs=1)
    (embeddings,) = model.get_layer("features").weights
    np.testing.assert_array_equal(embeddings.numpy(), TEXT_RECORD["embedding_table"])


@pytest.mark.parametrize(
    ("path", "trainable"),
    [(TEXT_V1, True), (TEXT_V1, False), (TEXT_V2, True), (TEXT_V2, False)],
    ids=["tf1-trainable", "tf1-frozen", "tf2-trainable", "tf2-frozen"],
)
def test_input_layer_trainable_collects_and_trains_variables(path, trainable):
    make = hub.text_embedding_column if path == TEXT_V1 else hub.text_embedding_column_v2
    column = make("sentences", path, trainable=trainable)
    with tf.Graph().as_default():
        inputs = tf.compat.v1.placeholder(tf.string, [None])
        output = tf.compat.v1.feature_column.input_layer({"sentences": inputs}, [column])
        train_vars = [v.name for v in tf.compat.v1.trainable_variables()]
        assert [name.endswith("embeddings:0") for name in train_vars] == [True] * trainable
        # A zero loss term keeps the optimizer valid when nothing else is trainable.
        dummy = tf.compat.v1.Variable(0.0)
        loss = tf.reduce_sum(output) + 0.0 * dummy
        step = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            before = session.run(loss, {inputs: SENTENCES})
            session.run(step, {inputs: SENTENCES})
            after = session.run(loss, {inputs: SENTENCES})
    assert before == pytest.approx(float(EXPECTED_TEXT.sum()), abs=1e-4)
    assert (after < before - 1e-3) if trainable else (after == pytest.approx(before))


def test_two_trainable_columns_over_one_module_in_one_graph():
    """Each module is made in its column's variable scope, as upstream's: both count as
    trainable, under upstream's names (which its checkpoints hold)."""
    columns = [hub.text_embedding_column(key, TEXT_V1, trainable=True) for key in ("a", "b")]
    with tf.Graph().as_default():
        features = {key: tf.constant(SENTENCES) for key in ("a", "b")}
        output = tf.compat.v1.feature_column.input_layer(features, columns)
        names = sorted(v.name for v in tf.compat.v1.trainable_variables())
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            result = session.run(output)
    assert names == [f"input_layer/{key}_hub_module_embedding/module/embeddings:0" for key in "ab"]
    np.testing.assert_allclose(result, np.concatenate([EXPECTED_TEXT] * 2, axis=1), atol=1e-5)


def _regularized_text_module_fn():
    text = tf.compat.v1.placeholder(tf.string, [None])
    ids = tf.strings.to_hash_bucket_fast(text, 3)
    table = tf.compat.v1.get_variable(
        "table",
        initializer=tf.constant(EMBEDDINGS),
        regularizer=lambda w: 0.5 * tf.reduce_sum(tf.square(w)),
    )
    hub.add_signature(inputs={"text": text}, outputs={"default": tf.gather(table, ids)})


@pytest.mark.parametrize("trainable", [True, False])
def test_tf1_regularization_losses_follow_trainable(trainable):
    spec = hub.create_module_spec(_regularized_text_module_fn)
    column = hub.text_embedding_column("text", spec, trainable=trainable)
    expected = [0.5 * float(np.sum(EMBEDDINGS**2))] if trainable else []
    layer = tf_keras.layers.DenseFeatures([column])
    layer({"text": tf.constant(["a"])})
    assert [float(loss) for loss in layer.losses] == pytest.approx(expected)
    with tf.Graph().as_default():
        tf.compat.v1.feature_column.input_layer({"text": tf.constant(["a"])}, [column])
        losses = tf.compat.v1.losses.get_regularization_losses()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            assert session.run(losses) == pytest.approx(expected)


def test_names_parse_specs_and_config_round_trip():
    text = hub.text_embedding_column("comment", TEXT_V1, trainable=True)
    v2 = hub.text_embedding_column_v2("title", TEXT_V2)
    image = hub.image_embedding_column("photo", IMAGE_V1)
    sparse = hub.sparse_text_embedding_column("tags", TEXT_V1, "sqrtn", "")
    names = [c.name for c in (text, v2, image, sparse)]
    assert names == [
        "comment_hub_module_embedding",
        "title_hub_module_embedding",
        "photo_hub_module_embedding",
        "tags_hub_module_embedding",
    ]
    spec = tf.feature_column.make_parse_example_spec([text, v2, image, sparse])
    assert spec["comment"] == tf.io.FixedLenFeature([1], tf.string)
    assert spec["photo"] == tf.io.FixedLenFeature([8, 6, 3], tf.float32)
    assert spec["tags"] == tf.io.VarLenFeature(tf.string)
    assert text.get_config() == {"key": "comment", "module_spec_path": TEXT_V1, "trainable": True}
    layer = tf_keras.layers.DenseFeatures([text, v2, image, sparse])
    rebuilt = tf_keras.layers.DenseFeatures.from_config(layer.get_config())
    assert rebuilt._feature_columns == layer._feature_columns  # sorted by name, equal configs.


def test_columns_take_a_pathlib_handle_as_hub_load_does():
    """Each column said it "expects a handle string or a hub.ModuleSpec" for a pathlib.Path;
    it is kept as its str, so the config holds it."""
    from pathlib import Path

    columns = [
        hub.text_embedding_column("comment", Path(TEXT_V1)),
        hub.text_embedding_column_v2("title", Path(TEXT_V2)),
        hub.image_embedding_column("photo", Path(IMAGE_V1)),
        hub.sparse_text_embedding_column("tags", Path(TEXT_V1), "sqrtn", ""),
    ]
    configs = [column.get_config() for column in (columns[0], columns[2], columns[3])]
    assert [configs[0]["module_spec_path"], configs[1]["module_spec_path"]] == [TEXT_V1, IMAGE_V1]
    assert configs[2]["module_spec"] == TEXT_V1  # (upstream's key for the sparse column)
    assert columns[1].module_path == TEXT_V2


def test_tf1_columns_offer_the_module_spec_as_upstream_did():
    """Upstream's TF1 columns held a hub.ModuleSpec (the sparse column as its `module_spec`
    field), e.g. for hub.get_expected_image_size(column.module_spec)."""
    columns = [
        hub.text_embedding_column("comment", TEXT_V1),
        hub.sparse_text_embedding_column("tags", TEXT_V1, "sqrtn", ""),
        hub.image_embedding_column("photo", IMAGE_V1),
    ]
    specs = [column.module_spec for column in columns]
    assert all(isinstance(spec, hub.ModuleSpec) for spec in specs)
    assert all("default" in spec.get_output_info_dict() for spec in specs)
    assert hub.get_expected_image_size(columns[2].module_spec) == [8, 6]
    in_memory = hub.load_module_spec(TEXT_V1)
    assert hub.sparse_text_embedding_column("tags", in_memory, "sum", None).module_spec is in_memory


def _doc_example(heading: str) -> str:
    """Returns the first ```python block after `heading` in docs/feature_columns.md."""
    doc = (REPO_ROOT / "docs" / "feature_columns.md").read_text()
    section = doc[doc.index(heading) :]
    start = section.index("```python\n") + len("```python\n")
    return section[start : section.index("```", start)]


def test_keras3_example_in_docs_runs():
    source = _doc_example("## Keras 3")
    handle_line = next(line for line in source.splitlines() if line.startswith("HANDLE = "))
    namespace: dict = {}
    exec(source.replace(handle_line, f"HANDLE = {TEXT_V2!r}"), namespace)
    assert type(namespace["embed"]).__module__ == "tfhub.keras.layer"  # the Keras 3 flavour.
    by_sentence = dict(zip(SENTENCES, EXPECTED_TEXT, strict=True))
    expected = [by_sentence[s] for s in ("hello world", "the cat sat on the mat", "cat")]
    np.testing.assert_allclose(namespace["before"], expected, atol=1e-5)
    (table,) = namespace["embed"].trainable_weights
    assert np.abs(np.asarray(table) - TEXT_RECORD["embedding_table"]).max() > 1e-4  # fit trained.
    dense = namespace["model"].layers[-1]
    kernel, bias = (np.asarray(w) for w in dense.weights)
    after = namespace["embed"](namespace["sentences"]).numpy()
    # Trained weights can put a prediction near 0, where float32 rounding of two summation orders
    # (Keras' predict, numpy's matmul) exceeds any relative tolerance: an absolute one as well.
    np.testing.assert_allclose(
        namespace["predictions"], after @ kernel + bias, rtol=1e-5, atol=1e-6
    )


def test_parse_example_spec_feeds_the_columns():
    """tf.train.Examples parsed with the columns' spec give upstream's numbers."""
    images = np.array(IMAGE_FC["inputs"]["images"]["value"], np.float32)
    text = hub.text_embedding_column("sentences", TEXT_V1)
    image = hub.image_embedding_column("images", IMAGE_V1)
    sparse = hub.sparse_text_embedding_column("tokens", TEXT_V1, "sum", None)
    serialized = []
    for sentence, pixels, tokens in zip(SENTENCES[:2], images, TOKENS[:2], strict=True):
        feature = {
            "sentences": tf.train.Feature(bytes_list=tf.train.BytesList(value=[sentence.encode()])),
            "images": tf.train.Feature(float_list=tf.train.FloatList(value=pixels.ravel())),
            "tokens": tf.train.Feature(
                bytes_list=tf.train.BytesList(value=[t.encode() for t in tokens])
            ),
        }
        example = tf.train.Example(features=tf.train.Features(feature=feature))
        serialized.append(example.SerializeToString())
    spec = tf.feature_column.make_parse_example_spec([text, image, sparse])
    features = tf.io.parse_example(tf.constant(serialized), spec)
    output = tf_keras.layers.DenseFeatures([text, image, sparse])(features).numpy()
    # DenseFeatures concatenates in name order: images (5), sentences (4), tokens (4).
    np.testing.assert_allclose(output[:, :5], IMAGE_FC["output"]["value"], atol=1e-5)
    np.testing.assert_allclose(output[:, 5:9], EXPECTED_TEXT[:2], atol=1e-5)
    np.testing.assert_allclose(output[:, 9:], expected_sparse("sum", None)[:2], atol=1e-5)


def test_columns_over_http_handles(served_dir, server, isolated_cache):
    """Handles are resolved once (downloaded into the cache) and kept as the column's config."""
    for name in ("tf1_text_vocab", "tf2_text_embedding"):
        shutil.copy(UPSTREAM_DIR / f"{name}.tar.gz", served_dir)
    text_url, v2_url = server.url("tf1_text_vocab.tar.gz"), server.url("tf2_text_embedding.tar.gz")
    columns = [
        hub.text_embedding_column("a", text_url),
        hub.text_embedding_column_v2("b", v2_url),
    ]
    assert columns[0].get_config()["module_spec_path"] == text_url
    assert columns[1].get_config()["module_path"] == v2_url
    features = {"a": tf.constant(SENTENCES), "b": tf.constant(SENTENCES)}
    output = tf_keras.layers.DenseFeatures(columns)(features).numpy()
    np.testing.assert_allclose(output, np.concatenate([EXPECTED_TEXT] * 2, axis=1), atol=1e-5)
    cached = {p.name for p in isolated_cache.iterdir() if p.is_dir()}
    assert {hashlib.sha1(url.encode()).hexdigest() for url in (text_url, v2_url)} <= cached
    paths = sorted(path.split("?")[0] for method, path, _ in server.state.requests)
    assert paths == ["/tf1_text_vocab.tar.gz", "/tf2_text_embedding.tar.gz"]  # one download each.


def test_saved_model_format_save_keeps_fine_tuned_modules(tmp_path):
    """tf_keras' default `model.save(folder)` (SavedModel) reaches the modules' tables."""
    columns = [
        hub.text_embedding_column("a", TEXT_V1, trainable=True),
        hub.text_embedding_column_v2("b", TEXT_V2, trainable=True),
    ]
    inputs = {key: tf_keras.Input(shape=(), dtype=tf.string, name=key) for key in "ab"}
    features = tf_keras.layers.DenseFeatures(columns, name="features")(inputs)
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(features))
    model.compile(tf_keras.optimizers.SGD(0.1), "mse")
    data = {key: np.array(SENTENCES) for key in "ab"}
    model.fit(data, np.ones((6, 1)), epochs=2, verbose=0)
    predictions = model.predict(data, verbose=0)
    model.save(tmp_path / "saved_model", save_format="tf")
    reloaded = tf_keras.models.load_model(tmp_path / "saved_model")
    np.testing.assert_allclose(reloaded.predict(data, verbose=0), predictions, atol=1e-6)
    untrained = tf_keras.layers.DenseFeatures(columns)(data).numpy()
    tables = reloaded.get_layer("features").trainable_weights
    assert len(tables) == 2
    for table in tables:  # the fine-tuned values, not the module's
        assert np.abs(table.numpy() - TEXT_RECORD["embedding_table"]).max() > 1e-3
    np.testing.assert_allclose(untrained, np.concatenate([EXPECTED_TEXT] * 2, axis=1), atol=1e-5)


# One child (TensorFlow imported once) runs both graph-mode programs below, each in a fresh
# Keras graph and in its own try block: a failure in one is reported to its own test only.
_GRAPH_MODE_SCRIPT = """
import json, sys, traceback
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
import tf_keras
import tfhub as hub

text_v1, text_v2 = sys.argv[1], sys.argv[2]
sentences = np.array(json.loads(sys.argv[3]))
tokens = json.loads(sys.argv[4])


def compiled(column, inputs):
    features = tf_keras.layers.DenseFeatures([column], name="features")(inputs)
    head = tf_keras.layers.Dense(1, kernel_initializer="ones", trainable=False)
    model = tf_keras.Model(inputs, head(features))
    model.compile(tf_keras.optimizers.legacy.SGD(0.1), "mse")
    return model


def table(model):
    (weights,) = model.get_layer("features").trainable_weights
    return tf_keras.backend.get_value(weights).tolist()


def graph_fit():
    result = {}
    text = {"s": tf_keras.Input(shape=(), dtype=tf.string, name="s")}
    for name, column in (
        ("tf1", hub.text_embedding_column("s", text_v1, trainable=True)),
        ("tf2", hub.text_embedding_column_v2("s", text_v2, trainable=True)),
    ):
        model = compiled(column, text)
        data = {"s": sentences}
        result[name + "_predict"] = model.predict(data).ravel().tolist()  # a Session runs first
        model.fit(data, np.zeros((len(sentences), 1)), batch_size=len(sentences), verbose=0)
        result[name + "_fit"] = table(model)
    indices = [[row, i] for row, words in enumerate(tokens) for i in range(len(words))]
    values = [word for words in tokens for word in words]
    sparse = tf.SparseTensor(indices, values, [len(tokens), 3])
    labels = np.zeros((len(tokens), 1), np.float32)
    dataset = tf.data.Dataset.from_tensors(({"t": sparse}, labels))
    model = compiled(
        hub.sparse_text_embedding_column("t", text_v1, "mean", None, trainable=True),
        {"t": tf_keras.Input(shape=(None,), sparse=True, dtype=tf.string, name="t")},
    )
    model.fit(dataset, steps_per_epoch=1, verbose=0)  # initializes the iterator in a Session first
    result["sparse_dataset_fit"] = table(model)
    return result


def tf1_keras_fit():
    result = {}
    for name, trainable in (("frozen", False), ("trainable", True)):
        columns = [hub.text_embedding_column("a", text_v1, trainable=trainable),
                   hub.text_embedding_column_v2("b", text_v2, trainable=trainable)]
        inputs = {k: tf_keras.Input(shape=(), dtype=tf.string, name=k) for k in "ab"}
        layer = tf_keras.layers.DenseFeatures(columns, name=name)
        features = layer(inputs)
        dense = tf_keras.layers.Dense(1, kernel_initializer="ones")
        model = tf_keras.Model(inputs, dense(features))
        data = {"a": sentences, "b": sentences}
        if trainable:
            model.compile(tf_keras.optimizers.legacy.SGD(0.05), "mse")
            model.fit(data, np.zeros((len(sentences), 1)), epochs=2, verbose=0)
            result[name] = [tf_keras.backend.get_value(w).tolist() for w in layer.trainable_weights]
        else:
            result[name] = tf_keras.Model(inputs, features).predict(data).tolist()
    return result


results = {}
for program in (graph_fit, tf1_keras_fit):
    tf_keras.backend.clear_session()  # a new graph: neither program sees the other's
    try:
        results[program.__name__] = program()
    except Exception:
        results[program.__name__] = {"error": traceback.format_exc()}
print(json.dumps(results))
"""

_GRAPH_MODE_TOKENS = [["hello", "world"], ["cat"], ["cat", "the", "zzz"], ["mat"]]


@pytest.fixture(scope="module")
def graph_mode_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """What _GRAPH_MODE_SCRIPT's programs returned, by name (one child for the module),
    computed once per test run, by the first pytest worker that asks (`computed_once`): the
    two tests that read it may run in both workers."""
    return computed_once(tmp_path_factory, f"{__name__}.graph_mode", _run_graph_mode_script)


def _run_graph_mode_script() -> dict:
    """Runs _GRAPH_MODE_SCRIPT in a child; `graph_mode_results`' result."""
    args = [TEXT_V1, TEXT_V2, json.dumps(SENTENCES), json.dumps(_GRAPH_MODE_TOKENS)]
    run = run_warm_python(_GRAPH_MODE_SCRIPT, *args)
    return json.loads(run.stdout.strip().splitlines()[-1])


def _program_result(results: dict, name: str) -> dict:
    result = results[name]
    assert "error" not in result, result.get("error")
    return result


def test_tf1_graph_mode_tf_keras_fit_trains_the_modules(graph_mode_results):
    """With eager execution disabled, DenseFeatures predicts upstream's numbers and fit trains."""
    result = _program_result(graph_mode_results, "tf1_keras_fit")
    expected = np.concatenate([EXPECTED_TEXT, EXPECTED_TEXT], axis=1)
    np.testing.assert_allclose(result["frozen"], expected, atol=1e-5)
    assert len(result["trainable"]) == 2  # one embedding table per column
    for table in result["trainable"]:
        assert np.abs(np.array(table) - TEXT_RECORD["embedding_table"]).max() > 1e-3


def test_graph_mode_fit_after_a_session_ran_the_model(graph_mode_results):
    """predict() before fit(), and fit() on a Dataset, in tf_keras' graph mode.

    TensorFlow adds outputs to a function call op when its gradient is first built; a Session
    that ran the graph before would not see them ("Connecting to invalid output 1").
    """
    tokens = _GRAPH_MODE_TOKENS
    result = _program_result(graph_mode_results, "graph_fit")
    embedding_table = np.array(TEXT_RECORD["embedding_table"], np.float32)
    vocab = TEXT_RECORD["vocab"]
    for name in ("tf1", "tf2"):
        np.testing.assert_allclose(result[name + "_predict"], EXPECTED_TEXT.sum(axis=1), 1e-5)
        assert np.abs(np.array(result[name + "_fit"]) - embedding_table).max() > 1e-3
    # One SGD step (lr 0.1) of mse(sum of the mean token embeddings, 0), by hand.
    gradient = np.zeros_like(embedding_table)
    for words in tokens:
        ids = [vocab.index(w) if w in vocab else len(vocab) for w in words]
        row_sum = embedding_table[ids].mean(axis=0).sum()
        for i in ids:
            gradient[i] += 2.0 / len(tokens) * row_sum / len(ids)
    np.testing.assert_allclose(result["sparse_dataset_fit"], embedding_table - 0.1 * gradient, 1e-5)


def _text_module_with_update_ops_fn():
    """Hashed embeddings minus the batch mean; UPDATE_OPS keep a moving mean (momentum 0.5)."""
    text = tf.compat.v1.placeholder(tf.string, [None])
    ids = tf.strings.to_hash_bucket_fast(text, 3)
    table = tf.compat.v1.get_variable("table", initializer=tf.constant(EMBEDDINGS))
    embedded = tf.gather(table, ids)
    moving_mean = tf.compat.v1.get_variable("moving_mean", initializer=[0.0, 0.0], trainable=False)
    mean = tf.reduce_mean(embedded, axis=0)
    update = tf.compat.v1.assign(moving_mean, 0.5 * moving_mean + 0.5 * mean)
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, update)
    hub.add_signature(inputs={"text": text}, outputs={"default": embedded - mean})


WORDS = ["a", "b", "c", "d"]


def _half_batch_mean():
    return 0.5 * EMBEDDINGS[tf.strings.to_hash_bucket_fast(WORDS, 3).numpy()].mean(axis=0)


@pytest.mark.parametrize("trainable", [True, False])
def test_trainable_tf1_columns_run_update_ops_when_training(trainable):
    """As a trainable hub.Module: DenseFeatures runs UPDATE_OPS in training, input_layer
    collects them; a frozen column does neither."""
    spec = hub.create_module_spec(_text_module_with_update_ops_fn)
    expected = _half_batch_mean() if trainable else np.zeros(2)
    text = hub.text_embedding_column("t", spec, trainable=trainable)
    sparse = hub.sparse_text_embedding_column("s", spec, "sum", None, trainable=trainable)
    layer = tf_keras.layers.DenseFeatures([text, sparse])
    tokens = tf.sparse.from_dense(tf.constant([[word] for word in WORDS]))
    features = {"t": tf.constant(WORDS), "s": tokens}
    layer(features, training=False)
    moving = [w for w in layer.weights if "moving_mean" in w.name]
    assert [w.numpy().tolist() for w in moving] == [[0.0, 0.0]] * 2
    layer(features, training=True)
    for weight in moving:  # the sparse column's module saw the same 4 tokens
        np.testing.assert_allclose(weight.numpy(), expected, atol=1e-6)
    with tf.Graph().as_default():
        output = tf.compat.v1.feature_column.input_layer({"t": tf.constant(WORDS)}, [text])
        updates = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        (moving_mean,) = [v for v in tf.compat.v1.global_variables() if "moving_mean" in v.name]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(output)
            assert session.run(moving_mean).tolist() == [0.0, 0.0]  # inference alone
            session.run(updates)
            np.testing.assert_allclose(session.run(moving_mean), expected, atol=1e-6)
    assert len(updates) == int(trainable)


def test_fit_runs_a_tf1_modules_update_ops():
    spec = hub.create_module_spec(_text_module_with_update_ops_fn)
    inputs = {"t": tf_keras.Input(shape=(), dtype=tf.string, name="t")}
    layer = tf_keras.layers.DenseFeatures([hub.text_embedding_column("t", spec, trainable=True)])
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(layer(inputs)))
    model.compile(tf_keras.optimizers.SGD(0.0), "mse")  # no weight change: only the updates
    model.predict({"t": np.array(WORDS)}, verbose=0)
    (moving_mean,) = [w for w in layer.weights if "moving_mean" in w.name]
    assert moving_mean.numpy().tolist() == [0.0, 0.0]
    model.fit({"t": np.array(WORDS)}, np.zeros((4, 1)), batch_size=4, epochs=2, verbose=0)
    np.testing.assert_allclose(moving_mean.numpy(), 1.5 * _half_batch_mean(), atol=1e-6)
