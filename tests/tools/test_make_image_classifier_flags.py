"""make_image_classifier items of issue 8 that no other test held: a `.tflite` file asked for
without `--saved_model_dir` (upstream converted a temporary SavedModel, as tfhub does); the
documented MultiWorkerMirroredStrategy route, which Keras 3 cannot train with over several
workers (checked by hand: two workers on 127.0.0.1 train with tf_keras, and Keras 3's fit fails
on per-replica values, keras-team/keras#20585)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_models, mounts
from tests._helpers.python_process import child_env, python_command

from tfhub import errors
from tfhub.tools.image_modules import load_module_layer
from tfhub.tools.make_image_classifier import build_model, get_default_hparams
from tfhub.tools.make_image_classifier import make_image_classifier as train
from tfhub.tools.make_image_classifier.export import Outputs, export
from tfhub.tools.make_image_classifier.strategy import check_keras_can_train

pytestmark = [
    pytest.mark.tf,
    pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated:UserWarning"),
]


def test_tflite_alone_is_converted_from_a_temporary_saved_model_that_is_removed(
    image_modules: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", os.fspath(scratch))  # Where the SavedModel goes.
    layer = load_module_layer(image_modules["fixed"], trainable=False)
    model = build_model(layer, get_default_hparams(), (32, 32), 3)
    said: list[str] = []
    tflite = tmp_path / "out" / "model.tflite"
    export(model, ("a", "b", "c"), Outputs(tflite_output_file=os.fspath(tflite)), say=said.append)

    assert said == [f"TFLite model exported to {tflite}"]
    assert os.listdir(tmp_path / "out") == ["model.tflite"]
    assert not [name for name in os.listdir(scratch) if name.startswith("tfhub-classifier-")]
    images = np.random.default_rng(0).uniform(size=(4, 32, 32, 3)).astype(np.float32)
    lite = image_models.tflite_predictions(tflite, images)
    np.testing.assert_allclose(lite, np.asarray(model(images, training=False)), atol=1e-4)


def test_a_full_disk_under_the_saved_model_is_one_error_and_leaves_nothing(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    """TensorFlow's own write fails (ResourceExhaustedError, not an OSError): it used to end
    the tool in "unexpected error: ResourceExhaustedError: <temporary path>; No space left"."""
    layer = load_module_layer(image_modules["fixed"], trainable=False)
    model = build_model(layer, get_default_hparams(), (32, 32), 3)
    with mounts.tmpfs(tmp_path / "fs", "size=16k") as disk:
        saved_model_dir = disk / "model"
        with pytest.raises(errors.OutputNotWritableError) as caught:
            export(model, ("a", "b", "c"), Outputs(os.fspath(saved_model_dir)), say=print)
        message = str(caught.value)
        assert message.startswith(f"Cannot write the saved model dir {saved_model_dir}: no space")
        assert "Free space on its disk" in message and "\n" not in message
        assert type(caught.value.__cause__).__name__ == "ResourceExhaustedError"
        assert os.listdir(disk) == []  # Nothing half-written, no temporary folder.


def test_a_full_disk_under_the_tflite_conversion_says_where_and_what_to_do(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    layer = load_module_layer(image_modules["fixed"], trainable=False)
    model = build_model(layer, get_default_hparams(), (32, 32), 3)
    with mounts.tmpfs(tmp_path / "fs", "size=16k") as disk:
        tflite = disk / "out" / "model.tflite"
        with pytest.raises(errors.OutputNotWritableError) as caught:
            export(model, ("a", "b", "c"), Outputs(tflite_output_file=os.fspath(tflite)), say=print)
        message = str(caught.value)
        assert message.startswith(
            f"Cannot write the tflite output file {tflite}: the temporary SavedModel it is "
            "converted from, beside it, cannot be written (no space"
        )
        assert "Free space on its disk" in message and "\n" not in message
        assert os.listdir(disk) == []  # No temporary SavedModel, no folder made for it.


# A make_image_classifier export killed (SIGKILL: no `finally` runs) once the temporary SavedModel
# that a .tflite file without --saved_model_dir is converted from is written.
KILLED_TFLITE_EXPORT = """
import os, signal, sys
from tfhub.tools.image_modules import load_module_layer
from tfhub.tools.make_image_classifier import build_model, get_default_hparams
from tfhub.tools.make_image_classifier import export
model = build_model(load_module_layer(sys.argv[1], trainable=False), get_default_hparams(),
                    (32, 32), 3)
