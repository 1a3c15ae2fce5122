"""make_image_classifier before training: the image folder, the tf.data pipeline, the module
checks, the output checks and the flags. Every bad input is a clear error, raised before any
training step."""

from __future__ import annotations

import logging
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_models, image_sets, models

from tfhub import errors
from tfhub.tools import image_folders
from tfhub.tools.make_image_classifier import cli, data, get_default_hparams
from tfhub.tools.make_image_classifier.export import Outputs, check_outputs_writable

# --- The image folder ---------------------------------------------------------------------------


def test_lists_classes_sorted_and_every_image_format(tmp_path: Path) -> None:
    image_sets.make_image_folder(tmp_path / "imgs", classes=("square", "circle"), per_class=4)
    (tmp_path / "imgs" / "circle" / "notes.txt").write_text("not an image")
    (tmp_path / "imgs" / "circle" / "UPPER.PNG").write_bytes(
        (tmp_path / "imgs" / "circle" / "circle_001.png").read_bytes()
    )
    (tmp_path / "imgs" / "LICENSE.txt").write_text("a file beside the class folders")
    files = image_folders.list_image_files(os.fspath(tmp_path / "imgs"))
    assert files.labels == ("circle", "square")
    names = [os.path.basename(p) for p in files.paths]
    assert names[:5] == [
        "UPPER.PNG",
        *[f"circle_00{i}.{e}" for i, e in enumerate(["jpg", "png", "bmp", "gif"])],
    ]
    assert files.label_ids == (0,) * 5 + (1,) * 4


@pytest.mark.parametrize(
    ("layout", "match"),
    [
        ({}, "holds no images in class sub-folders"),
        ({"only": 3}, r"1 class sub-folder\(s\) \['only'\], at least 2"),
        ({"a": 3, "b": 0, "c": 2}, r"class folder\(s\) \['b'\] hold no image"),
        ({"a": 0, "b": 0}, "holds no images in class sub-folders"),
    ],
)
def test_unusable_folders_are_clear_errors(tmp_path: Path, layout: dict, match: str) -> None:
    root = tmp_path / "imgs"
    root.mkdir()
    for name, count in layout.items():
        (root / name).mkdir()
        for i in range(count):
            image_sets.write_image(root / name / f"{i}.png", np.zeros((8, 8, 3), np.uint8))
    (root / "top.jpg").write_bytes(b"images outside class folders are not used")
    with pytest.raises(errors.ImageFolderError, match=match) as caught:
        image_folders.list_image_files(os.fspath(root))
    assert isinstance(caught.value, ValueError)
    assert caught.value.path == os.fspath(root)
    assert pickle.loads(pickle.dumps(caught.value)).problem == caught.value.problem


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(errors.ImageFolderError, match="it is not a folder"):
        image_folders.list_image_files(os.fspath(tmp_path / "nope"))


# --- Decoding and the tf.data pipeline ----------------------------------------------------------


@pytest.mark.tf
def test_decodes_all_formats_and_skips_unreadable_files_by_name(
    shape_images: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "imgs"
    shutil.copytree(shape_images, root)
    bad = image_sets.write_corrupt_image(root / "square" / "broken.jpg")
    (root / "circle" / "empty.png").write_bytes(b"")
    files = image_folders.list_image_files(os.fspath(root))
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        decoded = image_folders.decode_images(files, (40, 24))
    assert sorted(decoded.skipped) == sorted([bad, os.fspath(root / "circle" / "empty.png")])
    assert "broken.jpg" in caplog.text and "empty.png" in caplog.text
    assert decoded.images.shape == (60, 40, 24, 3) and decoded.images.dtype == np.uint8
    assert list(np.bincount(decoded.label_ids)) == [20, 20, 20]
    # Each class has its colour: the mean of the dominant channel beats the others' means.
    for class_id, channel in enumerate([0, 1, 2]):  # circle red, square green, triangle blue
        mean = decoded.images[decoded.label_ids == class_id].astype(float).mean(axis=(0, 1, 2))
        assert np.argmax(mean - mean.mean()) == channel


@pytest.mark.tf
def test_a_class_of_only_unreadable_files_is_an_error(tmp_path: Path) -> None:
    image_sets.make_image_folder(tmp_path / "imgs", classes=("circle",), per_class=2)
    (tmp_path / "imgs" / "square").mkdir()
    image_sets.write_corrupt_image(tmp_path / "imgs" / "square" / "a.jpg")
    files = image_folders.list_image_files(os.fspath(tmp_path / "imgs"))
    with pytest.raises(errors.ImageFolderError, match=r"\['square'\] hold no readable image"):
        image_folders.decode_images(files, (8, 8))


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
    decoded = image_folders.decode_images(files, (32, 32))
    hparams = get_default_hparams()._replace(batch_size=16, do_data_augmentation=True)
    sets = data.make_datasets(decoded, hparams=hparams, num_classes=3, seed=3)
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


# --- The module ---------------------------------------------------------------------------------


def _layer(handle: str):
    from tfhub.tools import image_modules

    return image_modules.load_module_layer(handle, trainable=False)


@pytest.mark.tf
def test_image_size_from_the_module_or_the_flag(image_modules: dict[str, str]) -> None:
    from tfhub.tools.image_modules import check_feature_vector, image_size_for_module

    fixed = _layer(image_modules["fixed"])
    assert image_size_for_module(fixed, "fixed") == (32, 32)
    assert image_size_for_module(fixed, "fixed", 32) == (32, 32)
    with pytest.raises(errors.ImageSizeError, match=r"expects images of size \(32, 32\)") as e:
        image_size_for_module(fixed, "fixed", 48)
    assert e.value.requested == 48 and isinstance(e.value, ValueError)
    variable = _layer(image_modules["variable"])
    with pytest.raises(errors.ImageSizeError, match="pass --image_size"):
        image_size_for_module(variable, "variable")
    assert image_size_for_module(variable, "variable", 40) == (40, 40)
    assert check_feature_vector(variable, "variable", (40, 40)) == 8
    tf1 = _layer(image_modules["tf1"])  # Variable input; ImageModuleInfo says 32x32.
    assert image_size_for_module(tf1, image_modules["tf1"]) == (32, 32)
    assert image_size_for_module(tf1, image_modules["tf1"], 24) == (24, 24)
    assert check_feature_vector(tf1, "tf1", (24, 24)) == 8


@pytest.mark.tf
@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("rank", r"input has shape \(None, 64\) \(rank 2\), not 4"),
        ("dtype", "input has dtype uint8, not float32"),
        ("map", r"output has shape \(2, 16, 16, 5\), not \[batch, dim\]"),
    ],
)
def test_not_an_image_feature_vector_module(tmp_path: Path, kind: str, match: str) -> None:
    from tfhub.tools.image_modules import check_feature_vector, image_size_for_module

    path = os.fspath(tmp_path / kind)
    if kind == "rank":
        models.save_mlp(path, inputs=64, hidden=8, outputs=4)
    else:
        dtype, output = ("uint8", "vector") if kind == "dtype" else ("float32", "map")
        image_models.save_image_feature_vector(path, dim=8, input_dtype=dtype, output=output)
    with pytest.raises(errors.NotAnImageModuleError, match=match) as caught:
        layer = _layer(path)
        check_feature_vector(layer, path, image_size_for_module(layer, path))
    assert caught.value.handle == path and "Received: tfhub_module=" in str(caught.value)


# --- Outputs and flags --------------------------------------------------------------------------


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
    with pytest.raises(errors.UnknownStrategyError, match="'tpu'") as caught:
        get_distribution_strategy("tpu")
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
