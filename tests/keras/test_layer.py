"""hub.KerasLayer in both flavours: models, Layer properties, fine-tuning, strings, dicts."""

from __future__ import annotations

import numpy as np
import pytest
from tests._helpers import models
from tests._helpers.upstream_records import record as upstream_record
from tests._helpers.upstream_records import upstream_path

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0], [0.25, 0.25, 0.25]], np.float32)
UPSTREAM_TF1 = upstream_path("tf1_multi_sig")
SENTENCES = ["hello world", "the CAT sat", "", "unknown words here"]


def test_hub_keras_layer_is_keras3_by_default(monkeypatch) -> None:
    import keras

    import tfhub.keras
    from tfhub.keras import layer, tf_keras_layer

    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    assert tfhub.keras.KerasLayer is layer.KerasLayer
    assert hub.KerasLayer is layer.KerasLayer
    assert issubclass(layer.KerasLayer, keras.layers.Layer)
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "true")
    assert tfhub.keras.KerasLayer is tf_keras_layer.KerasLayer


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_models_of_each_kind(flavour, model_dir, kind: str) -> None:
    keras = flavour.keras
    layer = flavour.layer(model_dir["tf2"])
    if kind == "sequential":
        model = keras.Sequential([keras.Input((3,)), layer, keras.layers.Lambda(lambda t: t * 2)])
    elif kind == "functional":
        inputs = keras.Input((3,))
        model = keras.Model(inputs, layer(inputs) * 2)
    else:

        class Classifier(keras.Model):
            def __init__(self) -> None:
                super().__init__()
                self.hub_layer = layer

            def call(self, x):
                return self.hub_layer(x) * 2

        model = Classifier()
    expected = 2 * models.tf2_module_expected(X)["logits"]
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, atol=1e-5)
    assert len(model.weights) == 5 and len(model.trainable_weights) == 0


def test_layer_properties(flavour, model_dir) -> None:
    keras = flavour.keras
    layer = flavour.layer(model_dir["tf2"], trainable=True, output_shape=[2], name="hub")
    inputs = keras.Input((3,))
    outputs = layer(inputs)
    assert layer.name == "hub" and layer.dtype == "float32"
    assert len(layer.variables) == len(layer.weights) == 5
    assert len(layer.trainable_weights) == 4 and len(layer.non_trainable_weights) == 1
    assert layer.count_params() == 3 * 4 + 4 + 4 * 2 + 2 + 4
    assert tuple(layer.compute_output_shape((None, 3))) == (None, 2)
    assert tuple(layer.compute_output_shape((7, 3))) == (7, 2)
    assert layer.input is inputs and layer.output is outputs
    assert tuple(layer.input_shape) == (None, 3) and tuple(layer.output_shape) == (None, 2)
    expected = models.tf2_module_expected(X)
    np.testing.assert_allclose([float(v) for v in layer.losses], expected["losses"], atol=1e-6)
    weights = layer.get_weights()
    layer.set_weights([w * 0 for w in weights])
    np.testing.assert_allclose(layer(X).numpy(), np.zeros((3, 2)), atol=1e-6)
    layer.set_weights(weights)
    np.testing.assert_allclose(layer(X).numpy(), expected["logits"], atol=1e-5)
    # The SavedModel's own variables were changed and restored: no copies.
    np.testing.assert_allclose(layer.resolved_object.variables[0].numpy(), weights[0])


def test_get_config_and_from_config(flavour, model_dir) -> None:
    layer = flavour.layer(
        model_dir["tf2"], signature="features", output_key="hidden", output_shape=[4], name="h"
    )
    config = layer.get_config()
    assert config["handle"] == model_dir["tf2"]
    assert (config["signature"], config["output_key"], config["output_shape"]) == (
        "features",
        "hidden",
        [4],
    )
    clone = flavour.layer.from_config(config)
    np.testing.assert_allclose(clone(X).numpy(), models.tf2_module_expected(X)["hidden"], atol=1e-5)
    assert clone.resolved_object is not layer.resolved_object  # Fresh variables per layer.


