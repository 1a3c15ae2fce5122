"""tensorflow_hub 0.10.0's keras_layer_test.py, case by case, on Keras 3 and on tf_keras.

Upstream's test models are rebuilt here as upstream built them (with tf_keras, upstream's
Keras, either as a hand-made `tf.train.Checkpoint` or with `tf.saved_model.save(keras_model)`,
and a TF1 Hub module made with `hub.create_module_spec`), once per module. Each test checks
upstream's assertions through `import tfhub as hub`. The Estimator cases are not here:
`tf.estimator` is gone from TensorFlow 2.21 (the report of session 33 lists them).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers._across_workers import computed_once

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf


def _json_cycle(x: Any) -> Any:
    return json.loads(json.dumps(x))


# --- upstream's models --------------------------------------------------------------------


def _save_half_plus_one(path: str, *, from_keras: bool) -> str:
    """y = w*x + 1 with w = 0.5 trainable (l2 0.01) and the `plus_1` Dense frozen."""
    inp = tf_keras.layers.Input(shape=(1,), dtype=tf.float32)
    times_w = tf_keras.layers.Dense(
        1,
        kernel_initializer=tf_keras.initializers.Constant([[0.5]]),
        kernel_regularizer=tf_keras.regularizers.l2(0.01),
        use_bias=False,
    )
    plus_1 = tf_keras.layers.Dense(
        1,
        kernel_initializer=tf_keras.initializers.Constant([[1.0]]),
        bias_initializer=tf_keras.initializers.Constant([1.0]),
        trainable=False,
    )
    model = tf_keras.Model(inp, plus_1(times_w(inp)))
    return _save_regularized(model, times_w.kernel, tf.float32, path, from_keras=from_keras)


def _save_regularized(model: Any, kernel: Any, dtype: Any, path: str, *, from_keras: bool) -> str:
    """Saves `model` (inputs [batch, 1] of `dtype`, one regularization loss) as tf_keras saves
    it, or as a reusable SavedModel of its own whose one trainable variable is `kernel`."""
    if from_keras:
        tf.saved_model.save(model, path)
        return path
    obj = tf.train.Checkpoint()
    obj.__call__ = tf.function(
        lambda inputs: model(inputs, training=False),
        input_signature=[tf.TensorSpec((None, 1), dtype)],
    )
    obj.variables = model.trainable_variables + model.non_trainable_variables
    obj.trainable_variables = [kernel]
    obj.regularization_losses = [tf.function(lambda: model.losses[0], input_signature=[])]
    tf.saved_model.save(obj, path)
    return path


class _StringLength(tf_keras.layers.Layer):
    def call(self, inputs: Any) -> Any:
        return tf.strings.length(inputs)


def _save_2d_text_embedding(path: str, *, from_keras: bool) -> str:
    """y = length(text) * w, w = [0.1, 0.3] trainable."""
    inp = tf_keras.layers.Input(shape=(1,), dtype=tf.string)
    times_w = tf_keras.layers.Dense(
        2,
        kernel_initializer=tf_keras.initializers.Constant([0.1, 0.3]),
        kernel_regularizer=tf_keras.regularizers.l2(0.01),
        use_bias=False,
    )
    model = tf_keras.Model(inp, times_w(_StringLength()(inp)))
    return _save_regularized(model, times_w.kernel, tf.string, path, from_keras=from_keras)


def _save_batch_norm(path: str, *, from_keras: bool) -> str:
    inp = tf_keras.layers.Input(shape=(1,), dtype=tf.float32)
    bn = tf_keras.layers.BatchNormalization(momentum=0.8)
    model = tf_keras.Model(inp, bn(inp))
    if from_keras:
        tf.saved_model.save(model, path)
        return path

    @tf.function
    def call_fn(inputs: Any, training: bool = False) -> Any:
        return model(inputs, training=training)

    for training in (True, False):
        call_fn.get_concrete_function(tf.TensorSpec((None, 1), tf.float32), training=training)
    obj = tf.train.Checkpoint()
    obj.__call__ = call_fn
    obj.trainable_variables = [bn.beta, bn.gamma]
    obj.variables = [bn.beta, bn.gamma, bn.moving_mean, bn.moving_variance]
    obj.regularization_losses = []
    tf.saved_model.save(obj, path)
    return path


def _save_hparams(path: str) -> str:
    """y = a*x + b with hyperparameters a=1, b=0 and no variables."""

    @tf.function(
        input_signature=[
            tf.TensorSpec((None, 1), tf.float32),
            tf.TensorSpec((), tf.float32),
            tf.TensorSpec((), tf.float32),
        ]
    )
    def call_fn(x: Any, a: float = 1.0, b: float = 0.0) -> Any:
        return tf.add(tf.multiply(a, x), b)

    obj = tf.train.Checkpoint()
    obj.__call__ = call_fn
    tf.saved_model.save(obj, path)
    return path


def _save_custom_attributes(path: str, scratch: str, *, from_keras: bool) -> str:
    """Parses an integer; `sample_input` (an Asset) and `sample_output` (a Variable) ride along."""

    def parse(a: Any) -> Any:
        return tf.strings.to_number(a, tf.int64)

    if from_keras:
        inp = tf_keras.layers.Input(shape=(1,), dtype=tf.string)
        model: Any = tf_keras.Model(inp, tf_keras.layers.Lambda(parse)(inp))
    else:
        model = tf.train.Checkpoint()
        model.__call__ = tf.function(parse, input_signature=[tf.TensorSpec((None, 1), tf.string)])
    os.makedirs(scratch, exist_ok=True)
    source = os.path.join(scratch, "number.txt")
    Path(source).write_text("12345\n")
    model.sample_input = tf.saved_model.Asset(source)
    model.sample_output = tf.Variable([[12345]], dtype=tf.int64)
    tf.saved_model.save(model, path)
    os.remove(source)  # The SavedModel's own copy must be the one read.
    return path


def _save_dict_input_output(path: str) -> str:
    """sigma = [x+y, x+2y] and, with return_dict=True, delta = x-y."""

    @tf.function
    def call_fn(d: Any, return_dict: bool = False) -> Any:
        x, y = d["x"], d["y"]
        sigma = tf.concat([tf.add(x, y), tf.add(x, 2 * y)], axis=-1)
        return {"sigma": sigma, "delta": tf.subtract(x, y)} if return_dict else sigma

    spec = {"x": tf.TensorSpec((None, 1), tf.float32), "y": tf.TensorSpec((None, 1), tf.float32)}
    for return_dict in (False, True):
        call_fn.get_concrete_function(spec, return_dict=return_dict)
    obj = tf.train.Checkpoint()
    obj.__call__ = call_fn
    tf.saved_model.save(obj, path)
    return path


def _save_obscurely_shaped_list_output(path: str) -> str:
    """Outputs i*x broadcast to [batch, i, ..., i] for i = 1, 2, 3, shapes unknown statically."""

    def obscure_broadcast(value: Any, shape: Any) -> Any:
        noise = 0.1 * tf.sin(tf.random.uniform((), -3, +3)) + 0.3
        return tf.broadcast_to(value, tf.cast(tf.cast(shape, tf.float32) + noise, tf.int32))

    @tf.function(input_signature=[tf.TensorSpec((None, 1), tf.float32)])
    def call_fn(x: Any) -> Any:
        batch = tf.shape(x)[0]
        return [
            obscure_broadcast(
                tf.reshape(i * x, [batch] + [1] * i), tf.concat([[batch], [i] * i], axis=0)
            )
            for i in range(1, 4)
        ]

    obj = tf.train.Checkpoint()
    obj.__call__ = call_fn
    tf.saved_model.save(obj, path)
    return path


def _save_plus_one(path: str) -> str:
    obj = tf.train.Checkpoint()
    obj.__call__ = tf.function(lambda x: x + 1, input_signature=[tf.TensorSpec(None, tf.float32)])
    tf.saved_model.save(obj, path)
    return path


def _save_plus_one_keras_default_callable(path: str) -> str:
    """`__call__` is the identity unless training; the `plus_one` signature adds one."""
    obj = tf.train.Checkpoint()
    obj.plus_one = tf.function(lambda x: x + 1, input_signature=[tf.TensorSpec(None, tf.float32)])

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32), tf.TensorSpec((), tf.bool)])
    def keras_default(x: Any, training: Any = False) -> Any:
        return x + 1 if training else x

    obj.__call__ = keras_default
    tf.saved_model.save(obj, path, signatures={"plus_one": obj.plus_one})
    return path


def _save_plus_one_hub_module_v1(path: str) -> str:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(dtype=tf.float32, name="x")
        hub.add_signature(inputs=x, outputs=x + 1)

    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf.compat.v1.Session() as session:
            module.export(path, session)
    return path


def _save_half_plus_one_hub_module_v1(path: str) -> str:
    """The TF1 Hub module of y = w*x + 1: w = 0.5 trainable (l2 0.01), the `+ 1` frozen."""

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(shape=(None, 1), dtype=tf.float32)
        w = tf.compat.v1.get_variable(
            "w", initializer=tf.constant([[0.5]]), regularizer=lambda v: 0.01 * tf.reduce_sum(v**2)
        )
        one = tf.compat.v1.get_variable("one", initializer=tf.constant([[1.0]]), trainable=False)
        bias = tf.compat.v1.get_variable("bias", initializer=tf.constant([1.0]), trainable=False)
        hub.add_signature(inputs=x, outputs=tf.matmul(tf.matmul(x, w), one) + bias)

    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(path, session)
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every model of upstream's test, built once per run (shared by the xdist workers: the
    tests only read them); keys name the model and how it was saved."""
    return computed_once(
        tmp_path_factory, "keras_probes33_saved", lambda: _save_all(tmp_path_factory)
    )


