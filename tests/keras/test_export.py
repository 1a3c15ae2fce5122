"""hub.export_layer: a fine-tuned hub.KerasLayer written as a reusable SavedModel."""

from __future__ import annotations

import os

import numpy as np
import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR
from tests._helpers.upstream_records import record as upstream_record

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402
from tfhub.keras.tf_keras_layer import KerasLayer as TfKerasLayer  # noqa: E402

pytestmark = pytest.mark.tf

TF2_MODEL = os.fspath(UPSTREAM_DIR / "tf2_saved_model")
TF2_TEXT = os.fspath(UPSTREAM_DIR / "tf2_text_embedding")
X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], np.float32)


@pytest.fixture(scope="module")
def fine_tuned(tmp_path_factory):
    """A Keras 3 hub.KerasLayer fine-tuned for 3 epochs, and its export."""
    layer = hub.KerasLayer(TF2_MODEL, trainable=True)
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(X, np.ones((2, 2), np.float32), epochs=3, verbose=0)
    path = os.fspath(tmp_path_factory.mktemp("export") / "fine_tuned")
    assert hub.export_layer(layer, path) == path
    return layer, model.predict(X, verbose=0), path


def test_export_keeps_signatures_variables_and_losses(fine_tuned):
    layer, _, path = fine_tuned
    original = upstream_record("tf2_saved_model")["tf2_object"]
    reloaded = hub.load(path)
    assert sorted(reloaded.signatures) == sorted(original["signatures"])
    assert [v.name for v in reloaded.variables] == [v["name"] for v in original["variables"]]
    assert len(reloaded.trainable_variables) == len(original["trainable_variables"])
    for exported, trained in zip(reloaded.variables, layer.resolved_object.variables, strict=True):
        np.testing.assert_array_equal(exported.numpy(), trained.numpy())
    losses = [float(loss()) for loss in reloaded.regularization_losses]
    np.testing.assert_allclose(losses, [float(v) for v in layer.losses], rtol=1e-6)
    assert losses != pytest.approx(original["regularization_losses"])  # fine-tuning moved them.
    for training in (True, False):
        np.testing.assert_allclose(
            reloaded(X, training=training), layer.resolved_object(X, training=training), 1e-6
        )
    features = reloaded.signatures["features"](x=tf.constant(X))
    np.testing.assert_allclose(features["logits"], layer.resolved_object(X, training=False), 1e-6)


def test_reloaded_layers_reproduce_fine_tuned_predictions(fine_tuned):
    _, predictions, path = fine_tuned
    np.testing.assert_allclose(hub.KerasLayer(path)(X), predictions, rtol=1e-6)
    np.testing.assert_allclose(TfKerasLayer(path)(X), predictions, rtol=1e-6)
    tensorflow_hub = pytest.importorskip("tensorflow_hub")
    np.testing.assert_allclose(tensorflow_hub.KerasLayer(path)(X), predictions, rtol=1e-6)


def test_tf_keras_text_layer_export_keeps_vocabulary(tmp_path):
    record = upstream_record("tf2_text_embedding")
    (column_run,) = record["feature_columns"]
    sentences = np.array(column_run["inputs"]["sentences"]["value"])
    layer = TfKerasLayer(TF2_TEXT, trainable=True)
    inputs = tf_keras.Input(shape=(), dtype=tf.string)
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(layer(inputs)))
    model.compile(tf_keras.optimizers.SGD(0.1), "mse")
    model.fit(sentences, np.ones((6, 1)), epochs=2, verbose=0)
    (embeddings,) = layer.trainable_weights
    assert np.abs(embeddings.numpy() - record["embedding_table"]).max() > 1e-3
    path = hub.export_layer(layer, os.fspath(tmp_path / "text"))
    assert os.path.isfile(os.path.join(path, "assets", "tokens.txt"))
    reloaded = TfKerasLayer(path)(tf.constant(sentences))
    np.testing.assert_allclose(reloaded, layer(tf.constant(sentences)), rtol=1e-6)
    assert np.abs(reloaded.numpy() - column_run["output"]["value"]).max() > 1e-3
    # The other loaders: Keras 3 hub.KerasLayer and tensorflow_hub 0.16.1's KerasLayer.
    np.testing.assert_allclose(hub.KerasLayer(path)(tf.constant(sentences)), reloaded, rtol=1e-6)
    tensorflow_hub = pytest.importorskip("tensorflow_hub")
    upstream = tensorflow_hub.KerasLayer(path, trainable=True)
    np.testing.assert_allclose(upstream(tf.constant(sentences)), reloaded, rtol=1e-6)
    assert [w.shape for w in upstream.trainable_weights] == [embeddings.shape]


