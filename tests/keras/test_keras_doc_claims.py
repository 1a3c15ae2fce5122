"""docs/keras.md, claim by claim, as a user of `hub.KerasLayer` runs it: in Keras 3 and in
tf_keras (each flavour's class imported explicitly, as tests/keras does), over real SavedModels
built here, with real models that fit, predict, save and load."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers import models
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python

pytestmark = pytest.mark.tf


def test_the_pages_first_example(flavour, model_dir, tmp_path: Path) -> None:
    """The snippet at the top: fit on strings, a `.keras` file that loads without
    custom_objects, and `model.export` serving the same predictions."""
    import tensorflow as tf

    _, KerasLayer, keras = flavour
    embed = KerasLayer(model_dir["text"], input_shape=[], dtype=tf.string, trainable=True)
    model = keras.Sequential([embed, keras.layers.Dense(1)])
    model.compile("adam", "mse")
    before = embed.weights[0].numpy().copy()
    labels = np.array([[1.0], [0.0]])
    model.fit(tf.constant(["hello world", "the cat"]), labels, epochs=1, verbose=0)
    assert not np.allclose(before, embed.weights[0].numpy())  # Fine-tuned in place.
    model.save(tmp_path / "classifier.keras")
    again = keras.saving.load_model(tmp_path / "classifier.keras")
    model.export(os.fspath(tmp_path / "serving"))
    sentences = tf.constant(["the cat sat", "hello mat"])
    expected = model.predict(sentences, verbose=0)
    np.testing.assert_allclose(again.predict(sentences, verbose=0), expected, rtol=1e-5)
    served = tf.saved_model.load(os.fspath(tmp_path / "serving")).signatures["serving_default"]
    (output,) = served(sentences).values()
    np.testing.assert_allclose(output.numpy(), expected, rtol=1e-5)


def test_regularization_losses_follow_trainable(flavour, model_dir) -> None:
    """In `model.losses` only while trainable (tf_keras: listed as 0 while frozen), also when
    `trainable` is set after construction; `evaluate` adds them."""
    name, KerasLayer, keras = flavour
    layer = KerasLayer(model_dir["tf2"])
    model = keras.Sequential([keras.Input((3,)), layer])
    expected = models.tf2_module_expected(np.ones((1, 3), np.float32))["losses"]
    frozen = [0.0, 0.0] if name == "tf_keras" else []
    assert [float(loss) for loss in model.losses] == frozen
    layer.trainable = True
    np.testing.assert_allclose([float(loss) for loss in model.losses], expected, rtol=1e-5)
    model.compile("sgd", "mse")
    x = np.ones((2, 3), np.float32)
    loss = model.evaluate(x, model.predict(x, verbose=0), verbose=0)
    assert loss == pytest.approx(float(np.sum(expected)), rel=1e-5)
    layer.trainable = False
    assert [float(loss) for loss in model.losses] == frozen


def test_mixed_precision_casts_inputs_and_outputs(flavour, model_dir) -> None:
    import tensorflow as tf

    _, KerasLayer, keras = flavour
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = KerasLayer(model_dir["tf2"])
        signature = KerasLayer(model_dir["tf2"], signature="features", output_key="logits")
        model = keras.Sequential([keras.Input((3,)), layer, keras.layers.Dense(1)])
        half = tf.ones((2, 3), tf.float16)
        assert layer(half).dtype == tf.float16
        assert signature(half).dtype == tf.float16  # A signature's input given positionally.
        assert model.predict(np.ones((2, 3), np.float32), verbose=0).dtype == np.float16
    finally:
        keras.mixed_precision.set_global_policy(policy)


def test_config_clone_and_json_rebuild_the_layer(flavour, model_dir) -> None:
    """`clone_model` and `model_from_json` rebuild the layer from its config (no
    custom_objects); the weights come over with `set_weights`."""
    _, KerasLayer, keras = flavour
    layer = KerasLayer(model_dir["tf2"], trainable=True, output_shape=[2])
    model = keras.Sequential([keras.Input((3,)), layer, keras.layers.Dense(1)])
    layer.weights[0].assign(layer.weights[0] * 2.0)
    x = np.ones((2, 3), np.float32)
    for copy in (keras.models.clone_model(model), keras.models.model_from_json(model.to_json())):
        copy.set_weights(model.get_weights())
        hub_layer = copy.layers[0]
        assert hub_layer.trainable and hub_layer.output_shape_spec.as_list() == [2]
        assert hub_layer.weights[0] is not layer.weights[0]
        np.testing.assert_allclose(copy.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keyword_inputs_reach_the_layer(flavour, model_dir) -> None:
    """`layer(inputs=x)` works as for any Keras layer (tf_keras failed with an IndexError: it
    read the layer's `call` as taking `*args, **kwargs`)."""
    import tensorflow as tf

    _, KerasLayer, _ = flavour
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    outputs = KerasLayer(model_dir["tf2"])(inputs=tf.constant(x))
    np.testing.assert_allclose(outputs, models.tf2_module_expected(x)["logits"], rtol=1e-5)


def test_tf_keras_passes_training_positionally_and_no_mask(model_dir) -> None:
    """tf_keras reads `call`'s own arguments: `layer(x, True)` as for its Dropout (it passed
    `training` a second time), and a masked input as to any layer that takes no mask (it
    passed `mask=`, which `call` does not take)."""
    import tensorflow as tf
    import tf_keras

    from tfhub.keras.tf_keras_layer import KerasLayer

    layer = KerasLayer(model_dir["dropout"], trainable=True)
    x = tf.ones((64, 4))
    trained = layer(x, True).numpy()
    assert set(np.unique(trained)) == {0.0, 4.0}  # Dropout ran: 2 * x, doubled or dropped.
    np.testing.assert_allclose(layer(x, False), 2.0 * x.numpy())
    inputs = tf_keras.Input((3,))
    masked = tf_keras.layers.Masking(0.0)(inputs)
    model = tf_keras.Model(inputs, KerasLayer(model_dir["tf2"])(masked))
    ones = np.ones((2, 3), np.float32)
    expected = models.tf2_module_expected(ones)["logits"]
    np.testing.assert_allclose(model.predict(ones, verbose=0), expected, rtol=1e-5)


def test_a_trainable_keras_refuses_is_named_in_the_error(flavour, model_dir) -> None:
    """Keras refuses a `trainable` that is not a bool; the error said "Received: " and nothing
    (it listed only the other keyword arguments)."""
    from tfhub import errors

    _, KerasLayer, _ = flavour
    with pytest.raises(errors.ArgumentTypeError, match=r"Received: trainable='no'$"):
        KerasLayer(model_dir["tf2"], trainable="no")
    with pytest.raises(errors.ArgumentTypeError, match=r"Received: trainable=False, outputkey='x'"):
        KerasLayer(model_dir["tf2"], outputkey="x")


def test_a_text_layer_without_its_string_dtype_says_to_give_it(flavour, model_dir) -> None:
    """Keras makes a layer's inputs of the layer's dtype: without `dtype=tf.string`, the Input
    a Sequential model builds is float32 whatever the data (Keras 3 always; tf_keras given
    `input_shape`). The error said only "Pass inputs of that dtype", though the data were
    strings."""
    import tensorflow as tf

    from tfhub import errors

    name, KerasLayer, keras = flavour
    kwargs: dict[str, Any] = {"input_shape": []} if name == "tf_keras" else {}
    with pytest.raises(errors.CallInputSpecError, match="pass dtype=tf.string to hub.KerasLayer"):
        model = keras.Sequential([KerasLayer(model_dir["text"], **kwargs), keras.layers.Dense(1)])
        model.compile("sgd", "mse")  # tf_keras built the model above, Keras 3 builds it in fit.
        model.fit(tf.constant(["hello world", "the cat"]), np.zeros((2, 1)), verbose=0)
    model = keras.Sequential([KerasLayer(model_dir["text"], dtype=tf.string, **kwargs)])
    assert model.predict(tf.constant(["the cat"]), verbose=0).shape == (1, 4)


def test_the_config_keeps_what_the_page_says(flavour, model_dir) -> None:
    """docs/keras.md, Saving: the config keeps handle, arguments, signature,
    signature_outputs_as_dict, output_key, output_shape and tags, not load_options."""
    import tensorflow as tf

    _, KerasLayer, _ = flavour
    layer = KerasLayer(
        model_dir["tf2"],
        signature="features",
        signature_outputs_as_dict=True,
        output_shape={"hidden": [4], "logits": [2]},
        tags=["serve"],
        load_options=tf.saved_model.LoadOptions(),
    )
    config = layer.get_config()
    assert {"handle", "signature", "signature_outputs_as_dict", "output_shape", "tags"} <= set(
        config
    )
    assert "load_options" not in config
    rebuilt = KerasLayer.from_config(config)
    outputs = rebuilt(tf.ones((2, 3)))
    assert {key: tuple(value.shape) for key, value in outputs.items()} == {
        "hidden": (2, 4),
        "logits": (2, 2),
    }


def test_python_numbers_are_inputs_of_the_dtype_the_model_takes(flavour, model_dir) -> None:
    """docs/keras.md: calling the layer on Python values works, "a list of numbers too". Ints
    (`[[1, 2, 3]]`) became int32, which a float32 model refused (CallInputSpecError)."""
    _, KerasLayer, _ = flavour
    layer = KerasLayer(model_dir["tf2"])
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    expected = models.tf2_module_expected(x)["logits"]
    np.testing.assert_allclose(layer([[1, 2, 3]]), expected, rtol=1e-5)
    np.testing.assert_allclose(layer([[1, 2.0, 3]]), expected, rtol=1e-5)
    signature = KerasLayer(model_dir["tf2"], signature="features", output_key="logits")
    np.testing.assert_allclose(signature([[1, 2, 3]]), expected, rtol=1e-5)
    np.testing.assert_allclose(signature({"x": [[1, 2, 3]]}), expected, rtol=1e-5)
    outputs = KerasLayer(model_dir["dict_io"])({"a": [[1, 2]], "b": [[3, 4]]})
    np.testing.assert_allclose(outputs["sum"], [[7.0, 10.0]])
    np.testing.assert_allclose(outputs["prod"], [[3.0, 8.0]])


def test_copying_a_layer_over_a_callable_says_how_to_share_it(flavour) -> None:
    """docs/keras.md, Copies: copying a layer over a Python callable raises
    ConfigNotSupportedError; in Keras 3 too, the message now says that a copy is built from the
    config, and how to share the callable instead (it said only that there is no config)."""
    import copy
    import pickle

    import tensorflow as tf

    from tfhub import errors

    _, KerasLayer, _ = flavour
    fn = tf.function(lambda x: x * 2.0, input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    layer = KerasLayer(fn)
    with pytest.raises(errors.ConfigNotSupportedError, match=r"copy.deepcopy\(hub.KerasLayer\)"):
        copy.deepcopy(layer)
    if flavour[0] == "keras3":  # Keras 3 pickles layers; tf_keras pickles only models.
        with pytest.raises(errors.ConfigNotSupportedError, match="second hub.KerasLayer over"):
            pickle.dumps(layer)


LEGACY_EXAMPLE = """
    import json, sys
    import numpy as np
    import tensorflow as tf
    import tfhub as hub
    handle, folder = sys.argv[1:]
    embed = hub.KerasLayer(handle, input_shape=[], dtype=tf.string, trainable=True)
    model = tf.keras.Sequential([embed, tf.keras.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(tf.constant(["hello world", "the cat"]), np.array([[1.0], [0.0]]), verbose=0)
    sentences = tf.constant(["the cat sat", "hello mat"])
    out = {"layer": type(embed).__module__, "keras": tf.keras.__name__}
    for name in ("classifier.keras", "classifier.h5", "classifier_savedmodel"):
        model.save(folder + "/" + name)
        again = tf.keras.models.load_model(folder + "/" + name)
        out[name] = float(np.abs(again.predict(sentences, verbose=0)
                                 - model.predict(sentences, verbose=0)).max())
    print(json.dumps(out))
"""


def test_the_first_example_with_tf_keras_by_the_environment(model_dir, tmp_path: Path) -> None:
    """The page's example as a tf_keras user writes it (`TF_USE_LEGACY_KERAS=1`, `tf.keras`,
    `hub.KerasLayer`): it fits on strings, and its `.keras`, `.h5` and SavedModel files load
    back with `tf.keras.models.load_model`, no custom_objects, predicting the same."""
    done = run_warm_python(
        LEGACY_EXAMPLE,
        model_dir["text"],
        os.fspath(tmp_path),
        env=child_env(TF_USE_LEGACY_KERAS="1"),
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["layer"] == "tfhub.keras.tf_keras_layer"
    assert result["keras"].startswith("tf_keras")
    for name in ("classifier.keras", "classifier.h5", "classifier_savedmodel"):
        assert result[name] < 1e-5, name
