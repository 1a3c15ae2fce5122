"""The input pipeline: image folders -> decoded images -> `tf.data` training and validation sets.

`list_image_files` finds the classes (sub-folders, sorted by name: their order is the order of
the model's predictions) and the images in them (.jpg, .jpeg, .png, .bmp, .gif, any case, also
in nested folders), and rejects unusable folders before anything heavy runs. `decode_images`
reads, decodes and resizes every image once, in parallel with `tf.data`; unreadable files are
skipped with a warning that names them. `make_datasets` builds the training set (shuffled each
epoch, batched, augmented with Keras preprocessing layers, prefetched) and the validation set
from the decoded images, which are kept in memory as uint8.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ... import errors
from .hparams import HParams

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif"})
_DECODE_BATCH = 256


@dataclasses.dataclass(frozen=True)
class ImageFiles:
    """The images of a folder with one sub-folder per class.

    Attributes:
        image_dir: the folder.
        labels: the class names (sub-folder names), sorted; a label's index is its class id.
        paths: every image file, class by class, sorted within a class.
        label_ids: the class id of each path.
    """

    image_dir: str
    labels: tuple[str, ...]
    paths: tuple[str, ...]
    label_ids: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class DecodedImages:
    """Images decoded and resized, in the order of `ImageFiles.paths` (unreadable ones left out).

    Attributes:
        images: uint8 array [n, height, width, 3].
        label_ids: int32 array [n].
        paths: the n files the images came from.
        skipped: the files that could not be read or decoded.
    """

    images: np.ndarray
    label_ids: np.ndarray
    paths: tuple[str, ...]
    skipped: tuple[str, ...]


def _folder_error(image_dir: str, problem: str, remedy: str) -> errors.ImageFolderError:
    return errors.ImageFolderError(
        f"Cannot train on the image folder {image_dir}: {problem}. {remedy} "
        f"Received: image_dir={image_dir!r}",
        path=image_dir,
        problem=problem,
    )


def _images_below(folder: str) -> list[str]:
    """Image files below `folder` (recursively, following no links), sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                found.append(os.path.join(dirpath, name))
    return found


def list_image_files(image_dir: str) -> ImageFiles:
    """Lists the classes and images of `image_dir` (one sub-folder of images per class).

    Args:
        image_dir: the folder.

    Returns:
        The classes and image files.

    Raises:
        tfhub.errors.ImageFolderError: if the folder does not exist, has fewer than 2 class
            sub-folders, or a class sub-folder holds no image.
    """
    remedy = "Put the images of each class in their own sub-folder, e.g. cats/*.jpg, dogs/*.jpg."
    if not os.path.isdir(image_dir):
        raise _folder_error(image_dir, "it is not a folder", remedy)
    labels = sorted(
        name
        for name in os.listdir(image_dir)
        if not name.startswith(".") and os.path.isdir(os.path.join(image_dir, name))
    )
    per_class = [_images_below(os.path.join(image_dir, label)) for label in labels]
    if not any(per_class):
        raise _folder_error(image_dir, "it holds no images in class sub-folders", remedy)
    if len(labels) < 2:
        raise _folder_error(
            image_dir,
            f"it has {len(labels)} class sub-folder(s) {labels}, at least 2 are needed",
            remedy,
        )
    empty = [label for label, files in zip(labels, per_class, strict=True) if not files]
    if empty:
        raise _folder_error(
            image_dir,
            f"the class folder(s) {empty} hold no image ({', '.join(sorted(IMAGE_EXTENSIONS))})",
            "Add images to them or remove them.",
        )
    paths = tuple(path for files in per_class for path in files)
    ids = tuple(i for i, files in enumerate(per_class) for _ in files)
    return ImageFiles(image_dir=image_dir, labels=tuple(labels), paths=paths, label_ids=ids)