def test_export_layer_refusals(fine_tuned, tmp_path):
    layer, _, path = fine_tuned
    with pytest.raises(errors.ExportError, match="overwrite=True"):
        hub.export_layer(layer, path)
    assert hub.export_layer(layer, path, overwrite=True) == path
    np.testing.assert_allclose(hub.load(path)(X, training=False), layer(X), rtol=1e-6)
    tf1_layer = hub.KerasLayer(os.fspath(UPSTREAM_DIR / "tf1_multi_sig"))
    cannot_write = r"TF1 Hub format, which it cannot write .* module.export\(path, session\)"
    with pytest.raises(errors.SerializationError, match=cannot_write):
        hub.export_layer(tf1_layer, os.fspath(tmp_path / "tf1"))
    with pytest.raises(errors.SerializationError, match="plain Python callable"):
        hub.export_layer(hub.KerasLayer(lambda x: x * 2.0), os.fspath(tmp_path / "fn"))
    with pytest.raises(TypeError, match="expects a hub.KerasLayer"):
        hub.export_layer(keras.layers.Dense(2), os.fspath(tmp_path / "dense"))
    assert not os.path.exists(tmp_path / "tf1") and not os.path.exists(tmp_path / "fn")
    (tmp_path / "afile").write_text("x")
    below_a_file = os.fspath(tmp_path / "afile" / "k")
    with pytest.raises(errors.ExportWriteError) as caught:  # It said "File exists".
        hub.export_layer(layer, below_a_file)
    assert f"{tmp_path / 'afile'} is a file, not a folder" in str(caught.value)
    assert (tmp_path / "afile").read_text() == "x"


def test_export_of_a_tensorflow_hub_layer(tmp_path):
    tensorflow_hub = pytest.importorskip("tensorflow_hub")
    layer = tensorflow_hub.KerasLayer(TF2_MODEL, trainable=True)
    (kernel, *_) = layer.resolved_object.trainable_variables
    kernel.assign(kernel * 2.0 + 0.5)  # stands in for fine-tuning.
    path = hub.export_layer(layer, os.fspath(tmp_path / "from_upstream"))
    np.testing.assert_allclose(hub.KerasLayer(path)(X), layer(X), rtol=1e-6)
    assert np.abs(hub.KerasLayer(TF2_MODEL)(X) - layer(X)).max() > 1e-3


def test_an_export_killed_before_its_rename_leaves_nothing_for_long(fine_tuned, tmp_path):
    """SIGKILL leaves `.<name>.export-<id>`: the next export of that name removes it, not a
    live export's folder (its writer holds an flock on it), nor another name's."""
    import fcntl

    layer, _, _ = fine_tuned
    for leftover in (".out.export-killed1", ".out.export-live", ".other.export-killed2"):
        (tmp_path / leftover / "variables").mkdir(parents=True)
    live = os.open(tmp_path / ".out.export-live", os.O_RDONLY)
    try:
        fcntl.flock(live, fcntl.LOCK_EX)  # As the live export's writer holds it.
        hub.export_layer(layer, os.fspath(tmp_path / "out"))
    finally:
        os.close(live)
    assert sorted(os.listdir(tmp_path)) == [".other.export-killed2", ".out.export-live", "out"]
    assert hub.load(os.fspath(tmp_path / "out")) is not None


def test_an_export_onto_a_full_disk_says_so_and_leaves_the_folder_as_it_was(fine_tuned, tmp_path):
    """A full disk ended in TensorFlow's ResourceExhaustedError naming the hidden temporary
    folder (`.name.export-xxxx/saved_model.pb.tmp...`), not the export folder."""
    from tests._helpers import mounts

    layer, _, _ = fine_tuned
    with mounts.tmpfs(tmp_path / "fs", "size=16k") as disk:
        with pytest.raises(errors.ExportWriteError) as caught:
            hub.export_layer(layer, os.fspath(disk / "exported"))
        message = str(caught.value)
        assert message.startswith(f"Cannot write the export to {disk / 'exported'}: no space")
        assert "Free space" in message and ".export-" not in message
        assert isinstance(caught.value, OSError) and isinstance(caught.value, errors.ExportError)
        assert type(caught.value.__cause__).__name__ == "ResourceExhaustedError"
        assert os.listdir(disk) == []  # Nothing half-written, no temporary left.


def test_keras_3_model_over_a_tf1_table_module_serves_through_tf_saved_model_save(tmp_path):
    """Keras 3's `model.export()` keeps only `TrackableResource`s: a TF1 module's table
    initializer (another kind of resource) and its vocabulary are left out, and serving fails
    "Table not initialized" (docs/keras.md says so: tfhub's layer cannot change what Keras's
    export collects). The documented workaround, `tf.saved_model.save` of the model with a
    serving signature, keeps them: it serves the model's predictions once the module's folder
    is gone."""
    import shutil

    handle = shutil.copytree(UPSTREAM_DIR / "tf1_text_vocab", tmp_path / "tf1_text_vocab")
    inputs = keras.Input((), dtype="string")
    model = keras.Model(inputs, hub.KerasLayer(os.fspath(handle))(inputs))
    sentences = tf.constant(["hello world", "the cat sat on the mat", "unknown tokens only"])
    expected = model.predict(sentences, verbose=0)
    model.export(os.fspath(tmp_path / "exported"), verbose=False)
    serve = tf.function(model, input_signature=[tf.TensorSpec([None], tf.string)])
    tf.saved_model.save(model, os.fspath(tmp_path / "saved"), signatures={"serving_default": serve})
    shutil.rmtree(handle)
    assert os.listdir(tmp_path / "exported" / "assets") == []  # The limit docs/keras.md states.
    exported = tf.saved_model.load(os.fspath(tmp_path / "exported"))
    with pytest.raises(tf.errors.FailedPreconditionError, match="Table not initialized"):
        exported.serve(sentences)
    assert os.listdir(tmp_path / "saved" / "assets") == ["tokens.txt"]
    saved = tf.saved_model.load(os.fspath(tmp_path / "saved"))
    served = saved.signatures["serving_default"](sentences)
    np.testing.assert_allclose(served["output_0"], expected, rtol=1e-6)
