"""Saving models that contain a hub.KerasLayer, and loading them back (both flavours)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from tests._helpers import models
from tests.keras._support import Flavour

from tfhub import errors

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0], [0.25, 0.25, 0.25]], np.float32)
Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]], np.float32)


def _fine_tuned_model(flavour, handle: str):
    keras = flavour.keras
    inputs = keras.Input((3,))
    layer = flavour.layer(handle, trainable=True)
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(layer(inputs)))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(X, Y, epochs=2, batch_size=3, verbose=0)
    return model, layer


@pytest.mark.parametrize("which", ["tf2", "tf1_multi_sig"])
def test_keras3_keras_file_and_export_keep_fine_tuned_weights(
    model_dir, upstream_dir, tmp_path, which: str
) -> None:
    import keras
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    handle = model_dir["tf2"] if which == "tf2" else str(upstream_dir / which)
    model, layer = _fine_tuned_model(Flavour("keras3", KerasLayer, keras), handle)
    expected = model.predict(X, verbose=0)
    fresh = KerasLayer(handle)
    assert not np.allclose(fresh.get_weights()[0], layer.get_weights()[0])  # It was tuned.
    path = os.fspath(tmp_path / "model.keras")
    model.save(path)
    restored = keras.saving.load_model(path)  # No custom_objects, default safe_mode.
    np.testing.assert_allclose(restored.predict(X, verbose=0), expected, atol=1e-5)
    hub_layer = [lay for lay in restored.layers if isinstance(lay, KerasLayer)][0]
    np.testing.assert_allclose(hub_layer.get_weights()[0], layer.get_weights()[0])
    assert hub_layer.trainable and len(hub_layer.trainable_weights) == len(layer.trainable_weights)
    model.export(os.fspath(tmp_path / "exported"), verbose=False)
    served = tf.saved_model.load(os.fspath(tmp_path / "exported"))
    np.testing.assert_allclose(served.serve(X).numpy(), expected, atol=1e-5)


def test_keras3_export_serves_same_predictions(model_dir, tmp_path) -> None:
    import keras
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    text = KerasLayer(model_dir["text"], dtype="string")
    inputs = keras.Input((), dtype="string")
    model = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer="ones")(text(inputs)))
    sentences = tf.constant(["hello world", "the cat", "zzz"])
    expected = model.predict(sentences, verbose=0)
    model.export(os.fspath(tmp_path / "exported"), verbose=False)
    del model, text
    served = tf.saved_model.load(os.fspath(tmp_path / "exported"))
    np.testing.assert_allclose(served.serve(sentences).numpy(), expected, atol=1e-5)
    want = models.text_embedding_expected(["hello world", "the cat", "zzz"]).sum(1, keepdims=True)
    np.testing.assert_allclose(expected, want, atol=1e-5)


def test_tf_keras_formats(model_dir, tmp_path) -> None:
    """One fine-tuned tf_keras model, saved in each format, loads back without custom_objects
    with its predictions (and, but for the SavedModel format, the hub layer's weights)."""
    import tf_keras

    from tfhub.keras.tf_keras_layer import KerasLayer

    model, layer = _fine_tuned_model(Flavour("tf_keras", KerasLayer, tf_keras), model_dir["tf2"])
    expected = model.predict(X, verbose=0)
    for file_format in ("keras", "h5", "tf"):
        path = os.fspath(tmp_path / ("model" if file_format == "tf" else f"model.{file_format}"))
        model.save(path, save_format=file_format)
        restored = tf_keras.models.load_model(path)  # No custom_objects.
        predictions = restored.predict(X, verbose=0)
        np.testing.assert_allclose(predictions, expected, atol=1e-5, err_msg=file_format)
        if file_format != "tf":
            hub_layer = [lay for lay in restored.layers if isinstance(lay, KerasLayer)][0]
            np.testing.assert_allclose(
                hub_layer.get_weights()[0], layer.get_weights()[0], err_msg=file_format
            )


def test_tf_keras_h5_with_two_layers_over_one_model(model_dir, tmp_path) -> None:
    """Adam's slots are named after the variables: the second layer's weights get unique names
    (as TF1 graphs uniquified them), so HDF5 takes them; before, h5py refused the second slot."""
    import tensorflow as tf
    import tf_keras

    from tfhub.keras.tf_keras_layer import KerasLayer

    inputs = tf_keras.Input((3,))
    first, second = KerasLayer(model_dir["tf2"], trainable=True), KerasLayer(model_dir["tf2"])
    second.trainable = True
    both = tf_keras.layers.Concatenate()([first(inputs), second(inputs)])
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(2, name="head")(both))
    model.compile(tf_keras.optimizers.Adam(0.01), "mse")
    model.fit(X, Y, epochs=2, batch_size=3, verbose=0)
    saved_names = {v.name for v in tf.saved_model.load(model_dir["tf2"]).variables}
    assert {w.name for w in first.weights} == saved_names  # As upstream's layer.
    assert [w.name for w in second.weights] == [f"{w.name[:-2]}_1:0" for w in first.weights]
    path = os.fspath(tmp_path / "model.h5")
    model.save(path)
    restored = tf_keras.models.load_model(path)
    expected = model.predict(X, verbose=0)
    np.testing.assert_allclose(restored.predict(X, verbose=0), expected, atol=1e-5)
    for saved, loaded in zip(model.optimizer.variables, restored.optimizer.variables, strict=True):
        np.testing.assert_allclose(loaded.numpy(), saved.numpy())
    layers = [lay for lay in restored.layers if isinstance(lay, KerasLayer)]
    assert [lay.name for lay in layers] == [first.name, second.name]
    np.testing.assert_allclose(layers[1].get_weights()[0], second.get_weights()[0])


