"""tf_keras models with hub feature columns, saved and loaded back in a new process."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from tests._helpers.warm_python import run_warm_python
from tests.feature_column._support import SENTENCES, TEXT_V1, TEXT_V2

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = [pytest.mark.tf, pytest.mark.slow]

# What a user writes to use a saved model: `import tfhub` (as for a KerasLayer), not the
# private `tfhub.feature_column`, which TensorFlow's column registry needed before.
_LOAD_SCRIPT = """
import json, sys
import numpy as np
import tfhub as hub
import tf_keras
sentences = np.array(json.loads(sys.argv[1]))
out = {}
for path in sys.argv[2:]:
    model = tf_keras.models.load_model(path)
    out[path] = model.predict({"a": sentences, "b": sentences}, verbose=0).tolist()
print(json.dumps(out))
"""


def test_a_saved_dense_features_model_loads_after_import_tfhub_alone(tmp_path):
    """Before, the new process failed with "Unknown feature_column_v2: _TextEmbeddingColumn"
    unless it imported tfhub.feature_column itself."""
    columns = [
        hub.text_embedding_column("a", TEXT_V1, trainable=True),
        hub.text_embedding_column_v2("b", TEXT_V2),
    ]
    inputs = {key: tf_keras.Input(shape=(), dtype=tf.string, name=key) for key in "ab"}
    features = tf_keras.layers.DenseFeatures(columns)(inputs)
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(features))
    model.compile(tf_keras.optimizers.SGD(0.1), "mse")
    data = {key: np.array(SENTENCES) for key in "ab"}
    model.fit(data, np.ones((len(SENTENCES), 1)), epochs=1, verbose=0)
    expected = model.predict(data, verbose=0)
    paths = [os.fspath(tmp_path / "model.keras"), os.fspath(tmp_path / "model.h5")]
    for path in paths:
        model.save(path)
    done = run_warm_python(_LOAD_SCRIPT, json.dumps(SENTENCES), *paths)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    for path in paths:
        np.testing.assert_allclose(loaded[path], expected, atol=1e-5)


@pytest.mark.parametrize("source", [TEXT_V1, TEXT_V2], ids=["tf1", "tf2"])
def test_a_saved_model_whose_module_moved_says_how_to_restore_it(source, tmp_path):
    """Loading a `.keras` file whose column's module folder has moved said only "<folder> does
    not exist", as it did for a hub.KerasLayer before it named the layer and the remedy."""
    make = hub.text_embedding_column if source == TEXT_V1 else hub.text_embedding_column_v2

    def fine_tuned(handle):
        inputs = {"a": tf_keras.Input(shape=(), dtype=tf.string, name="a")}
        features = tf_keras.layers.DenseFeatures([make("a", handle, trainable=True)])(inputs)
        model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(features))
        model.compile(tf_keras.optimizers.SGD(0.1), "mse")
        model.fit({"a": np.array(SENTENCES)}, np.ones((len(SENTENCES), 1)), verbose=0)
        return model

    handle = os.fspath(tmp_path / "module")
    shutil.copytree(source, handle)
    model = fine_tuned(handle)
    expected = model.predict({"a": np.array(SENTENCES)}, verbose=0)
    path = os.fspath(tmp_path / "model.keras")
    model.save(path)
    moved = shutil.move(handle, tmp_path / "moved")
    with pytest.raises(errors.ModelNotFoundError) as caught:
        tf_keras.models.load_model(path)
    column = "text_embedding_column" if source == TEXT_V1 else "text_embedding_column_v2"
    assert str(caught.value).startswith(
        f"The saved model's hub.{column} for feature 'a' loads its module from its handle, "
        f"{handle!r}: {handle} does not exist. A saved Keras model keeps the column's weights, "
        "not that module. Put the module back there, or build "
    )
    assert caught.value.path == handle and isinstance(caught.value, FileNotFoundError)
    rebuilt = fine_tuned(os.fspath(moved))  # What the message says to do.
    rebuilt.load_weights(path)
    np.testing.assert_allclose(rebuilt.predict({"a": np.array(SENTENCES)}, verbose=0), expected)