def test_arguments_reach_the_callable_and_the_config(flavour, model_dir) -> None:
    layer = flavour.layer(model_dir["scaled"], arguments={"scale": 3.0})
    x = np.ones((2, 2), np.float32)
    np.testing.assert_allclose(layer(x).numpy(), 6 * x)
    config = layer.get_config()
    assert config["arguments"] == {"scale": 3.0}
    np.testing.assert_allclose(flavour.layer.from_config(config)(x).numpy(), 6 * x)
    bad = flavour.layer(model_dir["scaled"], arguments={"scale": np.float32(3.0)})
    np.testing.assert_allclose(bad(x).numpy(), 6 * x)
    with pytest.raises(errors.SerializationError, match="arguments"):
        bad.get_config()


def test_arguments_may_leave_out_parameters_with_defaults(flavour, model_dir) -> None:
    """Upstream's keras_layer_test (testGetConfigFromConfigWithHParams): a saved `__call__(x,
    a=1.0, b=0.0)` takes `arguments=dict(a=10.0)`; `b` keeps its default."""
    x = np.array([[1.0], [2.0], [3.0]], np.float32)
    layer = flavour.layer(model_dir["affine_defaults"], arguments={"a": 10.0})
    np.testing.assert_allclose(layer(x).numpy(), [[10.0], [20.0], [30.0]])
    clone = flavour.layer.from_config(layer.get_config())
    np.testing.assert_allclose(clone(x).numpy(), [[10.0], [20.0], [30.0]])
    np.testing.assert_allclose(flavour.layer(model_dir["affine_defaults"])(x).numpy(), x)
    shifted = flavour.layer(model_dir["affine_defaults"], arguments={"b": 1.0})
    np.testing.assert_allclose(shifted(x).numpy(), x + 1)


def test_tags_survive_the_config(flavour, upstream_dir) -> None:
    record = upstream_record("tf1_train_tags")
    (run,) = [r for r in record["runs"] if r["api"] == "hub.KerasLayer" and r["kwargs"].get("tags")]
    layer = flavour.layer(str(upstream_dir / "tf1_train_tags"), **run["kwargs"])
    clone = flavour.layer.from_config(layer.get_config())
    x = np.array(run["inputs"]["x"]["value"], np.float32)
    expected = np.array(run["outputs"]["value"], np.float32)
    np.testing.assert_allclose(clone(x).numpy(), expected, atol=1e-5)
    assert layer.get_config()["tags"] == ["train"]


def test_a_string_tags_is_one_tag_as_upstream_passed_it_to_tensorflow(flavour, upstream_dir):
    """Upstream's layer handed `tags` to `tf.saved_model.load`, which takes a string as one
    tag; tfhub's split `tags="train"` into the tags ['a', 'i', 'n', 'r', 't']."""
    handle = str(upstream_dir / "tf1_train_tags")
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)
    layer = flavour.layer(handle, tags="train")
    np.testing.assert_allclose(layer(x).numpy(), flavour.layer(handle, tags={"train"})(x).numpy())
    assert layer.get_config()["tags"] == ["train"]


def test_compute_output_shape_without_output_shape_traces(flavour, model_dir) -> None:
    layer = flavour.layer(model_dir["tf2"], signature="features", output_key="hidden")
    assert tuple(layer.compute_output_shape((5, 3))) == (5, 4)


def test_compute_output_shape_of_dict_inputs_and_of_a_ragged_model(
    flavour, model_dir, tmp_path
) -> None:
    """As tf_keras (and so upstream's layer): dict input shapes are traced, and a model that
    cannot take dense inputs is a NotImplementedError (Keras 3's raised a raw TypeError)."""
    import tensorflow as tf

    layer = flavour.layer(model_dir["dict_io"], output_key="sum")
    assert tuple(layer.compute_output_shape({"a": (None, 2), "b": (None, 2)})) == (None, 2)
    ragged = tf.Module()
    ragged.__call__ = tf.function(
        lambda x: tf.reduce_sum(x, axis=1, keepdims=True),
        input_signature=[tf.RaggedTensorSpec([None, None], tf.float32)],
    )
    tf.saved_model.save(ragged, str(tmp_path / "ragged"))
    with pytest.raises(NotImplementedError):
        flavour.layer(str(tmp_path / "ragged")).compute_output_shape((None, None))


