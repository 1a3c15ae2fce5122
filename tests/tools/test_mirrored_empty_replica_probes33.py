"""make_image_classifier under a strategy of several replicas gives no replica an empty batch:
TensorFlow 2.21's oneDNN Conv2D returns an empty batch of its input's shape, not its output's,
so a module run on a replica's empty part fed the next layer [0, 6] where it takes [0, 8] and
training failed with an unexpected InvalidArgumentError (--batch_size 11 on 12 validation
images split 1 and 0). The whole run: test_make_image_classifier.py's mirrored test."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tfhub.tools import image_folders, image_store
from tfhub.tools.make_image_classifier import data, get_default_hparams


@pytest.mark.parametrize(
    ("images", "batch_size", "replicas", "expected"),
    [
        (12, 11, 2, 10),  # 10 + 2, not 11 + 1.
        (12, 11, 1, 11),  # No strategy: --batch_size as given.
        (12, 12, 2, 12),  # One full batch.
        (12, 32, 2, 12),  # Fewer images than a batch: one batch of them all.
        (9, 4, 4, 3),  # 4 + 4 + 1 would leave 3 replicas empty; 3 + 3 + 3.
        (1, 8, 2, 1),  # One image cannot split: the replica without one is unavoidable.
    ],
)
def test_validation_batch_size_gives_every_replica_an_image(
    images: int, batch_size: int, replicas: int, expected: int
) -> None:
    assert data.validation_batch_size(images, batch_size, replicas) == expected


def test_the_oneDNN_conv_of_an_empty_batch_that_this_works_around() -> None:
    """Documents the TensorFlow behaviour the tool avoids; where a TensorFlow fixes it, this
    says so (and the work-around can go)."""
    tf = pytest.importorskip("tensorflow")
    shape = tf.nn.conv2d(tf.zeros([0, 32, 32, 3]), tf.ones([3, 3, 3, 5]), 2, "SAME").shape
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") == "0" or shape == (0, 16, 16, 5):
        pytest.skip(f"this TensorFlow's Conv2D of an empty batch has the right shape ({shape})")
    assert shape == (0, 32, 32, 3)


@pytest.mark.tf
def test_no_batch_leaves_a_replica_without_an_image(shape_images: Path) -> None:
    files = image_folders.list_image_files(os.fspath(shape_images))
    store = image_store.ImageStore(files, (32, 32))
    hparams = get_default_hparams()._replace(batch_size=11)  # 48 training, 12 validation.
    sets = data.make_datasets(store, hparams=hparams, seed=3, replicas=2)
    valid = [len(labels) for _, labels in sets.valid]
    assert valid == [10, 2]  # All 12 validation images, none alone.
    for _ in range(2):  # The first pass decodes, the second gathers what was kept.
        train = [len(labels) for _, labels in sets.train]
        assert train == [11, 11, 11, 11, 4]
    odd = data.make_datasets(store, hparams=hparams._replace(batch_size=47), seed=3, replicas=2)
    assert [len(labels) for _, labels in odd.train] == [47]  # The last image (48 % 47) is left out.
    whole = data.make_datasets(store, hparams=hparams._replace(batch_size=47), seed=3)
    assert sorted(len(labels) for _, labels in whole.train) == [1, 47]
    assert np.sum([len(labels) for _, labels in odd.valid]) == 12
