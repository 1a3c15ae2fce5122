"""Replays what the real tensorflow_hub recorded (tests/data/upstream/*.expected.json).

Every `hub.KerasLayer` run, the one-step `fit`, the weights and losses, and upstream's error
messages, in both Keras flavours.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from tests._helpers.upstream_records import (
    assert_matches_record,
    record_array,
    upstream_path,
)
from tests._helpers.upstream_records import record as upstream_record

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf

FIXTURES = [
    "tf2_saved_model",
    "tf2_text_embedding",
    "tf1_multi_sig",
    "tf1_text_vocab",
    "tf1_train_tags",
    "tf1_image_info",
]


def _keras_runs() -> list[tuple[str, int]]:
    cases = []
    for name in FIXTURES:
        runs = upstream_record(name)["runs"]
        cases += [(name, i) for i, run in enumerate(runs) if run["api"] == "hub.KerasLayer"]
    return cases


def _inputs(run: dict):
    inputs = {key: record_array(value) for key, value in run["inputs"].items()}
    kwargs = run.get("kwargs", {})
    if kwargs.get("signature") and len(inputs) > 1:
        return inputs
    (only,) = inputs.values()
    if only.dtype == object:
        import tensorflow as tf

        return tf.constant(only.tolist())
    return only


def _stem(name: str) -> str:
    """'hidden/kernel:0' -> 'hidden_kernel' (Keras 3's spelling), without the '_1' that tf_keras
    layers add while another live hub layer holds the name (see docs/keras.md, `.h5`)."""
    return re.sub(r"_\d+$", "", name.split(":")[0].replace("/", "_"))


@pytest.mark.parametrize(("name", "index"), _keras_runs())
def test_keras_layer_runs_match_upstream(flavour, name: str, index: int) -> None:
    run = upstream_record(name)["runs"][index]
    kwargs = dict(run["kwargs"])
    if kwargs.get("dtype") == "string":
        kwargs["dtype"] = "string"
    layer = flavour.layer(upstream_path(name), **kwargs)
    inputs = _inputs(run)
    if "outputs" in run:
        assert_matches_record(layer(inputs), run["outputs"])
    if "outputs_training_true" in run:
        assert_matches_record(layer(inputs, training=True), run["outputs_training_true"])
    if "outputs_training_false" in run:
        assert_matches_record(layer(inputs, training=False), run["outputs_training_false"])
    if "weights" in run:
        assert [_stem(w.name) for w in layer.weights] == [_stem(w["name"]) for w in run["weights"]]
        assert [list(w.shape) for w in layer.weights] == [w["shape"] for w in run["weights"]]
    assert [_stem(w.name) for w in layer.trainable_weights] == [
        _stem(w) for w in run["trainable_weights"]
    ]
    expected_losses = run.get("losses", [])
    if flavour.name == "keras3" and not kwargs.get("trainable"):
        expected_losses = []  # Keras 3 lists regularization losses only while trainable.
    elif flavour.name == "tf_keras" and name.startswith("tf1_"):
        # Beyond upstream, TF1 modules' REGULARIZATION_LOSSES are read; tf_keras lists them
        # as 0 while frozen, as upstream does for TF2 models.
        expected_losses = [0.0] * len(_tf1_module_losses(name))
    np.testing.assert_allclose([float(x) for x in layer.losses], expected_losses, atol=1e-6)


def test_one_step_fit_matches_upstream(flavour) -> None:
    record = upstream_record("tf2_saved_model")["keras_fit_one_step"]
    x = record_array(upstream_record("tf2_saved_model")["runs"][0]["inputs"]["x"])
    keras = flavour.keras
    layer = flavour.layer(upstream_path("tf2_saved_model"), trainable=True)
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    history = model.fit(
        x, np.zeros((3, 2), np.float32), epochs=1, batch_size=3, shuffle=False, verbose=0
    )
    assert history.history["loss"][0] == pytest.approx(record["loss"], abs=1e-5)
    after = {_stem(k): v for k, v in record["weights_after"].items()}
    for weight in layer.weights:
        np.testing.assert_allclose(
            weight.numpy(), record_array(after[_stem(weight.name)]), atol=1e-5
        )
    # The SavedModel's own variables were trained (no copies).
    np.testing.assert_allclose(
        layer.resolved_object.variables[0].numpy(), record_array(after["hidden_kernel"]), atol=1e-5
    )


def _tf1_module_losses(name: str) -> list[float]:
    """The REGULARIZATION_LOSSES values upstream's hub.Module(trainable=True) reported."""
    for run in upstream_record(name)["runs"]:
        if run["api"] == "hub.Module" and run["trainable"] and not run["tags"]:
            return [loss["value"] for loss in run["graph_regularization_losses"]]
    return []


def _upstream_error(name: str, call_prefix: str) -> dict:
    (error,) = [e for e in upstream_record(name)["errors"] if e["call"].startswith(call_prefix)]
    return error


def test_unknown_signature_lists_available_ones(flavour) -> None:
    error = _upstream_error("tf2_saved_model", "hub.KerasLayer(path, signature='nope'")
    with pytest.raises(errors.UnknownSignatureError) as info:
        flavour.layer(
            upstream_path("tf2_saved_model"), signature="nope", signature_outputs_as_dict=True
        )
    assert isinstance(info.value, ValueError) and error["raises"] == "ValueError"
    message = str(info.value)
    assert message.startswith("Unknown signature 'nope' in ")
    assert "['features', 'serving_default']" in message
    assert message.endswith("Received: signature='nope'")


def test_signature_without_output_choice_is_refused(flavour) -> None:
    error = _upstream_error("tf2_saved_model", "hub.KerasLayer(path, signature='features')")
    with pytest.raises(ValueError) as info:
        flavour.layer(upstream_path("tf2_saved_model"), signature="features")
    assert str(info.value).startswith(error["message"])
    assert "Received: signature='features', output_key=None" in str(info.value)


def test_hub_load_unknown_tags_lists_tag_sets() -> None:
    error = _upstream_error("tf2_saved_model", "hub.load(path, tags={'train'})")
    with pytest.raises(errors.UnknownTagsError) as info:
        hub.load(upstream_path("tf2_saved_model"), tags={"train"})
    assert error["raises"] == "ValueError" and isinstance(info.value, ValueError)
    assert "Its tag sets are: ['serve']" in str(info.value)


def test_tf1_trainable_is_supported_beyond_upstream(flavour) -> None:
    """Upstream refused trainable=True for TF1 modules; tfhub trains their variables."""
    error = _upstream_error("tf1_multi_sig", "hub.KerasLayer(path, trainable=True)")
    assert "unsupported when loading from the TF1 Hub format" in error["message"]
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)
    keras = flavour.keras
    layer = flavour.layer(upstream_path("tf1_multi_sig"), trainable=True)
    before = [w.numpy().copy() for w in layer.trainable_weights]
    np.testing.assert_allclose(
        [float(v) for v in layer.losses], _tf1_module_losses("tf1_multi_sig"), atol=1e-6
    )
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(x, np.zeros((2, 2), np.float32), epochs=1, batch_size=2, verbose=0)
    changed = [
        not np.allclose(b, w.numpy()) for b, w in zip(before, layer.trainable_weights, strict=True)
    ]
    assert changed == [True, True, True, True, False]  # pair/scale is not used by `default`.
    assert len(model.losses) == 2


