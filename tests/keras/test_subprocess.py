"""What needs a fresh interpreter: the TF_USE_LEGACY_KERAS pick, lazy imports, and
MirroredStrategy on two logical CPU devices (which must be configured before TF starts)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import numpy as np
import pytest
from tests._helpers import models
from tests._helpers._across_workers import computed_once
from tests._helpers.python_process import child_env, run_python
from tests._helpers.warm_python import run_warm_python
from tests.keras._child_parts import result_of, run_parts

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def _run(script: str, env_extra: dict[str, str]) -> dict:
    done = run_python(script, env=child_env(**env_extra))
    return json.loads(done.stdout.strip().splitlines()[-1])


LEGACY_SCRIPT = """
    import json, sys
    import tfhub as hub
    import tfhub.keras
    lazy = "tensorflow" not in sys.modules
    import numpy as np
    import tensorflow as tf
    layer = hub.KerasLayer(HANDLE, trainable=True)
    model = tf.keras.Sequential([tf.keras.Input((3,)), layer])
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)
    print(json.dumps({
        "lazy": lazy,
        "class": type(layer).__module__ + "." + type(layer).__name__,
        "keras": tf.keras.__name__,
        "predictions": model.predict(x, verbose=0).tolist(),
    }))
"""


def test_legacy_keras_env_picks_tf_keras(model_dir) -> None:
    script = LEGACY_SCRIPT.replace("HANDLE", repr(model_dir["tf2"]))
    result = _run(script, {"TF_USE_LEGACY_KERAS": "1"})
    assert result["lazy"] is True  # import tfhub / tfhub.keras import no TensorFlow.
    assert result["class"] == "tfhub.keras.tf_keras_layer.KerasLayer"
    assert result["keras"].startswith("tf_keras")
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)
    expected = models.tf2_module_expected(x)["logits"]
    np.testing.assert_allclose(result["predictions"], expected, atol=1e-5)


# MirroredStrategy over two logical CPUs (configured before TensorFlow starts): each test's part
# runs in one child, argv: the tf2 model, the text model, upstream's TF1 image module and TF2
# text embedding. The parts share one strategy: a second MirroredStrategy in a process reuses
# the first's collective instance keys, and its all-reduce fails ("Shape mismatch in the
# collective instance").
MIRRORED_SCRIPT = """
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
    import keras, numpy as np, tf_keras
    from tfhub import errors
    from tfhub.keras.layer import KerasLayer
    from tfhub.keras.tf_keras_layer import KerasLayer as TFKerasLayer
    TF2_HANDLE, TEXT_HANDLE, TF1_HANDLE, TEXT_V2 = sys.argv[1:]
    STRATEGY = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])

    @part
    def mirrored_matches_single():
        x = np.array([[1, 2, 3], [-1, .5, 0], [.25, .25, .25], [2, 0, 1]], np.float32)
        y = np.ones((4, 2), np.float32)

        def train(lib, layer_class, strategy):
            with strategy.scope():
                layer = layer_class(TF2_HANDLE, trainable=True)
                model = lib.Sequential([lib.Input((3,)), layer])
                model.compile(lib.optimizers.SGD(0.1), "mse")
            model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
            return [w.numpy().tolist() for w in layer.weights], model.predict(x, verbose=0).tolist()

        mirrored = STRATEGY
        out = {"replicas": mirrored.num_replicas_in_sync}
        for name, lib, cls in [("keras3", keras, KerasLayer), ("tf_keras", tf_keras, TFKerasLayer)]:
            out[name] = {"mirrored": train(lib, cls, mirrored),
                         "single": train(lib, cls, tf.distribute.get_strategy())}
        return out

    @part
    def string_layer_what_works():
        strategy = STRATEGY
        x, y = tf.constant(["cat", "dog", "a b", "zz"] * 2), tf.ones((8, 1))
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)

        def model_in_scope(lib, layer_class):
            with strategy.scope():
                layer = layer_class(TEXT_HANDLE, trainable=True)
                text = lib.Input((), dtype="string")
                model = lib.Model(text, lib.layers.Dense(1)(layer(text)))
                model.compile(lib.optimizers.SGD(0.01), "mse")
            return model, layer, [w.numpy() for w in layer.weights]

        def changed(layer, before):
            return float(max(np.abs(w.numpy() - b).max() for w, b in zip(layer.weights, before)))

        out = {}
        model, layer, before = model_in_scope(keras, KerasLayer)
        try:
            model.fit(data, epochs=1, verbose=0)
            out["keras3_fit"] = "trained"
        except Exception as err:  # Keras 3 averages the first batch across replicas, strings too
            out["keras3_fit"] = str(err)[:300]

        @tf.function
        def train_step(batch):  # the documented workaround: a custom loop with strategy.run
            def replica_step(text, labels):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean((model(text, training=True) - labels) ** 2)
                    loss /= strategy.num_replicas_in_sync
                grads = tape.gradient(loss, model.trainable_variables)
                model.optimizer.apply_gradients(zip(grads, model.trainable_variables))
                return loss
            return strategy.reduce("SUM", strategy.run(replica_step, args=batch), axis=None)

        for batch in strategy.experimental_distribute_dataset(data):
            train_step(batch)
        out["keras3_custom_loop_changed"] = changed(layer, before)
        model, layer, before = model_in_scope(tf_keras, TFKerasLayer)
        model.fit(data, epochs=1, verbose=0)
        out["tf_keras_fit_changed"] = changed(layer, before)
        return out

    @part
    def tf1_module_what_works():
        strategy = STRATEGY
        images = np.random.default_rng(0).random((4, 8, 6, 3)).astype(np.float32)
        labels = np.ones((4, 1), np.float32)

        def model_in_scope(lib, layer_class, trainable):
            with strategy.scope():
                layer = layer_class(TF1_HANDLE, trainable=trainable)
                inputs = lib.Input((8, 6, 3))
                model = lib.Model(inputs, lib.layers.Dense(1)(layer(inputs)))
                optimizer = lib.optimizers.SGD(0.1)
            return model, optimizer

        def error_of(call):
            try:
                call()
                return None
            except Exception as err:
                return [type(err).__name__, isinstance(err, errors.ArgumentError), str(err)]

        def custom_loop(model, optimizer):
            @tf.function
            def step(x):
                def replica_step(x):
                    with tf.GradientTape() as tape:
                        loss = tf.reduce_mean(model(x, training=True))
                    grads = tape.gradient(loss, model.trainable_variables)
                    optimizer.apply_gradients(zip(grads, model.trainable_variables))
                strategy.run(replica_step, args=(x,))
            step(tf.constant(images))

        out = {}
        model, optimizer = model_in_scope(keras, KerasLayer, trainable=True)
        out["keras3_predict"] = model.predict(images, verbose=0).shape[0]
        model.compile(optimizer, "mse")
        out["keras3_fit"] = error_of(lambda: model.fit(images, labels, verbose=0))
        model, optimizer = model_in_scope(keras, KerasLayer, trainable=False)
        model.compile(optimizer, "mse")
        out["keras3_frozen_fit"] = error_of(lambda: model.fit(images, labels, verbose=0))
        model, optimizer = model_in_scope(tf_keras, TFKerasLayer, trainable=True)
        out["tf_keras_predict"] = model.predict(images, verbose=0).shape[0]
        out["tf_keras_custom_loop"] = error_of(lambda: custom_loop(model, optimizer))
        import tfhub as hub
        with strategy.scope():  # docs/feature_columns.md: tf_keras compile refuses a TF1 column.
            column = hub.image_embedding_column("images", TF1_HANDLE)
            inputs = {"images": tf_keras.Input((8, 6, 3), name="images")}
            features = tf_keras.layers.DenseFeatures([column])(inputs)
            model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(features))
            out["tf_keras_column_compile"] = error_of(lambda: model.compile("sgd", "mse"))
            column = hub.text_embedding_column_v2("text", TEXT_V2, trainable=True)
            inputs = {"text": tf_keras.Input((), dtype=tf.string, name="text")}
            features = tf_keras.layers.DenseFeatures([column])(inputs)
            model = tf_keras.Model(inputs, tf_keras.layers.Dense(1)(features))
            model.compile(tf_keras.optimizers.SGD(0.1), "mse")
        before = [w.numpy() for w in model.trainable_weights]
        text = tf.data.Dataset.from_tensor_slices(({"text": ["cat", "a b", "zz", "the"]}, labels))
        model.fit(text.batch(4), verbose=0)
        out["tf_keras_column_v2_changed"] = float(
            max(np.abs(w.numpy() - b).max() for w, b in zip(model.trainable_weights, before))
        )
        return out
