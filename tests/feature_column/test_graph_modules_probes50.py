"""TF1 columns' modules in tf_keras `DenseFeatures` in a `tf.Graph` (review50d findings)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.feature_column._support import TEXT_RECORD, TEXT_V1

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

pytestmark = [pytest.mark.tf]
v1 = tf.compat.v1
TABLE = np.array(TEXT_RECORD["embedding_table"], np.float32)


def _columns() -> list:
    return [
        hub.text_embedding_column("title", TEXT_V1, trainable=True),
        hub.sparse_text_embedding_column("tags", TEXT_V1, "sum", None, trainable=True),
    ]


def test_a_sparse_columns_module_is_numbered_after_the_other_columns_as_upstream():
    """review50d-F7: tensorflow_hub 0.10.0 made a sparse column's hub.Module when the layer is
    called, after every other column's (made in create_state): title=`module`, tags=`module_1`.
    tfhub made both in create_state in name order (tags=`module`), so an upstream Saver
    checkpoint restored each column with the other column's weights."""
    with tf.Graph().as_default():
        features = {"title": tf.constant(["hello"]), "tags": tf.sparse.from_dense([["hello"]])}
        output = tf_keras.layers.DenseFeatures(_columns())(features)  # tags first, then title
        names = sorted(v.op.name for v in v1.global_variables())
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            for variable in v1.global_variables():  # What upstream's checkpoint would hold.
                scale = 3.0 if variable.op.name == "module/embeddings" else 5.0
                session.run(variable.assign(variable * scale))
            result = session.run(output)[0]
    assert names == ["module/embeddings", "module_1/embeddings"]
    np.testing.assert_allclose(result[4:], 3.0 * TABLE[0])  # title: `module`
    np.testing.assert_allclose(result[:4], 5.0 * TABLE[0])  # tags: `module_1`


def test_a_sparse_columns_module_is_made_once_for_every_call_and_trained():
    """tfhub keeps one module per sparse column (0.10.0 made another at each call): a second
    call adds no variable, and the layer holds the module's weights for tf_keras to train."""
    with tf.Graph().as_default():
        features = {"title": tf.constant(["hello"]), "tags": tf.sparse.from_dense([["hello"]])}
        layer = tf_keras.layers.DenseFeatures(_columns())
        first, second = layer(features), layer(features)
        names = sorted(v.op.name for v in v1.global_variables())
        weights = sorted(w.name for w in layer.trainable_weights)
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            np.testing.assert_allclose(*session.run([first, second]))
    assert names == ["module/embeddings", "module_1/embeddings"]
    assert weights == ["module/embeddings:0", "module_1/embeddings:0"]


def _text_model() -> object:
    column = hub.text_embedding_column("t", TEXT_V1, trainable=True)
    inputs = {"t": tf_keras.Input(shape=(), dtype=tf.string, name="t")}
    features = tf_keras.layers.DenseFeatures([column])(inputs)
    return tf_keras.Model(inputs, tf_keras.layers.Dense(1, kernel_initializer="ones")(features))


def test_a_tf_checkpoint_restores_a_module_whose_graph_named_it_module_1(tmp_path):
    """review50d-F5: tf_keras keyed a graph module's weight by its variable's name
    (`module/embeddings:0`), so a model whose module the graph named `module_1` restored its
    Dense layer from `save_weights` but silently kept the module's pretrained values."""
    prefix = str(tmp_path / "w")
    feats = {"t": np.array(["hello", "world"])}
    with tf.Graph().as_default():
        first = _text_model()
        (embeddings,) = [w for w in first.weights if "embeddings" in w.name]
        tf_keras.backend.set_value(embeddings, np.full(embeddings.shape, 3.0, np.float32))
        first.save_weights(prefix)
        second = _text_model()
        assert [w.name for w in second.weights if "embeddings" in w.name] == [
            "module_1/embeddings:0"
        ]
        second.load_weights(prefix)
        result = second.predict(feats, verbose=0)
    np.testing.assert_allclose(result, [[12.0], [12.0]])


def test_a_graph_checkpoint_keeps_upstreams_first_module_name_as_key(tmp_path):
    """Checkpoints saved before review50d-F5's fix keep loading: the first module's weight is
    keyed as before (`module/embeddings:0`), and so is every later module's now."""
    with tf.Graph().as_default():
        _text_model()
        model = _text_model()
        model.save_weights(str(tmp_path / "w"))
    keys = [name for name, _ in tf.train.list_variables(str(tmp_path / "w"))]
    assert [key for key in keys if "embeddings" in key] == [
        "layer_with_weights-0/_tfhub_t_hub_module_embedding/module.Sembeddings:0/"
        ".ATTRIBUTES/VARIABLE_VALUE"
    ]


def test_an_eager_tf_checkpoint_restores_a_graph_models_module(tmp_path):
    """review50d-F5: eagerly the weight was keyed `dense_features/t_hub_module_embedding/
    embeddings:0`, in a graph `module/embeddings:0`: a graph model restored the Dense layer of
    an eager checkpoint but silently kept the module's pretrained values."""
    prefix = str(tmp_path / "w")
    feats = {"t": np.array(["hello", "world"])}
    first = _text_model()
    (embeddings,) = [w for w in first.weights if "embeddings" in w.name]
    embeddings.assign(np.full(embeddings.shape, 3.0, np.float32))
    first.save_weights(prefix)
    with tf.Graph().as_default():
        second = _text_model()
        second.load_weights(prefix)
        result = second.predict(feats, verbose=0)
    np.testing.assert_allclose(result, [[12.0], [12.0]])
