"""`.keras` files of tf_keras models with hub feature columns (review50d findings)."""

from __future__ import annotations

import os
import zipfile

import h5py
import numpy as np
import pytest
from tests.feature_column._support import TEXT_V1

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

pytestmark = [pytest.mark.tf]


def _text_model(keys: list[str]) -> tuple:
    """A functional model DenseFeatures([trainable text column per key]) -> Dense(1)."""
    columns = [hub.text_embedding_column(key, TEXT_V1, trainable=True) for key in keys]
    inputs = {
        key: tf_keras.Input(shape=(), dtype=tf.string, name=f"in{i}") for i, key in enumerate(keys)
    }
    layer = tf_keras.layers.DenseFeatures(columns)
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(layer(inputs)))
    return model, layer


def _module_entries(path: str) -> list[str]:
    """The module-weight groups a `.keras` file's model.weights.h5 holds."""
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as stream:
        with h5py.File(stream, "r") as weights:
            found: list[str] = []
            weights.visit(found.append)
    return sorted(name for name in found if name.split("/")[-1].startswith("_tfhub_"))


@pytest.mark.parametrize("keys", [["a-b", "a_b"], ["a.b", "a-b"], ["a/b", "a_b", "a-b"]])
def test_columns_whose_keys_differ_in_non_word_characters_both_round_trip(keys, tmp_path):
    """review50d-F1: both columns' module weights were saved under one attribute name
    (`_tfhub_a_b_hub_module_embedding`), so one column came back with the module's weights."""
    model, layer = _text_model(keys)
    module_weights = [w for w in layer.weights if "embeddings" in w.name]
    assert len(module_weights) == len(keys)
    for i, weight in enumerate(module_weights):
        weight.assign(tf.fill(weight.shape, 7.0 * (i + 1)))
    data = {key: tf.constant(["cat", "dog"]) for key in keys}
    expected = layer(data).numpy()
    path = os.fspath(tmp_path / "m.keras")
    model.save(path)
    assert len(_module_entries(path)) == len(keys)
    loaded = tf_keras.models.load_model(path)
    (dense_features,) = [
        layer for layer in loaded.layers if isinstance(layer, tf_keras.layers.DenseFeatures)
    ]
    np.testing.assert_allclose(dense_features(data).numpy(), expected)


def test_a_column_without_a_rival_keeps_the_name_older_files_hold(tmp_path):
    """Files saved before review50d-F1's fix keep loading: a column whose attribute name no
    other column shares is stored where it was (`_tfhub_<name, non-word characters as _>`)."""
    model, _ = _text_model(["user-agent", "title"])
    path = os.fspath(tmp_path / "m.keras")
    model.save(path)
    assert _module_entries(path) == [
        "layers/dense_features/_tfhub_title_hub_module_embedding",
        "layers/dense_features/_tfhub_user_agent_hub_module_embedding",
    ]


def test_a_sparse_column_with_a_bytes_default_value_loads_back_from_a_keras_file(tmp_path):
    """review50d-F3: tf_keras' `.keras` writer stores bytes as {'class_name': '__bytes__', ...},
    which reached the column undecoded: the saved model never loaded again (an
    ArgumentTypeError that blamed the user's default_value)."""
    column = hub.sparse_text_embedding_column("s", TEXT_V1, "mean", b"world")
    inputs = {"s": tf_keras.Input(shape=(None,), dtype=tf.string, sparse=True, name="s")}
    model = tf_keras.Model(inputs, tf_keras.layers.DenseFeatures([column])(inputs))
    features = {"s": tf.sparse.from_dense(tf.constant([["cat", "sat"], ["", ""]]))}
    expected = model(features).numpy()
    path = os.fspath(tmp_path / "m.keras")
    model.save(path)
    loaded = tf_keras.models.load_model(path)
    (dense_features,) = [
        layer for layer in loaded.layers if isinstance(layer, tf_keras.layers.DenseFeatures)
    ]
    (loaded_column,) = dense_features._feature_columns
    assert loaded_column.default_value == b"world"
    np.testing.assert_allclose(loaded(features).numpy(), expected)