def _decode_dataset(paths: tuple[str, ...], image_size: tuple[int, int]) -> Any:
    """(index, uint8 image) for each readable file, decoded in parallel; errors are dropped."""
    import tensorflow as tf

    def decode(index: Any, path: Any) -> tuple[Any, Any]:
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        image.set_shape([None, None, 3])
        resized = tf.image.resize(image, image_size, method="bilinear")
        return index, tf.cast(tf.round(tf.clip_by_value(resized, 0.0, 255.0)), tf.uint8)

    indices = tf.range(len(paths), dtype=tf.int64)
    dataset = tf.data.Dataset.from_tensor_slices((indices, tf.constant(list(paths))))
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
    return dataset.ignore_errors().batch(_DECODE_BATCH).prefetch(tf.data.AUTOTUNE)


def decode_images(files: ImageFiles, image_size: tuple[int, int]) -> DecodedImages:
    """Reads, decodes (JPEG, PNG, BMP, GIF: first frame) and resizes every image, in parallel.

    Args:
        files: the images to read.
        image_size: (height, width) to resize to (bilinear).

    Returns:
        The decoded images, in the order of `files.paths`, without the unreadable files.

    Raises:
        tfhub.errors.ImageFolderError: if a class is left with no readable image.
    """
    height, width = image_size
    images = np.zeros((len(files.paths), height, width, 3), np.uint8)
    read = np.zeros(len(files.paths), bool)
    for indices, batch in _decode_dataset(files.paths, image_size):
        images[indices.numpy()] = batch.numpy()
        read[indices.numpy()] = True
    skipped = tuple(path for path, ok in zip(files.paths, read, strict=True) if not ok)
    if skipped:
        logger.warning(
            "Skipped %d file(s) that could not be read as images: %s", len(skipped), skipped
        )
    label_ids = np.asarray(files.label_ids, np.int32)[read]
    unreadable = [label for i, label in enumerate(files.labels) if not np.any(label_ids == i)]
    if unreadable:
        raise _folder_error(
            files.image_dir,
            f"the class folder(s) {unreadable} hold no readable image",
            "Replace the damaged files listed above.",
        )
    kept = tuple(path for path, ok in zip(files.paths, read, strict=True) if ok)
    return DecodedImages(images[read], label_ids, kept, skipped)


def split_indices(label_ids: np.ndarray, validation_split: float) -> tuple[np.ndarray, np.ndarray]:
    """Splits each class as upstream's ImageDataGenerator did: its first `validation_split`
    fraction of images (in file order) for validation, the rest for training.

    Args:
        label_ids: the class id of each image.
        validation_split: the fraction held out, in [0, 1).

    Returns:
        (training indices, validation indices).

    Raises:
        ValueError: if validation_split is not in [0, 1).
    """
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1). Received: {validation_split}")
    train, valid = [], []
    for class_id in np.unique(label_ids):
        members = np.flatnonzero(label_ids == class_id)
        cut = int(math.floor(len(members) * validation_split))
        valid.append(members[:cut])
        train.append(members[cut:])
    return np.concatenate(train), np.concatenate(valid)


def _fraction(value: float, size: int) -> float:
    """A shift given as a fraction (< 1) or in pixels (>= 1), as a fraction of `size`."""
    return float(value) if abs(value) < 1 else float(value) / size