def _save_all(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Builds every model of upstream's test in a new folder; returns their paths by name."""
    root = tmp_path_factory.mktemp("upstream_keras_models")
    builders: dict[str, Callable[[str], str]] = {
        "hparams": _save_hparams,
        "dicts": _save_dict_input_output,
        "obscure": _save_obscurely_shaped_list_output,
        "plus_one": _save_plus_one,
        "plus_one_keras_default": _save_plus_one_keras_default_callable,
        "plus_one_tf1": _save_plus_one_hub_module_v1,
        "half_plus_one_tf1": _save_half_plus_one_hub_module_v1,
    }
    for kind in ("raw", "keras"):
        keras_ = kind == "keras"
        builders[f"half_plus_one_{kind}"] = lambda p, k=keras_: _save_half_plus_one(p, from_keras=k)
        builders[f"text_2d_{kind}"] = lambda p, k=keras_: _save_2d_text_embedding(p, from_keras=k)
        builders[f"batch_norm_{kind}"] = lambda p, k=keras_: _save_batch_norm(p, from_keras=k)
        builders[f"custom_{kind}"] = lambda p, k=keras_: _save_custom_attributes(
            p, os.fspath(root / f"scratch_{k}"), from_keras=k
        )
    return {name: build(os.fspath(root / name)) for name, build in builders.items()}


SAVED_AS = ["raw", "keras"]
RETRAIN_AS = [*SAVED_AS, "tf1"]  # TF1: beyond upstream (it refused trainable TF1 eagerly).


def _names(variables: Any) -> set[str]:
    return {v.name for v in variables}


def _batch_norm_vars(layer: Any) -> list[Any]:
    """beta, gamma, moving_mean, moving_variance of the loaded model (upstream's helper)."""
    variables = sorted(layer.resolved_object.variables, key=lambda v: v.name)
    suffixes = ["beta", "gamma", "moving_mean", "moving_variance"]
    assert [v.name.split(":")[0].rsplit("/", 1)[-1] for v in variables] == suffixes
    return variables


def _losses(model: Any) -> np.ndarray:
    return np.array([np.asarray(loss) for loss in model.losses], np.float32)


# --- KerasTest ------------------------------------------------------------------------------


@pytest.mark.parametrize("saved_as", RETRAIN_AS)
def test_half_plus_one_retraining(flavour, saved, saved_as: str) -> None:
    keras = flavour.keras
    inp = keras.layers.Input(shape=(1,), dtype="float32")
    imported = flavour.layer(saved[f"half_plus_one_{saved_as}"], trainable=True)
    model = keras.Model(inp, imported(inp))
    np.testing.assert_array_equal(
        model(np.array([[0.0], [8.0], [10.0], [12.0]], np.float32)), [[1.0], [5.0], [6.0], [7.0]]
    )
    np.testing.assert_allclose(_losses(model), [0.0025], rtol=1e-6)
    assert len(model.trainable_weights) == 1
    assert len(model.trainable_weights[0].shape) == 2  # The kernel w.
    assert sorted(len(w.shape) for w in model.non_trainable_weights) == [1, 2]  # plus_1.
    assert not {id(w) for w in model.trainable_weights} & {
        id(w) for w in model.non_trainable_weights
    }
    model.compile(keras.optimizers.SGD(0.002), "mean_squared_error", run_eagerly=True)
    x = [[9.0], [10.0], [11.0]] * 10
    y = [[xi[0] / 2.0 + 6] for xi in x]
    # Upstream's 10 epochs of the one batch x, as one epoch of 10 steps on that batch (as in
    # test_batch_norm_retraining): the same 10 updates, without 10 epochs' overhead.
    steps = 10
    model.fit(
        np.array(x * steps), np.array(y * steps), batch_size=len(x), epochs=1, shuffle=False,
        verbose=0,
    )  # fmt: skip
    # The bias is not trainable: it stays 1.0; the kernel grows to almost 1.0 to compensate.
    np.testing.assert_array_equal(model(np.array([[0.0]], np.float32)), [[1.0]])
    np.testing.assert_allclose(model(np.array([[10.0]], np.float32)), [[11.0]], atol=0, rtol=0.03)
    np.testing.assert_allclose(_losses(model), [0.01], atol=0, rtol=0.06)


@pytest.mark.parametrize("saved_as", RETRAIN_AS)
def test_regularization_loss_follows_trainable_toggles(flavour, saved, saved_as: str) -> None:
    keras = flavour.keras
    inp = keras.layers.Input(shape=(1,), dtype="float32")
    imported = flavour.layer(saved[f"half_plus_one_{saved_as}"], trainable=False)
    model = keras.Model(inp, imported(inp))
    # Upstream (tf_keras) listed one zero loss when frozen; an empty list sums to the same.
    assert float(np.sum(_losses(model))) == 0.0
    for trainable, expected in [(True, 0.0025), (False, 0.0), (True, 0.0025)]:
        imported.trainable = trainable
        np.testing.assert_allclose(float(np.sum(_losses(model))), expected, rtol=1e-6)


@pytest.mark.parametrize("saved_as", SAVED_AS)
def test_batch_norm_retraining(flavour, saved, saved_as: str) -> None:
    keras = flavour.keras
    inp = keras.layers.Input(shape=(1,), dtype="float32")
    imported = flavour.layer(saved[f"batch_norm_{saved_as}"], trainable=True)
    beta, _, mean, _ = _batch_norm_vars(imported)
    model = keras.Model(inp, imported(inp))
    model.compile(keras.optimizers.SGD(0.1), "mean_squared_error", run_eagerly=True)
    x = [[11.0], [12.0], [13.0]]
    y = [[2 * xi[0]] for xi in x]
    # Upstream's 100 epochs of the one batch x, as one epoch of 100 steps on that batch (in
    # order: each step's batch is x, as each epoch's was): the same 100 updates, without Keras
    # 3's overhead of an epoch under run_eagerly (~0.07 s each, 15 of the test's 16 s).
    steps = 100
    model.fit(
        np.array(x * steps), np.array(y * steps), batch_size=len(x), epochs=1, shuffle=False,
        verbose=0,
    )  # fmt: skip
    np.testing.assert_allclose(mean.numpy(), [12.0], rtol=1e-5)
    np.testing.assert_allclose(beta.numpy(), [24.0], rtol=1e-5)
    np.testing.assert_allclose(model(np.array(x, np.float32)), y, rtol=1e-5)
    # Inference uses the aggregated statistics and runs no update.
    for _ in range(10):
        np.testing.assert_allclose(
            model(np.array([[10.0], [20.0], [30.0]], np.float32)),
            [[20.0], [40.0], [60.0]],
            rtol=1e-5,
        )
    np.testing.assert_allclose(mean.numpy(), [12.0], rtol=1e-5)
    np.testing.assert_allclose(beta.numpy(), [24.0], rtol=1e-5)


@pytest.mark.parametrize("saved_as", SAVED_AS)
def test_batch_norm_freezing(flavour, saved, saved_as: str) -> None:
    keras = flavour.keras
    inp = keras.layers.Input(shape=(1,), dtype="float32")
    imported = flavour.layer(saved[f"batch_norm_{saved_as}"], trainable=False)
    bn_vars = _batch_norm_vars(imported)
    dense = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant([[1.5]]), use_bias=False
    )
    model = keras.Model(inp, dense(imported(inp)))
    start = [0.0, 1.0, 0.0, 1.0]  # beta, gamma, mean, variance
    assert [float(v.numpy()[0]) for v in bn_vars] == start
    model.compile(keras.optimizers.SGD(0.1), "mean_squared_error", run_eagerly=True)
    x = [[1.0], [2.0], [3.0]]
    y = [[2 * xi[0]] for xi in x]
    # Upstream's 20 epochs of the one batch x, as one epoch of 20 steps on that batch.
    steps = 20
    model.fit(
        np.array(x * steps), np.array(y * steps), batch_size=len(x), epochs=1, shuffle=False,
        verbose=0,
    )  # fmt: skip
    assert [float(v.numpy()[0]) for v in bn_vars] == start
    np.testing.assert_allclose(model(np.array(x, np.float32)), y, rtol=1e-5)