def test_trainable_toggle_controls_weights_losses_and_training(flavour, model_dir) -> None:
    layer = flavour.layer(model_dir["tf2"])
    expected = models.tf2_module_expected(X)
    np.testing.assert_allclose(layer(X, training=True).numpy(), expected["logits"], atol=1e-5)
    assert layer.trainable_weights == []
    frozen_losses = [float(v) for v in layer.losses]
    assert frozen_losses == ([] if flavour.name == "keras3" else [0.0, 0.0])
    layer.trainable = True
    assert len(layer.trainable_weights) == 4
    np.testing.assert_allclose([float(v) for v in layer.losses], expected["losses"], atol=1e-6)
    training_out = models.tf2_module_expected(X, training=True)["logits"]
    np.testing.assert_allclose(layer(X, training=True).numpy(), training_out, atol=1e-5)
    np.testing.assert_allclose(layer(X, training=False).numpy(), expected["logits"], atol=1e-5)


def test_fit_trains_weights_and_adds_regularization_losses(flavour, model_dir) -> None:
    keras = flavour.keras
    layer = flavour.layer(model_dir["tf2"], trainable=True)
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    assert len(model.losses) == 2
    before = [w.numpy().copy() for w in layer.weights]
    y = np.zeros((3, 2), np.float32)
    loss = model.fit(X, y, epochs=1, batch_size=3, shuffle=False, verbose=0).history["loss"][0]
    train_out = models.tf2_module_expected(X, training=True)
    # fit runs the training=True branch and adds the regularization losses.
    expected_loss = np.mean(train_out["logits"] ** 2) + train_out["losses"].sum()
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    changed = [not np.allclose(b, w.numpy()) for b, w in zip(before, layer.weights, strict=True)]
    assert changed == [True, True, True, True, False]
    layer.trainable = False
    assert [float(v) for v in model.losses] in ([], [0.0, 0.0])


def test_dropout_model_sees_training_flag(flavour, model_dir) -> None:
    x = np.ones((64, 4), np.float32)
    frozen = flavour.layer(model_dir["dropout"])
    np.testing.assert_allclose(frozen(x, training=True).numpy(), 2 * x)  # Frozen: no dropout.
    layer = flavour.layer(model_dir["dropout"], trainable=True)
    np.testing.assert_allclose(layer(x, training=False).numpy(), 2 * x)
    dropped = layer(x, training=True).numpy()
    assert set(np.unique(dropped)) <= {0.0, 4.0}
    assert 0.2 < np.mean(dropped == 0.0) < 0.8


def test_training_given_as_a_bool_tensor_picks_the_mode(flavour, model_dir) -> None:
    """A custom train step's flag (a bool tensor): upstream's layer, and Keras's own Dropout,
    train with tf.constant(True); tfhub's Keras 3 layer took any tensor as False."""
    import tensorflow as tf

    x = np.ones((64, 4), np.float32)
    layer = flavour.layer(model_dir["dropout"], trainable=True)
    frozen = flavour.layer(model_dir["dropout"])
    traced = tf.function(lambda inputs, flag: layer(inputs, training=flag))
    for dropped in (layer(x, training=tf.constant(True)), traced(x, tf.constant(True))):
        assert set(np.unique(dropped.numpy())) <= {0.0, 4.0}
        assert 0.2 < np.mean(dropped.numpy() == 0.0) < 0.8
    np.testing.assert_allclose(layer(x, training=tf.constant(False)).numpy(), 2 * x)
    np.testing.assert_allclose(traced(x, tf.constant(False)).numpy(), 2 * x)
    np.testing.assert_allclose(frozen(x, training=tf.constant(True)).numpy(), 2 * x)