"""


@pytest.fixture(scope="module")
def mirrored(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each MirroredStrategy part's result (see `run_parts`), from one child: computed once per
    test run, by the first pytest worker that asks (`computed_once`)."""
    return computed_once(
        tmp_path_factory,
        f"{__name__}.mirrored",
        lambda: _run_mirrored(request.getfixturevalue("model_dir")),
    )


def _run_mirrored(model_dir: dict) -> dict:
    """Runs MIRRORED_SCRIPT's parts in one child; `mirrored`'s result."""
    from tests._helpers.upstream_records import upstream_path

    handles = (model_dir["tf2"], model_dir["text"], upstream_path("tf1_image_info"))
    text_v2 = upstream_path("tf2_text_embedding")
    return run_parts(MIRRORED_SCRIPT, *handles, text_v2, env=child_env())


def test_mirrored_strategy_on_two_cpus_matches_single_device(mirrored) -> None:
    result = result_of(mirrored, "mirrored_matches_single")
    assert result["replicas"] == 2
    initial = models.TF2_KERNEL
    for name in ("keras3", "tf_keras"):
        (m_weights, m_pred), (s_weights, s_pred) = result[name]["mirrored"], result[name]["single"]
        assert not np.allclose(m_weights[0], initial)  # Training changed the kernel.
        for mirrored, single in zip(m_weights, s_weights, strict=True):
            np.testing.assert_allclose(mirrored, single, atol=1e-5)
        np.testing.assert_allclose(m_pred, s_pred, atol=1e-5)


