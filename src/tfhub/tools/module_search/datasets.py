"""The labelled images module_search scores modules on: a local folder with one sub-folder of
images per class (`FolderDataset`, `#N` examples taken from the classes in turn) or a
tensorflow_datasets dataset already on this machine (`TfdsDataset`, never downloaded), kept
resized as uint8 one image size at a time and handed out as float batches in [0, 1].
`load_dataset` picks one for a `DataSpec`.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import logging
import os
import re
import time
from collections.abc import Iterator

import numpy as np

from ... import errors
from .. import image_decoding, image_folders, image_headers
from . import jpeg_warnings, utils
from .dataset_spec import DataSpec

logger = logging.getLogger(__name__)


def _round_robin(files: image_folders.ImageFiles, limit: int | None) -> image_folders.ImageFiles:
    """The first `limit` images, taken from the classes in turn (all of them if no limit), in
    one pass over the images (ImageNet's 1.28 million in 1,000 classes: under a second, where
    a pass per class took about 80 s)."""
    if limit is None or limit >= len(files.paths):
        return files
    per_class: list[list[str]] = [[] for _ in files.labels]
    for path, label_id in zip(files.paths, files.label_ids, strict=True):
        per_class[label_id].append(path)
    picked: list[tuple[str, int]] = []
    for rank in range(max(len(paths) for paths in per_class)):
        picked.extend((paths[rank], c) for c, paths in enumerate(per_class) if rank < len(paths))
        if len(picked) >= limit:
            break
    picked = picked[:limit]
    return dataclasses.replace(
        files, paths=tuple(p for p, _ in picked), label_ids=tuple(c for _, c in picked)
    )


class _KeptImages(abc.ABC):
    """A dataset's images kept resized as uint8, one size at a time (`_read` makes them), and
    handed out as float batches."""

    _kept: tuple[tuple[int, int], np.ndarray] | None = None  # (size, uint8 images).
    seconds_reading = 0.0  # Spent reading the images (at every size so far): no module's time.

    def batches(self, size: tuple[int, int], batch_size: int) -> Iterator[np.ndarray]:
        """The images as float batches [<= batch_size, height, width, 3] in [0, 1], in order.

        The images are read once per size and kept as uint8; each batch is made float only
        when asked for (TF Flowers at 224x224: 0.55 GB kept, where all of it as float32 took
        2.2 GB more).

        Raises:
            Whatever `_read` raises (a folder: CorruptImageError).
        """
        if self._kept is None or self._kept[0] != size:
            started = time.perf_counter()
            self._kept = (size, self._read(size))  # Keep one size at a time (memory).
            self.seconds_reading += time.perf_counter() - started
        pixels = self._kept[1]
        for start in range(0, len(pixels), batch_size):
            yield pixels[start : start + batch_size].astype(np.float32) / 255.0

    @abc.abstractmethod
    def _read(self, size: tuple[int, int]) -> np.ndarray:
        """The uint8 images [n, height, width, 3] at `size`, in order."""


class FolderDataset(_KeptImages):
    """A local image folder (one sub-folder per class), decoded once per image size."""

    def __init__(self, spec: DataSpec) -> None:
        """Lists the images.

        Raises:
            tfhub.errors.ImageFolderError: missing folder, fewer than 2 classes, empty class.
        """
        self.spec = spec
        files = image_folders.list_image_files(spec.name, flag="dataset")
        self.files = _round_robin(files, spec.num_examples)
        self.labels = np.asarray(self.files.label_ids, np.int64)
        _check_classes(self.labels, spec, names=self.files.labels)
        self._warned = jpeg_warnings.Warned()  # The JPEGs libjpeg warned of, looked for once.

    def _read(self, size: tuple[int, int]) -> np.ndarray:
        """The images decoded and resized.

        Raises:
            tfhub.errors.CorruptImageError: naming every file that cannot be decoded.
        """
        # libjpeg's warnings of slightly damaged JPEGs name no file: one warning names them.
        with jpeg_warnings.jpeg_warnings_named(
            self.files.paths, self._warned, dataset=str(self.spec)
        ) as decoding:
            decoded = image_decoding.decode_images(self.files, size, warn=False)  # Named below.
            decoding.failed = decoded.skipped  # Their lines are dropped: the error names them.
        if decoded.skipped:
            raise _corrupt_images_error(decoded.skipped, self.spec)
        return decoded.images


# What TensorFlow decodes, for a file of another format (an AVIF named `x.jpg`).
_DECODED_FORMATS = "TensorFlow decodes JPEG, PNG, GIF, BMP and WebP only"


def _corrupt_images_error(paths: tuple[str, ...], spec: DataSpec) -> errors.CorruptImageError:
    """The error for the files of a dataset that cannot be decoded, each named with its format
    where it is one TensorFlow cannot decode (`image_headers.undecodable_format`)."""
    formats = [image_headers.undecodable_format(path) for path in paths]
    shown = [f"{p} ({f} image)" if f else p for p, f in zip(paths, formats, strict=True)]
    todo = f" ({_DECODED_FORMATS}: convert the others to PNG or JPEG)" if any(formats) else ""
    return errors.CorruptImageError(
        f"Cannot decode {len(paths)} image(s) of {spec.name}: {image_folders.named(shown)}. "
        f"Remove or replace them{todo}. Received: dataset={str(spec)!r}",
        paths=list(paths),
    )


def _check_classes(
    labels: np.ndarray, spec: DataSpec, *, names: tuple[str, ...] | None = None
) -> None:
    """Checks that the examples kept are of 2 classes or more, and warns of a class of one
    example (`names`: the classes' names, by label; None: the labels themselves).

    Raises:
        tfhub.errors.ImageFolderError: examples of one class only.
    """
    if len(np.unique(labels)) < 2 or len(labels) < 2:
        raise errors.ImageFolderError(
            f"The dataset {spec} has images of {len(np.unique(labels))} class(es) only: a "
            "nearest-neighbour error needs at least 2 classes. Use more examples (#N) or more "
            f"classes. Received: dataset={str(spec)!r}",
            path=spec.name,
            problem="one class only",
        )
    _warn_of_lone_examples(labels, names)


def _warn_of_lone_examples(labels: np.ndarray, names: tuple[str, ...] | None) -> None:
    """Warns of the classes of one example: leave-one-out leaves it no other of its class,
    so it counts as an error for every module, as upstream counted it (the ranking is the
    same; each module's error is higher by the share of such examples)."""
    classes, counts = np.unique(labels, return_counts=True)
    lone = [str(label) if names is None else names[label] for label in classes[counts == 1]]
    if lone:
        logger.warning(
            "%d class(es) of the dataset have one image only (%s): with no other image of its "
            "class to be nearest to, each counts as an error for every module (the ranking is "
            "the same). Use more examples (#N) or more images of those classes.",
            len(lone),
            image_folders.named(lone),
        )


class TfdsDataset(_KeptImages):
    """A tensorflow_datasets dataset that is already on this machine (never downloaded), read
    again for each image size and kept resized (uint8), as a folder is."""

    def __init__(self, spec: DataSpec) -> None:
        """Opens the train split in the local tensorflow_datasets folder and reads its labels.

        Raises:
            tfhub.errors.DatasetUnavailableError: tensorflow_datasets is missing, or the data
                is not downloaded (which needs internet access).
        """
        self.spec = spec
        tfds = utils.import_tfds(spec.name, str(spec))
        try:
            split = "train" if spec.num_examples is None else f"train[:{spec.num_examples}]"
            with _absl_warnings_off():  # e.g. "Variant folder ... has no dataset_info.json"
                dataset = tfds.load(spec.name, split=split, shuffle_files=False, download=False)
        except Exception as err:
            if type(err).__name__ == "DatasetNotFoundError":
                why = "tensorflow_datasets has no dataset of that name"
                raise utils.dataset_unavailable(spec.name, str(spec), why) from err
            why = f"it is not downloaded ({type(err).__name__})"
            raise utils.dataset_unavailable(spec.name, str(spec), why) from err
        # Read again for each size, not kept as decoded: Oxford Flowers 102's 8,189 photos
        # would take ~6 GB at their own sizes.
        self._dataset = dataset
        self.labels = np.asarray([int(example["label"]) for example in dataset], np.int64)
        _check_classes(self.labels, spec)

    def _read(self, size: tuple[int, int]) -> np.ndarray:
        """The split read again, each image resized (bilinear); a grey image's one channel is
        given as three."""
        import tensorflow as tf

        pixels = np.empty((len(self.labels), *size, 3), np.uint8)
        for row, example in enumerate(self._dataset):
            image = tf.image.convert_image_dtype(example["image"], tf.float32)
            resized = tf.image.resize(image, size).numpy()[..., :3]  # Grey: broadcast.
            pixels[row] = np.clip(np.round(resized * 255.0), 0, 255).astype(np.uint8)
        return pixels


@contextlib.contextmanager
def _absl_warnings_off() -> Iterator[None]:
    """Keeps the warnings tensorflow_datasets logs through absl off the console for a while
    (the error that follows, if any, says what matters)."""
    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    absl_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        absl_logger.setLevel(level)


# A tensorflow_datasets name: `name`, `name/config`, each maybe with `:version`.
_TFDS_NAME = re.compile(r"[a-z][a-z0-9_]*(/[A-Za-z0-9_.-]+)?(:[0-9.*]+)?")


def _is_tfds_name(name: str) -> bool:
    """Whether NAME means a tensorflow_datasets dataset rather than a local folder: not an
    existing folder nor a path (`./x`, `/x`, `~/x`); with a `/` (`imagenette/320px`), only if
    tensorflow_datasets knows the part before it, or is not installed and nothing exists at
    NAME (reading it then says to install the package, as for `cifar10`); never with a `#`
    (no tensorflow_datasets name has one: `my#photos` is a folder)."""
    if os.path.isdir(name) or name.startswith((".", "/", "~")) or "#" in name:
        return False
    if "/" not in name and os.sep not in name:
        return True
    if not _TFDS_NAME.fullmatch(name):
        return False
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        return not os.path.lexists(name)
    try:
        tfds.builder_cls(name.split("/")[0])
    except Exception:
        return False
    return True


def load_dataset(spec: DataSpec) -> FolderDataset | TfdsDataset:
    """The dataset of a spec: a local folder if NAME is one, else tensorflow_datasets
    (`_is_tfds_name`)."""
    return TfdsDataset(spec) if _is_tfds_name(spec.name) else FolderDataset(spec)
