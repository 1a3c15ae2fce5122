"""A module's feature vectors of a dataset's images: the image size it runs at (its own, else
--image_size, else 224 as upstream), the checks that the images and a batch with the module's
activations fit in memory (`check_image_size` before any module loads, then measured), and the
vectors themselves (`embed`), which must be finite.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ... import errors
from .. import host_memory, image_modules
from .datasets import FolderDataset, TfdsDataset
from .embedding_layer import load_embedding_layer

_BATCH = 32  # Images per call of a module.
# Bytes a number of the vectors takes to rank them, at the peak (`lib.loo_1nn_error`): the
# float32 vectors and a float64 copy (its blocks are bounded apart).
_BYTES_PER_NUMBER = 4 + 8


def _image_size(layer: Any, handle: str, image_size: int | None) -> tuple[int, int]:
    """The module's fixed size; else --image_size, its TF1 default size, or 224 (upstream's)."""
    fixed = image_modules.check_image_input(layer, handle, flag="module")
    if fixed is not None and None not in fixed:
        return int(fixed[0]), int(fixed[1])  # type: ignore[arg-type]
    try:
        return image_modules.image_size_for_module(layer, handle, image_size, flag="module")
    except errors.ImageSizeError:
        return image_modules.USUAL_IMAGE_SIZE  # Any size and no --image_size: as upstream, 224x224.


_FITS_ADVICE = (
    "fewer images (--dataset NAME#N), a smaller --image_size if the module takes any size, or "
    "a module of a smaller input size"
)

# For a module that ran out of memory on a batch: the batch is of _BATCH images however many
# the dataset has, so fewer images would not shrink it.
_BATCH_ADVICE = (
    f"Each call takes up to {_BATCH} images however many the dataset has: pass a smaller "
    "--image_size if the module takes any size, or a module of a smaller input size, or run "
    "where more memory is free (if a GPU's memory ran out, on the CPU: "
    'CUDA_VISIBLE_DEVICES="")'
)


def _check_module_fits(
    layer: Any, handle: str, dataset: FolderDataset | TfdsDataset, size: tuple[int, int]
) -> None:
    """Checks, before the dataset is embedded, that its images kept at the module's input size
    (its own, which no --image_size check saw, or --image_size) and a batch of them as float
    fit in the memory available; then, with the images read, that a batch and the module's
    activations for it fit, measured on the first two images (`host_memory.bytes_per_image`,
    the measure make_image_classifier takes: a bound below what the run needs).

    Raises:
        tfhub.errors.ToolFlagError: naming --module (the rest of the modules are still scored
            when `rank_modules` has an `on_failure`).
        tfhub.errors.NotAnImageModuleError: the module fails on the first two images, or
            on the first one the measure runs it on (`module_failure`).
    """
    fits = functools.partial(
        host_memory.check_images_fit, batch=_BATCH, flag="module", value=handle
    )
    fits(len(dataset.labels), size, advice=_FITS_ADVICE)
    first = next(dataset.batches(size, _BATCH))[:2]  # Reads (and keeps) every image at `size`.
    run = functools.partial(_run, layer, handle)
    run(first)  # Traced at this shape before measuring.
    # Only the module's calls are its failures: an error of the measure itself is tfhub's.
    per_image = host_memory.bytes_per_image(run, first)
    if per_image:  # The images kept are already taken from the memory available.
        fits(0, size, per_image=per_image, advice=_FITS_ADVICE)


def embed(handle: str, dataset: FolderDataset | TfdsDataset, image_size: int | None) -> np.ndarray:
    """The module's feature vectors of every image of the dataset, [n, dim].

    Raises:
        tfhub.errors.NotAnImageModuleError: the module does not map images to vectors (one
            per image), fails on the dataset's images, or gives vectors that hold NaN or
            infinity.
        tfhub.errors.ToolFlagError: naming --module, whose images, activations or vectors
            cannot fit in memory (`_check_module_fits`, `_check_vectors_fit`), or which ran
            out of memory on them (`module_failure`).
    """
    layer = load_embedding_layer(handle)
    size = _image_size(layer, handle, image_size)
    dim = image_modules.check_feature_vector(layer, handle, size, flag="module")
    _check_module_fits(layer, handle, dataset, size)
    _check_vectors_fit(handle, len(dataset.labels), dim)
    outputs = [_vectors(layer, handle, batch, dim) for batch in dataset.batches(size, _BATCH)]
    vectors = np.concatenate(outputs)
    image_modules.check_finite_vectors(vectors, handle, flag="module")
    return vectors


def _check_vectors_fit(handle: str, count: int, dim: int) -> None:
    """Checks, with the images read, that the module's vectors of `count` images, of `dim`
    numbers each, fit in the memory available to rank them (a module of large vectors on a
    large dataset grew the process until the out-of-memory killer ended it).

    Raises:
        tfhub.errors.ToolFlagError: naming --module (the rest are still scored).
    """
    needed = count * dim * _BYTES_PER_NUMBER
    available = host_memory.available_memory()
    if available is None or needed <= available:
        return
    raise errors.ToolFlagError(
        f"--module {handle} cannot fit in memory: the vectors of {count} images ({dim:,} "
        f"numbers each) need about {needed / 1e9:,.2f} GB to rank, and "
        f"{available / 1e9:,.2f} GB is available. Pass fewer images (--dataset NAME#N) or a "
        f"module of shorter vectors. Received: module={handle!r}",
        flag="module",
        value=handle,
    )


def _vectors(layer: Any, handle: str, batch: np.ndarray, dim: int) -> np.ndarray:
    """The module's feature vectors of a batch of images: one per image, of `dim` numbers
    each (the length it gave for two images, `check_feature_vector`).

    Raises:
        tfhub.errors.NotAnImageModuleError: a number of vectors other than of images (a module
            that pools over the batch: broadcast against the labels, its vectors were ranked
            with an error that meant nothing), or vectors of another length (one that follows
            the size of the batch: numpy's ValueError ended the whole search).
    """
    vectors = np.asarray(_run(layer, handle, batch))
    problem = _batch_problem(vectors.shape, len(batch), dim)
    if problem is not None:
        raise image_modules.not_image_module(handle, problem, "module")
    return vectors


def _run(layer: Any, handle: str, images: np.ndarray) -> Any:
    """The module's output for a batch of the dataset's `images` [n, height, width, 3]: what a
    module that cannot take them raises (`image_modules.call_errors`, as the first check on
    black images catches them) is `module_failure`'s error, one module that cannot be scored
    (it ended the whole search, the modules scored before unshown).

    Raises:
        tfhub.errors.ToolFlagError, NotAnImageModuleError: `module_failure`.
    """
    try:
        return layer(images)
    except image_modules.call_errors() as err:
        size = (int(images.shape[1]), int(images.shape[2]))
        raise module_failure(handle, err, count=len(images), size=size) from err


def module_failure(
    handle: str, err: BaseException, *, count: int, size: tuple[int, int]
) -> errors.ToolError:
    """The error for a module that failed with `err` on a batch of `count` of the dataset's
    images of `size` (it ran on two black images: `check_feature_vector`), with the module's own
    reason: a ToolFlagError naming --module if it ran out of memory (TensorFlow's
    ResourceExhaustedError), else a NotAnImageModuleError."""
    import tensorflow as tf

    reason = image_modules.module_reason(err)
    batch = f"a batch of {count} images of size {size}"
    if isinstance(err, tf.errors.ResourceExhaustedError):
        return errors.ToolFlagError(
            f"--module {handle} runs out of memory on {batch}: {reason}. {_BATCH_ADVICE}. "
            f"Received: module={handle!r}",
            flag="module",
            value=handle,
        )
    problem = f"it fails on {batch} of the dataset: {reason}"
    return image_modules.not_image_module(handle, problem, "module")


def _batch_problem(shape: tuple[int, ...], count: int, dim: int) -> str | None:
    """Why vectors of `shape` are not the vectors of `count` images, of `dim` numbers each, or
    None if they are."""
    if len(shape) != 2 or shape[0] != count:
        rows = shape[0] if shape else 0
        return f"it returns {rows} vector(s) for a batch of {count} images, not one per image"
    if shape[1] != dim:
        return (
            f"its vectors of a batch of {count} images have {shape[1]} numbers, of 2 images "
            f"{dim}: their length must not depend on the batch"
        )
    return None


def check_image_size(image_size: int | None, *, images: int = 0) -> None:
    """Checks --image_size, before any module is loaded.

    Args:
        image_size: the size asked for (None: none).
        images: how many images will be kept at that size (0: not known yet).

    Raises:
        tfhub.errors.ToolFlagError: for a size below 1, or one at which the images cannot fit
            in the memory available.
    """
    if image_size is None:
        return
    if image_size < 1:
        raise errors.ToolFlagError(
            f"--image_size must be a positive number of pixels, e.g. 224. Received: "
            f"image_size={image_size}",
            flag="image_size",
            value=image_size,
        )
    size = (image_size, image_size)
    host_memory.check_images_fit(images, size, batch=_BATCH, flag="image_size", value=image_size)