save_model = export.save_model
def save_then_die(model, folder):
    save_model(model, folder)
    print(folder, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
export.save_model = save_then_die
export.export(model, ("a", "b", "c"), export.Outputs(tflite_output_file=sys.argv[2]), say=print)
"""


def test_the_temporary_saved_model_of_a_killed_run_is_removed_by_the_next(
    image_modules: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was made under TMPDIR (tempfile.TemporaryDirectory), where a killed run left it for
    ever; it is now a hidden temporary beside the .tflite file, which the next run removes."""
    scratch, out = tmp_path / "tmp", tmp_path / "out"
    scratch.mkdir()
    tflite = out / "model.tflite"
    killed = subprocess.run(
        python_command(KILLED_TFLITE_EXPORT, image_modules["fixed"], os.fspath(tflite)),
        env=child_env(TMPDIR=os.fspath(scratch)),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-4000:]
    left = Path(killed.stdout.strip().splitlines()[-1]).parent
    assert left.parent == out and left.name.startswith(".model.tflite.tmp-"), left
    assert (left / "saved_model" / "saved_model.pb").is_file()

    monkeypatch.setattr(tempfile, "tempdir", os.fspath(scratch))
    layer = load_module_layer(image_modules["fixed"], trainable=False)
    model = build_model(layer, get_default_hparams(), (32, 32), 3)
    export(model, ("a", "b", "c"), Outputs(tflite_output_file=os.fspath(tflite)), say=print)
    assert os.listdir(out) == ["model.tflite"]
    # Nothing in TMPDIR but what TensorFlow's autograph writes there (its converted functions).
    assert [name for name in os.listdir(scratch) if not name.startswith("__autograph")] == []


def test_a_full_disk_under_the_summaries_ends_training_in_one_error(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    from tfhub.tools.make_image_classifier import train_and_export

    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=16)
    with mounts.tmpfs(tmp_path / "fs", "size=16k") as disk:
        (disk / "filler").write_bytes(b"\0" * (16 << 10))  # The disk is full.
        summaries, saved_model_dir = disk / "summaries", tmp_path / "model"
        outputs = Outputs(os.fspath(saved_model_dir), summaries_dir=os.fspath(summaries))
        with pytest.raises(errors.OutputNotWritableError) as caught:
            train_and_export(
                image_modules["fixed"], os.fspath(shape_images), hparams, outputs=outputs,
                say=lambda line: None,
            )  # fmt: skip
        message = str(caught.value)
        assert message.startswith(f"Cannot write the summaries dir {summaries}: no space")
        assert message.endswith(f"Received: summaries_dir={os.fspath(summaries)!r}")
        assert type(caught.value.__cause__).__name__ == "ResourceExhaustedError"
        assert not saved_model_dir.exists()  # Training ended: nothing exported.


def _cluster(workers: int) -> object:
    """What the checks read of a MultiWorkerMirroredStrategy: a strategy's `scope` and
    `num_replicas_in_sync`, and its cluster resolver (a real one; a real strategy of several
    workers waits for the others)."""
    import contextlib

    import tensorflow as tf

    spec = tf.train.ClusterSpec({"worker": [f"127.0.0.1:{port}" for port in range(workers)]})
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(spec, "worker", 0)
    fields = {
        "cluster_resolver": resolver,
        "num_replicas_in_sync": workers,
        "scope": lambda self: contextlib.nullcontext(),
    }
    return type("MultiWorkerMirroredStrategy", (), fields)()


def test_keras3_refuses_several_workers_before_loading_anything(shape_images: Path) -> None:
    with pytest.raises(errors.UnsupportedStrategyError, match="TF_USE_LEGACY_KERAS=1") as caught:
        train("no/such/module", str(shape_images), get_default_hparams(), _cluster(2))
    assert (caught.value.workers, caught.value.keras) == (2, "keras")
    assert "MultiWorkerMirroredStrategy over 2 workers" in str(caught.value)
    check_keras_can_train(_cluster(2), "tf_keras")  # tf_keras trains with it.
    check_keras_can_train(_cluster(1), "keras")  # One worker: as MirroredStrategy.


def _save_module_with_an_op_tflite_lacks(path: Path) -> str:
    """An image feature vector computed with BesselI0e, which TFLite has no builtin for."""
    import tensorflow as tf

    class Bessel(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            means = tf.reduce_mean(images, axis=[1, 2])
            return tf.concat([means, tf.math.special.bessel_i0e(means)], 1)

    tf.saved_model.save(Bessel(), os.fspath(path))
    return os.fspath(path)


def test_a_model_tflite_cannot_convert_is_one_error_naming_the_ops(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The converter's ConverterError used to end the tool as "unexpected error", after ~30
    lines of MLIR diagnostics on stderr."""
    layer = load_module_layer(_save_module_with_an_op_tflite_lacks(tmp_path / "m"), trainable=False)
    model = build_model(layer, get_default_hparams(), (32, 32), 3)
    out = tmp_path / "out"
    outputs = Outputs(
        saved_model_dir=os.fspath(out / "sm"),
        labels_output_file=os.fspath(out / "labels.txt"),
        tflite_output_file=os.fspath(out / "model.tflite"),
    )
    capfd.readouterr()
    with pytest.raises(errors.TFLiteConversionError) as caught:
        export(model, ("a", "b", "c"), outputs, say=print)
    message = str(caught.value)
    assert "TensorFlow Lite has no builtin op for BesselI0e" in message and "\n" not in message
    assert message.endswith(f"Received: tflite_output_file={outputs.tflite_output_file!r}")
    assert caught.value.ops == ["BesselI0e"] and isinstance(caught.value, ValueError)
    assert type(caught.value.__cause__).__name__ == "ConverterError"
    assert sorted(os.listdir(out)) == ["labels.txt", "sm"]  # Written before; no .tflite.
    assert "loc(" not in capfd.readouterr().err  # The converter's diagnostics are not shown...
    monkeypatch.setenv("TFHUB_DEBUG", "1")
    with pytest.raises(errors.TFLiteConversionError):
        export(model, ("a", "b", "c"), outputs, say=print)
    assert "Custom ops: BesselI0e" in capfd.readouterr().err  # ... unless TFHUB_DEBUG is set.


def _save_module_with_string_ops(path: Path) -> str:
    """An image feature vector that goes through strings (AsString, StringToNumber): TFLite has
    them only as TF Select ops."""
    import tensorflow as tf

    class Strings(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            means = tf.reduce_mean(images, axis=[1, 2])
            return tf.strings.to_number(tf.strings.as_string(means, precision=4))

    tf.saved_model.save(Strings(), os.fspath(path))
    return os.fspath(path)


def test_a_model_with_string_ops_is_one_short_error_naming_them(tmp_path: Path) -> None:
    """The converter lists string ops as "TF Select ops: ...", not "Custom ops" or "Flex ops":
    the error held its whole first line instead (~1,000 characters of MLIR locations)."""
    layer = load_module_layer(_save_module_with_string_ops(tmp_path / "m"), trainable=False)
    model = build_model(layer, get_default_hparams(), (32, 32), 3)
    out = tmp_path / "out"
    outputs = Outputs(tflite_output_file=os.fspath(out / "model.tflite"))
    with pytest.raises(errors.TFLiteConversionError) as caught:
        export(model, ("a", "b", "c"), outputs, say=print)
    message = str(caught.value)
    assert "TensorFlow Lite has no builtin op for AsString, StringToNumber." in message
    assert caught.value.ops == ["AsString", "StringToNumber"] and len(message) < 600
    assert not out.exists()  # No .tflite, and the temporary SavedModel is removed.
    from tfhub.tools.make_image_classifier import tflite

    # A reason that names no op is cut to its first 300 characters.
    other = tflite._conversion_error("Could not translate: " + "loc(x) " * 200, "m.tflite")
    assert other.ops == [] and "...). The SavedModel" in str(other) and len(str(other)) < 900


# Upstream's flags of tools/make_image_classifier/make_image_classifier.py at v0.10.0, read from
# its wheel: name -> default.
UPSTREAM_FLAG_DEFAULTS = {
    "image_dir": None,
    "tfhub_module": "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4",
    "image_size": None,
    "saved_model_dir": None,
    "tflite_output_file": None,
    "labels_output_file": None,
    "summaries_dir": None,
    "assert_accuracy_at_least": None,
    "train_epochs": 5,
    "do_fine_tuning": False,
    "batch_size": 32,
    "learning_rate": 0.005,
    "momentum": 0.9,
    "dropout_rate": 0.2,
    "set_memory_growth": False,
    "l1_regularizer": 0.0,
    "l2_regularizer": 0.0001,
    "label_smoothing": 0.1,
    "validation_split": 0.2,
    "do_data_augmentation": False,
    "rotation_range": 40,
    "horizontal_flip": True,
    "width_shift_range": 0.2,
    "height_shift_range": 0.2,
    "shear_range": 0.2,
    "zoom_range": 0.2,
    "distribution_strategy": None,
}


def test_upstreams_module_drives_the_tool_by_its_flags(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    """Code written against tensorflow_hub 0.10 sets `make_image_classifier.FLAGS` and calls
    `main(None)`; the name is also tfhub's Python API function, which keeps working."""
    from tfhub.tools import make_image_classifier as mic
    from tfhub.tools.make_image_classifier import make_image_classifier as retrain_script

    assert {name: retrain_script.FLAGS[name].value for name in retrain_script.FLAGS} == (
        UPSTREAM_FLAG_DEFAULTS
    )
    retrain_script.FLAGS.image_dir = os.fspath(shape_images)
    retrain_script.FLAGS.tfhub_module = image_modules["fixed"]
    retrain_script.FLAGS.saved_model_dir = os.fspath(tmp_path / "saved_model")
    retrain_script.FLAGS.labels_output_file = os.fspath(tmp_path / "labels.txt")
    retrain_script.FLAGS.train_epochs = 1
    retrain_script.FLAGS.batch_size = 8
    try:
        retrain_script.main(None)
        assert (tmp_path / "labels.txt").read_text() == "circle\nsquare\ntriangle\n"
        assert (tmp_path / "saved_model" / "saved_model.pb").is_file()
        retrain_script.FLAGS.learning_rate = 1e-9  # Learns nothing: about 1/3 right.
        retrain_script.FLAGS.assert_accuracy_at_least = 1.0  # Raises as upstream did.
        with pytest.raises(AssertionError, match="ACCURACY FAILED"):
            retrain_script.main(None)
    finally:
        for name in retrain_script.FLAGS:
            retrain_script.FLAGS[name].value = UPSTREAM_FLAG_DEFAULTS[name]

    assert mic.make_image_classifier is retrain_script and train is retrain_script
    model, labels, history = mic.make_image_classifier(  # tfhub's function, as before.
        image_modules["fixed"],
        os.fspath(shape_images),
        get_default_hparams()._replace(train_epochs=1, batch_size=8),
    )
    assert labels == ("circle", "square", "triangle") and len(history.history["loss"]) == 1


def _old_outputs(out: Path, tflite: Path) -> Outputs:
    """An earlier run's SavedModel folder, labels file and .tflite file (at `tflite`)."""
    (out / "saved_model").mkdir(parents=True)
    (out / "saved_model" / "saved_model.pb").write_bytes(b"old model")
    (out / "labels.txt").write_text("old\n")
    tflite.write_bytes(b"old tflite")
    return Outputs(
        saved_model_dir=os.fspath(out / "saved_model"),
        tflite_output_file=os.fspath(tflite),
        labels_output_file=os.fspath(out / "labels.txt"),
    )


def test_a_failed_export_names_the_outputs_still_from_an_earlier_run(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    """The .tflite on a full disk: the SavedModel and labels were new, the .tflite an earlier
    run's, and nothing said the outputs now came from two runs."""
    layer = load_module_layer(image_modules["fixed"], trainable=False)
    model = build_model(layer, get_default_hparams(), (32, 32), 3)
    with mounts.tmpfs(tmp_path / "fs", "size=16k") as disk:
        tflite = disk / "model.tflite"
        outputs = _old_outputs(tmp_path / "out", tflite)
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as filler:
            filler.write(b"\0" * (16 << 10))  # The disk is full.
        with pytest.raises(errors.OutputNotWritableError) as caught:
            export(model, ("a", "b", "c"), outputs, say=lambda line: None)
        assert str(caught.value) == (
            f"Cannot write the tflite output file {tflite}: No space left on device. Free space "
            "on its disk, or choose a folder on a disk with room. This run wrote only the saved "
            f"model dir {outputs.saved_model_dir} and the labels output file "
            f"{outputs.labels_output_file}; the tflite output file {tflite} still holds an "
            f"earlier run's output, not this run's. Received: tflite_output_file={str(tflite)!r}"
        )
        assert caught.value.written == [outputs.saved_model_dir, outputs.labels_output_file]
        assert isinstance(caught.value.__cause__, OSError) and caught.value.__cause__.errno == 28
        assert tflite.read_bytes() == b"old tflite"
    assert (tmp_path / "out" / "labels.txt").read_text() == "a\nb\nc\n"


def test_an_interrupted_export_names_the_outputs_still_from_an_earlier_run(
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C while the .tflite is converted, after the SavedModel and labels were replaced."""
    from tfhub.tools.make_image_classifier import cli
    from tfhub.tools.make_image_classifier import export as export_module

    def interrupted(*args: object, **kwargs: object) -> bytes:
        raise KeyboardInterrupt

    monkeypatch.setattr(export_module, "tflite_bytes", interrupted)
    out = tmp_path / "out"
    outputs = _old_outputs(out, out / "model.tflite")
    argv = [f"--image_dir={shape_images}", f"--tfhub_module={image_modules['fixed']}"]
    argv += ["--train_epochs=1", "--batch_size=4", f"--saved_model_dir={outputs.saved_model_dir}"]
    argv += [f"--labels_output_file={outputs.labels_output_file}"]
    argv += [f"--tflite_output_file={outputs.tflite_output_file}"]
    assert cli.main(argv) == 130
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        "make_image_classifier: interrupted. This run wrote only the saved model dir "
        f"{outputs.saved_model_dir} and the labels output file {outputs.labels_output_file}; the "
        f"tflite output file {outputs.tflite_output_file} still holds an earlier run's output, "
        "not this run's."
    )
    assert (out / "model.tflite").read_bytes() == b"old tflite"
    assert (out / "labels.txt").read_text() == "circle\nsquare\ntriangle\n"


@pytest.mark.parametrize("argv", [["--image_dir="], ["--image_dir", "  "]])
def test_an_image_dir_given_empty_is_refused_not_read_as_tf_flowers(
    argv: list[str], tmp_path: Path
) -> None:
    """`--image_dir=$DIR` with DIR unset trained on the downloaded TF Flowers images, silently
    (upstream's default "" meant them); omitting the flag still does."""
    done = subprocess.run(
        [sys.executable, "-m", "tfhub.tools.make_image_classifier", *argv],
        env=child_env(
            TFHUB_CACHE_DIR=os.fspath(tmp_path), TFHUB_FLOWERS_URL="http://127.0.0.1:9/f"
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr[-2000:]
    assert "--image_dir is empty" in lines[0] and "omit the flag" in lines[0], lines[0]
    assert "TF Flowers" in lines[0] and "Received: image_dir=" in lines[0], lines[0]
    assert os.listdir(tmp_path) == []  # Nothing downloaded or cached.
