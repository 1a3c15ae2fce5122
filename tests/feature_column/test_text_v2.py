"""hub.text_embedding_column_v2 over TF2 SavedModel text embeddings."""

from __future__ import annotations

import os

import numpy as np
import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR, record
from tests.feature_column._support import (
    SENTENCES,
    TEXT_V2,
)

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


(TEXT_V2_FC,) = record("tf2_text_embedding")["feature_columns"]


def test_text_embedding_column_v2_dense_features_matches_upstream():
    column = hub.text_embedding_column_v2("sentences", TEXT_V2)
    assert column.name == TEXT_V2_FC["column_name"]
    output = tf_keras.layers.DenseFeatures([column])({"sentences": tf.constant(SENTENCES)})
    np.testing.assert_allclose(output.numpy(), TEXT_V2_FC["output"]["value"], atol=1e-5)


@pytest.fixture(scope="module")
def dict_output_model(tmp_path_factory):
    """A TF2 text embedding whose __call__ returns {"embedding": [N, 3], "length": [N]}."""
    module = tf.Module()
    module.scale = tf.Variable([1.0, 2.0, 3.0])

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def call(text):
        length = tf.cast(tf.strings.length(text), tf.float32)
        return {"embedding": length[:, None] * module.scale, "length": length}

    module.__call__ = call
    path = os.fspath(tmp_path_factory.mktemp("dict_model") / "model")
    tf.saved_model.save(module, path)
    return path


def test_text_column_v2_output_key(dict_output_model):
    with pytest.raises(errors.UnknownOutputKeyError) as info:
        hub.text_embedding_column_v2("t", dict_output_model, output_key="logits")
    assert str(info.value).startswith(
        f"The SavedModel {dict_output_model!r} has no output 'logits'"
    )
    assert "['embedding', 'length']" in str(info.value)
    with pytest.raises(ValueError, match=r"keys \['embedding', 'length'\].*pass output_key"):
        hub.text_embedding_column_v2("t", dict_output_model)
    column = hub.text_embedding_column_v2("t", dict_output_model, output_key="embedding")
    output = tf_keras.layers.DenseFeatures([column])({"t": tf.constant(["ab", "hello"])})
    np.testing.assert_allclose(output.numpy(), [[2, 4, 6], [5, 10, 15]])


@pytest.fixture(scope="module")
def training_arg_model(tmp_path_factory):
    """A TF2 text embedding whose __call__(text, training=False) doubles its output in training."""
    module = tf.Module()
    module.scale = tf.Variable([1.0, 2.0])

    @tf.function
    def call(text, training=False):
        length = tf.cast(tf.strings.length(text), tf.float32)[:, None] * module.scale
        return length * 2.0 if training else length

    module.__call__ = call
    for training in (True, False):
        call.get_concrete_function(tf.TensorSpec([None], tf.string), training)
    path = os.fspath(tmp_path_factory.mktemp("training_arg") / "model")
    tf.saved_model.save(module, path)
    return path


@pytest.mark.parametrize("trainable", [True, False])
def test_text_column_v2_passes_training_only_while_trainable(training_arg_model, trainable):
    column = hub.text_embedding_column_v2("t", training_arg_model, trainable=trainable)
    layer = tf_keras.layers.DenseFeatures([column])
    features = {"t": tf.constant(["abc", "z"])}
    inference = [[3.0, 6.0], [1.0, 2.0]]
    np.testing.assert_allclose(layer(features, training=False), inference)
    factor = 2.0 if trainable else 1.0
    np.testing.assert_allclose(layer(features, training=True), np.multiply(inference, factor))


def test_text_column_v2_refuses_a_module_without_string_input():
    float_model = os.fspath(UPSTREAM_DIR / "tf2_saved_model")  # __call__(x: float32 [None, 3])
    with pytest.raises(errors.ModuleSpecError) as info:
        hub.text_embedding_column_v2("t", float_model)
    message = str(info.value)
    assert "TensorSpec(shape=(None, 3), dtype=tf.float32" in message
    assert "must take a batch of strings, Tensor(shape=(None,), dtype=string)" in message