def make_augmenter(
    hparams: HParams, image_size: tuple[int, int], *, seed: int | None = None
) -> Callable[[Any], Any] | None:
    """Returns the random distortions of `hparams` as Keras 3 preprocessing layers, or None.

    Matches ImageDataGenerator's meaning of the parameters (degrees for rotation and shear,
    fractions or pixels for shifts, independent zoom per axis, "nearest" fill). The layers run
    in the tf.data pipeline on float batches, whichever Keras flavour builds the model.
    """
    if not hparams.do_data_augmentation:
        return None
    import keras

    layers: list[Any] = []
    fill = {"fill_mode": "nearest"}
    if hparams.horizontal_flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if hparams.rotation_range:
        layers.append(
            keras.layers.RandomRotation(hparams.rotation_range / 360.0, seed=seed, **fill)
        )
    if hparams.shear_range:
        shear = abs(math.tan(math.radians(hparams.shear_range)))
        layers.append(keras.layers.RandomShear(x_factor=shear, y_factor=0.0, seed=seed, **fill))
    if hparams.width_shift_range or hparams.height_shift_range:
        height = _fraction(hparams.height_shift_range, image_size[0])
        width = _fraction(hparams.width_shift_range, image_size[1])
        layers.append(keras.layers.RandomTranslation(height, width, seed=seed, **fill))
    if hparams.zoom_range:
        zoom = float(hparams.zoom_range)
        layers.append(keras.layers.RandomZoom(zoom, zoom, seed=seed, **fill))
    if not layers:
        return None
    pipeline = keras.Sequential(layers, name="augmentation")
    return lambda images: pipeline(images, training=True)


@dataclasses.dataclass(frozen=True)
class Datasets:
    """The training and validation sets (batches of (float images in [0, 1], one-hot labels)).

    Attributes:
        train: the training set (shuffled each epoch, augmented if asked).
        valid: the validation set, or None if validation_split is 0.
        train_size: number of training images.
        valid_size: number of validation images.
    """

    train: Any
    valid: Any
    train_size: int
    valid_size: int


def _batched(
    images: np.ndarray,
    onehot: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = False,
    augment: Callable[[Any], Any] | None = None,
    seed: int | None = None,
) -> Any:
    """uint8 images -> prefetched batches of (float images in [0, 1], one-hot labels)."""
    import tensorflow as tf

    autotune = tf.data.AUTOTUNE

    def as_float(batch: Any, labels: Any) -> tuple[Any, Any]:
        return tf.cast(batch, tf.float32) / 255.0, labels

    dataset = tf.data.Dataset.from_tensor_slices((images, onehot))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(as_float, num_parallel_calls=autotune)
    if augment is not None:
        dataset = dataset.map(lambda x, y: (augment(x), y), num_parallel_calls=autotune)
    return dataset.prefetch(autotune)


def make_datasets(
    decoded: DecodedImages, *, hparams: HParams, num_classes: int, seed: int | None = None
) -> Datasets:
    """Builds the tf.data training and validation sets from decoded images.

    Args:
        decoded: the images and labels.
        hparams: batch_size, validation_split and the augmentation parameters.
        num_classes: the number of classes (length of the one-hot labels).
        seed: makes shuffling and augmentation reproducible.

    Returns:
        The datasets and their sizes.

    Raises:
        tfhub.errors.ImageFolderError: if the training or validation set would be empty.
    """
    train_idx, valid_idx = split_indices(decoded.label_ids, hparams.validation_split)
    if len(train_idx) == 0 or (hparams.validation_split > 0 and len(valid_idx) == 0):
        which = "training" if len(train_idx) == 0 else "validation"
        raise errors.ImageFolderError(
            f"The {which} set is empty: {len(decoded.paths)} readable images split with "
            f"validation_split={hparams.validation_split}. Add images or change the split.",
            path=os.path.commonpath(decoded.paths) if decoded.paths else "",
            problem=f"empty {which} set",
        )
    height, width = (int(n) for n in decoded.images.shape[1:3])
    onehot = np.eye(num_classes, dtype=np.float32)[decoded.label_ids]
    train = _batched(
        decoded.images[train_idx],
        onehot[train_idx],
        hparams.batch_size,
        shuffle=True,
        augment=make_augmenter(hparams, (height, width), seed=seed),
        seed=seed,
    )
    valid = None
    if len(valid_idx):
        valid = _batched(decoded.images[valid_idx], onehot[valid_idx], hparams.batch_size)
    return Datasets(train, valid, len(train_idx), len(valid_idx))