def test_saving_a_layer_built_from_a_callable_says_why(flavour, tmp_path) -> None:
    import tensorflow as tf

    scale = tf.Variable(3.0)
    fn = tf.function(lambda x: x * scale, input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    fn.variables = [scale]
    keras = flavour.keras
    layer = flavour.layer(fn)
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model.predict(np.ones((1, 2)), verbose=0), [[3.0, 3.0]])
    assert layer.weights and float(layer.weights[0].numpy()) == 3.0
    with pytest.raises(errors.SerializationError, match="wraps a Python callable"):
        layer.get_config()
    with pytest.raises(errors.SerializationError, match="string handle"):
        model.save(os.fspath(tmp_path / "model.keras"))


def test_mixed_float16_casts_inputs_and_outputs(flavour, model_dir) -> None:
    keras = flavour.keras
    mixed_precision = keras.mixed_precision
    previous = mixed_precision.global_policy()
    mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = flavour.layer(model_dir["tf2"])
        inputs = keras.Input((3,))
        out = keras.layers.Dense(2, kernel_initializer="ones")(layer(inputs))
        model = keras.Model(inputs, out)
        result = layer(X)
        assert result.dtype == "float16"
        want = models.tf2_module_expected(X)["logits"]
        np.testing.assert_allclose(np.asarray(result, np.float32), want, rtol=2e-3, atol=2e-3)
        predictions = model.predict(X, verbose=0)
        np.testing.assert_allclose(
            predictions, np.repeat(want.sum(1, keepdims=True), 2, 1), rtol=5e-3, atol=5e-3
        )
        tuned = flavour.layer(model_dir["tf2"], trainable=True)
        keras.utils.set_random_seed(0)  # Unseeded, the Dense head can start where SGD diverges.
        head = keras.layers.Dense(2, dtype="float32")
        model = keras.Sequential([keras.Input((3,)), tuned, head])
        model.compile(keras.optimizers.SGD(0.1), "mse")
        history = model.fit(X, np.zeros((3, 2)), epochs=2, batch_size=3, verbose=0)
        assert history.history["loss"][1] < history.history["loss"][0]
        assert not np.allclose(tuned.get_weights()[0], models.TF2_KERNEL)
    finally:
        mixed_precision.set_global_policy(previous)


