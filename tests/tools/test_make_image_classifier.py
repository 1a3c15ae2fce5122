"""make_image_classifier end to end: real training on generated images with tiny real modules
(served over 127.0.0.1 or read from folders), in Keras 3, in tf_keras (TF_USE_LEGACY_KERAS=1,
in a subprocess) and with MirroredStrategy on 2 logical CPUs (a subprocess: devices must be
configured before TensorFlow starts). The exported SavedModel and .tflite file must agree."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_models, image_sets
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

from tfhub import errors
from tfhub.tools import image_decoding, image_folders
from tfhub.tools.make_image_classifier import data, get_default_hparams

pytestmark = [
    pytest.mark.tf,
    pytest.mark.slow,
    # TF 2.21 still ships tf.lite.Interpreter (ai_edge_litert is not a dependency).
    pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated:UserWarning"),
]

LABELS = "circle\nsquare\ntriangle\n"

CLI_SCRIPT = """
    import sys
    if sys.argv[1] == "--two-cpus":
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        two = [tf.config.LogicalDeviceConfiguration()] * 2
        tf.config.set_logical_device_configuration(cpu, two)
    from tfhub.tools.make_image_classifier.cli import main
    sys.exit(main(sys.argv[2:]))
"""


def _run_cli(
    forks: ForkServer, args: list[str], *, env: dict[str, str], two_cpus: bool = False
) -> subprocess.CompletedProcess[str]:
    """Runs the make_image_classifier console script's main() in a process of its own, forked
    with TensorFlow imported but not started (tests/tools/_one_child.py)."""
    flag = "--two-cpus" if two_cpus else "--one-cpu"
    done = forks.run(CLI_SCRIPT, flag, *args, env=child_env(**env))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


def _validation_images(image_dir: Path, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The validation images (float in [0, 1]) and labels, as the tool splits them."""
    decoded = image_decoding.decode_images(
        image_folders.list_image_files(os.fspath(image_dir)), size
    )
    _, valid = data.split_indices(decoded.label_ids, get_default_hparams().validation_split)
    return decoded.images[valid].astype(np.float32) / 255.0, decoded.label_ids[valid]


def _check_exports(saved_model_dir: Path, tflite_file: Path, images: np.ndarray) -> np.ndarray:
    """Checks the SavedModel's serving_default, the SavedModel called as a function (as
    upstream's, e.g. by hub.KerasLayer) and the .tflite file agree; returns probabilities."""
    import tensorflow as tf

    loaded = tf.saved_model.load(os.fspath(saved_model_dir))
    serve = loaded.signatures["serving_default"]
    # Upstream's names (tf_keras's first Input and Dense), whichever Keras trained it.
    assert list(serve.structured_input_signature[1]) == ["input_1"]
    assert list(serve.structured_outputs) == ["dense"]
    (spec,) = serve.structured_input_signature[1].values()
    assert spec.dtype == tf.float32 and spec.shape.as_list() == [None, *images.shape[1:]]
    (saved,) = serve(tf.constant(images)).values()
    np.testing.assert_allclose(loaded(tf.constant(images)).numpy(), saved.numpy(), atol=1e-6)
    lite = image_models.tflite_predictions(tflite_file, images)
    np.testing.assert_allclose(lite, saved.numpy(), atol=1e-4, rtol=0)
    np.testing.assert_allclose(lite.sum(axis=1), 1.0, atol=1e-5)
    return lite


def _no_temp_files(folder: Path) -> None:
    leftovers = [p.name for p in folder.rglob(".*tmp-*")]
    assert leftovers == []


