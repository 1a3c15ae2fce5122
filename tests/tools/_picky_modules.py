"""A tiny image feature-vector module that takes images of any size but fails on some, as a
vision transformer does (its patches must tile the image), for the tools' error tests.
TensorFlow is imported inside the function: importing this module is cheap."""

from __future__ import annotations

import os


def save_multiple_of_module(path: str | os.PathLike[str], multiple: int) -> str:
    """Saves a TF2 SavedModel: float images [batch, None, None, 3] -> their mean colour
    [batch, 3], failing (an assertion, "image size must be a multiple of `multiple`") on
    images whose height is not a multiple of `multiple`. Returns `path` as a string."""
    import tensorflow as tf

    class MultipleOf(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
        def __call__(self, images: tf.Tensor) -> tf.Tensor:
            tf.debugging.assert_equal(
                tf.shape(images)[1] % multiple,
                0,
                message=f"image size must be a multiple of {multiple}",
            )
            return tf.reduce_mean(images, axis=[1, 2])

    tf.saved_model.save(MultipleOf(), os.fspath(path))
    return os.fspath(path)


def save_nan_module(path: str | os.PathLike[str], *, dim: int = 4, white_only: bool = False) -> str:
    """Saves a TF2 SavedModel: float images [batch, None, None, 3] -> feature vectors
    [batch, dim] of NaN (a broken module): for every image, or with `white_only` for white
    images only (every pixel above 0.99; others get their mean colour's first channel).
    Returns `path` as a string."""
    import tensorflow as tf

    class NaNFeatures(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
        def __call__(self, images: tf.Tensor) -> tf.Tensor:
            mean = tf.reduce_mean(images, axis=[1, 2])[:, :1] * tf.ones([1, dim])
            white = tf.reduce_min(images, axis=[1, 2, 3])[:, None] > 0.99
            nan = white if white_only else tf.ones_like(white)
            return tf.where(nan, float("nan"), mean)

    tf.saved_model.save(NaNFeatures(), os.fspath(path))
    return os.fspath(path)
