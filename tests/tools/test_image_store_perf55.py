"""What a store's feature function is given: float32 images equal, bit for bit, to the kept
uint8 pixels over 255 (`image_decoding.decode_images`'s pixels, as the whole model is fed
them), whatever stage of the pipeline turns the pixels into floats."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_sets

from tfhub.tools import image_decoding, image_folders, image_store

pytestmark = [pytest.mark.tf]


def test_feature_function_gets_the_uint8_pixels_over_255_bit_for_bit(tmp_path: Path) -> None:
    import tensorflow as tf

    root = tmp_path / "imgs"
    sizes = ((24, 32), (40, 40), (32, 24))  # Resized up and down: non-integer bilinear values.
    image_sets.make_image_folder(
        root, classes=("circle", "square"), per_class=4, sizes=sizes, formats=("jpg", "png")
    )
    files = image_folders.list_image_files(os.fspath(root))
    size = (28, 28)
    dim = size[0] * size[1] * 3
    given: list[tf.DType] = []

    def pixels(images: tf.Tensor) -> tf.Tensor:
        given.append(images.dtype)
        return tf.reshape(images, [-1, dim])  # The images themselves, as "features".

    store = image_store.ImageStore(files, size, features=image_store.Features(pixels, dim))
    kept = {}
    for batch, values in store.batches(np.arange(len(files.paths)), 3):
        kept.update(dict(zip(batch.numpy().tolist(), values.numpy(), strict=True)))
    decoded = image_decoding.decode_images(files, size)
    assert sorted(kept) == list(range(len(files.paths)))
    assert given and all(dtype == tf.float32 for dtype in given)
    expected = decoded.images.astype(np.float32) / np.float32(255.0)
    for i in range(len(files.paths)):
        np.testing.assert_array_equal(kept[i], expected[i].reshape(-1))