def test_string_layer_under_mirrored_strategy_what_works(mirrored) -> None:
    """Issue 10 item 15, as docs/keras.md states it: Keras 3 `fit` fails (Keras's own first-batch
    averaging, not tfhub; if Keras fixes it, this test says to update the docs), a custom loop
    with `strategy.run` trains, tf_keras `fit` trains."""
    result = result_of(mirrored, "string_layer_what_works")
    assert "of string is not in the list of allowed values" in result["keras3_fit"], (
        "Keras 3 fit now works with string inputs under MirroredStrategy: update docs/keras.md"
    )
    assert result["keras3_custom_loop_changed"] > 1e-4
    assert result["tf_keras_fit_changed"] > 1e-4


LOAD_SCRIPT = """
    import json, sys
    IMPORTS
    import numpy as np
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)
    print(json.dumps({path: LOADER(path).predict(x, verbose=0).tolist() for path in PATHS}))
"""


def _saved_fine_tuned_models(flavour, model_dir, tmp_path, formats: list[str]) -> dict[str, list]:
    """Fine-tunes a model with a KerasLayer and saves it in each format; returns predictions."""
    keras = flavour.keras
    layer = flavour.layer(model_dir["tf2"], trainable=True)
    model = keras.Sequential([keras.Input((3,)), layer, keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)
    model.fit(x, np.ones((2, 2), np.float32), epochs=2, verbose=0)
    assert not np.allclose(layer.get_weights()[1], models.TF2_KERNEL)  # It was tuned.
    expected = {}
    for file_format in formats:
        path = os.fspath(tmp_path / f"model.{file_format}")
        model.save(path)
        expected[path] = model.predict(x, verbose=0)
    return expected


@pytest.fixture(scope="module")
def fine_tuned_files(
    model_dir, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], dict[str, list]]:
    """`files(flavour_name)`: {path: predictions} of `_saved_fine_tuned_models` in that flavour
    (`.keras`, and `.h5` for tf_keras), saved once per module; the tests only read the files."""
    from tests.keras.conftest import flavour_tuple

    saved: dict[str, dict[str, list]] = {}

    def files(flavour_name: str) -> dict[str, list]:
        if flavour_name not in saved:
            formats = ["keras"] if flavour_name == "keras3" else ["keras", "h5"]
            folder = tmp_path_factory.mktemp(f"fine_tuned_{flavour_name}")
            flavour = flavour_tuple(flavour_name)
            saved[flavour_name] = _saved_fine_tuned_models(flavour, model_dir, folder, formats)
        return saved[flavour_name]

    return files


