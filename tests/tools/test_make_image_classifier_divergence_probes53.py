"""make_image_classifier stops, exporting nothing, when an epoch's last training step leaves a
model that predicts NaN (rf53c-F2): the epoch's training loss is the mean of its steps' losses,
each taken before its step's update, so it stayed finite while the weights, or the validation
loss, were not; the run said "Done with training." and exported a SavedModel predicting NaN."""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_sets
from tests.tools._picky_modules import save_nan_module

from tfhub import errors
from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

pytestmark = [pytest.mark.tf]

# One training step per epoch (48 training images of shape_images, a batch of 64): the epoch's
# loss is that step's, taken before its update. A learning rate of 1e39 is finite as a Python
# float and infinite in float32: the update makes the head's weights infinite or NaN.
ONE_STEP = get_default_hparams()._replace(train_epochs=1, batch_size=64, learning_rate=1e39)


def _train(module: str, image_dir: Path, out: Path, **hparams: float) -> None:
    outputs = Outputs(
        saved_model_dir=os.fspath(out / "sm"),
        labels_output_file=os.fspath(out / "labels.txt"),
        summaries_dir=os.fspath(out / "logs"),
    )
    train_and_export(
        module, os.fspath(image_dir), ONE_STEP._replace(**hparams), outputs=outputs,
        image_size=32, say=lambda line: None,
    )  # fmt: skip


def _nothing_exported(out: Path) -> bool:
    return not (out / "sm").exists() and not (out / "labels.txt").exists()


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    "hparams",
    [
        {},  # Bottlenecks: the head trains on kept features, validated by the tool.
        {"validation_split": 0.0},  # No validation loss: only the weights tell.
        {"do_fine_tuning": True},  # The whole model trains; Keras validates.
    ],
    ids=["bottlenecks", "no-validation", "fine-tuning"],
)
def test_weights_made_infinite_by_the_last_step_stop_the_run(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path, hparams: dict
) -> None:
    out = tmp_path / "out"
    with pytest.raises(errors.TrainingDivergedError) as e:
        _train(image_modules["fixed"], shape_images, out, **hparams)
    assert isinstance(e.value, FloatingPointError)
    assert e.value.epoch == 1 and e.value.learning_rate == 1e39
    assert not math.isfinite(e.value.loss)
    message = str(e.value)
    assert message.startswith("Training stopped after epoch 1: "), message
    assert "Lower --learning_rate" in message and "\n" not in message
    assert _nothing_exported(out)


@pytest.mark.timeout(180)
def test_nan_features_of_validation_images_only_stop_the_run(
    shape_images: Path, tmp_path: Path
) -> None:
    """Without bottlenecks (augmentation), a module returning NaN for an image held out for
    validation only (the first of its class in name order) gave a finite training loss and
    val_loss nan, and the model was exported."""
    image_dir = tmp_path / "images"
    shutil.copytree(shape_images, image_dir)
    white = np.full((32, 32, 3), 255, np.uint8)
    image_sets.write_image(image_dir / "square" / "0_white.png", white)
    module = save_nan_module(tmp_path / "nan_on_white", white_only=True)
    out = tmp_path / "out"
    with pytest.raises(errors.TrainingDivergedError) as e:
        _train(module, image_dir, out, learning_rate=0.005, do_data_augmentation=True)
    message = str(e.value)
    assert message.startswith("Training stopped after epoch 1: the validation loss is nan"), message
    assert f"the module {module} returns NaN or infinity for some images" in message
    assert _nothing_exported(out)


@pytest.mark.timeout(180)
def test_nan_features_of_validation_images_only_stop_a_run_with_bottlenecks(
    shape_images: Path, tmp_path: Path
) -> None:
    """With bottlenecks, the validation images' features are validated by the tool's own
    callback: the white image's NaN features gave val_loss nan and the model was exported."""
    image_dir = tmp_path / "images"
    shutil.copytree(shape_images, image_dir)
    white = np.full((32, 32, 3), 255, np.uint8)
    image_sets.write_image(image_dir / "square" / "0_white.png", white)
    module = save_nan_module(tmp_path / "nan_on_white", white_only=True)
    out = tmp_path / "out"
    with pytest.raises(errors.NotAnImageModuleError) as e:
        _train(module, image_dir, out, learning_rate=0.005)
    message = str(e.value)
    assert message.startswith("Training stopped after epoch 1: the validation loss is nan, ")
    assert os.fspath(image_dir / "square" / "0_white.png") in message
    assert _nothing_exported(out)