def test_trains_a_served_module_and_exports_agree(
    shape_images: Path,
    image_modules: dict[str, str],
    served_dir: Path,
    server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tfhub.cli.main import main

    image_dir = tmp_path / "images"
    shutil.copytree(shape_images, image_dir)
    broken = image_sets.write_corrupt_image(image_dir / "triangle" / "zz_broken.jpg")
    image_models.make_module_tarball(image_modules["fixed"], served_dir / "feature_vector.tar.gz")
    out = tmp_path / "out"
    code = main(
        ["make-image-classifier", "--image_dir", os.fspath(image_dir),
         "--tfhub_module", server.url("feature_vector"),
         "--saved_model_dir", os.fspath(out / "saved_model"),
         "--tflite_output_file", os.fspath(out / "model.tflite"),
         "--labels_output_file", os.fspath(out / "saved_model" / "labels.txt"),  # Kept inside.
         "--summaries_dir", os.fspath(out / "logs"),
         "--train_epochs", "8", "--batch_size", "8", "--learning_rate", "0.1",
         "--do_data_augmentation", "--assert_accuracy_at_least", "0.9"]
    )  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "with image size (32, 32)" in printed.out
    # The split is over the files (the unreadable one, last of its class, is a training file).
    assert "Found 3 classes: circle, square, triangle; 49 training and 12 validation" in printed.out
    epochs = [line for line in printed.out.splitlines() if line.startswith("Epoch ")]
    assert len(epochs) == 8 and all("val_accuracy" in line for line in epochs)
    assert "ACCURACY PASSED" in printed.out and "zz_broken.jpg" in printed.err
    assert any("feature_vector" in path for _, path, _ in server.state.requests)
    assert (out / "saved_model" / "labels.txt").read_text() == LABELS
    assert "), keras 3." in printed.out
    for split in ("train", "validation"):
        assert any(
            p.name.startswith("events.out.tfevents") for p in (out / "logs" / split).iterdir()
        )
    images, labels = _validation_images(image_dir, (32, 32))
    assert broken not in images  # (the broken file was skipped, not decoded)
    probabilities = _check_exports(out / "saved_model", out / "model.tflite", images)
    assert np.mean(np.argmax(probabilities, axis=1) == labels) >= 0.9
    _no_temp_files(out)


def test_accuracy_failed_raises_as_upstream_and_exports_nothing(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    from tfhub.tools.make_image_classifier import Outputs, train_and_export

    image_dir = tmp_path / "twins"  # Two classes of the very same images: not learnable.
    shutil.copytree(shape_images / "circle", image_dir / "a")
    shutil.copytree(shape_images / "circle", image_dir / "b")
    out = tmp_path / "out"
    outputs = Outputs(
        saved_model_dir=os.fspath(out / "sm"), labels_output_file=os.fspath(out / "labels.txt")
    )
    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=16)
    with pytest.raises(
        AssertionError, match=r"^ACCURACY FAILED: found 0\.\d+, expected at least 0\.9"
    ) as e:
        train_and_export(
            image_modules["fixed"], os.fspath(image_dir), hparams, outputs=outputs,
            assert_accuracy_at_least=0.9, say=lambda line: None,
        )  # fmt: skip
    assert isinstance(e.value, errors.AccuracyError)
    assert e.value.accuracy <= 0.5 and e.value.expected == 0.9
    assert not out.exists()


def test_mirrored_strategy_tf1_module_and_flowers_download(
    image_modules: dict[str, str],
    served_dir: Path,
    server,
    tmp_path: Path,
    isolated_cache: Path,
    forks: ForkServer,
) -> None:
    image_sets.make_image_folder(tmp_path / "flowers", classes=("square", "circle"), per_class=5)
    image_sets.make_image_archive(tmp_path / "flowers", served_dir / "flower_photos.tgz")
    url = server.url("flower_photos.tgz")
    out = tmp_path / "out"
    done = _run_cli(
        forks,
        ["--tfhub_module", image_modules["tf1"], "--distribution_strategy", "mirrored",
         "--train_epochs", "1", "--batch_size", "8",
         "--saved_model_dir", os.fspath(out / "sm"),
         "--labels_output_file", os.fspath(out / "labels.txt"),
         "--summaries_dir", os.fspath(out / "logs"), "--set_memory_growth"],
        env={"TFHUB_FLOWERS_URL": url, "TFHUB_DOWNLOAD_PROGRESS": "1"},
        two_cpus=True,
    )  # fmt: skip
    printed = done.stdout
    first = printed.splitlines()[0]
    assert first.startswith(f"No --image_dir given: using the TF Flowers example images from {url}")
    assert f"Downloading {url}:" in done.stderr  # tfhub's progress bar (on in a terminal).
    assert "MirroredStrategy with 2 replica(s)" in printed
    assert "No GPUs found for set_memory_growth" in printed  # Upstream's line, on a CPU.
    assert "run through the module once" in printed  # Bottlenecks: the head alone is mirrored.
    for split in ("train", "validation"):
        assert any(
            p.name.startswith("events.out.tfevents") for p in (out / "logs" / split).iterdir()
        )
    assert "with image size (32, 32)" in printed  # From the TF1 module's ImageModuleInfo.
    assert "Found 2 classes: circle, square; 8 training and 2 validation" in printed
    entry = isolated_cache / hashlib.sha1(url.encode()).hexdigest()
    assert sorted(os.listdir(entry / "flower_photos")) == ["LICENSE.txt", "circle", "square"]
    assert (out / "labels.txt").read_text() == "circle\nsquare\n"
    import tensorflow as tf

    serve = tf.saved_model.load(os.fspath(out / "sm")).signatures["serving_default"]
    (probabilities,) = serve(tf.random.uniform([3, 32, 32, 3])).values()
    np.testing.assert_allclose(np.sum(probabilities.numpy(), axis=1), 1.0, atol=1e-5)


def test_mirrored_strategy_trains_on_batches_that_do_not_split_evenly(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path, forks: ForkServer
) -> None:
    """Keras 3 under MirroredStrategy on 2 logical CPUs with --batch_size 11: the first training
    and validation batches split 6 and 5, the last validation batch (12 images) 1 and 0. Keras
    3's fit and evaluate averaged their first batch over the replicas to build the model, which
    failed ("AddN must have the same size"); the whole model trains (--do_fine_tuning: Keras'
    own validation) and the head alone (bottlenecks), and both export."""
    common = [
        "--image_dir", os.fspath(shape_images), "--tfhub_module", image_modules["fixed"],
        "--distribution_strategy", "mirrored", "--train_epochs", "2", "--batch_size", "11",
    ]  # fmt: skip
    for extra in (["--do_fine_tuning"], []):
        out = tmp_path / f"out{len(extra)}"
        printed = _run_cli(
            forks,
            [*common, *extra, "--saved_model_dir", os.fspath(out / "sm"),
             "--tflite_output_file", os.fspath(out / "model.tflite")],
            env={}, two_cpus=True,
        ).stdout  # fmt: skip
        assert "MirroredStrategy with 2 replica(s)" in printed and ", keras 3." in printed
        assert "48 training and 12 validation images" in printed
        assert ("run through the module once" in printed) == (not extra)
        (last_epoch,) = [line for line in printed.splitlines() if line.startswith("Epoch 2/2:")]
        assert "val_accuracy" in last_epoch and "nan" not in last_epoch
        images, _ = _validation_images(shape_images, (32, 32))
        _check_exports(out / "sm", out / "model.tflite", images)


def test_tf_keras_with_fine_tuning_and_a_variable_size_module(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path, forks: ForkServer
) -> None:
    import tensorflow as tf

    out = tmp_path / "out"
    printed = _run_cli(
        forks,
        ["--image_dir", os.fspath(shape_images), "--tfhub_module", image_modules["variable"],
         "--image_size", "40", "--do_fine_tuning", "--train_epochs", "8", "--batch_size", "8",
         "--learning_rate", "0.1", "--assert_accuracy_at_least", "0.9",
         "--saved_model_dir", os.fspath(out / "sm"),
         "--tflite_output_file", os.fspath(out / "model.tflite")],
        env={"TF_USE_LEGACY_KERAS": "1"},
    ).stdout  # fmt: skip
    assert "ACCURACY PASSED" in printed and "with image size (40, 40)" in printed
    assert "), tf_keras 2." in printed
    images, labels = _validation_images(shape_images, (40, 40))
    probabilities = _check_exports(out / "sm", out / "model.tflite", images)
    assert np.mean(np.argmax(probabilities, axis=1) == labels) >= 0.9
    original = tf.train.load_checkpoint(
        os.path.join(image_modules["variable"], "variables", "variables")
    )
    trained = tf.train.load_checkpoint(os.fspath(out / "sm" / "variables" / "variables"))
    kernels = [
        n for n, shape in trained.get_variable_to_shape_map().items() if shape == [3, 3, 3, 5]
    ]
    (module_kernel,) = [
        n for n, shape in original.get_variable_to_shape_map().items() if shape == [3, 3, 3, 5]
    ]
    assert kernels and not np.allclose(
        trained.get_tensor(kernels[0]), original.get_tensor(module_kernel)
    )  # --do_fine_tuning trained the module's own weights.
    _no_temp_files(out)


def test_a_class_of_only_unreadable_images_stops_training_after_the_first_epoch(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    from tfhub.tools.make_image_classifier import make_image_classifier

    image_dir = tmp_path / "images"
    shutil.copytree(shape_images / "circle", image_dir / "circle")
    (image_dir / "square").mkdir()
    for i in range(3):  # Listed as images (a JPEG header), decoded only during the first epoch.
        image_sets.write_corrupt_image(image_dir / "square" / f"broken_{i}.jpg")
    epochs: list[str] = []
    with pytest.raises(errors.ImageFolderError, match=r"\['square'\] hold no readable image"):
        make_image_classifier(
            image_modules["fixed"], os.fspath(image_dir),
            get_default_hparams()._replace(train_epochs=3, batch_size=8), say=epochs.append,
        )  # fmt: skip
    assert [line for line in epochs if line.startswith("Epoch ")] == []


def test_training_runs_with_the_objects_from_before_it_out_of_the_collectors_reach(
    shape_images: Path, image_modules: dict[str, str]
) -> None:
    import gc

    from tfhub.tools.make_image_classifier import make_image_classifier

    frozen_during: list[int] = []

    def say(line: str) -> None:  # Called from inside model.fit at the end of each epoch.
        if line.startswith("Epoch "):
            frozen_during.append(gc.get_freeze_count())

    assert gc.get_freeze_count() == 0
    make_image_classifier(
        image_modules["fixed"], os.fspath(shape_images),
        get_default_hparams()._replace(train_epochs=2, batch_size=8), say=say,
    )  # fmt: skip
    assert len(frozen_during) == 2 and min(frozen_during) > 1000
    assert gc.get_freeze_count() == 0  # Released when training ends.


def test_a_keras_3_exported_feature_extractor_trains_through_its_signature(
    shape_images: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A feature extractor exported with Keras 3's `model.export` loads as an object that is not
    callable; the tool calls its serving signature (it had said "pass `signature=`", which the
    command line has no flag for), fine-tunes it, and its exports agree."""
    import keras

    from tfhub.cli.main import main

    keras.utils.set_random_seed(0)
    extractor = keras.Sequential(
        [keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 3), keras.layers.GlobalAveragePooling2D()]
    )
    extractor.export(os.fspath(tmp_path / "extractor"), verbose=False)
    out = tmp_path / "out"
    code = main(
        ["make-image-classifier", "--image_dir", os.fspath(shape_images),
         "--tfhub_module", os.fspath(tmp_path / "extractor"), "--do_fine_tuning",
         "--saved_model_dir", os.fspath(out / "saved_model"),
         "--tflite_output_file", os.fspath(out / "model.tflite"),
         "--train_epochs", "2", "--batch_size", "8"]
    )  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "with image size (32, 32)" in printed.out
    images, _ = _validation_images(shape_images, (32, 32))
    _check_exports(out / "saved_model", out / "model.tflite", images)

    two = keras.Input((32, 32, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(two))
    keras.Model(two, [pooled, pooled]).export(os.fspath(tmp_path / "two"), verbose=False)
    from tfhub.tools.image_modules import load_module_layer

    with pytest.raises(errors.NotAnImageModuleError, match="none of its signatures .* single"):
        load_module_layer(os.fspath(tmp_path / "two"), trainable=False)
