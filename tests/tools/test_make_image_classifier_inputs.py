"""make_image_classifier before training: the tf.data pipeline, the output checks and the flags.
Every bad input is a clear error, raised before any training step. (The image folder and module
checks it shares with module_search: test_image_folders.py, test_image_modules.py.)"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from tfhub import errors
from tfhub.tools import image_decoding, image_folders, image_store
from tfhub.tools.make_image_classifier import cli, data, get_default_hparams
from tfhub.tools.make_image_classifier.export import (
    Outputs,
    check_outputs_apart_from_images,
    check_outputs_writable,
    write_labels,
)

# --- The tf.data pipeline ------------------------------------------------------------------------


def test_split_takes_the_first_fraction_of_each_class_for_validation() -> None:
    labels = np.array([0] * 10 + [1] * 5 + [2] * 4)
    train, valid = data.split_indices(labels, 0.2)
    assert list(valid) == [0, 1, 10]  # floor(10 * .2) = 2, floor(5 * .2) = 1, floor(4 * .2) = 0
    assert sorted([*train, *valid]) == list(range(19))
    assert len(data.split_indices(labels, 0.0)[1]) == 0
    with pytest.raises(errors.ToolFlagError, match=r"\[0, 1\)") as caught:
        data.split_indices(labels, 1.0)
    assert isinstance(caught.value, ValueError) and caught.value.flag == "validation_split"


@pytest.mark.tf
def test_datasets_batches_one_hot_labels_and_augmentation(shape_images: Path) -> None:
    files = image_folders.list_image_files(os.fspath(shape_images))
    decoded = image_decoding.decode_images(files, (32, 32))
    store = image_store.ImageStore(files, (32, 32))
    hparams = get_default_hparams()._replace(batch_size=16, do_data_augmentation=True)
    sets = data.make_datasets(store, hparams=hparams, seed=3)
    assert (sets.train_size, sets.valid_size) == (48, 12)
    images, labels = next(iter(sets.train))
    assert images.shape == (16, 32, 32, 3) and labels.shape == (16, 3)
    assert 0.0 <= float(np.min(images)) and float(np.max(images)) <= 1.0
    np.testing.assert_array_equal(np.sum(labels, axis=1), 1.0)
    valid_images = np.concatenate([x for x, _ in sets.valid])
    np.testing.assert_allclose(
        valid_images * 255.0,
        decoded.images[[0, 1, 2, 3, 20, 21, 22, 23, 40, 41, 42, 43]],
        atol=1e-3,
    )
    augment = data.make_augmenter(hparams, (32, 32), seed=1)
    assert augment is not None
    batch = valid_images[:4]
    moved = np.asarray(augment(batch))
    assert moved.shape == batch.shape and not np.allclose(moved, batch)
    off = hparams._replace(do_data_augmentation=False)
    assert data.make_augmenter(off, (32, 32)) is None
    plain = data.make_datasets(store, hparams=off, seed=3)
    train_idx, _ = data.split_indices(decoded.label_ids, off.validation_split)
    kept = zip(decoded.label_ids[train_idx], decoded.images[train_idx], strict=True)
    expected = sorted((int(label), image.tobytes()) for label, image in kept)
    orders = []
    for _ in range(2):  # Each epoch: every training image once, with its label, reshuffled.
        pairs = [
            (int(np.argmax(y)), np.round(x * 255.0).astype(np.uint8).tobytes())
            for images, labels in plain.train
            for x, y in zip(images.numpy(), labels.numpy(), strict=True)
        ]
        assert sorted(pairs) == expected
        orders.append([image for _, image in pairs])
    assert orders[0] != orders[1]


def test_datasets_run_without_tf_data_autotuning(shape_images: Path) -> None:
    # Its thread stalled the iterator Keras drops at each epoch's start by 2.5-5 s (see data.py).
    files = image_folders.list_image_files(os.fspath(shape_images))
    store = image_store.ImageStore(files, (32, 32))
    for augment in (False, True):
        hparams = get_default_hparams()._replace(batch_size=16, do_data_augmentation=augment)
        sets = data.make_datasets(store, hparams=hparams, seed=3)
        assert sets.train.options().autotune.enabled is False
        assert sets.valid.options().autotune.enabled is False


# --- Outputs and flags --------------------------------------------------------------------------


def test_labels_file_holds_class_folder_names_as_the_file_system_has_them(tmp_path: Path) -> None:
    """A class folder named in Latin-1 (a surrogate-escaped str) made the labels file fail with
    UnicodeEncodeError after training; it now holds the folder's bytes."""
    labels = tmp_path / "labels.txt"
    write_labels(os.fspath(labels), [os.fsdecode(b"carr\xe9"), "caf\u00e9", "circle"])
    assert labels.read_bytes() == b"carr\xe9\ncaf\xc3\xa9\ncircle\n"


