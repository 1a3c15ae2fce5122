"""hub.KerasLayer probed as a Keras 3 user uses it today (session 46): mixed precision,
saving, XLA, `training=`, shared and toggled layers, config round trips and wrong values.

Each test pins a fix made here or a promise of docs/keras.md; tiny real SavedModels
(tests/_helpers/models.py through the `model_dir` fixture), no mocks.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tfhub import errors

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], np.float32)
Y = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
SENTENCES = ["hello world", "the cat sat", "the mat", "unknown words"]


@pytest.fixture
def keras3() -> Iterator[Any]:
    """Keras 3, with its global dtype policy restored after the test."""
    import keras

    previous = keras.mixed_precision.global_policy()
    try:
        yield keras
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _keras3_layer() -> Any:
    from tfhub.keras.layer import KerasLayer

    return KerasLayer


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_keras3_mixed_precision_builds_predicts_and_trains(keras3, model_dir, policy) -> None:
    """docs/keras.md, "Mixed precision": under a global mixed policy the layer computes in the
    policy's dtype (inputs cast to the model's float32, outputs to float16/bfloat16), its
    weights stay the model's float32 and `fit` trains them, also behind Keras 3's
    LossScaleOptimizer (mixed_float16); a text layer (`dtype=tf.string`) fits on a tf.data
    dataset of strings. Upstream cast nothing (the model refused tf_keras's float16 inputs)."""
    import tensorflow as tf

    keras3.mixed_precision.set_global_policy(policy)
    compute = policy.removeprefix("mixed_")
    layer = _keras3_layer()(model_dir["tf2"], trainable=True)
    # A fixed head keeps the loss small: float16's first loss scale (2**15) overflows on a
    # loss above ~2, and LossScaleOptimizer then skips the step (a random head could).
    head = keras3.layers.Dense(2, kernel_initializer=keras3.initializers.Constant(0.1))
    model = keras3.Sequential([keras3.Input((3,)), layer, head])
    assert model.predict(X, verbose=0).dtype == compute
    model.compile(keras3.optimizers.SGD(0.1), "mse")
    assert isinstance(model.optimizer, keras3.optimizers.LossScaleOptimizer) == (
        compute == "float16"
    )
    before = [weight.numpy() for weight in layer.trainable_weights]
    model.fit(X, Y, epochs=1, batch_size=2, verbose=0)
    assert [weight.dtype for weight in layer.weights] == ["float32"] * 5
    for old, weight in zip(before, layer.trainable_weights, strict=True):
        assert not np.allclose(old, weight.numpy()), weight.path
    text = _keras3_layer()(model_dir["text"], input_shape=[], dtype=tf.string, trainable=True)
    head = keras3.layers.Dense(1, kernel_initializer=keras3.initializers.Constant(0.1))
    classifier = keras3.Sequential([text, head])
    classifier.compile(keras3.optimizers.SGD(0.1), "mse")
    data = tf.data.Dataset.from_tensor_slices((SENTENCES, [1.0, 0.0, 1.0, 0.0])).batch(2)
    history = classifier.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert classifier.predict(data, verbose=0).dtype == compute


def test_keras3_files_of_a_trainable_and_a_frozen_hub_layer(keras3, model_dir, tmp_path):
    """docs/keras.md, "Saving": `.keras` (no custom_objects), `.weights.h5` and `export()`
    of a model with a fine-tuned and a frozen hub layer give the same predictions; the frozen
    one keeps the model's values; the config holds the handle as the user passed it."""
    import tensorflow as tf

    hub_layer = _keras3_layer()

    def build() -> Any:
        inputs = keras3.Input((3,))
        tuned = hub_layer(model_dir["tf2"], trainable=True, name="tuned")(inputs)
        frozen = hub_layer(model_dir["tf2"], name="frozen")(inputs)
        joined = keras3.layers.Concatenate()([tuned, frozen])
        return keras3.Model(inputs, keras3.layers.Dense(2, name="head")(joined))

    model = build()
    model.compile(keras3.optimizers.SGD(0.1), "mse")
    model.fit(X, Y, epochs=2, batch_size=2, verbose=0)
    expected = model.predict(X, verbose=0)
    original = [weight.numpy() for weight in hub_layer(model_dir["tf2"]).weights]
    for weight, value in zip(model.get_layer("frozen").weights, original, strict=True):
        np.testing.assert_array_equal(weight.numpy(), value)
    assert model.get_layer("tuned").get_config()["handle"] == model_dir["tf2"]
    model.save(os.fspath(tmp_path / "model.keras"))
    restored = keras3.saving.load_model(os.fspath(tmp_path / "model.keras"))
    np.testing.assert_allclose(restored.predict(X, verbose=0), expected, rtol=1e-5)
    assert restored.get_layer("tuned").trainable and not restored.get_layer("frozen").trainable
    model.save_weights(os.fspath(tmp_path / "model.weights.h5"))
    rebuilt = build()
    rebuilt.load_weights(os.fspath(tmp_path / "model.weights.h5"))
    np.testing.assert_allclose(rebuilt.predict(X, verbose=0), expected, rtol=1e-5)
    model.export(os.fspath(tmp_path / "exported"), verbose=False)
    served = tf.saved_model.load(os.fspath(tmp_path / "exported"))
    np.testing.assert_allclose(served.serve(tf.constant(X)).numpy(), expected, rtol=1e-5)


def _params(summary: str, kind: str) -> int:
    """The `kind` ("Trainable", "Non-trainable") parameter count printed by `summary()`."""
    found = re.search(rf"{kind} params: ([\d,]+)", summary)
    assert found, summary
    return int(found.group(1).replace(",", ""))


def test_keras3_summary_counts_the_hub_models_parameters(keras3, model_dir) -> None:
    """`model.summary()` counts the SavedModel's variables: `save_tf2_module` has 26
    trainable parameters (3x4 + 4 + 4x2 + 2) and 4 non-trainable ones (moving_mean); all 30
    are non-trainable while the layer is frozen, also after `trainable` is toggled."""
    layer = _keras3_layer()(model_dir["tf2"], trainable=True, name="hub")
    model = keras3.Sequential([keras3.Input((3,)), layer, keras3.layers.Dense(2)])

    def summary() -> str:
        out = io.StringIO()
        model.summary(print_fn=lambda line, **_: out.write(line + "\n"))
        return out.getvalue()

    assert re.search(r"hub \(KerasLayer\)\s*│ \(None, 2\)\s*│\s*30 ", summary())
    assert (_params(summary(), "Trainable"), _params(summary(), "Non-trainable")) == (32, 4)
    layer.trainable = False
    assert (_params(summary(), "Trainable"), _params(summary(), "Non-trainable")) == (6, 30)
    layer.trainable = True
    assert (_params(summary(), "Trainable"), _params(summary(), "Non-trainable")) == (32, 4)


def test_an_empty_signature_calls_the_model_as_upstream(flavour, model_dir) -> None:
    """`signature=""` means no signature, as upstream tested `if signature` (the layer called
    the object); it failed with "'_UserObject' object has no attribute
    'structured_input_signature'". A signature that is not a string lists the signatures
    (upstream: "unhashable type: 'list'")."""
    layer = flavour.layer(model_dir["tf2"], signature="")
    np.testing.assert_allclose(layer(X), flavour.layer(model_dir["tf2"])(X))
    assert "signature" not in layer.get_config()
    again = flavour.layer.from_config(json.loads(json.dumps(layer.get_config())))
    np.testing.assert_allclose(again(X), layer(X))
    with pytest.raises(TypeError, match=r"\['features', 'serving_default'\]") as info:
        flavour.layer(model_dir["tf2"], signature=["features"], output_key="hidden")
    assert isinstance(info.value, errors.ArgumentTypeError)


def test_a_trainable_layer_trains_a_model_that_a_frozen_layer_also_wraps(flavour, model_dir):
    """`obj = hub.load(h)` used frozen by one layer (a feature extractor), then by a trainable
    layer to fine-tune it: the second trains obj's variables, in both flavours. In Keras 3 the
    layers share one Keras variable per variable, and the frozen layer had made it
    non-trainable for good: the trainable layer had no trainable weights (only an ERROR log),
    `fit` left the model as it was, and even `layer.trainable = True` could not help."""
    import tfhub as hub

    keras = flavour.keras
    obj = hub.load(model_dir["tf2"])
    frozen = flavour.layer(obj, trainable=False)
    extractor = keras.Sequential([keras.Input((3,)), frozen])
    tuned = flavour.layer(obj, trainable=True)
    assert len(tuned.trainable_weights) == 4
    assert frozen.trainable_weights == []
    model = keras.Sequential([keras.Input((3,)), tuned, keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = [variable.numpy() for variable in obj.trainable_variables]
    model.fit(X, np.ones((2, 2), np.float32), epochs=1, batch_size=2, verbose=0)
    for old, variable in zip(before, obj.trainable_variables, strict=True):
        assert not np.allclose(old, variable.numpy()), variable.name
    np.testing.assert_allclose(extractor.predict(X, verbose=0), tuned(X), rtol=1e-6)


def test_keras3_stateless_call_says_it_cannot_use_the_values_given(keras3, model_dir) -> None:
    """`layer.stateless_call` (and `model.stateless_call`, as custom training loops use it)
    run the layer with other values for its weights; the SavedModel's functions read its own
    variables, so the outputs silently ignored them (zeros for every kernel gave the trained
    outputs). Now a tfhub error names the weights; weights mapped to themselves still run."""
    import tensorflow as tf

    layer = _keras3_layer()(model_dir["tf2"], trainable=True, name="hub")
    zeros = [tf.zeros_like(weight) for weight in layer.trainable_variables]
    kept = [weight.value for weight in layer.non_trainable_variables]
    with pytest.raises(errors.ArgumentError, match=r"stateless_call.*'hub/hidden_kernel'"):
        layer.stateless_call(zeros, kept, tf.constant(X))
    model = keras3.Sequential([keras3.Input((3,)), layer])
    with pytest.raises(ValueError, match="ignore those values"):
        model.stateless_call(zeros, kept, tf.constant(X))
    same = [weight.value for weight in model.trainable_variables]
    outputs, _ = model.stateless_call(same, kept, tf.constant(X))
    np.testing.assert_allclose(outputs, layer(X))


@pytest.fixture
def flavour_policy(flavour) -> Iterator[Any]:
    """The flavour, with its Keras's global dtype policy restored after the test."""
    previous = flavour.keras.mixed_precision.global_policy()
    try:
        yield flavour
    finally:
        flavour.keras.mixed_precision.set_global_policy(previous)


def test_mixed_precision_over_a_callable_says_to_give_the_layer_float32(flavour_policy) -> None:
    """Under mixed_float16 Keras casts a layer's inputs to float16. A SavedModel's traced
    input signature lets the layer cast them back to what it computes in, but a Python
    callable (or a tf.function never traced) declares none: its float32 variables then met
    float16 inputs deep in TensorFlow ("expected to be a half tensor but is a float tensor",
    or "Input 'b' of 'MatMul' Op has type float32 that does not match type float16"), as
    with upstream. Now a tfhub error says to give the layer dtype='float32', which works."""
    import tensorflow as tf

    flavour = flavour_policy
    keras = flavour.keras
    keras.mixed_precision.set_global_policy("mixed_float16")
    kernel = tf.Variable(np.ones((3, 2), np.float32))
    for fn in (lambda x: tf.matmul(x, kernel), tf.function(lambda x: tf.matmul(x, kernel))):
        with pytest.raises(errors.CallInputSpecError, match="dtype='float32'") as info:
            flavour.layer(fn)(X)
        assert "float16" in str(info.value)
        inputs = keras.Input((3,))
        with pytest.raises(errors.CallInputSpecError, match="dtype='float32'"):
            flavour.layer(fn)(inputs)
        layer = flavour.layer(fn, dtype="float32")
        model = keras.Model(inputs, keras.layers.Dense(2)(layer(inputs)))
        np.testing.assert_allclose(layer(X), X @ np.ones((3, 2)))
        assert model.predict(X, verbose=0).dtype == "float16"
    # Other failures on float16 inputs stay TensorFlow's own.
    with pytest.raises(tf.errors.InvalidArgumentError, match="requested shape has 7") as info:
        flavour.layer(lambda x: tf.reshape(x, [7]))(X)
    assert not isinstance(info.value, errors.TFHubError)


def test_keras3_keras_file_keeps_the_url_the_user_passed(
    keras3, model_dir, served_dir, server, isolated_cache, tmp_path
) -> None:
    """docs/keras.md, "Saving": the config keeps `handle` as given (upstream's too): a URL,
    not the cache folder it was downloaded to, so the `.keras` file loads elsewhere."""
    import zipfile

    from tests._helpers.models import make_tarball

    make_tarball(model_dir["tf2"], os.fspath(served_dir / "tf2.tar.gz"))
    url = server.url("tf2.tar.gz")
    inputs = keras3.Input((3,))
    layer = _keras3_layer()(url, trainable=True, name="hub")
    model = keras3.Model(inputs, layer(inputs))
    assert any(isolated_cache.iterdir())  # Downloaded into the cache.
    path = os.fspath(tmp_path / "model.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = archive.read("config.json").decode()
    assert layer.get_config()["handle"] == url
    assert json.dumps(url) in config and os.fspath(isolated_cache) not in config
    restored = keras3.saving.load_model(path)
    assert restored.get_layer("hub").handle == url
    np.testing.assert_allclose(restored.predict(X, verbose=0), model.predict(X, verbose=0))


@pytest.mark.parametrize(
    ("scale", "said"),
    [("3", "of type 'str'"), ([1.0, 2.0], "of shape [2]"), (None, "None values")],
    ids=["string", "list", "none"],
)
def test_arguments_of_a_value_the_model_cannot_take_are_refused_when_built(
    flavour, model_dir, scale, said
) -> None:
    """`arguments={"scale": "3"}` (or a list for a scalar, or None) for `__call__(x, scale)`
    traced for a float32 scalar: TensorFlow refused it only at the first call, inside `fit`
    ("Binding inputs to tf.function failed"). The layer now says so when built, naming the
    argument and what the model takes; Python numbers of the right shape still work."""
    with pytest.raises(errors.ArgumentTypeError, match=r"scale.*float32\[\]") as info:
        flavour.layer(model_dir["scaled"], arguments={"scale": scale})
    assert said in str(info.value)
    ones = np.ones((1, 2), np.float32)
    np.testing.assert_allclose(
        flavour.layer(model_dir["scaled"], arguments={"scale": 3})(ones), ones * 6
    )


def test_arguments_giving_training_are_overridden_by_the_layer_as_upstream(
    flavour, model_dir, caplog
) -> None:
    """`arguments={"training": True}` for a model whose `__call__` takes `training` failed
    at the first call with TensorFlow's "got multiple values for keyword argument
    'training'". Upstream's layer passed its own `training` over the one in `arguments`
    (functools.partial's keywords give way), so the model ran in the layer's mode: so does
    tfhub's, with one warning when built; the config keeps `arguments` as given."""
    caplog.set_level(logging.WARNING, logger="tfhub.keras._arguments")
    given = flavour.layer(model_dir["tf2"], arguments={"training": True})
    plain = flavour.layer(model_dir["tf2"])
    np.testing.assert_allclose(given(X), plain(X))  # Frozen: inference mode, as upstream.
    (warning,) = [r.getMessage() for r in caplog.records if "training=True" in r.getMessage()]
    assert "is ignored, as upstream's layer ignored it" in warning
    assert given.get_config()["arguments"] == {"training": True}


def test_an_empty_output_key_of_a_signature_survives_the_config(flavour, model_dir) -> None:
    """`signature=..., output_key=""` returns the signature's whole dict, as upstream (tested
    `if output_key`; tests/keras/test_mutants_keras_probes41.py pins it). `get_config()` left
    the empty key out, as upstream's did, so `from_config` (loading a saved model) failed:
    "either output_key or signature_outputs_as_dict=True should be set". It keeps it now."""
    layer = flavour.layer(model_dir["tf2"], signature="features", output_key="")
    assert sorted(layer(X)) == ["hidden", "logits"]
    config = json.loads(json.dumps(layer.get_config()))
    assert config["output_key"] == ""
    again = flavour.layer.from_config(config)
    np.testing.assert_allclose(again(X)["hidden"], layer(X)["hidden"])


def test_arguments_for_a_python_parameter_are_left_to_tensorflow(flavour) -> None:
    """The value check of `arguments` reads only parameters traced for tensors: one traced
    for a Python value (a mode string) takes what TensorFlow takes, as before."""
    import tensorflow as tf

    @tf.function
    def scaled(x, mode):
        return x * 2.0 if mode == "double" else x

    scaled.get_concrete_function(tf.TensorSpec([None, 2], tf.float32), "double")
    ones = np.ones((1, 2), np.float32)
    np.testing.assert_allclose(flavour.layer(scaled, arguments={"mode": "double"})(ones), 2 * ones)


def test_arguments_of_tensors_and_arrays_still_run(flavour, model_dir) -> None:
    """docs/keras.md: a NumPy scalar or a tensor in `arguments` runs (only saving refuses
    it); the value check leaves them to TensorFlow."""
    import tensorflow as tf

    ones = np.ones((1, 2), np.float32)
    for scale in (tf.constant(3.0), np.float32(3.0), np.array(3.0, np.float32)):
        layer = flavour.layer(model_dir["scaled"], arguments={"scale": scale})
        np.testing.assert_allclose(layer(ones), 6 * ones)