@pytest.mark.parametrize("saved_as", SAVED_AS)
def test_custom_attributes_reach_resolved_object(flavour, saved, saved_as: str) -> None:
    imported = flavour.layer(saved[f"custom_{saved_as}"])
    expected = imported.resolved_object.sample_output.value().numpy()
    asset_path = imported.resolved_object.sample_input.asset_path.numpy()
    inputs = tf.constant([[tf.io.gfile.GFile(asset_path).read()]], dtype=tf.string)
    np.testing.assert_array_equal(np.asarray(imported(inputs)), expected)


@pytest.mark.parametrize("pass_output_shapes", [False, True])
def test_input_output_dict(flavour, saved, pass_output_shapes: bool) -> None:
    keras = flavour.keras
    x_in = keras.layers.Input(shape=(1,), dtype="float32")
    y_in = keras.layers.Input(shape=(1,), dtype="float32")
    dict_in = {"x": x_in, "y": y_in}
    kwargs: dict[str, Any] = {"arguments": {"return_dict": True}}
    if pass_output_shapes:
        kwargs["output_shape"] = {"sigma": (2,), "delta": (1,)}
    imported = flavour.layer(saved["dicts"], **kwargs)
    dict_out = imported(dict_in)
    delta_out, sigma_out = dict_out["delta"], dict_out["sigma"]
    concat_out = keras.layers.concatenate([delta_out, sigma_out])
    model = keras.Model(dict_in, [delta_out, sigma_out, concat_out])
    x = np.array([[11.0], [22.0], [33.0]], np.float32)
    y = np.array([[1.0], [2.0], [3.0]], np.float32)
    delta, sigma, concat = (np.asarray(o) for o in model({"x": x, "y": y}))
    np.testing.assert_allclose(delta, [[10.0], [20.0], [30.0]])
    np.testing.assert_allclose(sigma, [[12.0, 13.0], [24.0, 26.0], [36.0, 39.0]])
    np.testing.assert_allclose(concat, [[10, 12, 13], [20, 24, 26], [30, 36, 39]])
    config = imported.get_config()
    assert ("output_shape" in config) == pass_output_shapes
    new_layer = flavour.layer.from_config(_json_cycle(config))
    assert new_layer.get_config().get("output_shape") == config.get("output_shape")
    again = new_layer({"x": x, "y": y})
    np.testing.assert_allclose(np.asarray(again["delta"]), delta)


