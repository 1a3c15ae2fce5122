"""hub.text_embedding_column_v2 over a model whose `__call__(x, training=None)` was saved traced
with `training` left out: DenseFeatures runs it in inference mode as `hub.load(h)(x)` does
(it passed training=False, which TensorFlow refused: "Could not find matching concrete
function"), as hub.KerasLayer does since rf54a-F2."""

from __future__ import annotations

import os

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def training_none_model(tmp_path_factory):
    """Embeds a string as its length times [1, 1, 1, 1]; traced for `training` left out."""

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.embedding = tf.Variable(tf.ones([4]), name="embedding")

        @tf.function
        def __call__(self, text, training=None):
            length = tf.cast(tf.strings.length(text), tf.float32)
            return length[:, None] * self.embedding[None, :]

    model = Model()
    model.__call__.get_concrete_function(tf.TensorSpec([None], tf.string))
    path = os.fspath(tmp_path_factory.mktemp("training_none") / "model")
    tf.saved_model.save(model, path)
    return path


def test_dense_features_embed_with_a_model_saved_without_training(training_none_model):
    expected = hub.load(training_none_model)(tf.constant(["ab", "abc"])).numpy()
    column = hub.text_embedding_column_v2("s", training_none_model)
    output = tf_keras.layers.DenseFeatures([column])({"s": tf.constant([["ab"], ["abc"]])})
    np.testing.assert_allclose(output.numpy(), expected)
    np.testing.assert_allclose(output.numpy(), [[2.0] * 4, [3.0] * 4])
