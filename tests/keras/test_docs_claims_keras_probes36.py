"""Claims of docs/keras.md that no other test checked, second pass (session 36 probes): in Keras 3
and in tf_keras (each flavour's class imported explicitly), over real SavedModels and TF1 modules
with real fit/predict."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)


def _save_sparse_model(path: Path) -> str:
    """A TF2 SavedModel whose `__call__` takes a SparseTensor [batch, 3]: x @ [[2], [3], [4]]."""
    import tensorflow as tf

    class SparseMatmul(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[2.0], [3.0], [4.0]])

        @tf.function(input_signature=[tf.SparseTensorSpec([None, 3], tf.float32)])
        def __call__(self, x: tf.SparseTensor) -> tf.Tensor:
            return tf.sparse.sparse_dense_matmul(x, self.w)

    tf.saved_model.save(SparseMatmul(), str(path))
    return str(path)


def test_a_sparse_model_needs_output_shape_only_for_compute_output_shape(flavour, tmp_path) -> None:
    """Docs ("`output_shape`"): without it, a model that takes no dense inputs (sparse) makes
    `compute_output_shape` raise NotImplementedError, in both flavours. A functional model on
    `Input(sparse=True)` builds without it in both flavours (Keras 3 traces the layer on a
    sparse placeholder, as tf_keras does) and gives the model's values."""
    import tensorflow as tf

    _, KerasLayer, keras = flavour
    handle = _save_sparse_model(tmp_path / "sparse")
    with pytest.raises(NotImplementedError):
        KerasLayer(handle).compute_output_shape((None, 3))
    inputs = keras.Input((3,), sparse=True)
    outputs = KerasLayer(handle)(inputs)
    assert tuple(outputs.shape) == (None, 1)
    model = keras.Model(inputs, outputs)
    x = tf.sparse.from_dense(tf.constant([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]))
    np.testing.assert_allclose(model(x), [[2.0], [7.0]])


def test_a_layer_built_outside_a_mirrored_scope_cannot_train_inside_it(flavour, model_dir) -> None:
    """Docs ("Distribution"): the ArgumentError (a ValueError) "names the variables of a layer
    built outside `strategy.scope()` and trained inside it"; frozen, it predicts there; built
    inside the scope, it trains (MirroredStrategy on the one CPU, which mirrors variables)."""
    import tensorflow as tf

    from tfhub import errors

    name, KerasLayer, keras = flavour
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    outside = KerasLayer(model_dir["tf2"], trainable=True)
    with strategy.scope(), pytest.raises(errors.ArgumentError) as caught:
        outside(X, training=True)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "cannot train under MirroredStrategy" in message
    # The variables' names as TensorFlow gives them ('hidden/kernel_1:0' once tf_keras layers of
    # earlier tests hold 'hidden/kernel:0').
    assert re.search(r"'hidden/kernel(_\d+)?:0'", message) and "logits/bias" in message
    assert "Create the layer inside strategy.scope()" in message
    with strategy.scope():
        np.testing.assert_allclose(outside(X, training=False), outside(X), rtol=1e-6)
    if name == "keras3":  # tf_keras's compile refuses such a model itself (next test).
        with strategy.scope():
            model = keras.Sequential([keras.Input((3,)), outside])
            model.compile("sgd", "mse")
        with pytest.raises(errors.ArgumentError, match="Create the layer inside strategy.scope"):
            model.fit(X, np.ones((2, 2), np.float32), verbose=0)
    with strategy.scope():
        inside = KerasLayer(model_dir["tf2"], trainable=True)
        model = keras.Sequential([keras.Input((3,)), inside])
        model.compile(keras.optimizers.SGD(0.1), "mse")
    before = [w.numpy() for w in inside.trainable_weights]
    model.fit(X, np.ones((2, 2), np.float32), verbose=0)
    assert all(
        not np.allclose(w.numpy(), b) for w, b in zip(inside.trainable_weights, before, strict=True)
    )


