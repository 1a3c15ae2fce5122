"""Lifecycles of the image tools a user runs (session 61, p61tools): a phone photo tagged with an
EXIF orientation is read as its pixels are stored, as upstream's PIL loading read it, by the
decoding both make_image_classifier and module_search use; and the classifier make_image_classifier
exports is a module for its next run (`--tfhub_module=` the last run's `--saved_model_dir`),
whose `--do_fine_tuning` trains the earlier classifier's Dense layer further."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_sets

pytestmark = [pytest.mark.tf]


def test_an_exif_orientation_is_not_applied_as_upstream_did_not(tmp_path: Path) -> None:
    """A 16x32 JPEG whose EXIF says "rotate 90 degrees clockwise to show" (orientation 6, what a
    phone held upright writes) is decoded as stored: 16 rows, white on the left half, not the
    32x16 picture a viewer shows (PIL's exif_transpose)."""
    from PIL import Image, ImageOps

    from tfhub.tools.image_decoding import decode_images
    from tfhub.tools.image_folders import list_image_files

    pixels = np.zeros((16, 32, 3), np.uint8)
    pixels[:, :16] = 255
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the stored image is shown turned 90 degrees clockwise.
    Image.fromarray(pixels).save(tmp_path / "a" / "phone.jpg", exif=exif, quality=95)
    image_sets.write_image(tmp_path / "b" / "plain.png", pixels)
    with Image.open(tmp_path / "a" / "phone.jpg") as photo:
        assert ImageOps.exif_transpose(photo).size == (16, 32)  # What a viewer shows (w, h).

    decoded = decode_images(list_image_files(os.fspath(tmp_path)), (16, 32))

    assert decoded.skipped == () and decoded.images.shape == (2, 16, 32, 3)
    phone = decoded.images[0].astype(np.int32)
    assert phone[:, :14].min() > 240 and phone[:, 18:].max() < 15  # As stored, not turned.


def test_the_exported_classifier_is_the_module_of_the_next_run(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    """Run 1 exports a classifier; run 2 takes that SavedModel as its --tfhub_module (3
    "features": run 1's probabilities) with --do_fine_tuning: run 1's Dense layer trains on
    (its kernel moves), the module's frozen convolution inside it does not, and run 2's export
    answers with 3 probabilities a row, labelled as run 1's."""
    import tensorflow as tf

    from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

    images = tmp_path / "images"
    image_sets.make_image_folder(images, per_class=4, sizes=((32, 32),), seed=3)
    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=4, validation_split=0.0)
    first, second = tmp_path / "first", tmp_path / "second"
    quiet = {"say": lambda line: None}
    _, labels1, _ = train_and_export(
        image_modules["fixed"], os.fspath(images), hparams,
        outputs=Outputs(saved_model_dir=os.fspath(first)), **quiet,
    )  # fmt: skip
    tuned = hparams._replace(do_fine_tuning=True, learning_rate=0.5, dropout_rate=0.0)
    _, labels2, _ = train_and_export(
        os.fspath(first), os.fspath(images), tuned,
        outputs=Outputs(saved_model_dir=os.fspath(second)), **quiet,
    )  # fmt: skip

    # By shape (names differ between Keras 3 and tf_keras): the module's conv kernel and bias,
    # run 1's Dense kernel (8 features -> 3 classes); run 2's own Dense kernel is 3 x 3.
    shapes = ((3, 3, 3, 5), (5,), (8, 3))
    before = {tuple(v.shape): v.numpy() for v in tf.saved_model.load(os.fspath(first)).variables}
    after = tf.saved_model.load(os.fspath(second))
    moved = {
        tuple(v.shape): float(np.abs(v.numpy() - before[tuple(v.shape)]).max())
        for v in after.variables
        if tuple(v.shape) in shapes
    }
    assert labels1 == labels2 == ("circle", "square", "triangle")
    assert sorted(moved) == sorted(shapes)
    assert moved[(3, 3, 3, 5)] == 0.0 and moved[(5,)] == 0.0  # The frozen module stays.
    assert moved[(8, 3)] > 0.0  # Run 1's Dense layer trained on.
    probabilities = after(tf.zeros([2, 32, 32, 3])).numpy()
    assert probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