@pytest.mark.parametrize("pass_output_shapes", [False, True])
def test_output_shape_list(flavour, saved, pass_output_shapes: bool) -> None:
    keras = flavour.keras
    kwargs = {"output_shape": [[1], [2, 2], [3, 3, 3]]} if pass_output_shapes else {}
    inp = keras.layers.Input(shape=(1,), dtype="float32")
    imported = flavour.layer(saved["obscure"], **kwargs)
    outs = imported(inp)
    # Upstream's Estimator case: the symbolic shapes are the given ones, else unknown.
    for i, out in enumerate(outs, start=1):
        expected = [i] * i if pass_output_shapes else [None] * i
        assert list(out.shape)[1:] == expected
    model = keras.Model(inp, outs)
    single, double, triple = (np.asarray(o) for o in model(np.array([[1.0], [10.0]], np.float32)))
    np.testing.assert_allclose(single, [[1.0], [10.0]])
    np.testing.assert_allclose(double, np.array([1.0, 10.0])[:, None, None] * np.full((2, 2), 2.0))
    np.testing.assert_allclose(
        triple, np.array([1.0, 10.0])[:, None, None, None] * 3.0 * np.ones((3, 3, 3))
    )
    config = imported.get_config()
    assert ("output_shape" in config) == pass_output_shapes
    new_layer = flavour.layer.from_config(_json_cycle(config))
    assert new_layer.get_config().get("output_shape") == config.get("output_shape")


@pytest.mark.parametrize("saved_as", SAVED_AS)
def test_compute_output_shape(flavour, saved, saved_as: str) -> None:
    layer = flavour.layer(saved[f"half_plus_one_{saved_as}"])
    assert list(layer.compute_output_shape((10, 1))) == [10, 1]
    layer.get_config()


