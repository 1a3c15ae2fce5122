"""Claims of docs/keras.md no other test checked, tried as a reader would (session 34 probes):
in Keras 3 and in tf_keras (each flavour's class imported explicitly), over real SavedModels."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.tf


def test_hub_callable_names_the_function_signature_output_key_and_arguments(
    flavour, model_dir
) -> None:
    """Docs: "`layer.hub_callable`: the function called (`.fn`), `.signature`, `.output_key` and
    `.arguments`", beside `layer.handle` and `layer.resolved_object`."""
    import tensorflow as tf

    _, KerasLayer, _ = flavour
    by_signature = KerasLayer(model_dir["tf2"], signature="features", output_key="logits")
    called = by_signature.hub_callable
    assert called.fn is by_signature.resolved_object.signatures["features"]
    assert (called.signature, called.output_key, called.arguments) == ("features", "logits", {})
    assert by_signature.handle == model_dir["tf2"]

    scaled = KerasLayer(model_dir["scaled"], arguments={"scale": 3.0})
    called = scaled.hub_callable
    assert called.fn is scaled.resolved_object  # The callable model itself.
    assert (called.signature, called.output_key, called.arguments) == (None, None, {"scale": 3.0})
    np.testing.assert_allclose(scaled(tf.ones([1, 2])), [[6.0, 6.0]])  # x * w(2) * scale(3)


@pytest.mark.parametrize("kind", ["numpy", "tensor"])
def test_arguments_that_are_not_json_say_to_pass_python_values(flavour, model_dir, kind) -> None:
    """Docs: "`arguments` ... must be JSON-serializable to save the layer": a NumPy scalar or a
    tensor (what users most often pass) runs, and saving raises upstream's ValueError, which
    then says what to pass instead."""
    import tensorflow as tf

    from tfhub import errors

    _, KerasLayer, keras = flavour
    scale = np.float32(3.0) if kind == "numpy" else tf.constant(3.0)
    layer = KerasLayer(model_dir["scaled"], arguments={"scale": scale})
    model = keras.Sequential([keras.Input((2,)), layer])
    np.testing.assert_allclose(model(np.ones((1, 2), np.float32)), [[6.0, 6.0]])
    upstream = r"^`hub\.KerasLayer\(\.\.\., arguments\)` contains non json-serializable values"
    with pytest.raises(errors.SerializationError, match=upstream + " in key: scale") as caught:
        layer.get_config()
    assert isinstance(caught.value, ValueError)
    assert "float(x)" in str(caught.value) and ".tolist()" in str(caught.value)


def test_keras3_fit_takes_string_tensors_and_object_arrays_only(model_dir) -> None:
    """Keras 3 `fit`/`predict` refuse Python lists ("Unrecognized data type") and NumPy `str`
    arrays ("Invalid dtype: str..."), before any layer runs; `tf.constant([...])` and a NumPy
    `object` array work, as the page advises."""
    import keras
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    model = keras.Sequential(
        [KerasLayer(model_dir["text"], input_shape=[], dtype=tf.string), keras.layers.Dense(1)]
    )
    model.compile("sgd", "mse")
    sentences = ["hello world", "the cat"]
    labels = np.array([[1.0], [0.0]])
    with pytest.raises(ValueError, match="Unrecognized data type"):
        model.fit(sentences, labels, verbose=0)
    with pytest.raises(ValueError, match="Invalid dtype: str"):
        model.predict(np.array(sentences), verbose=0)
    for data in (tf.constant(sentences), np.array(sentences, dtype=object)):
        model.fit(data, labels, epochs=1, verbose=0)
        assert model.predict(data, verbose=0).shape == (2, 1)


def test_a_keras3_export_needs_a_signature_and_the_error_suggests_it(flavour, tmp_path) -> None:
    """Docs: "`SignatureRequiredError` (a `ValueError`, upstream's "Signature name has to be
    specified...") for a model that is not callable, such as a Keras 3 model exported with
    `model.export`: it suggests the serving signature and its output (..., also as
    `.suggested`)"; "a non-callable model without `signature=`, `TFHubLoadError`"."""
    import keras
    import tensorflow as tf

    from tfhub import errors

    _, KerasLayer, _ = flavour
    exported = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    exported.export(str(tmp_path / "exported"), verbose=False)
    with pytest.raises(errors.SignatureRequiredError) as caught:
        KerasLayer(str(tmp_path / "exported"))
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, errors.TFHubLoadError)
    assert str(caught.value).startswith("Signature name has to be specified")
    assert "signature='serving_default', output_key='output_0'" in str(caught.value)
    assert caught.value.suggested == ("serving_default", "output_0")
    signature, output_key = caught.value.suggested
    layer = KerasLayer(str(tmp_path / "exported"), signature=signature, output_key=output_key)
    x = tf.ones([2, 3])
    np.testing.assert_allclose(layer(x), exported(x), rtol=1e-6)


