"""Session 48's feature-column defects, each checked failing first.

Tables: in a graph, `DenseFeatures` re-ran its module's table initializers before every use: each
`session.run` read the vocabulary file again, and failed once it was gone. They now run once:
with the user's `tables_initializer()` (as upstream's), and in tf_keras' graph mode (which runs
no table initializer) once, before its first fit or predict.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from tests.feature_column._support import EXPECTED_TEXT, SENTENCES, TEXT_V1, TEXT_V2

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1
COLUMNS = {
    "tf1": (hub.text_embedding_column, TEXT_V1),
    "tf2": (hub.text_embedding_column_v2, TEXT_V2),
}


# --- Tables initialized once in a graph ------------------------------------------------------


def _copy(kind, tmp_path):
    make, source = COLUMNS[kind]
    module = tmp_path / "module"
    shutil.copytree(source, module)
    return make, module


@pytest.mark.parametrize("kind", sorted(COLUMNS))
def test_graph_dense_features_initializes_the_tables_once(kind, tmp_path):
    make, module = _copy(kind, tmp_path)
    with tf.Graph().as_default():
        inputs = v1.placeholder(tf.string, [None])
        output = tf_keras.layers.DenseFeatures([make("text", str(module))])({"text": inputs})
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            first = session.run(output, {inputs: SENTENCES})
            shutil.rmtree(module)  # Its vocabulary is in the table now, not read again.
            again = session.run(output, {inputs: SENTENCES})
    np.testing.assert_allclose(first, EXPECTED_TEXT, atol=1e-5)
    np.testing.assert_array_equal(again, first)


@pytest.mark.parametrize("kind", sorted(COLUMNS))
def test_tf_keras_graph_mode_initializes_the_tables_once(kind, tmp_path):
    """tf_keras runs no table initializer: the layer has it run once, before the first use."""
    make, module = _copy(kind, tmp_path)
    with tf.Graph().as_default():
        inputs = {"text": tf_keras.Input(shape=(), dtype=tf.string, name="text")}
        layer = tf_keras.layers.DenseFeatures([make("text", str(module), trainable=True)])
        model = tf_keras.Model(inputs, layer(inputs))
        model.compile(tf_keras.optimizers.legacy.SGD(0.0), "mse")
        features = {"text": np.array(SENTENCES)}
        first = model.predict(features, verbose=0)
        shutil.rmtree(module)
        model.fit(features, np.zeros_like(first), batch_size=len(SENTENCES), verbose=0)
        again = model.predict(features, verbose=0)
        weights = [w.name for w in layer.weights]
    np.testing.assert_allclose(first, EXPECTED_TEXT, atol=1e-5)
    np.testing.assert_array_equal(again, first)
    assert len(weights) == 1 and weights[0].endswith("embeddings:0")  # Nothing else held.
