"""Session 48's feature-column defects, each checked failing first.

Names: eagerly, two tf_keras `DenseFeatures` layers, each with a TF1 column over the same module,
both held a weight `embeddings:0` (names were unique per layer only), so the compiled model's
`.h5` save failed (its optimizer's slots are stored by name). A TF1 module's eager variables are
now scoped by the layer and column names, as a TF2 SavedModel's are; in a graph they keep
upstream's `module/...` names.
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


# --- Eager names unique per model ------------------------------------------------------------


def _two_layer_model(module):
    """Two DenseFeatures layers, each with a trainable column over `module` on one feature."""
    inputs = {"text": tf_keras.Input(shape=(), dtype=tf.string, name="text")}
    towers = [
        tf_keras.layers.DenseFeatures([hub.text_embedding_column("text", module, trainable=True)])(
            inputs
        )
        for _ in range(2)
    ]
    output = tf_keras.layers.Dense(1)(tf_keras.layers.concatenate(towers))
    return tf_keras.Model(inputs, output)


def _fit_once(model):
    model.compile(tf_keras.optimizers.Adam(0.05), "mse")  # Adam: slots named after weights.
    labels = np.arange(len(SENTENCES), dtype=np.float32).reshape(-1, 1)
    model.fit({"text": np.array(SENTENCES)}, labels, batch_size=len(SENTENCES), verbose=0)


def test_two_dense_features_layers_over_one_tf1_module_save_to_h5(tmp_path):
    model = _two_layer_model(TEXT_V1)
    names = [w.name for w in model.weights]
    assert len(set(names)) == len(names), names
    first, second = (layer.name for layer in model.layers if "dense_features" in layer.name)
    assert f"{first}/text_hub_module_embedding/embeddings:0" in names
    assert f"{second}/text_hub_module_embedding/embeddings:0" in names
    _fit_once(model)
    model.save(tmp_path / "model.h5")  # Failed: two datasets named embeddings:0.
    reloaded = tf_keras.models.load_model(tmp_path / "model.h5")
    features = {"text": tf.constant(SENTENCES)}
    np.testing.assert_allclose(reloaded(features).numpy(), model(features).numpy(), atol=1e-6)
    for loaded, trained in zip(reloaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(loaded, trained)


def test_a_single_eager_layer_round_trips_in_the_savedmodel_format(tmp_path):
    """One layer, one TF1 column: the scoped names change nothing a SavedModel restores."""
    inputs = {"text": tf_keras.Input(shape=(), dtype=tf.string, name="text")}
    column = hub.text_embedding_column("text", TEXT_V1, trainable=True)
    model = tf_keras.Model(inputs, tf_keras.layers.DenseFeatures([column])(inputs))
    (weight,) = model.weights
    weight.assign(weight * 3.0)
    model.save(tmp_path / "saved", save_format="tf")
    reloaded = tf_keras.models.load_model(tmp_path / "saved")
    output = reloaded({"text": tf.constant(SENTENCES)})
    np.testing.assert_allclose(output.numpy(), 3.0 * EXPECTED_TEXT, atol=1e-4)


def test_graph_dense_features_keeps_upstreams_names():
    """In a graph the layers' modules are named as upstream's (`module`, `module_1`)."""
    with tf.Graph().as_default():
        inputs = {"text": v1.placeholder(tf.string, [None])}
        for _ in range(2):
            column = hub.text_embedding_column("text", TEXT_V1, trainable=True)
            tf_keras.layers.DenseFeatures([column])(inputs)
        names = sorted(v.op.name for v in v1.global_variables())
    assert names == ["module/embeddings", "module_1/embeddings"]


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