def test_python_rows_of_different_lengths_become_a_ragged_input(flavour, tmp_path) -> None:
    """Docs: calling the layer on Python values, "rows of different lengths become a
    RaggedTensor", of the dtype the model takes (ints for a float32 input too)."""
    import tensorflow as tf

    class RowSums(tf.Module):
        @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.float32)])
        def __call__(self, x):
            return tf.reduce_sum(x, axis=1)

    tf.saved_model.save(RowSums(), str(tmp_path / "row_sums"))
    _, KerasLayer, _ = flavour
    layer = KerasLayer(str(tmp_path / "row_sums"))
    np.testing.assert_allclose(layer([[1.0, 2.0], [3.0]]), [3.0, 3.0])
    np.testing.assert_allclose(layer([[1, 2], [3], [4, 5, 6]]), [3.0, 3.0, 15.0])


def test_a_layer_over_a_loaded_object_saves_as_a_folder_not_a_file(
    flavour, model_dir, tmp_path
) -> None:
    """Docs ("One loaded model in two layers"): "a layer built from an object has no config, so
    `.keras` and `.h5` files refuse it (`ConfigNotSupportedError`), while ..., Keras 3
    `model.export` and the tf_keras SavedModel format work"."""
    import tensorflow as tf

    import tfhub as hub
    from tfhub import errors

    name, KerasLayer, keras = flavour
    layer = KerasLayer(hub.load(model_dir["tf2"]), trainable=True)
    model = keras.Sequential([keras.Input((3,)), layer, keras.layers.Dense(1)])
    x = np.ones((2, 3), np.float32)
    expected = model.predict(x, verbose=0)
    for file in ("model.keras", "model.h5"):
        with pytest.raises(errors.ConfigNotSupportedError, match="string `handle`"):
            model.save(str(tmp_path / file))
    if name == "keras3":
        model.export(str(tmp_path / "exported"), verbose=False)
        loaded = tf.saved_model.load(str(tmp_path / "exported"))
        np.testing.assert_allclose(loaded.serve(x), expected, rtol=1e-5)
    else:
        model.save(str(tmp_path / "saved_model"))
        again = keras.models.load_model(str(tmp_path / "saved_model"))
        np.testing.assert_allclose(again.predict(x, verbose=0), expected, rtol=1e-5)


def test_auto_load_format_downloads_the_archive_in_colab_too(
    flavour, model_dir, served_dir, server, isolated_cache, monkeypatch
) -> None:
    """Docs: "`TFHUB_MODEL_LOAD_FORMAT=AUTO` in Colab ... AUTO always downloads the compressed
    archive into the cache" (tensorflow_hub 0.10.0 read in place there). Colab is recognised
    by `google.colab` in `sys.modules`, as upstream did."""
    import sys
    import types

    import tensorflow as tf
    from tests._helpers.models import make_tarball

    make_tarball(model_dir["tf2"], str(served_dir / "tf2.tar.gz"))
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "AUTO")
    _, KerasLayer, _ = flavour
    layer = KerasLayer(server.url("tf2.tar.gz"))
    queries = [path for method, path, _ in server.state.requests if method == "GET"]
    assert queries and all("tf-hub-format=compressed" in path for path in queries), queries
    entries = [p for p in isolated_cache.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(entries) == 1 and (entries[0] / "saved_model.pb").is_file()
    x = np.ones((1, 3), np.float32)
    expected = tf.constant(np.asarray(KerasLayer(model_dir["tf2"])(x)))
    np.testing.assert_allclose(layer(x), expected, rtol=1e-6)


def test_a_signature_with_both_output_choices_says_to_keep_one(flavour, model_dir) -> None:
    """Docs: "`signature` needs `output_key` or `signature_outputs_as_dict=True`": given both,
    upstream's words ("either output_key or signature_outputs_as_dict=True should be set")
    read as if neither were given; the ArgumentError now says to keep only one."""
    from tfhub import errors

    _, KerasLayer, _ = flavour
    upstream = "^When using a signature, either output_key or signature_outputs_as_dict=True"
    with pytest.raises(errors.ArgumentError, match=upstream) as both:
        KerasLayer(
            model_dir["tf2"],
            signature="features",
            output_key="logits",
            signature_outputs_as_dict=True,
        )
    assert "not both" in str(both.value)
    with pytest.raises(errors.ArgumentError, match=upstream) as neither:
        KerasLayer(model_dir["tf2"], signature="features")
    assert "not both" not in str(neither.value) and "['hidden', 'logits']" in str(neither.value)
