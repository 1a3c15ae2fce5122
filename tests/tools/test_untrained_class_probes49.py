"""review49d-F8: a class whose every training image is unreadable, though its validation image
reads, trained and exported silently: the model had an output (and labels.txt a line) for a
class it never saw as a target. Like a class with no readable image at all, it now stops the run
at the end of the first epoch with an ImageFolderError naming the class, and nothing is
exported."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_sets

from tfhub import errors
from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def _folder(root: Path) -> Path:
    """circle and square: 6 readable PNGs each; triangle: a.png (first in name order: the one
    image --validation_split 0.2 holds out) reads, its 5 training files are empty."""
    rng = np.random.default_rng(0)
    for kind in ("circle", "square", "triangle"):
        (root / kind).mkdir(parents=True)
        for i in range(6 if kind != "triangle" else 1):
            pixels = image_sets.draw_shape(kind, height=32, width=32, rng=rng)
            image_sets.write_image(root / kind / f"a{i}.png", pixels)
    for name in "bcdef":
        (root / "triangle" / f"{name}.jpg").write_bytes(b"")
    return root


@pytest.mark.timeout(300)
def test_a_class_with_no_readable_training_image_stops_the_run(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    images = _folder(tmp_path / "images")
    saved = tmp_path / "out" / "saved"
    hparams = get_default_hparams()._replace(train_epochs=2, batch_size=8)
    with pytest.raises(errors.ImageFolderError) as raised:
        train_and_export(
            image_modules["fixed"], os.fspath(images), hparams,
            outputs=Outputs(saved_model_dir=os.fspath(saved)), say=lambda line: None,
        )  # fmt: skip
    message = str(raised.value)
    assert "['triangle']" in message and "no readable training image" in message, message
    assert "--validation_split" in message
    assert not saved.exists()