@pytest.mark.parametrize("saved_as", SAVED_AS)
def test_compute_output_shape_different_dtypes(flavour, saved, saved_as: str) -> None:
    """Strings in, floats out: the output shape comes from `output_shape`."""
    layer = flavour.layer(saved[f"text_2d_{saved_as}"], output_shape=(2,))
    assert list(layer.compute_output_shape((None, 1))) == [None, 2]
    assert list(layer.compute_output_shape((3, 1))) == [3, 2]


@pytest.mark.parametrize("saved_as", SAVED_AS)
def test_resave_with_mixed_precision(flavour, saved, saved_as: str, tmp_path) -> None:
    """A float32 model, fine-tuned under mixed_float16, saves as a SavedModel and loads back."""
    keras = flavour.keras
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        inp = keras.layers.Input(shape=(1,), dtype="string")
        imported = flavour.layer(saved[f"text_2d_{saved_as}"], trainable=True)
        model = keras.Model(inp, imported(inp))
        model.compile(
            keras.optimizers.SGD(0.002, momentum=0.001), "mean_squared_error", run_eagerly=True
        )
        x = tf.constant([["a"], ["aa"], ["aaa"]])
        y = np.array([[1.0], [2.0], [3.0]], np.float32)
        model.fit(x, y, verbose=0)
        expected = np.asarray(model(x), np.float32)
        if flavour.name == "keras3":
            model.export(os.fspath(tmp_path / "resaved"), format="tf_saved_model", verbose=False)
            reloaded = tf.saved_model.load(os.fspath(tmp_path / "resaved"))  # Kept alive.
            served = reloaded.serve(x)
        else:
            tf.saved_model.save(model, os.fspath(tmp_path / "resaved"))
            reloaded = tf.saved_model.load(os.fspath(tmp_path / "resaved"))
            served = reloaded(x)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    np.testing.assert_allclose(np.asarray(served, np.float32), expected, rtol=1e-2)


@pytest.mark.parametrize("saved_as", SAVED_AS)
def test_get_config_from_config(flavour, saved, saved_as: str) -> None:
    layer = flavour.layer(saved[f"half_plus_one_{saved_as}"])
    in_value = np.array([[10.0]], np.float32)
    result = np.asarray(layer(in_value))
    new_layer = flavour.layer.from_config(_json_cycle(layer.get_config()))
    np.testing.assert_array_equal(np.asarray(new_layer(in_value)), result)


def test_get_config_from_config_with_hparams(flavour, saved) -> None:
    layer = flavour.layer(saved["hparams"], arguments={"a": 10.0})  # Leaves b=0.
    in_value = np.array([[1.0], [2.0], [3.0]], np.float32)
    result = np.asarray(layer(in_value))
    np.testing.assert_array_equal(result, [[10.0], [20.0], [30.0]])
    new_layer = flavour.layer.from_config(_json_cycle(layer.get_config()))
    np.testing.assert_array_equal(np.asarray(new_layer(in_value)), result)


@pytest.mark.parametrize("saved_as", SAVED_AS)
def test_save_model_config(flavour, saved, saved_as: str) -> None:
    keras = flavour.keras
    model = keras.Sequential([flavour.layer(saved[f"half_plus_one_{saved_as}"])])
    in_value = np.array([[10.0]], np.float32)
    result = np.asarray(model(in_value))
    new_model = keras.models.model_from_json(
        model.to_json(), custom_objects={"KerasLayer": flavour.layer}
    )
    np.testing.assert_array_equal(np.asarray(new_model(in_value)), result)


# --- KerasLayerTest ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["plus_one_tf1", "plus_one"])
def test_load_with_defaults(flavour, saved, model: str) -> None:
    assert float(np.asarray(flavour.layer(saved[model])(10.0))) == 11.0


@pytest.mark.parametrize(
    ("signature", "output_key", "as_dict"),
    [
        (None, None, True),
        (None, None, False),
        ("default", None, True),
        (None, "default", False),
        ("default", "default", False),
    ],
)
def test_load_legacy_hub_module_v1_with_signature(
    flavour, saved, signature, output_key, as_dict
) -> None:
    layer = flavour.layer(
        saved["plus_one_tf1"],
        signature=signature,
        output_key=output_key,
        signature_outputs_as_dict=as_dict,
    )
    output = layer(10.0)
    if as_dict:
        assert list(output) == ["default"] and float(np.asarray(output["default"])) == 11.0
    else:
        assert float(np.asarray(output)) == 11.0


V2_SIGNATURE_CASES = [
    (None, None, False),
    ("serving_default", None, True),
    ("serving_default", "output_0", False),
]


@pytest.mark.parametrize(("signature", "output_key", "as_dict"), V2_SIGNATURE_CASES)
def test_load_callable_saved_model_v2_with_signature(
    flavour, saved, signature, output_key, as_dict
) -> None:
    layer = flavour.layer(
        saved["plus_one"],
        signature=signature,
        output_key=output_key,
        signature_outputs_as_dict=as_dict,
    )
    output = layer(10.0)
    if as_dict:
        assert isinstance(output, dict) and float(np.asarray(output["output_0"])) == 11.0
    else:
        assert float(np.asarray(output)) == 11.0


def test_load_callable_keras_default_saved_model_v2_with_signature(flavour, saved) -> None:
    layer = flavour.layer(
        saved["plus_one_keras_default"], signature="plus_one", signature_outputs_as_dict=True
    )
    output = layer(10.0)
    assert isinstance(output, dict) and float(np.asarray(output["output_0"])) == 11.0