def test_tf1_update_ops_run_when_training(flavour) -> None:
    """Beyond upstream: a trainable TF1 layer runs the graph's UPDATE_OPS (batch norm) when
    training, giving the moving statistics upstream's hub.Module recorded after one run."""
    record = upstream_record("tf1_train_tags")
    (module_run,) = [
        r for r in record["runs"] if r["api"] == "hub.Module" and r["trainable"] and r["tags"]
    ]
    x = record_array(module_run["inputs"]["x"])
    layer = flavour.layer(upstream_path("tf1_train_tags"), trainable=True, tags=["train"])
    stats = {_stem(w.name): w for w in layer.non_trainable_weights}
    before = stats["bn_moving_mean"].numpy().copy()
    layer(x, training=False)
    np.testing.assert_allclose(stats["bn_moving_mean"].numpy(), before)
    assert_matches_record(layer(x, training=True), module_run["outputs"]["default"])
    for name, value in module_run["after_running_update_ops_once"].items():
        stem = _stem(name.removeprefix("module/"))
        np.testing.assert_allclose(stats[stem].numpy(), record_array(value), atol=1e-5)
    frozen = flavour.layer(upstream_path("tf1_train_tags"), tags=["train"])
    frozen(x, training=True)  # Frozen: inference function, no updates.
    # (tf_keras names it bn/moving_mean_1:0: names are unique among live hub layers, for .h5.)
    (frozen_mean,) = [w for w in frozen.non_trainable_weights if "moving_mean" in w.name]
    np.testing.assert_allclose(frozen_mean.numpy(), before)
