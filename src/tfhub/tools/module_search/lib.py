"""Ranks image feature-vector modules by the leave-one-out 1-NN error of their embeddings.

Each module embeds every image of a dataset (`datasets`, read from a `dataset_spec`; resized to
the module's size, else 224x224 as upstream; floats in [0, 1]: `embedding`); the score is the
fraction of images whose nearest other image (squared L2, as upstream) has another label.
Lower is better. The command's other inputs: `module_list`.

This module keeps the names the command and tests use from all of them.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from ... import errors
from ...utils.lazy import import_tensorflow
from ...utils.printable import escaped
from ...utils.redact import redact
from ..module_handles import distinct_modules
from .dataset_spec import DataSpec
from .datasets import FolderDataset, TfdsDataset, load_dataset
from .embedding import check_image_size, embed
from .module_list import read_module_list

__all__ = [
    "DataSpec",
    "FolderDataset",
    "Score",
    "TfdsDataset",
    "check_image_size",
    "embed",
    "format_table",
    "load_dataset",
    "loo_1nn_error",
    "rank_modules",
    "ranked",
    "read_module_list",
    "score_module",
]

logger = logging.getLogger(__name__)

_ROWS_PER_BLOCK = 1024
# Bytes of one block of distances (float64 rows x all samples); computing it takes a few such
# arrays at once, so memory stays near a hundred MB whatever the number of images.
_BLOCK_BYTES = 16 * 2**20


@dataclasses.dataclass(frozen=True)
class Score:
    """One module's result: 1-NN leave-one-out error, embedding size, seconds taken."""

    module: str
    error: float
    dim: int
    seconds: float


def loo_1nn_error(embeddings: np.ndarray, labels: np.ndarray) -> float:
    """Leave-one-out 1-nearest-neighbour error (squared L2): the share of samples whose nearest
    other sample has another label, as `utils.knn_errorrate_loo(
    utils.compute_distance_matrix_loo(embeddings), labels)`, in bounded memory: one float64
    copy of the vectors, and blocks of distances and of rows of bounded bytes.

    A sample's copies (the same vector) are its nearest, exactly (distances computed as
    |a|^2 + |b|^2 - 2ab round to a little above or below 0); a tie goes to the sample that comes
    first, whatever the rounding of the machine, so the error is the same on every machine.
    """
    labels = np.asarray(labels)
    x = np.array(embeddings, np.float64, order="C")  # Rows hashed as buffers (`_copies`).
    x += 0.0  # -0.0 is 0.0, for the copies found by their bytes.
    groups, firsts = _copies(x)
    nearest = firsts[_nearest_other_rows(x, firsts)][groups]
    _nearest_copies(groups, firsts, nearest)
    return float(np.mean(labels != labels[nearest]))