def test_batch_norm_model_updates_statistics_only_when_trainable(flavour, model_dir) -> None:
    keras = flavour.keras
    x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    for trainable, mean_after in [(False, [0.0, 0.0]), (True, [1.0, 2.0])]:
        layer = flavour.layer(model_dir["batch_norm"], trainable=trainable)
        model = keras.Sequential([keras.Input((2,)), layer, keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(0.0), "mse")
        model.fit(x, np.zeros((2, 1)), epochs=1, batch_size=2, shuffle=False, verbose=0)
        moving_mean = [w for w in layer.non_trainable_weights if "moving_mean" in w.name][0]
        np.testing.assert_allclose(moving_mean.numpy(), mean_after, atol=1e-6)
        # Inference uses the moving statistics: (x - mean) / sqrt(var + eps).
        var = 1.0 if not trainable else np.array([1.0, 4.0]) * 0.5 + 0.5
        expected = (x - np.array(mean_after)) / np.sqrt(var + 1e-3)
        np.testing.assert_allclose(layer(x, training=False).numpy(), expected, atol=1e-5)


def test_string_inputs_in_sequential(flavour, model_dir) -> None:
    import tensorflow as tf

    keras = flavour.keras
    layer = flavour.layer(model_dir["text"], input_shape=[], dtype=tf.string)
    dense = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")
    model = keras.Sequential([layer, dense])
    expected = models.text_embedding_expected(SENTENCES)
    sentences = tf.constant(SENTENCES)
    np.testing.assert_allclose(layer(sentences).numpy(), expected, atol=1e-5)
    predictions = model.predict(sentences, verbose=0)
    np.testing.assert_allclose(predictions, expected.sum(axis=1, keepdims=True), atol=1e-5)


def test_dict_inputs_and_outputs(flavour, model_dir) -> None:
    keras = flavour.keras
    inputs = {"a": keras.Input((2,), name="a"), "b": keras.Input((2,), name="b")}
    both = flavour.layer(model_dir["dict_io"])(inputs)
    only_sum = flavour.layer(model_dir["dict_io"], output_key="sum")(inputs)
    model = keras.Model(inputs, [both["prod"], only_sum])
    a = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    b = np.array([[0.5, -1.0], [2.0, 0.0]], np.float32)
    prod, total = model.predict({"a": a, "b": b}, verbose=0)
    np.testing.assert_allclose(prod, a * b)
    np.testing.assert_allclose(total, a + 2 * b)
    shaped = flavour.layer(model_dir["dict_io"], output_shape={"sum": [2], "prod": [2]})
    assert {k: tuple(v.shape) for k, v in shaped(inputs).items()} == {
        "sum": (None, 2),
        "prod": (None, 2),
    }


def test_signature_with_dict_inputs_tf1(flavour, upstream_dir) -> None:
    keras = flavour.keras
    layer = flavour.layer(
        str(upstream_dir / "tf1_multi_sig"), signature="sum_pair", output_key="default"
    )
    inputs = {"a": keras.Input((), name="a"), "b": keras.Input((), name="b")}
    model = keras.Model(inputs, layer(inputs))
    a, b = np.array([1.0, 2.0, 3.0], np.float32), np.array([0.5, -1.0, 10.0], np.float32)
    np.testing.assert_allclose(model.predict({"a": a, "b": b}, verbose=0), [2.0, 0.0, 23.0])


def test_output_shape_with_unknown_batch_lets_dense_build(
    flavour, upstream_dir, served_dir, server
) -> None:
    """half_plus_two_v1 has outputs of unknown shape; output_shape fixes them."""
    keras = flavour.keras
    (served_dir / "half_plus_two_v1.tar.gz").write_bytes(
        (upstream_dir / "half_plus_two_v1.tar.gz").read_bytes()
    )
    layer = flavour.layer(server.url("half_plus_two_v1.tar.gz"), output_shape=[1])
    inputs = keras.Input((1,))
    hidden = layer(inputs)
    assert tuple(hidden.shape) == (None, 1)
    dense = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")
    model = keras.Model(inputs, dense(hidden))
    out = model.predict(np.array([[1.0], [2.0], [10.0]], np.float32), verbose=0)
    np.testing.assert_allclose(out, [[2.5], [3.0], [7.0]])


def test_a_fixed_batch_module_is_not_said_to_take_any_batch(flavour, model_dir, tmp_path) -> None:
    """A module traced for a batch of 1 got "(the batch dimension may vary)" in its input
    error, when it takes exactly one example; a module with a free batch still gets it."""
    import tensorflow as tf

    class One(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 3], tf.float32)])
        def __call__(self, x):
            return x * 2.0

    tf.saved_model.save(One(), str(tmp_path / "one"))
    with pytest.raises(errors.InputSpecError, match=r"float32\[1, 3\]") as caught:
        flavour.layer(str(tmp_path / "one"))(tf.zeros((2, 3)))
    assert "may vary" not in str(caught.value)
    with pytest.raises(errors.InputSpecError, match=r"\(the batch dimension may vary\)"):
        flavour.layer(model_dir["tf2"])(tf.zeros((2, 5)))