def test_mixed_float16_casts_for_signatures_and_tf1_modules(flavour, model_dir, upstream_dir):
    """Signatures (one input passed positionally) and TF1 modules (`default` signature) expect
    float32: float16 inputs are cast in and outputs cast back to the compute dtype."""
    import tensorflow as tf

    keras = flavour.keras
    tf1_path = str(upstream_dir / "tf1_multi_sig")
    want_tf1 = flavour.layer(tf1_path)(X).numpy()
    fn = tf.function(lambda x: x * 2.0, input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        features = flavour.layer(model_dir["tf2"], signature="features", output_key="hidden")
        got = features(X)
        assert got.dtype == "float16"
        want = models.tf2_module_expected(X)["hidden"]
        np.testing.assert_allclose(np.asarray(got, np.float32), want, rtol=2e-3, atol=2e-3)
        tf1 = flavour.layer(tf1_path, trainable=True)
        got = tf1(X)
        assert got.dtype == "float16"
        np.testing.assert_allclose(np.asarray(got, np.float32), want_tf1, rtol=2e-3, atol=2e-3)
        keras.utils.set_random_seed(0)  # Unseeded, the Dense head can start where SGD diverges.
        model = keras.Sequential([keras.Input((3,)), tf1, keras.layers.Dense(2, dtype="float32")])
        model.compile(keras.optimizers.SGD(0.05), "mse")
        history = model.fit(X, np.zeros((3, 2)), epochs=3, batch_size=3, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0]
        doubled = flavour.layer(fn)(np.ones((1, 3), np.float32))  # A tf.function's signature.
        assert doubled.dtype == "float16"
        np.testing.assert_allclose(np.asarray(doubled, np.float32), [[2.0, 2.0, 2.0]])
    finally:
        keras.mixed_precision.set_global_policy(previous)


@pytest.mark.parametrize("kind", ["float", "string"])
def test_sequential_from_input_shape_round_trips(flavour, model_dir, tmp_path, kind: str) -> None:
    """`Sequential([hub.KerasLayer(..., input_shape=...), Dense])` (no keras.Input) predicts,
    fine-tunes, saves to `.keras` and loads back with the same predictions."""
    import tensorflow as tf

    keras = flavour.keras
    if kind == "float":
        layer = flavour.layer(model_dir["tf2"], input_shape=(3,), trainable=True)
        x, want = X, models.tf2_module_expected(X)["logits"].sum(1, keepdims=True)
    else:
        layer = flavour.layer(model_dir["text"], input_shape=[], dtype=tf.string, trainable=True)
        sentences = ["hello world", "the CAT sat", ""]
        x, want = tf.constant(sentences), models.text_embedding_expected(sentences).sum(1)[:, None]
    model = keras.Sequential([layer, keras.layers.Dense(1, kernel_initializer="ones")])
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)
    assert tuple(model.input_shape) == ((None, 3) if kind == "float" else (None,))
    model.compile(keras.optimizers.SGD(0.01), "mse")
    model.fit(x, np.zeros((3, 1), np.float32), epochs=2, batch_size=3, verbose=0)
    tuned = model.predict(x, verbose=0)
    assert not np.allclose(tuned, want, atol=1e-3)
    path = os.fspath(tmp_path / "model.keras")
    model.save(path)
    loader = keras.saving.load_model if flavour.name == "keras3" else keras.models.load_model
    np.testing.assert_allclose(loader(path).predict(x, verbose=0), tuned, atol=1e-5)


