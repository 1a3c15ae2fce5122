"""make_image_classifier's input pipeline: image files -> `tf.data` training and validation sets.

The images come from a `tfhub.tools.image_store.ImageStore`: each is decoded in parallel the
first time the pipeline asks for it (during the first epoch, while training runs) and kept in
memory as uint8 for later epochs. `make_datasets` splits each class as upstream did and builds
the training set (shuffled each epoch, batched, augmented with Keras preprocessing layers,
prefetched) and the validation set. The distortions are `augmentation`'s.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ... import errors
from ...utils.numbers import is_whole_number
from ..image_folders import ImageFiles, folder_error
from ..image_store import ImageStore
from .augmentation import augments, make_augmenter
from .augmentation import shear_images as shear_images  # Its former home, for callers.
from .hparams import HParams


def split_indices(label_ids: np.ndarray, validation_split: float) -> tuple[np.ndarray, np.ndarray]:
    """Splits each class as upstream's ImageDataGenerator did: its first `validation_split`
    fraction of images (in file order) for validation, the rest for training.

    Args:
        label_ids: the class id of each image.
        validation_split: the fraction held out, in [0, 1).

    Returns:
        (training indices, validation indices).

    Raises:
        tfhub.errors.ToolFlagError: if validation_split is not in [0, 1).
    """
    if not 0.0 <= validation_split < 1.0:
        raise errors.ToolFlagError(
            f"--validation_split must be in [0, 1). Received: validation_split={validation_split}",
            flag="validation_split",
            value=validation_split,
        )
    train, valid = [], []
    for class_id in np.unique(label_ids):
        members = np.flatnonzero(label_ids == class_id)
        cut = int(math.floor(len(members) * validation_split))
        valid.append(members[:cut])
        train.append(members[cut:])
    return np.concatenate(train), np.concatenate(valid)


def check_split_holds_out(files: ImageFiles, validation_split: float) -> None:
    """Refuses a `validation_split` above 0 that holds out no image of `files`: each class
    holds out `floor(its images x validation_split)` (upstream's split), none of a class of
    fewer than `1 / validation_split` images. Checked as soon as the folder is listed, before
    the module loads (or downloads).

    Raises:
        tfhub.errors.ToolFlagError: naming --validation_split, the folder, its largest class
            and the smallest split that holds out an image.
    """
    if validation_split <= 0:
        return
    label_ids = np.asarray(files.label_ids, np.int64)
    if len(split_indices(label_ids, validation_split)[1]):
        return
    largest = int(np.bincount(label_ids).max())
    smallest = math.ceil(100 / largest) / 100
    while math.floor(largest * smallest) < 1:  # Rounding: 0.01 more holds one out.
        smallest = round(smallest + 0.01, 2)
    todo = f"Pass --validation_split {smallest} or more, or 0 to train without validation"
    if smallest >= 1:  # One image a class: every one of them trains.
        todo = "Add images, or pass --validation_split 0 to train without validation"
    raise errors.ToolFlagError(
        f"--validation_split {validation_split} holds out no image of {files.image_dir} for "
        "validation: each class holds out that fraction of its images, rounded down, and its "
        f"largest class has {largest} image{'s' if largest > 1 else ''}. {todo}. Received: "
        f"validation_split={validation_split}",
        flag="validation_split",
        value=validation_split,
    )


def check_batches_fill_replicas(files: ImageFiles, hparams: HParams, replicas: int) -> None:
    """Refuses, once the strategy's replica count is known (before the module loads), a run
    whose every training or validation batch would hold fewer images than `replicas`: the
    pipeline leaves such batches out (`_batched`), so it would train (or validate) on nothing.

    Args:
        files: the listed images.
        hparams: batch_size and validation_split.
        replicas: the strategy's replicas in sync (1: no strategy, nothing to check).

    Raises:
        tfhub.errors.ToolFlagError: naming --batch_size (below `replicas`),
            --distribution_strategy (fewer training images than replicas) or --validation_split
            (between 1 and replicas - 1 validation images), with the replica count.
    """
    if replicas <= 1:
        return
    _check_batch_fills_replicas(hparams.batch_size, replicas)
    label_ids = np.asarray(files.label_ids, np.int64)
    train, valid = (len(part) for part in split_indices(label_ids, hparams.validation_split))
    _check_training_fills_replicas(files, train, replicas)
    _check_validation_fills_replicas(files, hparams.validation_split, valid, replicas)


_EACH = "each replica of --distribution_strategy takes part of every batch"


def _check_batch_fills_replicas(batch_size: int, replicas: int) -> None:
    """Raises ToolFlagError (--batch_size) if `batch_size` is below `replicas`."""
    if batch_size < replicas:
        raise errors.ToolFlagError(
            f"--batch_size {batch_size} is below the {replicas} replicas: {_EACH} and "
            f"needs an image of it. Pass --batch_size {replicas} or more, or leave out "
            f"--distribution_strategy. Received: batch_size={batch_size}, "
            f"replicas={replicas}",
            flag="batch_size",
            value=batch_size,
        )


def _check_training_fills_replicas(files: ImageFiles, train: int, replicas: int) -> None:
    """Raises ToolFlagError (--distribution_strategy) if the `train` training images of
    `files` are fewer than `replicas`."""
    if train < replicas:
        raise errors.ToolFlagError(
            f"{files.image_dir} has {train} training image{'s' if train != 1 else ''}, fewer than "
            f"the {replicas} replicas: {_EACH} and needs an image of it. Add images, or leave out "
            f"--distribution_strategy. Received: {files.flag}={files.image_dir!r}, "
            f"replicas={replicas}",
            flag="distribution_strategy",
            value=replicas,
        )


def _check_validation_fills_replicas(
    files: ImageFiles, validation_split: float, valid: int, replicas: int
) -> None:
    """Raises ToolFlagError (--validation_split) if `validation_split` holds out between 1 and
    `replicas` - 1 (`valid`) validation images of `files`."""
    if 0 < valid < replicas:
        raise errors.ToolFlagError(
            f"--validation_split {validation_split} holds out {valid} validation "
            f"image{'s' if valid != 1 else ''} of {files.image_dir}, fewer than the {replicas} "
            f"replicas: {_EACH} and needs an image of it. Pass a larger --validation_split, add "
            f"images, or pass 0 to train without validation. Received: "
            f"validation_split={validation_split}, replicas={replicas}",
            flag="validation_split",
            value=validation_split,
        )


def check_classes_train(store: ImageStore, validation_split: float) -> None:
    """Refuses, once the first epoch has read every image, a class none of whose training
    images could be read: its images that read are all held out for validation, so the model
    would have an output for a class it never trained on (a class with no readable image at
    all is `ImageStore.check`'s error).

    Args:
        store: the images, after a pass over every one of them.
        validation_split: the split `make_datasets` made (`split_indices`).

    Raises:
        tfhub.errors.ImageFolderError: naming the classes and --validation_split.
    """
    files = store.files
    label_ids = np.asarray(files.label_ids, np.int64)
    train = split_indices(label_ids, validation_split)[0]
    trained = set(label_ids[store.readable(train)].tolist())
    untrained = [label for i, label in enumerate(files.labels) if i not in trained]
    if not untrained:
        return
    raise folder_error(
        files.image_dir,
        f"the class folder(s) {untrained} hold no readable training image: the images of "
        f"theirs that read are all held out for validation (--validation_split "
        f"{validation_split} holds out each class's first files, in name order), so the "
        "model would never train on them",
        "Replace the damaged files listed above, or add images to those classes.",
        files.flag,
    )


@dataclasses.dataclass(frozen=True)
class Datasets:
    """The training and validation sets: batches of (float images in [0, 1], one-hot labels),
    or of (features, one-hot labels) if the store keeps features.

    Attributes:
        train: the training set (shuffled each epoch, augmented if asked).
        valid: the validation set, or None if validation_split is 0.
        train_size: number of training images.
        valid_size: number of validation images.
        valid_indices: the validation images' indices in the store's files.
    """

    train: Any
    valid: Any
    train_size: int
    valid_size: int
    valid_indices: np.ndarray


def _batched(
    store: ImageStore,
    onehot: Any,
    indices: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = False,
    augment: Callable[[Any], Any] | None = None,
    seed: int | None = None,
    replicas: int = 1,
    once: bool = False,
) -> Any:
    """Batches of (float images in [0, 1], one-hot labels) of the readable images at `indices`;
    (float32 features, one-hot labels) if the store keeps features. With several `replicas`, a
    batch of fewer images than replicas (the last, at most replicas - 1 images) is left out.

    The store shuffles indices (8 bytes each), not images, and hands each image over once:
    decoded in parallel on the first pass, its in-memory copy (one gather per batch) later.
    """
    import tensorflow as tf

    autotune = tf.data.AUTOTUNE

    def to_float(index: Any, images: Any) -> tuple[Any, Any]:
        return tf.cast(images, tf.float32) / 255.0, tf.gather(onehot, index)

    def with_labels(index: Any, features: Any) -> tuple[Any, Any]:
        return features, tf.gather(onehot, index)

    plain = tf.autograph.experimental.do_not_convert  # No AutoGraph: saves tracing time.
    dataset = store.batches(indices, batch_size, shuffle=shuffle, seed=seed, once=once)
    if replicas > 1:
        # A replica given no image of a batch runs the model on an empty one, and TensorFlow
        # 2.21's oneDNN Conv2D returns an empty batch of the wrong shape (its input's): the
        # next layer fails ("Matrix size-incompatible: In[0]: [0,6]"). Uneven parts are fine.
        dataset = dataset.filter(plain(lambda index, _: tf.size(index) >= replicas))
    if store.keeps_features:
        dataset = dataset.map(plain(with_labels))
    else:
        dataset = dataset.map(plain(to_float), num_parallel_calls=autotune)
    if augment is not None:
        dataset = dataset.map(lambda x, y: (augment(x), y), num_parallel_calls=autotune)
    # tf.data's autotuning thread delays the destruction of an iterator (Keras makes one per
    # epoch and pass) until its current optimization period ends: measured, 2.5-5.2 s of idle
    # wall time at the start of the second epoch in 3 of 7 runs. Without autotuning, AUTOTUNE
    # means one parallel call per core and a default prefetch: no stall in 7 runs, the same
    # first epoch (median 3.73 s either way) (benchmarks/README.md, make_image_classifier).
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(autotune).with_options(options)


def make_validation_set(
    store: ImageStore, *, hparams: HParams, replicas: int = 1, once: bool = False
) -> tuple[Any, np.ndarray]:
    """The validation set of `make_datasets` alone (None if validation_split is 0) and its
    images' indices, made first so that it can be read while the training set is made. With
    `once`, each pass decodes (`ImageStore.batches`): for a set read once, whose values are
    then read from the store (bottlenecks: `callbacks.head_validation`).

    Raises:
        tfhub.errors.ToolFlagError: as `make_datasets` (validation_split).
    """
    check_split_holds_out(store.files, hparams.validation_split)
    label_ids = np.asarray(store.files.label_ids, np.int64)
    valid_idx = split_indices(label_ids, hparams.validation_split)[1]
    if not len(valid_idx):
        return None, valid_idx
    batch_size = validation_batch_size(len(valid_idx), hparams.batch_size, replicas)
    valid = _batched(store, _onehot(store), valid_idx, batch_size, replicas=replicas, once=once)
    return valid, valid_idx


def _onehot(store: ImageStore) -> Any:
    """A tf.constant of each image's one-hot label, float32 [images, classes]."""
    import tensorflow as tf

    label_ids = np.asarray(store.files.label_ids, np.int64)
    return tf.constant(np.eye(len(store.files.labels), dtype=np.float32)[label_ids])


def make_datasets(
    store: ImageStore,
    *,
    hparams: HParams,
    seed: int | None = None,
    replicas: int = 1,
    validation: tuple[Any, np.ndarray] | None = None,
) -> Datasets:
    """Builds the tf.data training and validation sets of the images in `store`.

    If the store keeps features (see `ImageStore`), the sets hold features; they cannot be
    augmented then. For several `replicas` (a distribution strategy's), no batch leaves a
    replica without an image: the validation set's batches are made a little smaller where
    that makes its last batch split (`validation_batch_size`), and a training epoch's last
    batch of fewer images than replicas is left out (a different few each epoch, reshuffled).

    The split is over the listed files (as upstream's ImageDataGenerator split them); a file
    found unreadable on the first pass is left out of its set, so the sets may hold fewer
    images than `train_size` and `valid_size` say.

    Args:
        store: the images and their labels (`store.files`).
        hparams: batch_size, validation_split and the augmentation parameters.
        seed: makes shuffling and augmentation reproducible.
        replicas: how many replicas each batch is split over (1: none).
        validation: what `make_validation_set` returned for the same store, hparams and
            replicas (None: the validation set is made here).

    Returns:
        The datasets and their sizes.

    Raises:
        tfhub.errors.ToolFlagError: if validation_split holds out no image
            (`check_split_holds_out`), or the store keeps features and `hparams` ask for
            augmentation.
    """
    valid, valid_idx = validation or make_validation_set(store, hparams=hparams, replicas=replicas)
    label_ids = np.asarray(store.files.label_ids, np.int64)
    # A split below 1 leaves each class at least one training image.
    train_idx = split_indices(label_ids, hparams.validation_split)[0]
    if store.keeps_features and augments(hparams):
        raise errors.ToolFlagError(
            "--do_data_augmentation distorts the images, so it needs a store of images, not of "
            "features. Received: do_data_augmentation=True",
            flag="do_data_augmentation",
            value=True,
        )
    augment = make_augmenter(hparams, store.image_size, seed=seed)
    train = _batched(
        store, _onehot(store), train_idx, hparams.batch_size, shuffle=True, augment=augment,
        seed=seed, replicas=replicas,
    )  # fmt: skip
    return Datasets(train, valid, len(train_idx), len(valid_idx), valid_idx)


def validation_batch_size(images: int, batch_size: int, replicas: int) -> int:
    """The largest batch size up to `batch_size` whose last batch of `images` gives each of the
    `replicas` an image (or is full): --batch_size 11 on 12 images and 2 replicas makes batches
    of 10 and 2, not 11 and 1. The validation metrics are means over the images, whatever the
    batches; a training batch keeps --batch_size.
    """
    for size in range(min(batch_size, images), 0, -1):
        if images % size == 0 or images % size >= replicas:
            return size
    return batch_size


def steps_per_epoch(dataset: Any, size: int, batch_size: int, *, what: str) -> int | None:
    """How many batches an epoch takes from `dataset`: for one that never ends (a `.repeat()`ed
    tf.data dataset, or a Python iterator, as upstream's Python API took), upstream's
    `size // batch_size` (at least 1); None for anything Keras reads to its end (the tool's own
    datasets, whose images may turn out unreadable, have no fixed number of batches).

    Args:
        dataset: the batches given to `model.fit` (None: none).
        size: how many images (or feature vectors) an epoch covers.
        batch_size: images per batch.
        what: "train_data_and_size" or "valid_data_and_size", named in the error.

    Returns:
        The number of batches, or None.

    Raises:
        tfhub.errors.ArgumentError: `dataset` never ends and `size` is not positive (no
            number of batches can be known: the epoch would never end).
    """
    if dataset is None or not _never_ends(dataset):
        return None
    if not is_whole_number(size) or size < 1:
        raise errors.ArgumentError(
            f"{what} holds a dataset that never ends (repeated, infinite cardinality): its "
            "size, the number of images an epoch takes from it, must be a positive integer. "
            f"Pass (dataset, number of images), or a dataset that ends. Received: size={size!r}"
        )
    return max(1, int(size) // batch_size)


def _never_ends(dataset: Any) -> bool:
    """Whether `dataset` is a tf.data dataset of infinite cardinality, or a Python iterator
    (a generator: Keras cannot know its end)."""
    cardinality = getattr(dataset, "cardinality", None)
    if callable(cardinality) and hasattr(dataset, "element_spec"):
        import tensorflow as tf

        return int(cardinality()) == int(tf.data.INFINITE_CARDINALITY)
    return isinstance(dataset, Iterator)