@pytest.mark.parametrize("trainable", [False, True])
def test_tf_keras_compile_refuses_a_tf1_module_under_a_mirrored_strategy(
    upstream_dir, trainable
) -> None:
    """Docs ("Distribution", TF1 Hub modules): "tf_keras `compile` refuses any model holding such
    variables, frozen or not (its own `ValueError`: "Variable ... was not created in the
    distribution strategy scope")", while `predict` works."""
    import tensorflow as tf
    import tf_keras

    from tfhub.keras.tf_keras_layer import KerasLayer

    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        layer = KerasLayer(str(upstream_dir / "tf1_multi_sig"), trainable=trainable)
        model = tf_keras.Sequential([tf_keras.Input((3,)), layer, tf_keras.layers.Dense(1)])
        with pytest.raises(
            ValueError, match=r"(?s)Variable .* was not created in the distribution"
        ):
            model.compile("sgd", "mse")
    assert model.predict(X, verbose=0).shape == (2, 1)


def test_each_hub_load_makes_new_variables(model_dir) -> None:
    """Docs (`hub.load`): "Each call makes new variables": assigning one load's variable leaves
    the other load's outputs as they were."""
    import tensorflow as tf

    import tfhub as hub

    first, second = hub.load(model_dir["tf2"]), hub.load(model_dir["tf2"])
    assert not {id(v) for v in first.variables} & {id(v) for v in second.variables}
    expected = second(tf.constant(X))
    for variable in first.variables:
        variable.assign(tf.zeros_like(variable))
    np.testing.assert_allclose(second(tf.constant(X)), expected)
    assert not np.allclose(first(tf.constant(X)), expected)


def test_a_cloned_model_has_the_handles_weights_until_set_weights(flavour, model_dir) -> None:
    """Docs ("Copies"): `clone_model` and `get_config`/`from_config` of a model "rebuild the layer
    from its handle, with the weights loaded from it, not the trained ones: copy those with
    `set_weights`"."""
    _, KerasLayer, keras = flavour
    layer = KerasLayer(model_dir["tf2"], trainable=True)
    model = keras.Sequential([keras.Input((3,)), layer])
    fresh = model.predict(X, verbose=0)
    model.compile(keras.optimizers.SGD(0.5), "mse")
    model.fit(X, np.ones((2, 2), np.float32), epochs=2, verbose=0)
    trained = model.predict(X, verbose=0)
    assert not np.allclose(trained, fresh)
    rebuilt = keras.Sequential.from_config(model.get_config())
    for copy in (keras.models.clone_model(model), rebuilt):
        np.testing.assert_allclose(copy.predict(X, verbose=0), fresh, rtol=1e-6)
        copy.set_weights(model.get_weights())
        np.testing.assert_allclose(copy.predict(X, verbose=0), trained, rtol=1e-6)


def test_two_layers_over_one_model_count_its_losses_twice_one_layer_once(
    flavour, model_dir
) -> None:
    """Docs ("One loaded model in two layers"): "Each layer still adds the model's regularization
    losses ..., so they count twice"; "build one `hub.KerasLayer(handle)` and call it twice"
    has no such limit: its losses count once."""
    import tfhub as hub

    _, KerasLayer, keras = flavour
    shared = hub.load(model_dir["tf2"])
    own = sorted(float(loss()) for loss in shared.regularization_losses)
    first, second = KerasLayer(shared, trainable=True), KerasLayer(shared, trainable=True)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Add()([first(inputs), second(inputs)]))
    np.testing.assert_allclose(sorted(float(loss) for loss in model.losses), sorted(own * 2))
    assert len(model.trainable_weights) == 4  # The model's variables, listed once.
    one = KerasLayer(model_dir["tf2"], trainable=True)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Add()([one(inputs), one(inputs)]))
    np.testing.assert_allclose(sorted(float(loss) for loss in model.losses), own, rtol=1e-6)


