"""A SavedModel whose `variables` list holds None (tf_keras saves an adapted TextVectorization's
lookup table so: `tf.saved_model.load(path).variables` is `[None, embeddings]`) works with
hub.KerasLayer and hub.text_embedding_column_v2 (rf56c-F2): both failed with a bare
"AttributeError: 'NoneType' object has no attribute 'name'" though the model itself runs."""

from __future__ import annotations

import os

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    vectorize = tf_keras.layers.TextVectorization(
        max_tokens=20, output_mode="int", output_sequence_length=5
    )
    vectorize.adapt(tf.constant(["the cat sat", "on the mat", "hello world"]))
    text = tf_keras.Input(shape=(), dtype=tf.string)
    embedded = tf_keras.layers.Embedding(20, 3, embeddings_initializer="ones")(vectorize(text))
    model = tf_keras.Model(text, tf_keras.layers.GlobalAveragePooling1D()(embedded))
    path = os.fspath(tmp_path_factory.mktemp("ktext") / "model")
    model.save(path)
    assert None in tf.saved_model.load(path).variables  # The shape this test is about.
    return path


def test_keras_layer_runs_a_model_whose_variables_list_holds_none(text_model: str) -> None:
    import tfhub as hub

    layer = hub.KerasLayer(text_model)
    out = np.asarray(layer(tf.constant(["the cat", "zzz"])))
    assert out.shape == (2, 3)
    assert [w.shape for w in layer.weights] == [(20, 3)]


def test_text_embedding_column_v2_runs_a_model_whose_variables_list_holds_none(
    text_model: str,
) -> None:
    import tfhub as hub

    column = hub.text_embedding_column_v2("t", text_model)
    features = tf_keras.layers.DenseFeatures([column])
    out = np.asarray(features({"t": tf.constant(["the cat", "zzz", ""])}))
    assert out.shape == (3, 3)
