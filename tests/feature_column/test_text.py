"""hub.text_embedding_column and hub.sparse_text_embedding_column over TF1 text modules."""

from __future__ import annotations

import re

import numpy as np
import pytest
from tests.feature_column._support import (
    EMBEDDINGS,
    EXPECTED_TEXT,
    IMAGE_V1,
    SENTENCES,
    TEXT_FC,
    TEXT_RECORD,
    TEXT_V1,
    TEXT_V2,
    TOKENS,
    expected_sparse,
    graph_input_layer,
    sparse_tokens,
)

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def test_text_embedding_column_input_layer_matches_upstream():
    column = hub.text_embedding_column("sentences", TEXT_V1)
    assert column.name == TEXT_FC["column_name"]
    assert column.variable_shape.as_list() == TEXT_FC["variable_shape"]
    output = graph_input_layer(column, "sentences", SENTENCES, tf.string)
    np.testing.assert_allclose(output, EXPECTED_TEXT, atol=1e-5)


@pytest.mark.parametrize("path", [TEXT_V1, TEXT_V2], ids=["tf1", "tf2"])
def test_text_columns_in_eager_dense_features(path):
    """Upstream's TF1 columns fail in eager DenseFeatures; ours give upstream's numbers."""
    make = hub.text_embedding_column if path == TEXT_V1 else hub.text_embedding_column_v2
    layer = tf_keras.layers.DenseFeatures([make("sentences", path)])
    output = layer({"sentences": tf.constant(SENTENCES)})
    np.testing.assert_allclose(output.numpy(), EXPECTED_TEXT, atol=1e-5)
    (weight,) = layer.weights
    assert weight.name.endswith("embeddings:0")  # TF2 loading adds the layer's name scope.
    assert layer.trainable_weights == []  # trainable=False freezes the module.


@pytest.mark.parametrize("path", [TEXT_V1, TEXT_V2], ids=["tf1", "tf2"])
def test_text_columns_in_graph_dense_features(path):
    make = hub.text_embedding_column if path == TEXT_V1 else hub.text_embedding_column_v2
    with tf.Graph().as_default():
        inputs = tf.compat.v1.placeholder(tf.string, [None])
        output = tf_keras.layers.DenseFeatures([make("sentences", path)])({"sentences": inputs})
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            result = session.run(output, {inputs: SENTENCES})
    np.testing.assert_allclose(result, EXPECTED_TEXT, atol=1e-5)


@pytest.mark.parametrize(
    ("combiner", "default_value"), [("mean", None), ("sqrtn", "cat"), ("sum", None)]
)
def test_sparse_text_embedding_column_eager(combiner, default_value):
    column = hub.sparse_text_embedding_column("tokens", TEXT_V1, combiner, default_value)
    assert column.parse_example_spec == {"tokens": tf.io.VarLenFeature(tf.string)}
    output = tf_keras.layers.DenseFeatures([column])({"tokens": sparse_tokens()})
    np.testing.assert_allclose(output.numpy(), expected_sparse(combiner, default_value), 1e-5)


@pytest.mark.parametrize(
    ("combiner", "default_value"), [("mean", None), ("sum", "cat"), ("sqrtn", "zzz")]
)
def test_sparse_text_embedding_column_input_layer(combiner, default_value):
    """In a graph too; an out-of-vocabulary default_value gets the module's OOV embedding."""
    column = hub.sparse_text_embedding_column("tokens", TEXT_V1, combiner, default_value)
    with tf.Graph().as_default():
        output = tf.compat.v1.feature_column.input_layer({"tokens": sparse_tokens()}, [column])
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            result = session.run(output)
    np.testing.assert_allclose(result, expected_sparse(combiner, default_value), atol=1e-5)


def test_text_columns_name_themselves_for_features_that_are_not_strings():
    """Upstream's hub.Module refused them while the graph was built (a ValueError); eagerly,
    tfhub's columns failed with TensorFlow's raw InvalidArgumentError of a pruned function."""

    def numbers():
        return {"title": tf.constant([[1], [2]]), "tags": tf.sparse.from_dense([[1, 2]])}

    columns = [
        hub.text_embedding_column("title", TEXT_V1),
        hub.sparse_text_embedding_column("tags", TEXT_V1, "sum", None),
    ]
    for column in columns:
        message = rf"\({column.key!r}\) embeds text.*{column.key!r} of dtype int32"
        with pytest.raises(errors.InputSpecError, match=message) as raised:
            tf_keras.layers.DenseFeatures([column])(numbers())
        assert isinstance(raised.value, ValueError)
        with tf.Graph().as_default():
            with pytest.raises(errors.InputSpecError, match=message):
                tf.compat.v1.feature_column.input_layer(numbers(), [column])


def _hashed_text_module_fn():
    text = tf.compat.v1.placeholder(tf.string, [None])
    ids = tf.strings.to_hash_bucket_fast(text, 3)
    table = tf.compat.v1.get_variable("table", initializer=tf.constant(EMBEDDINGS))
    hub.add_signature(inputs={"text": text}, outputs={"default": tf.gather(table, ids)})