def test_keras3_loads_the_handle_with_options_by_load_weights_of_the_keras_file(tmp_path) -> None:
    """Docs ("Saving"): `keras.saving.load_model` enters no load context, so "to load the handle
    with options, build the model with `hub.KerasLayer(handle, load_options=...)` and
    `model.load_weights(<the .keras file>)`": the options reach `hub.load` and the fine-tuned
    weights come from the file."""
    import keras
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    class Linear(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kernel = tf.Variable([[1.0], [2.0], [3.0]])

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: tf.Tensor) -> tf.Tensor:
            return tf.matmul(x, self.kernel)

    module = Linear()
    handle = str(tmp_path / "aliased")
    aliases = tf.saved_model.SaveOptions(function_aliases={"forward": module.__call__})
    tf.saved_model.save(module, handle, options=aliases)
    model = keras.Sequential([keras.Input((3,)), KerasLayer(handle, trainable=True)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(X, np.zeros((2, 1), np.float32), verbose=0)
    trained = model.predict(X, verbose=0)
    model.save(str(tmp_path / "model.keras"))
    assert not hasattr(
        keras.saving.load_model(str(tmp_path / "model.keras")).layers[0].resolved_object,
        "function_aliases",
    )
    options = tf.saved_model.LoadOptions(experimental_load_function_aliases=True)
    layer = KerasLayer(handle, trainable=True, load_options=options)
    again = keras.Sequential([keras.Input((3,)), layer])
    again.load_weights(str(tmp_path / "model.keras"))
    assert "forward" in layer.resolved_object.function_aliases
    np.testing.assert_allclose(again.predict(X, verbose=0), trained, rtol=1e-6)


def test_a_file_url_handle_is_kept_in_the_config_and_loads_back(
    flavour, model_dir, tmp_path
) -> None:
    """Docs ("Paths"): "`handle` can be any `tf.io.gfile` path (`gs://`, `ram://`, `file://`)":
    a `file://` handle builds the layer, stays as given in the config and the `.keras` file
    loads back with the same predictions."""
    _, KerasLayer, keras = flavour
    handle = "file://" + model_dir["tf2"]
    model = keras.Sequential([keras.Input((3,)), KerasLayer(handle)])
    expected = model.predict(X, verbose=0)
    np.testing.assert_allclose(expected, KerasLayer(model_dir["tf2"])(X), rtol=1e-6)
    model.save(str(tmp_path / "model.keras"))
    again = keras.models.load_model(str(tmp_path / "model.keras"))
    assert again.layers[0].handle == handle
    np.testing.assert_allclose(again.predict(X, verbose=0), expected, rtol=1e-6)


FIRST_USE_SCRIPT = """
    import json, os
    import tfhub as hub
    os.environ["TF_USE_LEGACY_KERAS"] = "1"  # After `import tfhub`, before the first use.
    first = hub.KerasLayer
    os.environ["TF_USE_LEGACY_KERAS"] = "0"
    print(json.dumps([first.__module__, hub.KerasLayer.__module__]))
"""


def test_the_flavour_is_picked_when_hub_keras_layer_is_first_used() -> None:
    """Docs ("Which Keras?"): "The pick happens when `hub.KerasLayer` is first used": an
    environment set after `import tfhub` counts, and the class stays once picked."""
    import json

    from tests._helpers.python_process import child_env
    from tests._helpers.warm_python import run_warm_python

    env = child_env()
    env.pop("TF_USE_LEGACY_KERAS", None)
    done = run_warm_python(FIRST_USE_SCRIPT, env=env)
    picked = json.loads(done.stdout.strip().splitlines()[-1])
    assert picked == ["tfhub.keras.tf_keras_layer", "tfhub.keras.tf_keras_layer"]


@pytest.fixture(scope="module")
def mixed_order_tf1(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The TF1 module of tests/_helpers/weight_order_models.py, exported once."""
    from tests._helpers import weight_order_models

    root = tmp_path_factory.mktemp("mixed_order")
    return weight_order_models.save_tf1_mixed_order_module(str(root / "tf1"))


def test_an_h5_of_a_trainable_tf1_layer_loads_into_a_layer_as_trainable(
    flavour, mixed_order_tf1, tmp_path
) -> None:
    """Docs ("Saving", weight order): "A trainable TF1 layer (beyond upstream) lists its
    trainable weights first in `.h5` files, as Keras does for any layer, so load such an `.h5`
    into a layer with the same `trainable`": over a TF1 module whose non-trainable variable sits
    between two trainable ones, the `.h5` loads right into a trainable layer and shifted (wrong
    values, the shapes agreeing) into a frozen one."""
    from tests._helpers import weight_order_models

    name, KerasLayer, keras = flavour
    handle = mixed_order_tf1
    x = np.ones((1, 4), np.float32)

    def model(*, trainable: bool, scale: float) -> object:
        inputs = keras.Input((4,))
        layer = KerasLayer(handle, trainable=trainable)
        for weight in layer.weights:
            weight.assign(weight * scale)
        return keras.Model(inputs, layer(inputs))

    file = str(tmp_path / f"{name}.h5")
    model(trainable=True, scale=2.0).save(file)
    expected = weight_order_models.expected(x, scale=2.0)
    same = model(trainable=True, scale=1.0)
    same.load_weights(file)
    np.testing.assert_allclose(same(x), expected, rtol=1e-6)
    frozen = model(trainable=False, scale=1.0)
    frozen.load_weights(file)
    assert not np.allclose(frozen(x), expected)


@pytest.mark.parametrize("first", ["hub", "dense"])
def test_keras3_reads_tf_keras_files_compiled_only_after_compiling_again(
    model_dir, tmp_path, first
) -> None:
    """Docs ("Saving"): without `compile=False`, Keras 3 fails on a tf_keras file's optimizer or
    compile config, as for any tf_keras model (a plain `Dense` first fails the same way), the
    message varying with the file and the compile arguments; "compile the loaded model again in
    Keras 3": loaded with `compile=False` and compiled, it trains."""
    import keras
    import tf_keras

    from tfhub.keras.tf_keras_layer import KerasLayer

    def saved(optimizer: object, loss: str, fmt: str, *, fit: bool = False) -> str:
        head = KerasLayer(model_dir["tf2"], trainable=True)
        if first == "dense":
            head = tf_keras.layers.Dense(2)
        model = tf_keras.Sequential([tf_keras.Input((3,)), head, tf_keras.layers.Dense(1)])
        model.compile(optimizer, loss)
        if fit:  # The file then holds the optimizer's variables.
            model.fit(X, np.ones((2, 1)), verbose=0)
        path = str(tmp_path / f"{loss}.{fmt}")
        model.save(path)
        return path

    keras_file = saved(tf_keras.optimizers.SGD(0.1), "mse", "keras")
    with pytest.raises(ValueError, match=r"Argument\(s\) not recognized: \{'jit_compile'"):
        keras.saving.load_model(keras_file)
    h5_file = saved("sgd", "mse", "h5")
    with pytest.raises(ValueError, match="Could not deserialize 'keras.metrics.mse'"):
        keras.saving.load_model(h5_file)
    with pytest.raises(TypeError, match="'>' not supported between instances of 'NoneType'"):
        keras.saving.load_model(saved("sgd", "mean_squared_error", "keras")).predict(X, verbose=0)
    h5 = keras.saving.load_model(saved("sgd", "mean_squared_error", "h5", fit=True))
    assert h5.predict(X, verbose=0).shape == (2, 1)
    with pytest.raises(ValueError, match="Unknown variable: .* optimizer can only be called"):
        h5.fit(X, np.ones((2, 1)), verbose=0)
    for path in (keras_file, h5_file):
        again = keras.saving.load_model(path, compile=False)
        again.compile(keras.optimizers.SGD(0.1), "mse")
        before = again.predict(X, verbose=0)
        again.fit(X, np.ones((2, 1)), verbose=0)
        assert not np.allclose(again.predict(X, verbose=0), before)


def test_tf_saved_model_save_keeps_a_layer_built_from_a_callable(flavour, tmp_path) -> None:
    """Docs ("Saving"): `get_config()` of a layer built from a Python callable raises
    `ConfigNotSupportedError`, a NotImplementedError "so `tf.saved_model.save` falls back to
    saving without a config": the model holding it saves, with the callable's variable, and its
    serving signature gives the model's outputs. Keras 3 tracks a layer's variables only
    through its attributes, so the callable's variable was an "untracked resource" there."""
    import tensorflow as tf

    from tfhub import errors

    name, KerasLayer, keras = flavour
    scale = tf.Variable(3.0)
    fn = tf.function(lambda x: x * scale, input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    fn.variables = [scale]
    layer = KerasLayer(fn)
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layer(inputs))
    with pytest.raises(errors.ConfigNotSupportedError):
        layer.get_config()
    path = str(tmp_path / name)
    tf.saved_model.save(model, path)
    scale.assign(5.0)  # The SavedModel keeps the value it was saved with.
    loaded = tf.saved_model.load(path)
    (output,) = loaded.signatures["serving_default"](tf.ones([1, 2])).values()
    np.testing.assert_allclose(output, [[3.0, 3.0]])
    np.testing.assert_allclose(model(np.ones((1, 2), np.float32)), [[5.0, 5.0]])