def test_outputs_that_cannot_be_written_are_errors_before_training(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("in the way")
    check_outputs_writable(Outputs(saved_model_dir=os.fspath(tmp_path / "new" / "deeper" / "sm")))
    assert not (tmp_path / "new").exists()  # The check creates nothing.
    for outputs, what in [
        (Outputs(saved_model_dir=os.fspath(blocker / "sm")), "saved model dir"),
        (Outputs(labels_output_file=os.fspath(blocker / "x" / "labels.txt")), "labels output file"),
        (Outputs(tflite_output_file=os.fspath(tmp_path)), "tflite output file"),
        (Outputs(summaries_dir=os.fspath(blocker)), "summaries dir"),
    ]:
        with pytest.raises(errors.OutputNotWritableError, match=what) as caught:
            check_outputs_writable(outputs)
        assert isinstance(caught.value, OSError) and caught.value.what == what
        assert pickle.loads(pickle.dumps(caught.value)).path == caught.value.path
    images = tmp_path / "images"  # --saved_model_dir=<the image folder>: it would be replaced.
    (images / "cats").mkdir(parents=True)
    with pytest.raises(errors.OutputNotWritableError, match=r"holds other files \(cats\)"):
        check_outputs_writable(Outputs(saved_model_dir=os.fspath(images)))
    assert os.listdir(images) == ["cats"]


def test_outputs_inside_the_saved_model_dir_survive_its_replacement(tmp_path: Path) -> None:
    model = tmp_path / "model"  # A former run's SavedModel, with the labels and .tflite in it.
    model.mkdir()
    for name in ("saved_model.pb", "fingerprint.pb", "labels.txt", "model.tflite"):
        (model / name).write_text("former")
    sm, labels, tflite = (os.fspath(model / name) for name in ("", "labels.txt", "model.tflite"))
    check_outputs_writable(  # They are written after the SavedModel replaced the folder.
        Outputs(saved_model_dir=sm, labels_output_file=labels, tflite_output_file=tflite)
    )
    with pytest.raises(errors.OutputNotWritableError, match=r"other files \(model.tflite\)"):
        check_outputs_writable(Outputs(saved_model_dir=sm, labels_output_file=labels))
    new = os.fspath(tmp_path / "new")
    for outputs, flag in (
        (Outputs(saved_model_dir=sm, summaries_dir=os.path.join(sm, "logs")), "summaries_dir"),
        (Outputs(saved_model_dir=new, tflite_output_file=new), "tflite_output_file"),
    ):
        with pytest.raises(errors.OutputNotWritableError, match="replaced whole") as caught:
            check_outputs_writable(outputs)
        assert f"Received: {flag}=" in str(caught.value)


# Outputs that would overwrite or hold one another: (flag, path, flag, path) below tmp_path.
_OVERLAPS = [
    ("labels_output_file", "out", "tflite_output_file", "out"),  # The labels were lost.
    ("summaries_dir", "x", "labels_output_file", "x"),  # Failed after training.
    ("summaries_dir", "x", "tflite_output_file", "x/model.tflite"),
    ("labels_output_file", "l", "tflite_output_file", "l/model.tflite"),
    ("tflite_output_file", "t", "saved_model_dir", "t/sm"),
    ("summaries_dir", "logs", "saved_model_dir", "logs/sm"),
    ("labels_output_file", "labels.txt", "tflite_output_file", "link/../labels.txt"),
    ("labels_output_file", "labels.txt", "tflite_output_file", "alias.txt"),  # A link to it.
]


@pytest.mark.tf
@pytest.mark.parametrize(("flag", "path", "other_flag", "other_path"), _OVERLAPS)
def test_outputs_at_one_path_or_inside_another_are_refused_before_training(
    flag: str,
    path: str,
    other_flag: str,
    other_path: str,
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out_root"
    out.mkdir()
    (out / "real").mkdir()
    (out / "link").symlink_to(out / "real")
    (out / "alias.txt").symlink_to(out / "labels.txt")
    monkeypatch.chdir(out)  # Relative paths, resolved against the working folder.
    argv = [f"--image_dir={shape_images}", f"--tfhub_module={image_modules['fixed']}"]
    argv += ["--train_epochs=1", "--batch_size=4"]
    argv += [f"--{flag}={path}", f"--{other_flag}={other_path}"]
    assert cli.main(argv) != 0
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("tfhub: error: Cannot write the ") and "Give each output its own" in line
    assert f"{flag}=" in line and f"{other_flag}=" in line, line
    assert "Epoch" not in captured.out + captured.err  # Refused before training.
    assert sorted(os.listdir(out)) == ["alias.txt", "link", "real"]  # Nothing created.
    assert os.listdir(out / "real") == []


@pytest.mark.tf
@pytest.mark.parametrize(
    ("flag", "path", "where"),
    [
        ("saved_model_dir", "module", "is the module's path"),  # The module was replaced.
        ("saved_model_dir", "link", "is the module's path"),  # A link to it.
        ("saved_model_dir", ".", "holds the module's folder"),
        ("saved_model_dir", "module/classifier", "is inside the module's folder"),
        ("labels_output_file", "module/saved_model.pb", "is inside the module's folder"),
        ("summaries_dir", "module/logs", "is inside the module's folder"),
    ],
)
def test_outputs_over_a_local_module_are_refused_before_it_loads(
    flag: str,
    path: str,
    where: str,
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    work = tmp_path / "work"
    shutil.copytree(image_modules["fixed"], work / "module")
    (work / "link").symlink_to(work / "module")
    monkeypatch.chdir(work)
    before = {name: (work / "module" / name).stat().st_mtime_ns for name in os.listdir("module")}
    argv = [f"--image_dir={shape_images}", "--tfhub_module=module", "--train_epochs=1"]
    assert cli.main([*argv, "--batch_size=4", f"--{flag}={path}"]) != 0
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("tfhub: error: Cannot write the ") and where in line, line
    assert f"Received: {flag}={path!r}, tfhub_module='module'" in line
    assert "Epoch" not in captured.out
    after = {name: (work / "module" / name).stat().st_mtime_ns for name in os.listdir("module")}
    assert after == before and sorted(os.listdir(work)) == ["link", "module"]


@pytest.mark.tf
@pytest.mark.parametrize(
    ("flag", "path", "where"),
    [
        ("summaries_dir", "images/logs", "is inside the image folder"),  # Its train/ a class.
        ("saved_model_dir", "images/runs/classifier", "is inside the image folder"),
        ("summaries_dir", "images", "is the image folder"),
    ],
)
def test_output_folders_inside_the_image_folder_are_refused_before_training(
    flag: str,
    path: str,
    where: str,
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """They were written, and the next run over the same images failed ("the class folder(s)
    ['logs'] hold no image") or trained on a class more."""
    import shutil

    work = tmp_path / "work"
    shutil.copytree(shape_images, work / "images")
    monkeypatch.chdir(work)
    argv = ["--image_dir=images", f"--tfhub_module={image_modules['fixed']}", "--train_epochs=1"]
    assert cli.main([*argv, "--batch_size=4", f"--{flag}={path}"]) != 0
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("tfhub: error: Cannot write the ") and where in line, line
    assert f"Received: {flag}={path!r}, image_dir='images'" in line
    assert "Epoch" not in captured.out
    assert sorted(os.listdir(work / "images")) == sorted(os.listdir(shape_images))


def test_output_files_and_hidden_folders_may_go_inside_the_image_folder(tmp_path: Path) -> None:
    """Files beside the class folders and hidden folders are not read as classes."""
    images = tmp_path / "images"
    (images / "cats").mkdir(parents=True)
    check_outputs_apart_from_images(
        Outputs(
            saved_model_dir=os.fspath(images / ".runs" / "classifier"),
            labels_output_file=os.fspath(images / "labels.txt"),
            tflite_output_file=os.fspath(images / "cats" / "model.tflite"),
            summaries_dir=os.fspath(images / ".logs"),
        ),
        os.fspath(images),
    )


def test_several_outputs_may_go_to_a_stream_or_inside_the_saved_model_dir(tmp_path: Path) -> None:
    devnull = os.devnull
    check_outputs_writable(Outputs(labels_output_file=devnull, tflite_output_file=devnull))
    sm = os.fspath(tmp_path / "sm")
    check_outputs_writable(
        Outputs(sm, os.path.join(sm, "m.tflite"), os.path.join(sm, "labels.txt"))
    )


# (flag, value, the message's start, whether the flag counts only with --do_data_augmentation)
_OUT_OF_RANGE = [
    ("batch_size", "0", "--batch_size must be a positive number of images", False),
    ("train_epochs", "0", "--train_epochs must be a positive number of passes", False),
    ("image_size", "-3", "--image_size must be a positive number of pixels", False),
    ("dropout_rate", "1.5", "--dropout_rate must be in [0, 1)", False),
    ("learning_rate", "0", "--learning_rate must be positive", False),
    ("learning_rate", "inf", "--learning_rate must be positive", False),  # Trains to NaN.
    ("momentum", "nan", "--momentum must be in [0, 1]", False),
    # Keras' SGD refuses it only after the module loaded (review49d-F4), as did upstream's.
    ("momentum", "1.5", "--momentum must be in [0, 1]", False),
    ("l2_regularizer", "inf", "--l2_regularizer must be at least 0", False),
    ("label_smoothing", "-0.1", "--label_smoothing must be in [0, 1]", False),
    ("assert_accuracy_at_least", "90", "--assert_accuracy_at_least must be at most 1", False),
    # Distortions Keras 3's preprocessing layers cannot make.
    ("rotation_range", "720", "--rotation_range must be in [-360, 360] degrees", True),
    ("shear_range", "inf", "--shear_range must be a finite angle in degrees", True),
    ("zoom_range", "-1", "--zoom_range must be in (-1, 1)", True),
]


@pytest.mark.parametrize(("flag", "value", "message", "augmenting"), _OUT_OF_RANGE)
def test_values_out_of_range_are_one_line_before_anything_is_read(
    flag: str,
    value: str,
    message: str,
    augmenting: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [f"--image_dir={tmp_path / 'no_images'}", f"--tfhub_module={tmp_path / 'no_module'}"]
    argv += [f"--saved_model_dir={tmp_path / 'sm'}", f"--{flag}={value}"]
    assert cli.main([*argv, *(["--do_data_augmentation"] if augmenting else [])]) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"tfhub: error: {message}") and f"Received: {flag}=" in line
    assert os.listdir(tmp_path) == []
    hparams = get_default_hparams()
    if flag in hparams._fields:  # The Python API checks the same.
        from tfhub.tools.make_image_classifier.hparams import check_hparams

        bad = hparams._replace(**{flag: type(getattr(hparams, flag))(float(value))})
        if augmenting:
            check_hparams(bad)  # Without --do_data_augmentation the distortions are not used.
            bad = bad._replace(do_data_augmentation=True)
        with pytest.raises(errors.ToolFlagError) as caught:
            check_hparams(bad)
        assert caught.value.flag == flag and isinstance(caught.value, ValueError)


def test_an_accuracy_bound_without_validation_is_refused_before_anything_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Upstream trained, then failed with "ACCURACY FAILED" for want of a validation set."""
    from tfhub.tools.make_image_classifier.hparams import check_hparams

    argv = [f"--image_dir={tmp_path / 'no_images'}", f"--tfhub_module={tmp_path / 'no_module'}"]
    argv += [f"--saved_model_dir={tmp_path / 'sm'}", "--validation_split=0"]
    assert cli.main([*argv, "--assert_accuracy_at_least=0.8"]) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("tfhub: error: --assert_accuracy_at_least checks the final validation")
    assert line.endswith("Received: validation_split=0, assert_accuracy_at_least=0.8")
    assert os.listdir(tmp_path) == []
    no_validation = get_default_hparams()._replace(validation_split=0.0)
    with pytest.raises(errors.ToolFlagError) as caught:  # The Python API checks the same.
        check_hparams(no_validation, assert_accuracy_at_least=0.8)
    assert caught.value.flag == "assert_accuracy_at_least" and caught.value.value == 0.8
    check_hparams(no_validation)  # Either alone is fine.
    check_hparams(no_validation, assert_accuracy_at_least=0.0)  # 0 asserts nothing.
    check_hparams(get_default_hparams(), assert_accuracy_at_least=0.8)


@pytest.mark.parametrize("line_break", ["\n", "\r", "\r\n"])
def test_a_class_folder_name_with_a_line_break_is_refused_before_training(
    line_break: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its label would be two lines of the labels file, shifting every label after it."""
    images = tmp_path / "images"
    bad = f"tabby{line_break}cat"
    for label in ("dog", bad):
        (images / label).mkdir(parents=True)
        (images / label / "a.png").write_bytes(b"")  # Listed, not decoded, before training.
    out = tmp_path / "out"
    argv = [f"--image_dir={images}", f"--tfhub_module={tmp_path / 'no_module'}"]
    assert cli.main([*argv, f"--labels_output_file={out / 'labels.txt'}"]) != 0
    message = capsys.readouterr().err.strip()
    assert message.startswith(f"tfhub: error: Cannot use the image folder {images}: ")
    assert repr(bad) in message and "Rename the class folder" in message
    assert not out.exists()
    from tfhub.tools.make_image_classifier import make_image_classifier

    with pytest.raises(errors.ImageFolderError) as caught:  # The Python API, before loading.
        make_image_classifier(
            os.fspath(tmp_path / "no_module"), os.fspath(images), get_default_hparams()
        )
    assert caught.value.path == os.fspath(images) and repr(bad) in caught.value.problem


def test_shifts_in_pixels_must_fit_the_image_and_the_extremes_work() -> None:
    images = np.random.default_rng(0).random((2, 32, 48, 3), dtype=np.float32)
    extremes = get_default_hparams()._replace(
        do_data_augmentation=True,
        rotation_range=-360,
        shear_range=45,
        zoom_range=-0.9,
        height_shift_range=-32,  # Pixels: the whole height.
        width_shift_range=48,
    )
    augment = data.make_augmenter(extremes, (32, 48), seed=1)
    assert augment is not None
    moved = np.asarray(augment(images))
    assert moved.shape == images.shape and np.isfinite(moved).all()
    for flag, side, size in (("height_shift_range", "high", 32), ("width_shift_range", "wide", 48)):
        too_far = extremes._replace(**{flag: size + 1})
        with pytest.raises(errors.ToolFlagError, match=rf"at most {size} pixels") as caught:
            data.make_augmenter(too_far, (32, 48))
        assert f"{size} pixels {side}" in str(caught.value) and caught.value.flag == flag


def test_flags_have_upstreams_names_and_defaults() -> None:
    args = cli.build_parser().parse_args([])
    assert args.tfhub_module == "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4"
    assert cli.hparams_from_args(args) == get_default_hparams()
    assert (args.train_epochs, args.batch_size, args.learning_rate, args.momentum) == (
        5,
        32,
        0.005,
        0.9,
    )
    assert (args.dropout_rate, args.l1_regularizer, args.l2_regularizer) == (0.2, 0.0, 0.0001)
    assert (args.label_smoothing, args.validation_split, args.rotation_range) == (0.1, 0.2, 40)
    assert (args.width_shift_range, args.height_shift_range, args.shear_range, args.zoom_range) == (
        0.2,
        0.2,
        0.2,
        0.2,
    )
    assert args.horizontal_flip and not args.do_fine_tuning and not args.do_data_augmentation
    for name in (
        "image_dir",
        "image_size",
        "saved_model_dir",
        "tflite_output_file",
        "labels_output_file",
        "summaries_dir",
        "assert_accuracy_at_least",
        "distribution_strategy",
    ):
        assert getattr(args, name) is None
    assert args.set_memory_growth is False
    absl_style = cli.build_parser().parse_args(
        [
            "--do_fine_tuning",
            "--nohorizontal_flip",
            "--do_data_augmentation=true",
            "--set_memory_growth=false",
            "--distribution_strategy=mirrored",
            "--image_size=96",
        ]
    )
    assert absl_style.do_fine_tuning and absl_style.do_data_augmentation
    assert not absl_style.horizontal_flip and not absl_style.set_memory_growth
    assert (absl_style.distribution_strategy, absl_style.image_size) == ("mirrored", 96)


def test_tfhub_subcommand_and_unknown_strategy(capsys: pytest.CaptureFixture[str]) -> None:
    from tfhub.cli.main import main
    from tfhub.tools.make_image_classifier import get_distribution_strategy

    with pytest.raises(SystemExit) as done:
        main(["make-image-classifier", "--help"])
    assert done.value.code == 0
    assert "--tfhub_module" in capsys.readouterr().out
    # Upstream's words first (its make_image_classifier_test matches "Unknown distribution
    # strategy other"), a ValueError as upstream's.
    with pytest.raises(ValueError, match="^Unknown distribution strategy tpu;.*'tpu'") as caught:
        get_distribution_strategy("tpu")
    assert isinstance(caught.value, errors.UnknownStrategyError)
    assert caught.value.available == ["", "mirrored"]


@pytest.mark.tf
def test_assert_accuracy_passes_fails_and_needs_validation() -> None:
    import keras

    from tfhub.tools.make_image_classifier import assert_accuracy

    history = keras.callbacks.History()
    history.history = {"val_accuracy": [0.5, 0.95]}
    said: list[str] = []
    assert_accuracy(history, 0.9, say=said.append)
    assert said == ["ACCURACY PASSED: found 0.950000, expected at least 0.900000"]
    with pytest.raises(
        AssertionError, match="^ACCURACY FAILED: found 0.950000, expected at least 0.990000$"
    ):
        assert_accuracy(history, 0.99)
    history.history = {"accuracy": [1.0]}  # validation_split=0: nothing to check against.
    with pytest.raises(errors.AccuracyError, match="no validation accuracy") as caught:
        assert_accuracy(history, 0.5)
    assert caught.value.accuracy is None
    assert pickle.loads(pickle.dumps(caught.value)).expected == 0.5
