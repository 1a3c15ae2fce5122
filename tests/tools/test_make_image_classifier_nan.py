"""make_image_classifier with a module whose feature vectors hold NaN: one error naming the
module (and the images, when known), before anything is written; a diverging training stops
with an error naming --learning_rate instead of exporting a model that predicts NaN."""

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

HPARAMS = get_default_hparams()._replace(train_epochs=1, batch_size=8)


def _train(module: str, image_dir: Path, out: Path, **hparams: float) -> None:
    outputs = Outputs(
        saved_model_dir=os.fspath(out / "sm"),
        labels_output_file=os.fspath(out / "labels.txt"),
        summaries_dir=os.fspath(out / "logs"),
    )
    train_and_export(
        module, os.fspath(image_dir), HPARAMS._replace(**hparams), outputs=outputs,
        image_size=32, say=lambda line: None,
    )  # fmt: skip


@pytest.mark.timeout(120)
def test_a_module_of_nan_for_every_image_stops_before_training(
    shape_images: Path, tmp_path: Path
) -> None:
    module = save_nan_module(tmp_path / "nan")
    with pytest.raises(errors.NotAnImageModuleError) as e:
        _train(module, shape_images, tmp_path / "out")
    message = str(e.value)
    assert message.startswith(f"{module} is not an image feature-vector module: its feature")
    assert "hold NaN or infinity" in message and "\n" not in message
    assert e.value.handle == module
    assert not (tmp_path / "out").exists()  # No summaries, no SavedModel, no labels.


@pytest.mark.timeout(120)
def test_a_module_of_nan_for_some_images_names_them_after_the_epoch(
    shape_images: Path, tmp_path: Path
) -> None:
    image_dir = tmp_path / "images"
    shutil.copytree(shape_images, image_dir)
    white = np.full((32, 32, 3), 255, np.uint8)
    image_sets.write_image(image_dir / "square" / "white.png", white)
    module = save_nan_module(tmp_path / "nan_on_white", white_only=True)
    with pytest.raises(errors.NotAnImageModuleError) as e:
        _train(module, image_dir, tmp_path / "out")
    message = str(e.value)
    assert message.startswith("Training stopped after epoch 1: the loss is nan, because the ")
    assert f"module {module}'s feature vectors of 1 image(s) hold NaN" in message
    assert os.fspath(image_dir / "square" / "white.png") in message
    assert not (tmp_path / "out" / "sm").exists() and not (tmp_path / "out" / "labels.txt").exists()


@pytest.mark.timeout(120)
def test_a_diverging_training_stops_naming_the_learning_rate(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(errors.TrainingDivergedError) as e:
        _train(image_modules["fixed"], shape_images, tmp_path / "out", learning_rate=1e38)
    assert isinstance(e.value, FloatingPointError)
    assert (e.value.epoch, e.value.learning_rate) == (1, 1e38) and not math.isfinite(e.value.loss)
    message = str(e.value)
    assert message.startswith("Training stopped after epoch 1: the loss is ")
    assert "Lower --learning_rate" in message
    assert message.endswith("Received: learning_rate=1e+38")
    assert not (tmp_path / "out" / "sm").exists()
    # The summaries were written while training ran; the error says what they hold: no value
    # of the diverged epoch (nothing half-written), only the model graph.
    logs = tmp_path / "out" / "logs"
    assert (
        f"Lower --learning_rate, or try another module. The TensorBoard summaries in {logs} "
        "hold no epoch of this run (only its model graph): epoch 1's values are not written. "
    ) in message
    assert _scalar_tags(logs) == set()


def _scalar_tags(logs: Path) -> set[str]:
    """The tags of the values in the TensorBoard event files under `logs`."""
    import tensorflow as tf

    tags = set()
    for events in logs.rglob("events.out.tfevents.*"):
        for record in tf.data.TFRecordDataset(os.fspath(events)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            tags.update(value.tag for value in event.summary.value)
    return {tag for tag in tags if tag.startswith("epoch_")}
