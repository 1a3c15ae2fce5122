"""make_image_classifier's first epoch (session 42): a store of features runs the feature
function on a few images at a time (`image_store.FEATURES_BATCH`: the module's passes over them
stay in cache) and still yields the batches asked for, with the same features."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tfhub.tools import image_decoding, image_folders, image_store
from tfhub.tools import image_modules as image_modules_lib

pytestmark = [pytest.mark.tf]


def _store(
    shape_images: Path, module: str, *, sizes: Any = None
) -> tuple[image_store.ImageStore, Any]:
    """A store of the "fixed" module's features (32x32) of the shape images; with `sizes`
    (a tf.Variable), the feature function adds the size of each batch it is given to it."""
    import tensorflow as tf

    layer = image_modules_lib.load_module_layer(module, trainable=False)
    files = image_folders.list_image_files(os.fspath(shape_images))

    def features(images: Any) -> Any:
        if sizes is None:
            return layer(images, training=False)
        size = tf.shape(images, out_type=tf.int64)[:1]
        counted = sizes.scatter_nd_add(tf.reshape(size, [1, 1]), tf.ones([1], tf.int64))
        with tf.control_dependencies([counted]):
            return layer(images, training=False)

    store = image_store.ImageStore(files, (32, 32), features=image_store.Features(features, 8))
    return store, layer


def test_feature_function_sees_a_few_images_at_a_time_and_batches_keep_their_size(
    shape_images: Path, image_modules: dict[str, str]
) -> None:
    import tensorflow as tf

    sizes = tf.Variable(tf.zeros([65], tf.int64))  # sizes[n]: calls on n images.
    store, layer = _store(shape_images, image_modules["fixed"], sizes=sizes)
    count = len(store.files.paths)  # 60 images.
    found = {}
    batch_sizes = []
    for indices, values in store.batches(np.arange(count), 16, shuffle=True, seed=3):
        batch_sizes.append(int(indices.shape[0]))
        found.update(zip(indices.numpy().tolist(), values.numpy(), strict=True))
    assert batch_sizes == [16, 16, 16, 12]  # As asked: 16 a batch, the last one fewer.
    calls = {n: int(c) for n, c in enumerate(sizes.numpy()) if c}
    assert calls == {image_store.FEATURES_BATCH: count // image_store.FEATURES_BATCH}
    # The same features as the module gives on all the images in one batch.
    decoded = image_decoding.decode_images(store.files, (32, 32))
    whole = np.asarray(layer(decoded.images.astype(np.float32) / 255.0, training=False))
    np.testing.assert_array_equal(np.stack([found[i] for i in range(count)]), whole)
    kept_indices, kept = store.kept(np.arange(count))  # Later passes read them back.
    np.testing.assert_array_equal(np.asarray(kept), whole[kept_indices])