def test_errors_name_what_is_expected(flavour, model_dir) -> None:
    import tensorflow as tf

    with pytest.raises(errors.UnknownOutputKeyError, match=r"available: \['hidden', 'logits'\]"):
        flavour.layer(model_dir["tf2"], signature="features", output_key="nope")
    layer = flavour.layer(model_dir["dict_io"], output_key="nope")
    with pytest.raises(
        errors.UnknownOutputKeyError, match=r"available: \['prod', 'sum'\]"
    ) as raised:
        layer({"a": tf.zeros((1, 2)), "b": tf.zeros((1, 2))})
    assert raised.value.available == ["prod", "sum"]  # Kept when Keras re-creates the error.
    layer = flavour.layer(model_dir["tf2"])
    with pytest.raises(
        errors.InputSpecError, match=r"float32\[None, 3\].*Received: inputs=float32\[2, 5\]"
    ):
        layer(tf.zeros((2, 5)))
    with pytest.raises(errors.InputSpecError, match=r"Received: inputs=int32\[2, 3\]"):
        layer(tf.zeros((2, 3), tf.int32))
    with pytest.raises(errors.InputSpecError, match=r"Received: inputs=float32\[None, 5\]"):
        layer(flavour.keras.Input((5,)))  # Symbolic inputs too.
    pair = flavour.layer(str(UPSTREAM_TF1), signature="sum_pair", output_key="default")
    with pytest.raises(errors.InputSpecError, match=r"'b': 'float32\[None\]'.*'c': "):
        pair({"a": tf.zeros((2,)), "c": tf.zeros((2,))})
    # `arguments` the function does not take, or lacks, are named when the layer is built (a
    # TypeError, as TensorFlow's at the first call).
    with pytest.raises(errors.ArgumentTypeError, match=r"\['scale'\].*takes \['sentences'\]"):
        flavour.layer(model_dir["text"], arguments={"scale": 2.0})
    with pytest.raises(TypeError, match=r"needs \['scale'\] besides its input"):
        flavour.layer(model_dir["scaled"])
    # output_shape must be nested like the outputs and fit them (ValueErrors, as TensorFlow's).
    two = {"a": tf.zeros((1, 2)), "b": tf.zeros((1, 2))}
    with pytest.raises(errors.ArgumentError, match=r"not nested like.*'prod': \[1, 2\]"):
        flavour.layer(model_dir["dict_io"], output_shape=[4])(two)
    with pytest.raises(ValueError, match=r"does not fit the model's output of shape \[2, 2\]"):
        flavour.layer(model_dir["tf2"], output_shape=[4])(tf.zeros((2, 3)))
    with pytest.raises(ValueError, match="signature_outputs_as_dict is only valid"):
        flavour.layer(model_dir["tf2"], signature_outputs_as_dict=True)
    with pytest.raises(ValueError, match=r"pass the rest by keyword. Received: _sentinel=\['x'\]"):
        flavour.layer(model_dir["tf2"], False, None, ["x"])  # A 4th positional argument.


def test_flavour_mixup_names_the_right_class(flavour, model_dir) -> None:
    import keras as keras3
    import tf_keras

    other = tf_keras if flavour.name == "keras3" else keras3
    right = (
        "tfhub.keras.tf_keras_layer.KerasLayer"
        if flavour.name == "keras3"
        else "tfhub.keras.layer.KerasLayer"
    )
    layer = flavour.layer(model_dir["tf2"])
    with pytest.raises(errors.KerasFlavourError, match=f"Use {right}"):
        layer(other.Input((3,)))
    with pytest.raises((TypeError, ValueError), match=right):
        other.Sequential([layer])  # The other Keras's own error quotes our repr.