def test_a_saved_model_whose_hub_model_moved_says_how_to_restore_it(
    flavour, model_dir, tmp_path
) -> None:
    """Loading a `.keras` file whose hub.KerasLayer wrapped a folder since moved said only
    "<folder> does not exist"; the file keeps the layer's weights, not the model it wraps."""
    import shutil

    handle = os.fspath(tmp_path / "hub_model")
    shutil.copytree(model_dir["tf2"], handle)
    model, _ = _fine_tuned_model(flavour, handle)
    expected = model.predict(X, verbose=0)
    path = os.fspath(tmp_path / "model.keras")
    model.save(path)
    moved = shutil.move(handle, tmp_path / "moved")
    loader = flavour.keras.saving.load_model if flavour.name == "keras3" else None
    loader = loader or flavour.keras.models.load_model
    with pytest.raises(errors.ModelNotFoundError) as caught:
        loader(path)
    assert str(caught.value).startswith(
        f"The saved model's hub.KerasLayer {model.layers[1].name!r} loads the model it wraps "
        f"from its handle, {handle!r}: {handle} does not exist. A saved Keras model keeps the "
        "layer's weights, not that model. Put the model back there, or build "
    )
    assert caught.value.path == handle and isinstance(caught.value, FileNotFoundError)
    rebuilt, _ = _fine_tuned_model(flavour, os.fspath(moved))  # What the message says to do.
    rebuilt.load_weights(path)
    np.testing.assert_allclose(rebuilt.predict(X, verbose=0), expected, atol=1e-5)


# What each way of being gone raises: the server answering 404 (the archive removed), the
# setting TFHUB_OFFLINE with that server still up, the server gone (checked last).
_GONE_ERRORS = {
    "file": errors.HTTPStatusError,
    "offline": errors.OfflineModeError,
    "server": errors.ConnectionFailedError,
}


def test_a_saved_model_whose_hub_url_cannot_be_downloaded_says_how_to_restore_it(
    flavour, model_dir, tmp_path, monkeypatch
) -> None:
    """Loading, with a new cache, a `.keras` file whose hub.KerasLayer wrapped a URL whose
    server has gone (or answers 404, or TFHUB_OFFLINE is set) raised the bare download error;
    it now says, as for a moved folder, that the file keeps the layer's weights, and it keeps
    its class and data. One model, saved once, is loaded each way (each with a new cache)."""
    from tests._helpers.http_server import serve_folder

    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    served = tmp_path / "served"
    served.mkdir()
    models.make_tarball(model_dir["tf2"], os.fspath(served / "tf2.tar.gz"))
    path = os.fspath(tmp_path / "model.keras")
    loader = flavour.keras.saving.load_model if flavour.name == "keras3" else None
    loader = loader or flavour.keras.models.load_model
    caught: dict[str, pytest.ExceptionInfo[errors.TFHubError]] = {}
    with serve_folder(os.fspath(served)) as server:
        handle = server.url("tf2.tar.gz")
        model, _ = _fine_tuned_model(flavour, handle)
        model.save(path)
        os.remove(served / "tf2.tar.gz")
        for gone in ("file", "offline"):
            monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / f"new_cache_{gone}"))
            if gone == "offline":
                monkeypatch.setenv("TFHUB_OFFLINE", "1")
            with pytest.raises(errors.TFHubError) as caught[gone]:
                loader(path)
            monkeypatch.delenv("TFHUB_OFFLINE", raising=False)
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "new_cache_server"))
    with pytest.raises(errors.TFHubError) as caught["server"]:
        loader(path)
    for gone, expected in _GONE_ERRORS.items():
        error = caught[gone].value
        assert type(error) is expected, gone
        data = error.handle if gone == "offline" else error.url
        assert data.startswith(handle), gone  # Its data too (a URL with the format query).
        message = str(error)
        assert message.startswith(
            f"The saved model's hub.KerasLayer {model.layers[1].name!r} loads the model it "
            f"wraps from its handle, {handle!r}: "
        ), gone
        assert message.endswith(
            "A saved Keras model keeps the layer's weights, not that model. Load it where the "
            "handle can be downloaded (or a cache holds it), or build your model again with "
            "hub.KerasLayer(<the model's new path or URL>) and restore the weights with "
            "model.load_weights(<the saved file>)."
        ), gone
    rebuilt, _ = _fine_tuned_model(flavour, model_dir["tf2"])  # What the message says to do.
    rebuilt.load_weights(path)
    np.testing.assert_allclose(rebuilt.predict(X, verbose=0), model.predict(X, verbose=0))