def test_text_column_over_in_memory_module_spec_trains():
    spec = hub.create_module_spec(_hashed_text_module_fn)
    column = hub.text_embedding_column("text", spec, trainable=True)
    words = ["a", "b", "c", "d"]
    layer = tf_keras.layers.DenseFeatures([column])
    output = layer({"text": tf.constant(words)})
    expected = EMBEDDINGS[tf.strings.to_hash_bucket_fast(words, 3).numpy()]
    np.testing.assert_allclose(output.numpy(), expected)
    assert [w.name for w in layer.trainable_weights] == [
        f"{layer.name}/text_hub_module_embedding/table:0"
    ]
    upstream = r"^Can only generate a valid config for `hub\.text_embedding_column`"
    with pytest.raises(NotImplementedError, match=upstream) as info:  # as upstream
        column.get_config()
    assert isinstance(info.value, errors.ConfigNotSupportedError)
    assert "spec.export(path)" in str(info.value)
    with pytest.raises(NotImplementedError, match="sparse_text_embedding_column"):
        hub.sparse_text_embedding_column("text", spec, "sum", None).get_config()


def _two_input_text_module_fn():
    a, b = (tf.compat.v1.placeholder(tf.string, [None]) for _ in range(2))
    length = tf.cast(tf.strings.length(a + b), tf.float32)
    hub.add_signature(inputs={"a": a, "b": b}, outputs={"default": tf.stack([length] * 2, 1)})


def test_text_column_over_a_two_input_module_says_only_one_input():
    spec = hub.create_module_spec(_two_input_text_module_fn)
    upstream = (
        "Module is not a text-embedding: ['Module default signature must require only one input']"
    )
    with pytest.raises(ValueError, match="^" + re.escape(upstream)) as info:
        hub.text_embedding_column("text", spec)
    assert isinstance(info.value, errors.ModuleSpecError)
    assert "it has 2 inputs ['a', 'b']" in str(info.value)


def test_text_column_refuses_non_text_module():
    with pytest.raises(errors.ModuleSpecError) as info:
        hub.text_embedding_column("images", IMAGE_V1)
    message = str(info.value)
    assert "Module is not a text-embedding" in message
    assert "Tensor(shape=(None,), dtype=string)" in message
    assert "Tensor(shape=(None, 8, 6, 3), dtype=float32)" in message
    with pytest.raises(ValueError, match="combiner must be .mean., .sqrtn. or .sum.: .max."):
        hub.sparse_text_embedding_column("t", TEXT_V1, "max", None)
    with pytest.raises(errors.NotATF1ModuleError, match="text_embedding_column_v2"):
        hub.text_embedding_column("t", TEXT_V2)
    with pytest.raises(errors.TFHubLoadError, match="use hub.text_embedding_column"):
        hub.text_embedding_column_v2("t", TEXT_V1)


def test_a_default_value_that_is_not_a_token_is_refused_when_the_column_is_made():
    """Was TensorFlow's "Cannot convert 3 to EagerTensor of dtype string" at the first use."""
    with pytest.raises(errors.ArgumentTypeError, match=r"default_value.*Received: default_value=3"):
        hub.sparse_text_embedding_column("t", TEXT_V1, "sum", 3)
    column = hub.sparse_text_embedding_column("t", TEXT_V1, "sum", b"cat")  # bytes are a token.
    output = tf.compat.v1.feature_column.input_layer({"t": sparse_tokens()}, [column])
    np.testing.assert_allclose(output.numpy(), expected_sparse("sum", "cat"), atol=1e-5)


def test_text_column_over_loaded_module_spec_uses_its_folder():
    spec = hub.load_module_spec(TEXT_V1)
    column = hub.text_embedding_column("sentences", spec)
    assert column._source.local_path == TEXT_V1  # no temporary export for a loaded spec.
    output = tf_keras.layers.DenseFeatures([column])({"sentences": tf.constant(SENTENCES)})
    np.testing.assert_allclose(output.numpy(), EXPECTED_TEXT, atol=1e-5)


def test_trainable_sparse_column_gets_gradients():
    column = hub.sparse_text_embedding_column("tokens", TEXT_V1, "mean", None, trainable=True)
    layer = tf_keras.layers.DenseFeatures([column])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer({"tokens": sparse_tokens()}))
    (table,) = layer.trainable_weights
    gradient = tf.convert_to_tensor(tape.gradient(loss, table)).numpy()
    # d(sum of row means)/d(table row): 1/len(row) for each token of the row.
    vocab = TEXT_RECORD["vocab"]
    expected = np.zeros((8, 4), np.float32)
    for tokens in TOKENS:
        for token in tokens:
            expected[vocab.index(token) if token in vocab else len(vocab)] += 1.0 / len(tokens)
    np.testing.assert_allclose(gradient, expected, atol=1e-6)


def test_a_key_that_names_no_feature_is_refused_when_the_column_is_made():
    """A key that is not a string (nor a feature column) failed only when the column was used,
    with "'int' object has no attribute 'name'"; an empty key, with "Feature  is not in
    features dictionary"."""
    makers = {
        "text_embedding_column": lambda key: hub.text_embedding_column(key, TEXT_V1),
        "sparse_text_embedding_column": lambda key: hub.sparse_text_embedding_column(
            key, TEXT_V1, "sum", None
        ),
        "image_embedding_column": lambda key: hub.image_embedding_column(key, IMAGE_V1),
        "text_embedding_column_v2": lambda key: hub.text_embedding_column_v2(key, TEXT_V2),
    }
    for name, make in makers.items():
        with pytest.raises(TypeError, match=f"hub.{name} names its feature by a string key"):
            make(3)
        with pytest.raises(errors.ArgumentError, match="a non-empty string. Received: key=''"):
            make("")
    by_column = hub.text_embedding_column(
        tf.feature_column.categorical_column_with_identity("ids", 3), TEXT_V1
    )  # A feature column identifying the feature, as upstream allowed.
    assert by_column.name.startswith("ids")