def test_flavour_mixup_in_a_subclassed_model_names_the_right_class(flavour, model_dir) -> None:
    """Inside a subclassed model of the other flavour (whose fit would not see the layer's
    weights) the layer raises instead of running untracked."""
    import keras as keras3
    import tf_keras

    other = tf_keras if flavour.name == "keras3" else keras3
    right = "tf_keras_layer" if flavour.name == "keras3" else "layer"
    hub_layer = flavour.layer(model_dir["tf2"], trainable=True)

    class Classifier(other.Model):
        def __init__(self) -> None:
            super().__init__()
            self.hub_layer = hub_layer

        def call(self, x):
            return self.hub_layer(x)

    with pytest.raises(errors.KerasFlavourError, match=rf"Use tfhub\.keras\.{right}\.KerasLayer"):
        Classifier()(X)
    np.testing.assert_allclose(
        hub_layer(X).numpy(), models.tf2_module_expected(X)["logits"], atol=1e-5
    )


def test_tf_keras_layer_in_a_tf1_graph(upstream_dir) -> None:
    """tf_keras flavour, as upstream: usable in graph mode with a Session."""
    import tensorflow as tf

    from tfhub.keras.tf_keras_layer import KerasLayer

    with tf.Graph().as_default():
        tf2 = KerasLayer(str(upstream_dir / "tf2_saved_model"), trainable=True)
        text = KerasLayer(str(upstream_dir / "tf1_text_vocab"))
        outputs = [tf2(tf.constant([[1.0, 2.0, 3.0]]), training=False), text(tf.constant(["cat"]))]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            got_tf2, got_text = session.run(outputs)
    np.testing.assert_allclose(got_tf2, [[1.3012499, 4.2306256]], atol=1e-5)
    np.testing.assert_allclose(got_text, [[2.0, 1.875, 1.75, 1.625]], atol=1e-5)


def test_trainable_without_weights_logs_once(flavour, caplog) -> None:
    import tensorflow as tf

    layer = flavour.layer(tf.function(lambda x: x + 1.0), trainable=True)
    with caplog.at_level("WARNING", logger="tfhub.keras._layer_body"):
        np.testing.assert_allclose(layer(np.ones((1, 2), np.float32)).numpy(), [[2.0, 2.0]])
        layer(np.ones((1, 2), np.float32))
    # At ERROR, with upstream's words first (issue 11 item 7).
    assert [(r.levelname, r.message) for r in caplog.records].count(
        (
            "ERROR",
            "hub.KerasLayer is trainable but has zero trainable weights "
            f"(layer {layer.name!r}, handle {layer.handle!r}).",
        )
    ) == 1


def test_trainable_signature_fine_tunes_beyond_upstream(flavour, model_dir) -> None:
    """Upstream refused trainable=True with a signature; tfhub trains through it."""
    keras = flavour.keras
    layer = flavour.layer(
        model_dir["tf2"], trainable=True, signature="features", output_key="logits"
    )
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = model.predict(X, verbose=0)
    np.testing.assert_allclose(before, models.tf2_module_expected(X)["logits"], atol=1e-5)
    model.fit(X, np.zeros((3, 2), np.float32), epochs=3, batch_size=3, verbose=0)
    after = model.predict(X, verbose=0)
    assert np.mean(after**2) < np.mean(before**2)  # Moved toward the zero targets.
    assert not np.allclose(layer.resolved_object.variables[0].numpy(), models.TF2_KERNEL)


