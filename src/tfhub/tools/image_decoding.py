"""Decoding the images of an image folder (`image_folders.ImageFiles`) with `tf.data`:
`decode_images` reads, decodes and resizes every image at once, in parallel (module_search);
`first_images` a few, for a quick look at a module's output. The graph ops that decode one
file (`decode_one`) and the report of unreadable files (`report_unreadable`: a warning naming
them, an error for a class left with none) are shared with `image_store`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any

import numpy as np

from .image_folders import ImageFiles, folder_error, named

logger = logging.getLogger(__name__)

_DECODE_BATCH = 256
_WEBP_HINT = (
    ". TensorFlow reads a WebP only without transparency or animation: convert such files to "
    "PNG or JPEG to use them"
)


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


def decode_one(path: Any, image_size: tuple[int, int], *, as_float: bool = False) -> Any:
    """Graph ops: the file at `path` decoded (first frame), resized (bilinear), uint8 [h, w, 3];
    with `as_float`, the same pixels as float32 in [0, 1] (uint8 value / 255)."""
    import tensorflow as tf

    # A WebP too (TF 2.21), unless it has alpha or is animated: DecodeImage refuses channels=3
    # for those (an unreadable file). DecodeWebP would take one with alpha (channels=4 only),
    # but the per-image test of the file's header cost ~3.5% of make_image_classifier's first
    # epoch; and it must never get channels=0, with which it writes an animation's RGBA frames
    # into a buffer sized for RGB (heap corruption, TF 2.21).
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    # Same pixels as resizing the uint8 image, ~40% less CPU: ResizeBilinear is slower on uint8.
    resized = tf.image.resize(tf.cast(image, tf.float32), image_size, method="bilinear")
    # No clip: each output is a + (b - a) * t of two values, t in [0, 1) (TensorFlow's
    # bilinear weights), twice (along x, then y over four pixels), which float rounding keeps
    # within [0, 255]. A clip's two passes over the image cost ~0.1-0.2 s of CPU per 3,670
    # images.
    pixels = tf.round(resized)
    if as_float:  # Exactly tf.cast(uint8 pixels, float32) / 255, without the two casts.
        return pixels / 255.0
    return tf.cast(pixels, tf.uint8)


def path_tensor(paths: tuple[str, ...]) -> Any:
    """A string tensor of `paths` as the file system names them (bytes): a file name that is
    not UTF-8 (a surrogate-escaped str in Python) reaches its file instead of failing the
    conversion ("Error converting unicode string")."""
    import tensorflow as tf

    return tf.constant([os.fsencode(path) for path in paths], dtype=tf.string)


def _decode_dataset(paths: tuple[str, ...], image_size: tuple[int, int]) -> Any:
    """(index, uint8 image) for each readable file, decoded in parallel; errors are dropped."""
    import tensorflow as tf

    indices = tf.range(len(paths), dtype=tf.int64)
    dataset = tf.data.Dataset.from_tensor_slices((indices, path_tensor(paths)))
    dataset = dataset.map(
        lambda index, path: (index, decode_one(path, image_size)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=False,
    )
    return dataset.ignore_errors().batch(_DECODE_BATCH).prefetch(tf.data.AUTOTUNE)


def report_unreadable(files: ImageFiles, read: np.ndarray, *, warn: bool = True) -> tuple[str, ...]:
    """Warns naming the files not read (if `warn`); raises if a class is left without a
    readable image.

    Returns:
        The paths of the files not read.
    """
    skipped = tuple(path for path, ok in zip(files.paths, read, strict=True) if not ok)
    if skipped and warn:
        webp = any(path.lower().endswith(".webp") for path in skipped)
        logger.warning(
            "Skipped %d file(s) that could not be read as images: %s%s",
            len(skipped),
            named(skipped),
            _WEBP_HINT if webp else "",
        )
    listed = np.asarray(files.label_ids, np.int32)
    label_ids = listed[read]
    # Only classes with files listed (module_search's `#N` may take none of some classes).
    unreadable = [
        label
        for i, label in enumerate(files.labels)
        if np.any(listed == i) and not np.any(label_ids == i)
    ]
    if unreadable:
        raise folder_error(
            files.image_dir,
            f"the class folder(s) {unreadable} hold no readable image",
            "Replace the damaged files listed above.",
            files.flag,
        )
    return skipped


def decode_images(
    files: ImageFiles, image_size: tuple[int, int], *, warn: bool = True
) -> DecodedImages:
    """Reads, decodes (JPEG, PNG, BMP, GIF: first frame, WebP) and resizes every image, in
    parallel.

    Args:
        files: the images to read.
        image_size: (height, width) to resize to (bilinear).
        warn: whether a warning names the files skipped (False: the caller's error will).

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
    skipped = report_unreadable(files, read, warn=warn)
    label_ids = np.asarray(files.label_ids, np.int32)[read]
    kept = tuple(path for path, ok in zip(files.paths, read, strict=True) if ok)
    if not skipped:  # All read: no copy (a mask would copy them all, 0.55 GB for TF Flowers).
        return DecodedImages(images, label_ids, kept, skipped)
    return DecodedImages(images[read], label_ids, kept, skipped)


def first_images(
    files: ImageFiles, image_size: tuple[int, int], *, count: int = 2, tries: int = 8
) -> np.ndarray:
    """The first `count` readable images of `files` (of the first `tries` files; the first of
    them repeated to make `count`), as a module takes them: float32 [count, height, width, 3]
    in [0, 1]. For a quick look at a module's output before a long run; unreadable files are
    passed over silently (the run names them).

    Returns:
        The images; [0, height, width, 3] if none of the files tried is readable.
    """
    import tensorflow as tf

    images = []
    for path in files.paths[:tries]:
        try:
            images.append(decode_one(path_tensor((path,))[0], image_size, as_float=True))
        except (tf.errors.OpError, ValueError):
            continue
        if len(images) == count:
            break
    if not images:
        return np.zeros((0, *image_size, 3), np.float32)
    images += images[:1] * (count - len(images))
    return np.stack([image.numpy() for image in images])
