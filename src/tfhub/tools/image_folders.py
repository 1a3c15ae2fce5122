"""Image folders shared by the tools: list the classes and images of a folder with one
sub-folder per class, and decode every image once, in parallel with `tf.data`.

`list_image_files` finds the classes (sub-folders, sorted by name: their order is the order of
a classifier's predictions) and the images in them (.jpg, .jpeg, .png, .bmp, .gif, any case, also
in nested folders), and rejects unusable folders before anything heavy runs. `decode_images`
reads, decodes and resizes every image once; unreadable files are skipped with a warning that
names them. Used by make_image_classifier and module_search.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any

import numpy as np

from .. import errors

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
