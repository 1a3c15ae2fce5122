"""make_image_classifier's bottlenecks: with a frozen module and no augmentation, the module runs
once per image (in the first epoch's tf.data pipeline) and the classifier head trains on its kept
features. The result must be the model that training the whole model gives (same head weights,
same accuracy, same predictions), in Keras 3 and in tf_keras (subprocesses: the flavour is chosen
before Keras is imported)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_models, image_sets
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

from tfhub import errors
from tfhub.tools import image_decoding, image_folders, image_store
from tfhub.tools import image_modules as image_modules_lib
from tfhub.tools.make_image_classifier import callbacks, data, get_default_hparams, lib

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def _pass(store: image_store.ImageStore, indices: np.ndarray) -> dict[int, np.ndarray]:
    found = {}
    for batch, values in store.batches(indices, 4, shuffle=True, seed=1):
        found.update(
            {int(i): value for i, value in zip(batch.numpy(), values.numpy(), strict=True)}
        )
    return found


def test_store_runs_the_feature_function_once_per_image_and_keeps_its_output(
    tmp_path: Path,
) -> None:
    import tensorflow as tf

    root = tmp_path / "imgs"
    image_sets.make_image_folder(root, classes=("circle", "square"), per_class=3, formats=("png",))
    module = image_models.save_image_feature_vector(tmp_path / "module", image_size=(16, 16))
    layer = image_modules_lib.load_module_layer(module, trainable=False)
    files = image_folders.list_image_files(os.fspath(root))
    seen = tf.Variable(0, dtype=tf.int64)  # How many images the feature function was given.

    def features(images: tf.Tensor) -> tf.Tensor:
        counted = seen.assign_add(tf.shape(images, out_type=tf.int64)[0])
        with tf.control_dependencies([counted]):
            return layer(images, training=False)

    store = image_store.ImageStore(files, (16, 16), features=image_store.Features(features, 8))
    assert store.keeps_features
    first = _pass(store, np.arange(6))
    assert sorted(first) == list(range(6)) and int(seen.numpy()) == 6
    second = _pass(store, np.arange(6))
    assert int(seen.numpy()) == 6  # The kept features, not computed again.
    decoded = image_decoding.decode_images(files, (16, 16))
    reference = image_models.image_features(decoded.images.astype(np.float32) / 255.0)
    for i in range(6):
        np.testing.assert_allclose(first[i], reference[i], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(second[i], first[i])
    assert store.check() == ()
    hparams = get_default_hparams()._replace(batch_size=4, validation_split=0.4)
    sets = data.make_datasets(store, hparams=hparams)
    spec = sets.train.element_spec
    assert spec[0].shape.as_list() == [None, 8] and spec[1].shape.as_list() == [None, 2]
    with pytest.raises(errors.ToolFlagError, match="needs a store of images"):
        data.make_datasets(store, hparams=hparams._replace(do_data_augmentation=True))


def test_bottlenecks_are_used_only_for_a_frozen_module_without_augmentation_or_gpu() -> None:
    hparams = get_default_hparams()
    assert lib.uses_bottlenecks(hparams)
    assert not lib.uses_bottlenecks(hparams._replace(do_fine_tuning=True))
    assert not lib.uses_bottlenecks(hparams._replace(do_data_augmentation=True))
    no_distortion = {
        "do_data_augmentation": True, "horizontal_flip": False, "rotation_range": 0,
        "shear_range": 0, "width_shift_range": 0, "height_shift_range": 0, "zoom_range": 0,
    }  # fmt: skip
    assert lib.uses_bottlenecks(hparams._replace(**no_distortion))
    assert not lib.uses_bottlenecks(hparams, gpus=1)  # The pipeline would run it on the CPU.


TRAIN_BOTH_WAYS = """
    import json, sys
    import numpy as np
    from tfhub.tools.make_image_classifier import get_default_hparams, lib

    image_dir, module, images_file = sys.argv[1:4]
    images = np.load(images_file)
    keras = lib.keras_module()
    hparams = get_default_hparams()._replace(
        train_epochs=3, batch_size=8, learning_rate=0.1, dropout_rate=0.0
    )
    results = {}
    for bottlenecks in (True, False):
        keras.utils.set_random_seed(0)
        lines = []
        model, labels, history = lib.make_image_classifier(
            module, image_dir, hparams, say=lines.append, seed=0, bottlenecks=bottlenecks
        )
        dense = model.layers[-1]
        results[str(bottlenecks)] = {
            "layers": [type(layer).__name__ for layer in model.layers],
            "kernel": np.asarray(dense.kernel).tolist(),
            "bias": np.asarray(dense.bias).tolist(),
            "val_accuracy": [float(a) for a in history.history["val_accuracy"]],
            "predictions": np.asarray(model(images, training=False)).tolist(),
            "lines": lines,
        }
    print(json.dumps(results))