def _copies(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which distinct vector each row of `x` is ([n], numbered in order of first appearance),
    and the first row of each distinct vector. Rows are told apart by a digest of their bytes
    through a dict (np.unique of the rows took 12 s on 20,000 vectors of 1,280 numbers; this,
    under 1 s; keeping every row's bytes took as much memory as the vectors), and a row is
    compared with the first of its digest, so that a collision is still a distinct vector."""
    number: dict[bytes, int] = {}
    collided: dict[bytes, int] = {}  # Rows whose digest another vector had (never, in practice).
    firsts: list[int] = []
    groups = np.empty(len(x), np.int64)
    for row, values in enumerate(x):
        group = number.setdefault(hashlib.blake2b(values, digest_size=16).digest(), len(firsts))
        if group < len(firsts) and not np.array_equal(x[firsts[group]], values):
            group = collided.setdefault(values.tobytes(), len(firsts))
        if group == len(firsts):
            firsts.append(row)
        groups[row] = group
    return groups, np.asarray(firsts, np.int64)


def _nearest_copies(groups: np.ndarray, firsts: np.ndarray, nearest: np.ndarray) -> None:
    """Sets in `nearest` each row's first copy other than itself, for rows that have copies."""
    counts = np.bincount(groups)
    by_group = np.argsort(groups, kind="stable")  # Rows of each group, first row first.
    second = by_group[np.cumsum(counts) - counts + 1 - (counts == 1)]  # Its second row, if any.
    copied = np.flatnonzero(counts[groups] > 1)
    first = firsts[groups[copied]]
    nearest[copied] = np.where(first == copied, second[groups[copied]], first)


def _nearest_other_rows(x: np.ndarray, firsts: np.ndarray) -> np.ndarray:
    """For each distinct row (`x[firsts]`), the distinct row nearest to it (an index into
    `firsts`; squared L2; a tie: the first), a block of rows at a time: the distances of a
    block to every row, and (where there are copies) a copy of the block's rows, each within
    `_BLOCK_BYTES`. `x[firsts]` is not copied: the columns of the other rows are dropped from
    each block's distances. The distances are
    `utils.compute_distance_matrix`'s, the rows' squared norms computed once."""
    count, dim = len(firsts), x.shape[1]
    every = count == len(x)  # No copies: all the columns, and a block's rows are a view.
    per_row = 8 * (len(x) + (0 if every else count + dim))
    rows_per_block = max(1, min(_ROWS_PER_BLOCK, _BLOCK_BYTES // per_row))
    norms = np.einsum("ij,ij->i", x, x)  # As compute_distance_matrix's, once for all blocks.
    nearest = np.empty(count, np.int64)
    for start in range(0, count, rows_per_block):
        rows = np.arange(start, min(start + rows_per_block, count))
        block = firsts[rows]
        vectors = x[start : start + len(rows)] if every else x[block]  # A view, or a copy.
        distances = norms[block, None] + norms[None, :] - 2.0 * (vectors @ x.T)
        if not every:
            distances = distances[:, firsts]
        distances[rows - start, rows] = np.inf
        nearest[rows] = np.argmin(distances, axis=1)
    return nearest


def score_module(
    handle: str, dataset: FolderDataset | TfdsDataset, *, image_size: int | None = None
) -> Score:
    """Embeds the dataset with one module and returns its leave-one-out 1-NN error, and the
    seconds the module took (loading, embedding, scoring): not TensorFlow's start-up nor the
    reading of the images, which the first module of each image size would pay for all."""
    import_tensorflow("Scoring an image module")
    reading = dataset.seconds_reading
    started = time.perf_counter()
    embeddings = embed(handle, dataset, image_size)
    error = loo_1nn_error(embeddings, dataset.labels)
    seconds = time.perf_counter() - started - (dataset.seconds_reading - reading)
    return Score(handle, error, int(embeddings.shape[1]), seconds)


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
    on_score: Callable[[Score], None] | None = None,
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
        on_score: called with each module's score as soon as it is known (the command shows
            those scored so far if it is interrupted).

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) `modules` is a str, not a list of them.
        tfhub.errors.ToolFlagError: `image_size` below 1, or too large for the images to
            fit in memory (before any module is loaded).
        tfhub.errors.CorruptImageError, ImageFolderError, DatasetUnavailableError: the images.
        Whatever `score_module` raises for the first module that cannot be scored, if
        `on_failure` is None.
    """
    if isinstance(modules, (str, bytes)):  # Its characters were scored as modules.
        raise errors.ArgumentTypeError(
            "modules is a list of module handles, not one handle: pass [handle]. Received: "
            f"modules={modules!r}"
        )
    check_image_size(image_size, images=len(dataset.labels))
    scores = []
    for handle in distinct_modules(modules):  # Each once, in the order first named.
        logger.info("Scoring %s", handle)
        try:
            scores.append(score_module(handle, dataset, image_size=image_size))
            if on_score is not None:
                on_score(scores[-1])
        except errors.TFHubError as err:
            if on_failure is None or isinstance(err, _DATASET_ERRORS):
                raise
            on_failure(handle, err)
        finally:  # A loaded module lives in reference cycles: free it before the next loads.
            gc.collect()
    return ranked(scores)


def ranked(scores: Iterable[Score]) -> list[Score]:
    """The scores best first (the lowest error; a tie: by module)."""
    return sorted(scores, key=lambda score: (score.error, score.module))


def format_table(scores: Iterable[Score], spec: DataSpec, num_images: int) -> str:
    """The ranked table that the command prints (credentials in a module's URL shown as ***,
    control characters in a name escaped, as in every line tfhub shows: a folder named with a
    newline split the header, an ANSI escape coloured the terminal)."""
    dataset = escaped(str(spec))
    rows = [f"# Module ranking for {dataset} ({num_images} images; lower 1-NN error is better)"]
    rows.append(f"{'rank':>4}  {'1nn_error':>9}  {'dim':>5}  {'seconds':>7}  module")
    for rank, score in enumerate(scores, 1):
        module = escaped(redact(score.module))
        rows.append(
            f"{rank:>4}  {score.error:>9.3f}  {score.dim:>5}  {score.seconds:>7.1f}  {module}"
        )
    return "\n".join(rows)