def test_a_saved_tf_module_fine_tunes_its_tracked_variables(flavour, tmp_path) -> None:
    """A `tf.Module` saved with `tf.saved_model.save` restores without `variables` or
    `trainable_variables` attributes: upstream's layer (and tfhub's before) found no weights,
    logged "zero trainable weights" and trained only the layers after it. The layer now takes
    the variables the model tracks, each trainable or not as saved."""
    import tensorflow as tf

    keras = flavour.keras

    class Scale(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kernel = tf.Variable([[1.0], [1.0]], name="kernel")
            self.calls = tf.Variable(0.0, trainable=False, name="calls")

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return tf.matmul(x, self.kernel)

    path = str(tmp_path / "scale")
    tf.saved_model.save(Scale(), path)
    restored = hub.load(path)
    assert not hasattr(restored, "variables") and not hasattr(restored, "trainable_variables")
    frozen = flavour.layer(path)
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 2
    layer = flavour.layer(path, trainable=True)
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(2, 1)]  # kernel
    assert [tuple(w.shape) for w in layer.non_trainable_weights] == [()]  # calls
    model = keras.Sequential([keras.Input((2,)), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    y = x @ np.array([[2.0], [-1.0]], np.float32)
    # 60 SGD steps on the batch x: one epoch of 60 such batches, in order (as 60 epochs of the
    # one batch did), without Keras 3's per-epoch overhead (most of the test's CPU time).
    steps = 60
    model.fit(
        np.tile(x, (steps, 1)), np.tile(y, (steps, 1)), batch_size=len(x), epochs=1,
        shuffle=False, verbose=0,
    )  # fmt: skip
    np.testing.assert_allclose(layer.trainable_weights[0].numpy(), [[2.0], [-1.0]], atol=0.05)


def test_a_function_of_a_dropped_model_says_to_keep_the_model(flavour, model_dir) -> None:
    """`hub.KerasLayer(hub.load(handle).__call__)` keeps the function, and nothing keeps the
    object that owns its variables: TensorFlow said "Called a function referencing variables
    which have been deleted. This likely means that function-local variables were created..."."""
    import gc

    layer = flavour.layer(hub.load(model_dir["tf2"]).__call__)
    gc.collect()
    with pytest.raises(errors.DeletedModelError, match=r"`model = hub.load\(handle\)`") as caught:
        layer(X)
    assert isinstance(caught.value, AssertionError)  # As TensorFlow's error.
    kept = hub.load(model_dir["tf2"])
    layer = flavour.layer(kept.__call__)
    gc.collect()
    assert layer(X).shape[0] == len(X)


def test_python_lists_are_inputs_as_the_models_pages_write_them(flavour, model_dir) -> None:
    """`embed = hub.KerasLayer(url); embed(["cat is on the mat", "dog is in the fog"])`: Keras 3
    said "Only input tensors may be passed as positional arguments" (tf_keras took them)."""
    import tensorflow as tf

    sentences = ["hello world", "the CAT sat", ""]
    embed = flavour.layer(model_dir["text"])
    np.testing.assert_allclose(embed(sentences), embed(tf.constant(sentences)))
    np.testing.assert_allclose(embed(tuple(sentences)), embed(tf.constant(sentences)))
    layer = flavour.layer(model_dir["tf2"])
    np.testing.assert_allclose(layer(X.tolist()), layer(tf.constant(X)), rtol=1e-6)
    lengths = tf.function(
        lambda x: x.row_lengths(), input_signature=[tf.RaggedTensorSpec([None, None], tf.string)]
    )
    assert flavour.layer(lengths)([["a", "b"], ["c"]]).numpy().tolist() == [2, 1]
    dict_io = flavour.layer(model_dir["dict_io"], output_key="sum")
    got = dict_io({"a": [[1.0, 2.0]], "b": tf.constant([[3.0, 4.0]])})
    np.testing.assert_allclose(got, [[7.0, 10.0]])


def test_one_device_strategy_trains_variables_it_did_not_create(model_dir, upstream_dir) -> None:
    """Keras 3 under OneDeviceStrategy updates any variable: a TF1 module (whose variables no
    strategy creates) and a layer built outside the scope train there, as before tfhub refused
    them under the strategies that mirror variables (tests/keras/test_subprocess.py)."""
    import keras
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)
    with strategy.scope():
        tf1_layer = KerasLayer(str(upstream_dir / "tf1_multi_sig"), trainable=True)
    tf2_layer = KerasLayer(model_dir["tf2"], trainable=True)
    for layer in (tf1_layer, tf2_layer):
        model = keras.Sequential([keras.Input((3,)), layer])
        with strategy.scope():
            model.compile(keras.optimizers.SGD(0.1), "mse")
            before = [w.numpy() for w in layer.trainable_weights]
            model.fit(x, np.ones((2, 2), np.float32), verbose=0)
        after = [w.numpy() for w in layer.trainable_weights]
        assert any(not np.allclose(a, b) for a, b in zip(after, before, strict=True)), layer.handle
