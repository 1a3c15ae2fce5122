"""make_image_classifier's random distortions of the training images (`make_augmenter`), with
ImageDataGenerator's meaning of upstream's flags: Keras 3 preprocessing layers, and upstream's
shear about the image's centre (`shear_images`), run in the `tf.data` pipeline on float batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ... import errors
from .hparams import HParams


def augments(hparams: HParams) -> bool:
    """Whether `hparams` ask for any random distortion of the training images."""
    return bool(hparams.do_data_augmentation) and any(
        (
            hparams.horizontal_flip,
            hparams.rotation_range,
            hparams.shear_range,
            hparams.width_shift_range,
            hparams.height_shift_range,
            hparams.zoom_range,
        )
    )


def _shift_fraction(flag: str, value: float, size: int) -> float:
    """A shift given as a fraction (< 1) or in pixels (>= 1), as a fraction of `size`.

    Raises:
        tfhub.errors.ToolFlagError: if the shift is more pixels than `size` (RandomTranslation
            shifts by at most the whole image; ImageDataGenerator filled the image with its edge).
    """
    if abs(value) < 1:
        return float(value)
    if abs(value) > size:
        raise errors.ToolFlagError(
            f"--{flag} must be a fraction below 1 or at most {size} pixels (the images are "
            f"{size} pixels {'wide' if flag.startswith('width') else 'high'}). "
            f"Received: {flag}={value!r}",
            flag=flag,
            value=value,
        )
    return float(value) / size


def shear_images(images: Any, degrees: Any) -> Any:
    """Shears each image by its angle as upstream's ImageDataGenerator did: about the image's
    centre (its middle row stays), columns slanted by sin(angle), rows scaled by cos(angle),
    bilinear, the edge pixels repeated where the image has none ("nearest" fill).

    Keras 3's `RandomShear` shears about the top-left corner instead (its top row stays and its
    bottom rows move by up to the whole width), so the tool makes the transform itself.

    Args:
        images: float images [batch, height, width, channels].
        degrees: float32 [batch], each image's angle (counter-clockwise, as upstream's).

    Returns:
        The sheared images, of the same shape.
    """
    import tensorflow as tf

    radians = tf.convert_to_tensor(degrees, tf.float32) * (math.pi / 180.0)
    shape = tf.shape(images)
    centre = (tf.cast(shape[1], tf.float32) - 1.0) / 2.0  # The middle row, as upstream's.
    sin, cos = tf.sin(radians), tf.cos(radians)
    zeros, ones = tf.zeros_like(radians), tf.ones_like(radians)
    # Output pixel (x, y) reads the input at (x - sin * (y - centre), centre + cos * (y - centre)).
    transforms = tf.stack(
        [ones, -sin, sin * centre, zeros, cos, centre * (1.0 - cos), zeros, zeros], axis=1
    )
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=shape[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="NEAREST",
    )


def _random_shear(shear_range: float, seed: int | None) -> Callable[[Any], Any]:
    """Shears each image of a batch by its own angle, uniform in [-shear_range, shear_range]."""
    import tensorflow as tf

    limit = abs(float(shear_range))

    def shear(images: Any) -> Any:
        angles = tf.random.uniform(tf.shape(images)[:1], -limit, limit, seed=seed)
        return shear_images(images, angles)

    return shear


def make_augmenter(
    hparams: HParams, image_size: tuple[int, int], *, seed: int | None = None
) -> Callable[[Any], Any] | None:
    """Returns the random distortions of `hparams` as Keras 3 preprocessing layers (and
    upstream's shear), or None.

    Matches ImageDataGenerator's meaning of the parameters (degrees for rotation and shear,
    fractions or pixels for shifts, independent zoom per axis, "nearest" fill; rotation, shear
    and zoom about the image's centre). The steps run in the tf.data pipeline on float batches,
    whichever Keras flavour builds the model.

    Raises:
        tfhub.errors.ToolFlagError: if a shift in pixels is larger than the image.
    """
    if not augments(hparams):
        return None
    import keras

    def layer(made: Any) -> Callable[[Any], Any]:
        return lambda images: made(images, training=True)

    steps: list[Callable[[Any], Any]] = []
    fill = {"fill_mode": "nearest"}
    if hparams.horizontal_flip:
        steps.append(layer(keras.layers.RandomFlip("horizontal", seed=seed)))
    if hparams.rotation_range:
        rotation = float(hparams.rotation_range) / 360.0  # Keras refuses a NumPy float.
        steps.append(layer(keras.layers.RandomRotation(rotation, seed=seed, **fill)))
    if hparams.shear_range:
        steps.append(_random_shear(hparams.shear_range, seed))
    if hparams.width_shift_range or hparams.height_shift_range:
        height = _shift_fraction("height_shift_range", hparams.height_shift_range, image_size[0])
        width = _shift_fraction("width_shift_range", hparams.width_shift_range, image_size[1])
        steps.append(layer(keras.layers.RandomTranslation(height, width, seed=seed, **fill)))
    if hparams.zoom_range:
        zoom = float(hparams.zoom_range)
        steps.append(layer(keras.layers.RandomZoom(zoom, zoom, seed=seed, **fill)))

    def augment(images: Any) -> Any:
        for step in steps:
            images = step(images)
        return images

    return augment