@pytest.mark.parametrize(
    ("model", "signature", "output_key", "as_dict"),
    [
        ("plus_one_tf1", s, k, d)
        for s, k, d in [
            (None, None, True),
            (None, None, False),
            ("default", None, True),
            (None, "default", False),
            ("default", "default", False),
        ]
    ]
    + [("plus_one", s, k, d) for s, k, d in V2_SIGNATURE_CASES],
)
def test_keras_layer_get_config(flavour, saved, model, signature, output_key, as_dict) -> None:
    layer = flavour.layer(
        saved[model], signature=signature, output_key=output_key, signature_outputs_as_dict=as_dict
    )
    outputs = layer(10.0)
    new_layer = flavour.layer.from_config(_json_cycle(layer.get_config()))
    new_outputs = new_layer(10.0)
    if as_dict:
        assert outputs.keys() == new_outputs.keys()
        outputs, new_outputs = list(outputs.values())[0], list(new_outputs.values())[0]
    assert float(np.asarray(outputs)) == float(np.asarray(new_outputs)) == 11.0


SIGNATURE_OUTPUT_MESSAGE = (
    "When using a signature, either output_key or signature_outputs_as_dict=True should be set."
)


def test_fails_if_signature_output_not_specified(flavour, saved) -> None:
    with pytest.raises(ValueError, match=SIGNATURE_OUTPUT_MESSAGE):
        flavour.layer(saved["plus_one"], signature="serving_default")


def test_fails_if_with_outputs_as_dict_but_no_signature(flavour, saved) -> None:
    with pytest.raises(
        ValueError, match="signature_outputs_as_dict is only valid if specifying a signature"
    ):
        flavour.layer(saved["plus_one"], signature_outputs_as_dict=True)


def test_fails_if_saved_model_v2_with_tags(flavour, saved) -> None:
    with pytest.raises(ValueError):
        flavour.layer(saved["plus_one"], signature=None, tags=["train"])


def test_fails_if_setting_both_output_key_and_as_dict(flavour, saved) -> None:
    with pytest.raises(ValueError, match=SIGNATURE_OUTPUT_MESSAGE):
        flavour.layer(
            saved["plus_one"], signature="default", signature_outputs_as_dict=True, output_key="o"
        )


def test_fails_if_output_is_not_dict(flavour, saved) -> None:
    layer = flavour.layer(saved["plus_one"], output_key="output_0")
    with pytest.raises(ValueError, match="Specifying `output_key` is forbidden if output type"):
        layer(10.0)


def test_fails_if_output_key_not_in_layer_outputs(flavour, saved) -> None:
    """Upstream raised at the first call; tfhub, knowing the outputs, raises when the layer is
    made (the same class and words)."""
    with pytest.raises(ValueError, match="KerasLayer output does not contain the output key"):
        flavour.layer(saved["plus_one_tf1"], output_key="unknown")


def test_logs_if_training_zero_variables(flavour, saved, caplog) -> None:
    layer = flavour.layer(saved["hparams"], trainable=True)
    with caplog.at_level(logging.ERROR):
        layer(np.array([[10.0]], np.float32))
        layer(np.array([[10.0]], np.float32))
    hits = [r for r in caplog.records if "zero trainable weights" in r.getMessage()]
    assert len(hits) == 1 and hits[0].levelno == logging.ERROR


# --- EstimatorTest and testComputeOutputShapeNonEager: tf_keras in a TF1 graph ---------------
# tf.estimator is gone; its model_fn's work (the layer in a graph, its losses through
# get_losses_for, its update ops through get_updates_for, a v1 optimizer) runs in a Session.
# Keras 3 has no graph mode, so these are tf_keras only, as upstream's were TF1-Keras only.


def _tf_keras_layer() -> Any:
    from tfhub.keras.tf_keras_layer import KerasLayer

    return KerasLayer


def test_compute_output_shape_non_eager(saved) -> None:
    with tf.compat.v1.Graph().as_default():
        layer = _tf_keras_layer()(saved["half_plus_one_tf1"], output_shape=(1,))
        assert layer.compute_output_shape((None, 1)).as_list() == [None, 1]
        assert layer.compute_output_shape((3, 1)).as_list() == [3, 1]


def _half_plus_one_graph(handle: str, *, trainable: bool, steps: int) -> dict[str, np.ndarray]:
    """Upstream's _half_plus_one_model_fn: predicts, trains `steps` steps, predicts again."""
    with tf.compat.v1.Graph().as_default():
        inp = tf.compat.v1.placeholder(tf.float32, (None, 1))
        labels = tf.compat.v1.placeholder(tf.float32, (None, 1))
        model = tf_keras.Sequential([_tf_keras_layer()(handle, trainable=trainable)])
        outp = model(inp, training=True)
        regularization_loss = tf.add_n(
            model.get_losses_for(None) + model.get_losses_for(inp) or [0.0]
        )
        loss = tf.compat.v1.losses.mean_squared_error(labels, outp) + regularization_loss
        train_op = (
            tf.compat.v1.train.GradientDescentOptimizer(0.002).minimize(
                loss, var_list=model.trainable_variables
            )
            if steps
            else None
        )
        x = [[9.0], [10.0], [11.0]] * 10
        y = [[xi[0] / 2.0 + 6] for xi in x]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            probe = np.array([[0.0], [8.0], [10.0], [12.0]], np.float32)
            before = session.run([outp, regularization_loss], {inp: probe})
            for _ in range(steps):
                session.run(train_op, {inp: x, labels: y})
            after = session.run([outp, regularization_loss], {inp: probe})
    return {
        "before": before[0],
        "loss_before": before[1],
        "after": after[0],
        "loss_after": after[1],
    }


