"""Upstream's `tools.module_search.utils`: distance matrices and k-nearest-neighbour error
rates over embeddings, and loading a tensorflow_datasets split or a module's embedding function.

Same names, arguments and results as upstream's (NumPy float64 matrices, error = 1 - accuracy;
a tie among the k neighbours counts as an error, as upstream's). `measure` is "squared_l2"
(upstream's) or "cosine" (1 - cosine similarity). The command ranks modules with
`lib.loo_1nn_error`, which computes the same as `knn_errorrate_loo(
compute_distance_matrix_loo(x), y)` a block of rows at a time (memory: one block, not N x N).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ... import errors

MEASURES = ("squared_l2", "cosine")


def _check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise errors.UnknownMeasureError(
            f"Method '{measure}' is not implemented: use one of {list(MEASURES)}. "
            f"Received: measure={measure!r}",
            measure=measure,
            available=list(MEASURES),
        )


def compute_distance_matrix(x_train: Any, x_test: Any, measure: str = "squared_l2") -> np.ndarray:
    """The distances between test and training samples.

    Args:
        x_train: [N, D], a training sample per row.
        x_test: [M, D], a test sample per row.
        measure: "squared_l2" or "cosine".

    Returns:
        [M, N] float64: element (i, j) is the distance from x_test[i] to x_train[j].

    Raises:
        tfhub.errors.UnknownMeasureError: (a NotImplementedError, as upstream) another measure.
    """
    _check_measure(measure)
    train = np.asarray(x_train, np.float64)
    test = np.asarray(x_test, np.float64)
    products = test @ train.T
    train_norms = np.einsum("ij,ij->i", train, train)
    test_norms = np.einsum("ij,ij->i", test, test)
    if measure == "cosine":
        return 1.0 - products / np.sqrt(np.outer(test_norms, train_norms))
    return test_norms[:, None] + train_norms[None, :] - 2.0 * products


def compute_distance_matrix_loo(x: Any, measure: str = "squared_l2") -> np.ndarray:
    """The distances between the samples of `x` [N, D], for leave-one-out: [N, N] float64 with
    infinity on the diagonal (a sample is not its own neighbour).

    Raises:
        tfhub.errors.UnknownMeasureError: (a NotImplementedError, as upstream) another measure.
    """
    distances = compute_distance_matrix(x, x, measure)
    np.fill_diagonal(distances, np.inf)
    return distances


def _knn_error(distances: Any, y_reference: Any, y_queries: Any, k: int) -> float:
    """The share of queries (rows of `distances`) whose k nearest references are at least half
    of another label (for k = 1: whose nearest reference has another label)."""
    d = np.asarray(distances)
    reference, queries = np.asarray(y_reference), np.asarray(y_queries)
    if k == 1:
        nearest = np.argmin(d, axis=1)
        return float(np.mean(queries != reference[nearest]))
    nearest_k = np.argpartition(d, k - 1, axis=1)[:, :k]
    wrong = np.sum(reference[nearest_k] != queries[:, None], axis=1)
    return float(np.mean(wrong >= k / 2.0))


def knn_errorrate(d: Any, y_train: Sequence[Any], y_test: Sequence[Any], k: int = 1) -> float:
    """The k-nearest-neighbour error rate (1 - accuracy) of the test samples, from their
    distance matrix `d` [M, N] (`compute_distance_matrix`)."""
    return _knn_error(d, y_train, y_test, k)


def knn_errorrate_loo(d: Any, y: Sequence[Any], k: int = 1) -> float:
    """The expected leave-one-out k-nearest-neighbour error rate (1 - accuracy), from the
    samples' distance matrix `d` [N, N] with infinity on its diagonal
    (`compute_distance_matrix_loo`)."""
    return _knn_error(d, y, y, k)


def dataset_unavailable(name: str, shown: str, why: str) -> errors.DatasetUnavailableError:
    """The error for a dataset `name` (given as `shown`, e.g. "name#500") that is neither a
    local folder nor a usable tensorflow_datasets name, because `why`."""
    return errors.DatasetUnavailableError(
        f"The dataset {name!r} is not a local folder and, as a tensorflow_datasets name, "
        f"cannot be used: {why}. tensorflow_datasets names need the tensorflow_datasets "
        "package and internet access to download the data once (`tfds build NAME`); without "
        "them, pass a folder with one sub-folder of images per class, e.g. --dataset=./flowers"
        f"#500. Received: dataset={shown!r}",
        dataset=shown,
    )


def import_tfds(name: str, shown: str) -> Any:
    """The tensorflow_datasets module, to read the dataset `name` (given as `shown`).

    Raises:
        tfhub.errors.DatasetUnavailableError: tensorflow_datasets is not installed.
    """
    try:
        import tensorflow_datasets as tfds  # type: ignore[import-not-found]
    except ImportError as err:
        why = "the tensorflow_datasets package is not installed"
        raise dataset_unavailable(name, shown, why) from err
    return tfds


def load_data(dataset: str, split: str, num_examples: int | None = None) -> Any:
    """The `tf.data.Dataset` of a tensorflow_datasets split already on this machine (its first
    `num_examples` examples, if given), in stored order.

    Raises:
        tfhub.errors.DatasetUnavailableError: tensorflow_datasets is missing, or the data is
            not downloaded (which needs internet access).
    """
    shown = f"{dataset}#{num_examples}" if num_examples else dataset
    tfds = import_tfds(dataset, shown)
    try:
        data = tfds.load(dataset, split=split, shuffle_files=False, download=False)
    except Exception as err:
        why = f"it is not downloaded ({type(err).__name__})"
        raise dataset_unavailable(dataset, shown, why) from err
    return data.take(num_examples) if num_examples else data


def load_embedding_fn(module: str) -> Callable[[Any], Any]:
    """The module's embedding function: float images [batch, height, width, 3] in [0, 1] ->
    feature vectors [batch, dim] (a TF2 SavedModel's `__call__`, a TF1 Hub module's or a
    non-callable model's single-output signature, as the command loads it).

    Raises:
        tfhub.errors.ModuleUnavailableError, tfhub.errors.NotAnImageModuleError: see
            `image_modules.load_module_layer`.
    """
    from ..image_modules import load_module_layer

    layer = load_module_layer(module, trainable=False, flag="module")
    return lambda images: layer(images)