"""


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_training_on_bottlenecks_gives_the_model_that_training_the_whole_model_gives(
    forks: ForkServer,
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    flavour: str,
) -> None:
    decoded = image_decoding.decode_images(
        image_folders.list_image_files(os.fspath(shape_images)), (32, 32)
    )
    images = decoded.images[::5].astype(np.float32) / 255.0
    np.save(tmp_path / "images.npy", images)
    env = child_env(TF_USE_LEGACY_KERAS="1" if flavour == "tf_keras" else "0")
    done = forks.run(  # Forked with TensorFlow imported, not started: tests/tools/_one_child.py.
        TRAIN_BOTH_WAYS, os.fspath(shape_images), image_modules["fixed"],
        os.fspath(tmp_path / "images.npy"), env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    head, whole = results["True"], results["False"]
    assert any("run through the module once" in line for line in head["lines"])
    assert not any("run through the module once" in line for line in whole["lines"])
    # The model returned (and exported) is the whole model either way.
    assert head["layers"] == whole["layers"] and head["layers"][-2:] == ["Dropout", "Dense"]
    np.testing.assert_allclose(head["kernel"], whole["kernel"], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(head["bias"], whole["bias"], rtol=1e-3, atol=1e-4)
    assert head["val_accuracy"] == whole["val_accuracy"] and head["val_accuracy"][-1] >= 0.9
    np.testing.assert_allclose(head["predictions"], whole["predictions"], atol=1e-4)
    # It predicts what the trained head predicts on the module's features.
    logits = image_models.image_features(images) @ np.asarray(head["kernel"]) + head["bias"]
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(head["predictions"], expected, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Your input ran out of data")  # evaluate's, below.
def test_validation_features_are_computed_while_training_starts_and_errors_reach_fit(
    shape_images: Path, image_modules: dict[str, str]
) -> None:
    import tensorflow as tf

    keras = lib.keras_module()
    hparams = get_default_hparams()._replace(train_epochs=2, batch_size=8)
    layer = image_modules_lib.load_module_layer(image_modules["fixed"], trainable=False)
    files = image_folders.list_image_files(os.fspath(shape_images))
    store = image_store.ImageStore(files, (32, 32), features=lib.module_features(layer, 8))
    sets = data.make_datasets(store, hparams=hparams, seed=0)
    _, valid_idx = data.split_indices(np.asarray(files.label_ids), hparams.validation_split)
    seen: list[tuple[bool, float]] = []

    class Probe(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def on_epoch_end(self, epoch: int, logs: dict) -> None:  # After the head's validation.
            seen.append((bool(store._read.numpy()[valid_idx].all()), logs["val_accuracy"]))

    every = (*callbacks.for_store(keras, store, sets.valid, sets.valid_indices), Probe())
    head = lib.build_head(hparams, 8, len(files.labels))
    history = lib.train_model(
        head, hparams, (sets.train, sets.train_size), (None, sets.valid_size),
        say=lambda line: None, callbacks=every,
    )  # fmt: skip
    assert [kept for kept, _ in seen] == [True, True]  # Kept when the head was validated.
    # The head's validation gives what Keras' evaluation of the same weights gives.
    assert [accuracy for _, accuracy in seen] == history.history["val_accuracy"]
    evaluated = head.evaluate(sets.valid, verbose=0, return_dict=True)
    assert history.history["val_accuracy"][-1] == evaluated["accuracy"]
    np.testing.assert_allclose(history.history["val_loss"][-1], evaluated["loss"], rtol=1e-5)

    def fail(features: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        check = tf.debugging.assert_equal(tf.size(labels), -1, message="broken validation set")
        with tf.control_dependencies([check]):
            return features, labels

    broken = sets.valid.map(fail)
    with pytest.raises(tf.errors.InvalidArgumentError, match="broken validation set"):
        lib.train_model(
            lib.build_head(hparams, 8, len(files.labels)), hparams,
            (sets.train, sets.train_size), (None, sets.valid_size), say=lambda line: None,
            callbacks=callbacks.for_store(keras, store, broken, sets.valid_indices),
        )  # fmt: skip


VALIDATE_MIRRORED = """
    import json, os, sys
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tfhub.tools import image_decoding, image_folders
    from tfhub.tools.make_image_classifier import data, get_default_hparams, lib

    image_dir, module = sys.argv[1:3]
    keras = lib.keras_module()
    keras.utils.set_random_seed(0)
    hparams = get_default_hparams()._replace(
        train_epochs=2, batch_size=8, learning_rate=0.1, l1_regularizer=1e-3
    )
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    lines = []
    model, labels, history = lib.make_image_classifier(
        module, image_dir, hparams, strategy, say=lines.append, seed=0
    )
    # The validation images, as the tool splits them, through the whole model returned.
    decoded = image_decoding.decode_images(image_folders.list_image_files(image_dir), (32, 32))
    _, valid = data.split_indices(decoded.label_ids, hparams.validation_split)
    images = decoded.images[valid].astype(np.float32) / 255.0
    onehot = np.eye(len(labels), dtype=np.float32)[decoded.label_ids[valid]]
    evaluated = model.evaluate(
        images, onehot, batch_size=len(images), verbose=0, return_dict=True
    )  # 12 images: 6 per replica.
    # By hand: cross-entropy with label smoothing, plus the Dense kernel's L1 and L2 terms.
    probabilities = np.asarray(model(images, training=False), np.float64)
    smoothed = onehot * (1 - hparams.label_smoothing) + hparams.label_smoothing / len(labels)
    clipped = np.clip(probabilities, 1e-7, 1 - 1e-7)
    kernel = np.asarray(model.layers[-1].kernel, np.float64)
    plain_loss = np.mean(-np.sum(smoothed * np.log(clipped), axis=1)) + (
        hparams.l1_regularizer * np.abs(kernel).sum()
        + hparams.l2_regularizer * np.square(kernel).sum()
    )
    right = np.argmax(probabilities, axis=1) == decoded.label_ids[valid]
    plain_accuracy = np.float32(right.sum()) / np.float32(len(right))  # As Keras: float32.
    print(json.dumps({
        "lines": lines,
        "val_loss": [float(v) for v in history.history["val_loss"]],
        "val_accuracy": [float(v) for v in history.history["val_accuracy"]],
        "evaluated": {k: float(v) for k, v in evaluated.items()},
        "plain": {"loss": float(plain_loss), "accuracy": float(plain_accuracy)},
    }))