@pytest.mark.parametrize("model", ["half_plus_one_raw", "half_plus_one_keras", "half_plus_one_tf1"])
def test_graph_half_plus_one_retraining(saved, model: str) -> None:
    got = _half_plus_one_graph(saved[model], trainable=True, steps=10)
    np.testing.assert_array_equal(got["before"], [[1.0], [5.0], [6.0], [7.0]])
    np.testing.assert_allclose(got["loss_before"], 0.0025, rtol=1e-6)
    assert got["after"][0, 0] == 1.0  # The bias is frozen.
    np.testing.assert_allclose(got["after"][2], [11.0], atol=0, rtol=0.03)
    np.testing.assert_allclose(got["loss_after"], 0.01, atol=0, rtol=0.06)


@pytest.mark.parametrize("model", ["half_plus_one_raw", "half_plus_one_keras", "half_plus_one_tf1"])
def test_graph_half_plus_one_frozen(saved, model: str) -> None:
    got = _half_plus_one_graph(saved[model], trainable=False, steps=0)
    np.testing.assert_array_equal(got["before"], [[1.0], [5.0], [6.0], [7.0]])
    assert float(got["loss_before"]) == 0.0


@pytest.mark.parametrize("saved_as", SAVED_AS)
@pytest.mark.parametrize("train_batch_norm", [True, False])
def test_graph_batch_norm(saved, saved_as: str, train_batch_norm: bool) -> None:
    """Upstream's _batch_norm_model_fn: update ops from get_updates_for run with the train op."""
    x = np.array(
        [[11.0], [12.0], [13.0]] if train_batch_norm else [[1.0], [2.0], [3.0]], np.float32
    )
    y = 2 * x
    with tf.compat.v1.Graph().as_default():
        inp = tf.compat.v1.placeholder(tf.float32, (None, 1))
        labels = tf.compat.v1.placeholder(tf.float32, (None, 1))
        imported = _tf_keras_layer()(saved[f"batch_norm_{saved_as}"])
        bn_vars = _batch_norm_vars(imported)
        imported.trainable = train_batch_norm
        layers = [imported]
        if not train_batch_norm:
            layers.append(
                tf_keras.layers.Dense(
                    1, kernel_initializer=tf_keras.initializers.Constant([[1.5]]), use_bias=False
                )
            )
        model = tf_keras.Sequential(layers)
        train_out, infer_out = model(inp, training=True), model(inp, training=False)
        update_ops = model.get_updates_for(None) + model.get_updates_for(inp)
        # (A TF2 SavedModel's updates run inside its function; get_updates_for may be empty.)
        loss = tf.compat.v1.losses.mean_squared_error(labels, train_out)
        with tf.control_dependencies(update_ops):
            train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(
                loss, var_list=model.trainable_variables
            )
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            for _ in range(100 if train_batch_norm else 20):
                session.run(train_op, {inp: x, labels: y})
            beta, gamma, mean, variance = session.run(bn_vars)
            predicted = session.run(infer_out, {inp: x})
            if train_batch_norm:
                probe = np.array([[10.0], [20.0], [30.0]], np.float32)
                for _ in range(5):  # Inference runs no update: the same answer every time.
                    np.testing.assert_allclose(
                        session.run(infer_out, {inp: probe}), 2 * probe, rtol=1e-4
                    )
                np.testing.assert_allclose(session.run(bn_vars[2]), mean)
    if train_batch_norm:
        np.testing.assert_allclose([mean[0], beta[0]], [12.0, 24.0], rtol=1e-4)
    else:
        assert [beta[0], gamma[0], mean[0], variance[0]] == [0.0, 1.0, 0.0, 1.0]
    np.testing.assert_allclose(predicted, y, rtol=1e-4)


@pytest.mark.parametrize("pass_output_shapes", [False, True])
def test_graph_output_shape_list(saved, pass_output_shapes: bool) -> None:
    kwargs = {"output_shape": [[1], [2, 2], [3, 3, 3]]} if pass_output_shapes else {}
    with tf.compat.v1.Graph().as_default():
        inp = tf_keras.layers.Input(shape=(1,), dtype=tf.float32)
        imported = _tf_keras_layer()(saved["obscure"], **kwargs)
        model = tf_keras.Model(inp, imported(inp))
        features = tf.constant([[1.0], [10.0]])
        outs = model(features, training=False)
        for i, out in enumerate(outs, start=1):
            assert out.shape.as_list()[1:] == ([i] * i if pass_output_shapes else [None] * i)
        imported.get_config()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            single, double, triple = session.run(outs)
    np.testing.assert_allclose(single, [[1.0], [10.0]])
    np.testing.assert_allclose(double[:, 0, 0], [2.0, 20.0])
    np.testing.assert_allclose(triple[:, 2, 2, 2], [3.0, 30.0])


# --- module_v2_test.py: hub.load ------------------------------------------------------------


def _save_tf1_plus_one(path: str, make_input: Callable[[], Any], plus_one: Callable) -> str:
    def module_fn() -> None:
        x = make_input()
        hub.add_signature(inputs=x, outputs=plus_one(x))

    with tf.compat.v1.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn), trainable=True)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(path, session)
    return path