def test_keras3_reads_tf_keras_files_of_the_layer_as_docs_say(model_dir, tmp_path) -> None:
    """docs/keras.md: Keras 3 reads tf_keras `.keras` files of Sequential models with
    `compile=False` (else Keras 3 fails on tf_keras's optimizer or compile config), not those of
    Functional models (Keras's limit for any tf_keras model); `.h5` files of both."""
    import keras
    import tf_keras

    from tfhub.keras.layer import KerasLayer
    from tfhub.keras.tf_keras_layer import KerasLayer as TfKerasLayer

    layer = TfKerasLayer(model_dir["tf2"], trainable=True)
    sequential = tf_keras.Sequential([tf_keras.Input((3,)), layer, tf_keras.layers.Dense(2)])
    inputs = tf_keras.Input((3,))
    functional = tf_keras.Model(inputs, tf_keras.layers.Dense(2)(layer(inputs)))
    for name, model in (("sequential", sequential), ("functional", functional)):
        model.compile(tf_keras.optimizers.SGD(0.1), "mse")
        model.fit(X, Y, epochs=1, verbose=0)
        expected = model.predict(X, verbose=0)
        for fmt in ("keras", "h5"):
            path = os.fspath(tmp_path / f"{name}.{fmt}")
            model.save(path)
            if (name, fmt) == ("functional", "keras"):
                with pytest.raises((TypeError, ValueError)):  # 'Functional', or its optimizer
                    keras.saving.load_model(path, compile=False)
                continue
            restored = keras.saving.load_model(path, compile=False)
            assert any(isinstance(lay, KerasLayer) for lay in restored.layers)
            np.testing.assert_allclose(restored.predict(X, verbose=0), expected, atol=1e-5)
    with pytest.raises((TypeError, ValueError)):  # tf_keras's optimizer or compile config
        keras.saving.load_model(os.fspath(tmp_path / "sequential.keras")).predict(X, verbose=0)


def test_keras3_layers_over_one_model_have_unique_paths_and_save_to_h5(model_dir, tmp_path):
    """Keras 3 keys optimizer slots (so `.h5` files) and `get_state_tree()` by variable path;
    a hub layer's weights had paths without the layer's name (`hidden_kernel`), so two layers
    over one model (or a model with two variables of one name) collided: `.h5` saving failed
    ("Unable to synchronously create dataset (name already exists)") and `get_state_tree()`
    said "variable path is found twice". Now `<layer name>/hidden_kernel`, as `add_weight`
    makes them, unique within the layer."""
    import keras
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    twins = tf.Module()  # Two variables of one name, as tf.Module code often has.
    twins.a, twins.b = tf.Variable([1.0, 2.0, 3.0], name="w"), tf.Variable(0.5, name="w")
    twins.__call__ = tf.function(
        lambda x: x * twins.a + twins.b, input_signature=[tf.TensorSpec([None, 3], tf.float32)]
    )
    tf.saved_model.save(twins, os.fspath(tmp_path / "twins"))
    inputs = keras.Input((3,))
    layers = [KerasLayer(model_dir["tf2"], trainable=True) for _ in range(2)]
    layers.append(KerasLayer(os.fspath(tmp_path / "twins"), trainable=True))
    both = keras.layers.Concatenate()([layer(inputs) for layer in layers])
    model = keras.Model(inputs, keras.layers.Dense(1, name="head")(both))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.fit(X, np.ones((3, 1)), epochs=1, batch_size=3, verbose=0)
    paths = [w.path for w in model.weights]
    assert len(set(paths)) == len(paths)
    assert f"{layers[1].name}/hidden_kernel" in paths
    assert sorted(w.path for w in layers[2].weights) == [
        f"{layers[2].name}/{n}" for n in "w w_1".split()
    ]
    # The optimizer's name is "adam", or "adam_1"... when other tests of this process made one.
    assert len(model.get_state_tree()["optimizer_variables"][model.optimizer.name]) > 2
    path = os.fspath(tmp_path / "model.h5")
    model.save(path)
    restored = keras.saving.load_model(path, compile=False)  # Keras 3 cannot rebuild "mse".
    np.testing.assert_allclose(restored.predict(X, verbose=0), model.predict(X, verbose=0))