"""


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_mirrored_bottleneck_validation_gives_what_evaluate_gives(
    forks: ForkServer, shape_images: Path, image_modules: dict[str, str], flavour: str
) -> None:
    """Under a MirroredStrategy of 2 logical CPUs the head's validation ran inside the
    strategy's scope, where Keras 3's loss reduction divides by the number of replicas: the
    val_loss printed and kept in the History was half the loss (0.76 against a training loss
    of 1.85). It must be the loss Keras' `evaluate`, and the formula, give on the same images."""
    done = forks.run(
        VALIDATE_MIRRORED, os.fspath(shape_images), image_modules["fixed"],
        env=child_env(TF_USE_LEGACY_KERAS="1" if flavour == "tf_keras" else "0"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    lines = results["lines"]
    assert any("MirroredStrategy with 2 replica(s)" in line for line in lines)
    assert any("run through the module once" in line for line in lines)  # Bottlenecks.
    val_loss, evaluated, plain = results["val_loss"][-1], results["evaluated"], results["plain"]
    np.testing.assert_allclose(val_loss, evaluated["loss"], rtol=1e-5)
    np.testing.assert_allclose(val_loss, plain["loss"], rtol=1e-5)
    assert results["val_accuracy"][-1] == evaluated["accuracy"] == plain["accuracy"]


MIRRORED_CLI = """
    import sys
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tfhub.tools.make_image_classifier.cli import main

    sys.exit(main(sys.argv[1:]))
"""


EARLY_PASS_BESIDE_REPLICA_ITERATORS = """
    import sys
    import threading

    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from tfhub.tools.make_image_classifier import callbacks

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    distributed = strategy.experimental_distribute_dataset(tf.data.Dataset.range(8).batch(4))
    early = callbacks.early_validation_pass(keras, tf.data.Dataset.range(2))
    done = threading.Event()

    def passes() -> None:
        while not done.is_set():
            early.on_train_begin()
            early.on_test_begin()

    thread = threading.Thread(target=passes)
    thread.start()
    failed = 0
    try:
        for _ in range(60):
            try:
                next(iter(distributed))
            except tf.errors.OutOfRangeError:
                failed += 1
    finally:
        done.set()
        thread.join()
    print(f"{failed} of 60 failed")
"""


def test_early_validation_pass_does_not_fail_replica_iterators_made_meanwhile(
    forks: ForkServer,
) -> None:
    # The end of a `for` loop over a dataset is an OutOfRangeError inside TensorFlow; raised in
    # the pass's thread, it failed a per-replica iterator being made in the training thread at
    # that moment (CI: "End of sequence [Op:GeneratorDataset]" on CPU:1). With a `for` loop in
    # the pass this script counted 17 failures in 150 creations.
    done = forks.run(EARLY_PASS_BESIDE_REPLICA_ITERATORS)
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip().endswith("0 of 60 failed"), done.stdout


def test_tf_keras_mirrored_bottlenecks_export_a_compiled_whole_model(
    forks: ForkServer, shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    import tensorflow as tf

    out = tmp_path / "out"
    done = forks.run(
        MIRRORED_CLI,
        "--image_dir", os.fspath(shape_images), "--tfhub_module", image_modules["fixed"],
        "--distribution_strategy", "mirrored", "--train_epochs", "2", "--batch_size", "8",
        "--saved_model_dir", os.fspath(out / "sm"),
        env=child_env(TF_USE_LEGACY_KERAS="1"),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "MirroredStrategy with 2 replica(s)" in done.stdout
    assert "run through the module once" in done.stdout and "), tf_keras 2." in done.stdout
    serve = tf.saved_model.load(os.fspath(out / "sm")).signatures["serving_default"]
    images = np.random.default_rng(0).random((3, 32, 32, 3), np.float32)
    (probabilities,) = serve(tf.constant(images)).values()
    np.testing.assert_allclose(np.sum(probabilities.numpy(), axis=1), 1.0, atol=1e-5)