@pytest.mark.parametrize(
    ("flavour_name", "imports", "loader", "env"),
    [
        ("keras3", "import tfhub\nimport keras", "keras.saving.load_model", {}),
        ("keras3", "import keras\nimport tfhub as hub", "keras.saving.load_model", {}),
        (
            "tf_keras",
            "import tensorflow as tf\nimport tfhub",
            "tf.keras.models.load_model",
            {"TF_USE_LEGACY_KERAS": "1"},
        ),
        ("tf_keras", "import tf_keras\nimport tfhub", "tf_keras.models.load_model", {}),
    ],
)
def test_saved_files_load_in_a_new_process_without_custom_objects(
    fine_tuned_files, flavour_name, imports, loader, env
) -> None:
    """A fresh interpreter that only imports tfhub (never touching hub.KerasLayer) loads
    `.keras` (and tf_keras `.h5`) files: the class is registered when Keras is imported.
    Where the order of imports is the point, a new interpreter: importing tfhub before Keras 3
    (importing TensorFlow imports Keras 3, so a process forked from one that did has Keras
    first), and TF_USE_LEGACY_KERAS=1 (TensorFlow then imports tf_keras as it is imported;
    run_warm_python's server may have imported TensorFlow without it). The programs importing
    Keras before tfhub run forked by `run_warm_python` (TensorFlow, hence Keras 3, imported)."""
    expected = fine_tuned_files(flavour_name)
    script = (
        LOAD_SCRIPT.replace("IMPORTS", imports.replace("\n", "\n    "))
        .replace("LOADER", loader)
        .replace("PATHS", repr(list(expected)))
    )
    if imports.startswith("import tfhub\nimport keras") or env:
        result = _run(script, env)
    else:
        done = run_warm_python(script, env=child_env(**env))
        result = json.loads(done.stdout.strip().splitlines()[-1])
    for path, predictions in expected.items():
        np.testing.assert_allclose(result[path], predictions, atol=1e-5)


def test_tf1_module_under_mirrored_strategy_predicts_and_refuses_training_clearly(
    mirrored,
) -> None:
    """TensorFlow loads a TF1 Hub module's variables outside any strategy: predict works (and
    Keras 3 trains the other layers around a frozen one), training it raised Keras 3's bare
    AssertionError in the optimizer; now an ArgumentError that says why and what to do.
    Also docs/feature_columns.md's claims on columns under the strategy."""
    result = result_of(mirrored, "tf1_module_what_works")
    assert result["keras3_predict"] == 4
    assert result["tf_keras_predict"] == 4
    assert result["keras3_frozen_fit"] is None
    for name in ("keras3_fit", "tf_keras_custom_loop"):
        class_name, is_argument_error, message = result[name]
        assert is_argument_error, (name, class_name, message)
        assert "TF1 Hub module" in message
        assert "trainable=False" in message
        assert "MirroredStrategy" in message
    class_name, _, message = result["tf_keras_column_compile"]
    assert class_name == "ValueError" and "not created in the distribution strategy" in message
    assert result["tf_keras_column_v2_changed"] > 1e-4  # A TF2 column trains there.