@pytest.mark.parametrize(
    ("model", "tags", "is_hub_module_v1"),
    [
        ("plus_one_tf1", None, True),
        ("plus_one_tf1", [], True),
        ("plus_one", None, False),
        ("plus_one", ["serve"], False),
    ],
)
def test_load(saved, model: str, tags: Any, is_hub_module_v1: bool) -> None:
    loaded = hub.load(saved[model], tags)
    assert loaded._is_hub_module_v1 == is_hub_module_v1


def test_load_incomplete_model_fails(tmp_path) -> None:
    """0.10.0 let TensorFlow's OSError through; later upstream raised ValueError ("contains
    neither ..."). tfhub's error is both, and names the missing file."""
    (tmp_path / "variables.txt").write_text("")
    with pytest.raises(ValueError, match="saved_model.pb") as info:
        hub.load(os.fspath(tmp_path))
    assert isinstance(info.value, OSError)


def test_load_sparse(tmp_path) -> None:
    path = _save_tf1_plus_one(
        os.fspath(tmp_path / "sparse"),
        lambda: tf.compat.v1.sparse.placeholder(dtype=tf.float32, name="x"),
        lambda x: tf.identity(tf.SparseTensor(x.indices, x.values + 1, x.dense_shape)),
    )
    loaded = hub.load(path)
    assert loaded._is_hub_module_v1
    st = tf.sparse.from_dense([[1.0, 2.0, 0.0], [0.0, 3.0, 0.0]])
    actual = loaded.signatures["default"](
        default_indices=st.indices, default_values=st.values, default_dense_shape=st.dense_shape
    )["default"]
    np.testing.assert_array_equal(actual.values, [2.0, 3.0, 4.0])


def test_load_ragged(tmp_path) -> None:
    path = _save_tf1_plus_one(
        os.fspath(tmp_path / "ragged"),
        lambda: tf.compat.v1.ragged.placeholder(
            dtype=tf.float32, ragged_rank=1, value_shape=[], name="x"
        ),
        lambda x: tf.identity(x + 1),
    )
    loaded = hub.load(path)
    assert loaded._is_hub_module_v1
    rt = tf.ragged.constant([[1.0, 8.0], [3.0]])
    actual = loaded.signatures["default"](
        default_component_0=rt.values, default_component_1=rt.row_splits
    )["default"]
    np.testing.assert_array_equal(actual.values, [2.0, 9.0, 4.0])


def test_load_without_string() -> None:
    with pytest.raises(ValueError, match="Expected a string, got"):
        hub.load(0)


# --- e2e_test.py: the TF2 cases (hub.resolve and hub.load over HTTP) -------------------------


def test_e2e_resolve(saved, served_dir, server, monkeypatch) -> None:
    """Without TFHUB_CACHE_DIR, the module lands below the temporary folder."""
    from tests._helpers.models import make_tarball

    make_tarball(saved["plus_one_tf1"], os.fspath(served_dir / "test_module.tgz"))
    monkeypatch.delenv("TFHUB_CACHE_DIR")
    import tempfile

    module_dir = hub.resolve(server.url("test_module.tgz"))
    assert tempfile.gettempdir() in module_dir
    expected = ["assets", "saved_model.pb", "tfhub_module.pb", "variables"]  # As upstream.
    assert sorted(os.listdir(module_dir)) == expected


def test_e2e_load(served_dir, server, tmp_path) -> None:
    from tests._helpers.models import make_tarball

    class AdderModule(tf.train.Checkpoint):
        @tf.function(input_signature=[tf.TensorSpec(shape=None, dtype=tf.float32)])
        def add(self, x: Any) -> Any:
            return x + x + 1.0

    tf.saved_model.save(AdderModule(), os.fspath(tmp_path / "saved_model_v2"))
    make_tarball(os.fspath(tmp_path / "saved_model_v2"), os.fspath(served_dir / "v2.tgz"))
    restored = hub.load(server.url("v2.tgz"))
    assert float(restored.add(2.0)) == 5.0


def test_e2e_load_v1(upstream_dir, served_dir, server) -> None:
    import shutil

    shutil.copy(upstream_dir / "half_plus_two_v1.tar.gz", served_dir)
    loaded = hub.load(server.url("half_plus_two_v1.tar.gz"))
    assert loaded._is_hub_module_v1 and "default" in loaded.signatures


def test_e2e_file_url_cache_dir(saved, served_dir, server, tmp_path, monkeypatch) -> None:
    """e2e_test.test_http_locations' cache part: TFHUB_CACHE_DIR may be a file:// URL; the
    entry and its descriptor land in that folder (beside tfhub's own `.locks` folder and the
    entry's `.manifest.json`, docs/architecture.md's cache layout)."""
    from tests._helpers.models import make_tarball

    make_tarball(saved["plus_one_tf1"], os.fspath(served_dir / "test_module.tgz"))
    cache_dir = tmp_path / "file_url_cache"
    cache_dir.mkdir()
    monkeypatch.setenv("TFHUB_CACHE_DIR", f"file://{cache_dir}")
    module_dir = hub.resolve(server.url("test_module.tgz"))
    content = sorted(
        n for n in os.listdir(cache_dir) if n != ".locks" and not n.endswith(".manifest.json")
    )
    assert len(content) == 2 and content[1].endswith(".descriptor.txt"), content
    files = sorted(os.listdir(cache_dir / content[0]))
    assert files == ["assets", "saved_model.pb", "tfhub_module.pb", "variables"]
    assert (
        float(np.asarray(hub.load(module_dir).signatures["default"](tf.constant(2.0))["default"]))
        == 3.0
    )
