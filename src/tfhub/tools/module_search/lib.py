"""Ranks image feature-vector modules by the leave-one-out 1-NN error of their embeddings.

A dataset spec is `NAME[#N]`: NAME is a local folder with one sub-folder of images per class,
or a tensorflow_datasets name (read only if already downloaded: this tool never downloads); `#N`
keeps N examples (taken from the classes in turn, so every class is represented). A spec that
names an existing folder is that folder, `#` and all (`my#photos`); else N follows the last `#`.
Each module embeds every image (resized to the module's size, else 224x224 as upstream; floats
in [0, 1]); the score is the fraction of images whose nearest other image (squared L2, as
upstream) has another label. Lower is better.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import functools
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ... import errors
from ...utils.numbers import is_number
from ...utils.paths import closed_descriptor, describe_descriptor, home_expanded
from .. import host_memory, image_decoding, image_folders, image_modules
from ..module_handles import distinct_modules
from . import utils

logger = logging.getLogger(__name__)

_BATCH = 32
_ROWS_PER_BLOCK = 1024


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """A parsed `--dataset` value: `name` and the number of examples (None: all)."""

    name: str
    num_examples: int | None = None

    @classmethod
    def parse(cls, spec: str) -> DataSpec:
        """Parses `NAME` or `NAME#N`. A spec that names an existing folder is that folder
        (`my#photos`); otherwise N follows the last `#` (`my#photos#500`: the folder
        `my#photos`, 500 examples).

        Raises:
            tfhub.errors.ToolFlagError: an empty name, an N that is not a positive integer,
                or a `#` followed by no number in the name of a folder that does not exist.
        """
        if os.path.isdir(spec):
            return cls(spec)
        name, hash_sign, after = spec.rpartition("#")
        count = after if hash_sign else None
        name = name if hash_sign else spec
        number = None if count is None else _whole_number(count)
        if name and (count is None or (number is not None and number >= 1)):
            return cls(name, number)
        raise errors.ToolFlagError(
            "--dataset must be NAME or NAME#N (N a positive number of examples), e.g. "
            f"./flowers#500: {_why_not_a_spec(spec, name, count, number)}. Received: "
            f"dataset={spec!r}",
            flag="dataset",
            value=spec,
        )

    def __str__(self) -> str:
        return self.name + (f"#{self.num_examples}" if self.num_examples else "")


def _why_not_a_spec(spec: str, name: str, count: str | None, number: int | None) -> str:
    """Why `spec` (NAME, `#`, count, the count's number) is not a dataset spec."""
    if not name:
        return "NAME is empty" if count is None else "the NAME before '#' is empty"
    if number is not None:
        return f"N is {number}"
    after = repr(count) if count else "nothing"
    return f"{after} follows the last '#', not a number, and no folder {spec!r} exists"


def _whole_number(text: str) -> int | None:
    """The integer of `-`digits or digits (`-3`, `500`), else None."""
    digits = text[1:] if text.startswith("-") else text
    return int(text) if is_number(digits) else None


@dataclasses.dataclass(frozen=True)
class Score:
    """One module's result: 1-NN leave-one-out error, embedding size, seconds taken."""

    module: str
    error: float
    dim: int
    seconds: float


def _round_robin(files: image_folders.ImageFiles, limit: int | None) -> image_folders.ImageFiles:
    """The first `limit` images, taken from the classes in turn (all of them if no limit)."""
    if limit is None or limit >= len(files.paths):
        return files
    per_class = [
        [p for p, i in zip(files.paths, files.label_ids, strict=True) if i == c]
        for c in range(len(files.labels))
    ]
    picked: list[tuple[str, int]] = []
    for rank in range(max(len(paths) for paths in per_class)):
        picked.extend((paths[rank], c) for c, paths in enumerate(per_class) if rank < len(paths))
    picked = picked[:limit]
    return dataclasses.replace(
        files, paths=tuple(p for p, _ in picked), label_ids=tuple(c for _, c in picked)
    )


class _KeptImages(abc.ABC):
    """A dataset's images kept resized as uint8, one size at a time (`_read` makes them), and
    handed out as float batches."""

    _kept: tuple[tuple[int, int], np.ndarray] | None = None  # (size, uint8 images).

    def batches(self, size: tuple[int, int], batch_size: int) -> Iterator[np.ndarray]:
        """The images as float batches [<= batch_size, height, width, 3] in [0, 1], in order.

        The images are read once per size and kept as uint8; each batch is made float only
        when asked for (TF Flowers at 224x224: 0.55 GB kept, where all of it as float32 took
        2.2 GB more).

        Raises:
            Whatever `_read` raises (a folder: CorruptImageError).
        """
        if self._kept is None or self._kept[0] != size:
            self._kept = (size, self._read(size))  # Keep one size at a time (memory).
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
        _check_classes(self.labels, spec)

    def _read(self, size: tuple[int, int]) -> np.ndarray:
        """The images decoded and resized.

        Raises:
            tfhub.errors.CorruptImageError: naming every file that cannot be decoded.
        """
        decoded = image_decoding.decode_images(self.files, size, warn=False)  # Named below.
        if decoded.skipped:
            raise errors.CorruptImageError(
                f"Cannot decode {len(decoded.skipped)} image(s) of {self.spec.name}: "
                f"{image_folders.named(decoded.skipped)}. Remove or replace them. Received: "
                f"dataset={str(self.spec)!r}",
                paths=list(decoded.skipped),
            )
        return decoded.images


def _check_classes(labels: np.ndarray, spec: DataSpec) -> None:
    if len(np.unique(labels)) < 2 or len(labels) < 2:
        raise errors.ImageFolderError(
            f"The dataset {spec} has images of {len(np.unique(labels))} class(es) only: a "
            "nearest-neighbour error needs at least 2 classes. Use more examples (#N) or more "
            f"classes. Received: dataset={str(spec)!r}",
            path=spec.name,
            problem="one class only",
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
    tensorflow_datasets is installed and knows the part before it; never with a `#` (no
    tensorflow_datasets name has one: `my#photos` is a folder)."""
    if os.path.isdir(name) or name.startswith((".", "/", "~")) or "#" in name:
        return False
    if "/" not in name and os.sep not in name:
        return True
    if not _TFDS_NAME.fullmatch(name):
        return False
    try:
        import tensorflow_datasets as tfds

        tfds.builder_cls(name.split("/")[0])
    except Exception:
        return False
    return True


def load_dataset(spec: DataSpec) -> FolderDataset | TfdsDataset:
    """The dataset of a spec: a local folder if NAME is one, else tensorflow_datasets
    (`_is_tfds_name`)."""
    return TfdsDataset(spec) if _is_tfds_name(spec.name) else FolderDataset(spec)


def loo_1nn_error(embeddings: np.ndarray, labels: np.ndarray) -> float:
    """Leave-one-out 1-nearest-neighbour error (squared L2): `utils.knn_errorrate_loo(
    utils.compute_distance_matrix_loo(embeddings), labels)`, a block of rows at a time."""
    x = np.asarray(embeddings, np.float64)
    wrong = 0
    for start in range(0, len(x), _ROWS_PER_BLOCK):
        rows = np.arange(start, min(start + _ROWS_PER_BLOCK, len(x)))
        distances = utils.compute_distance_matrix(x, x[rows])
        distances[rows - start, rows] = np.inf
        wrong += int(np.sum(labels[rows] != labels[np.argmin(distances, axis=1)]))
    return wrong / len(x)


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
    """
    fits = functools.partial(
        host_memory.check_images_fit, batch=_BATCH, flag="module", value=handle
    )
    fits(len(dataset.labels), size, advice=_FITS_ADVICE)
    first = next(dataset.batches(size, _BATCH))[:2]  # Reads (and keeps) every image at `size`.
    layer(first)  # Traced at this shape before measuring.
    per_image = host_memory.bytes_per_image(layer, first)
    if per_image:  # The images kept are already taken from the memory available.
        fits(0, size, per_image=per_image, advice=_FITS_ADVICE)


def embed(handle: str, dataset: FolderDataset | TfdsDataset, image_size: int | None) -> np.ndarray:
    """The module's feature vectors of every image of the dataset, [n, dim].

    Raises:
        tfhub.errors.NotAnImageModuleError: the module does not map images to vectors, or
            gives vectors that hold NaN or infinity.
        tfhub.errors.ToolFlagError: naming --module, whose images or activations cannot fit
            in memory (`_check_module_fits`).
    """
    layer = image_modules.load_module_layer(handle, trainable=False, flag="module")
    size = _image_size(layer, handle, image_size)
    image_modules.check_feature_vector(layer, handle, size, flag="module")
    _check_module_fits(layer, handle, dataset, size)
    outputs = [np.asarray(layer(batch)) for batch in dataset.batches(size, _BATCH)]
    vectors = np.concatenate(outputs)
    image_modules.check_finite_vectors(vectors, handle, flag="module")
    return vectors


def score_module(
    handle: str, dataset: FolderDataset | TfdsDataset, *, image_size: int | None = None
) -> Score:
    """Embeds the dataset with one module and returns its leave-one-out 1-NN error."""
    started = time.perf_counter()
    embeddings = embed(handle, dataset, image_size)
    error = loo_1nn_error(embeddings, dataset.labels)
    return Score(handle, error, int(embeddings.shape[1]), time.perf_counter() - started)


def read_module_list(path: str) -> list[str]:
    """Module handles of a file, one a line (a leading ~ expanded, as in --module); empty
    lines and lines starting with # ignored. A UTF-8 byte order mark, which Windows Notepad
    writes at the start, is not part of the first line.

    Raises:
        tfhub.errors.ToolFlagError: the file does not exist or is not UTF-8 text.
    """
    try:
        with open(path, encoding="utf-8-sig") as handle:
            lines = [line.strip() for line in handle]
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        closed = closed_descriptor(path)
        if closed is not None:  # /dev/stdin after `<&-`: "No such file" would mislead.
            reason = f"it names {describe_descriptor(closed)}, which is closed"
        raise errors.ToolFlagError(
            f"Cannot read the module list {path}: {reason}. Pass a UTF-8 text file with one "
            f"module per line, or name the modules with --module. Received: module_list={path!r}",
            flag="module_list",
            value=path,
        ) from err
    return [home_expanded(line) for line in lines if line and not line.startswith("#")]


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


# Failures of the dataset, not of a module: no other module could be scored either.
_DATASET_ERRORS = (
    errors.ImageFolderError,
    errors.CorruptImageError,
    errors.DatasetUnavailableError,
)


def rank_modules(
    modules: Sequence[str],
    dataset: FolderDataset | TfdsDataset,
    *,
    image_size: int | None = None,
    on_failure: Callable[[str, errors.TFHubError], None] | None = None,
) -> list[Score]:
    """Scores every module, in order, and sorts them best first.

    Args:
        modules: the module handles; one named more than once (in --module and in
            --module_list, say), or spelled two ways (`m` and `m/`, a path and its file://
            URL), is scored once, and ranked once, as first spelled.
        dataset: the labelled images.
        image_size: for modules that take any size (default 224).
        on_failure: called with a module that cannot be scored (no model there, a failed
            download, not an image feature vector) and its error; the other modules are still
            scored. None: the first such error is raised.

    Raises:
        tfhub.errors.ToolFlagError: `image_size` below 1, or too large for the images to
            fit in memory (before any module is loaded).
        tfhub.errors.CorruptImageError, ImageFolderError, DatasetUnavailableError: the images.
        Whatever `score_module` raises for the first module that cannot be scored, if
        `on_failure` is None.
    """
    check_image_size(image_size, images=len(dataset.labels))
    scores = []
    for handle in distinct_modules(modules):  # Each once, in the order first named.
        logger.info("Scoring %s", handle)
        try:
            scores.append(score_module(handle, dataset, image_size=image_size))
        except errors.TFHubError as err:
            if on_failure is None or isinstance(err, _DATASET_ERRORS):
                raise
            on_failure(handle, err)
    return sorted(scores, key=lambda score: (score.error, score.module))


def format_table(scores: Iterable[Score], spec: DataSpec, num_images: int) -> str:
    """The ranked table that the command prints."""
    rows = [f"# Module ranking for {spec} ({num_images} images; lower 1-NN error is better)"]
    rows.append(f"{'rank':>4}  {'1nn_error':>9}  {'dim':>5}  {'seconds':>7}  module")
    for rank, score in enumerate(scores, 1):
        rows.append(
            f"{rank:>4}  {score.error:>9.3f}  {score.dim:>5}  {score.seconds:>7.1f}  {score.module}"
        )
    return "\n".join(rows)
