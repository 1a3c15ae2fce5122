"""Upstream's `tools.module_search.utils`: distance matrices and k-nearest-neighbour error
rates over embeddings, and loading a tensorflow_datasets split or a module's embedding function.

Same names, arguments and results as upstream's (NumPy float64 matrices; error = 1 - accuracy
of the majority label of the k nearest, as scikit-learn's KNeighborsClassifier, which
upstream's tests compare with; k may be a list). `measure` is "squared_l2" or "cosine" (1 -
cosine similarity). The command ranks modules with
`lib.loo_1nn_error`, which computes the same as `knn_errorrate_loo(
compute_distance_matrix_loo(x), y)` a block of rows at a time (memory: one block, not N x N),
except that it finds copies of a vector exactly (the matrix rounds their distance to a little
above or below 0, so which copy is nearest depends on the rounding).
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


def _knn_errors(
    distances: Any, y_reference: Any, y_queries: Any, k: int | list[int]
) -> float | list[float]:
    """The share of queries (rows of `distances`) that the majority label of their k nearest
    references (a tie: the smallest label, as scikit-learn's KNeighborsClassifier) gets wrong;
    for a list of k's, one share per k, largest k first (upstream's order).

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) a k below 1 or above the references.
    """
    d = np.asarray(distances)
    ks = sorted(set(k), reverse=True) if isinstance(k, list) else [k]
    if not ks or ks[-1] < 1 or ks[0] > d.shape[1]:
        raise errors.ArgumentError(
            f"k must be between 1 and the number of reference samples ({d.shape[1]}). "
            f"Received: k={k!r}"
        )
    classes, codes = np.unique(np.asarray(y_reference), return_inverse=True)
    queries = np.asarray(y_queries)
    nearest = np.argpartition(d, ks[0] - 1, axis=1)[:, : ks[0]]
    by_distance = np.argsort(np.take_along_axis(d, nearest, axis=1), axis=1, kind="stable")
    nearest = np.take_along_axis(nearest, by_distance, axis=1)  # Nearest first.
    rates = []
    for neighbours in ks:
        votes = codes[nearest[:, :neighbours]]
        counts = np.zeros((len(d), len(classes)), np.int64)
        np.add.at(counts, (np.arange(len(d))[:, None], votes), 1)
        predicted = classes[np.argmax(counts, axis=1)]  # First maximum: the smallest label.
        rates.append(float(np.mean(queries != predicted)))
    return rates if isinstance(k, list) else rates[0]


def knn_errorrate(
    d: Any, y_train: Sequence[Any], y_test: Sequence[Any], k: int | list[int] = 1
) -> float | list[float]:
    """The k-nearest-neighbour error rate (1 - accuracy) of the test samples, from their
    distance matrix `d` [M, N] (`compute_distance_matrix`); for a list of k's, a list of
    rates, largest k first.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) a k below 1 or above N.
    """
    return _knn_errors(d, y_train, y_test, k)


def knn_errorrate_loo(d: Any, y: Sequence[Any], k: int | list[int] = 1) -> float | list[float]:
    """The expected leave-one-out k-nearest-neighbour error rate (1 - accuracy), from the
    samples' distance matrix `d` [N, N] with infinity on its diagonal
    (`compute_distance_matrix_loo`); for a list of k's, a list of rates, largest k first.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) a k below 1 or above N.
    """
    return _knn_errors(d, y, y, k)


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
        from ...utils.lazy import install_hint

        command = install_hint("tensorflow_datasets")[1]
        why = f"the tensorflow_datasets package is not installed ({command})"
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
    """The module as a `hub.KerasLayer` (upstream's): float images [batch, height, width, 3]
    in [0, 1] -> feature vectors [batch, dim] (a TF2 SavedModel's `__call__`, a TF1 Hub
    module's, a non-callable model's single-output signature, or upstream's only way, the
    signature "default" and its output "default", as the command loads it).

    Raises:
        tfhub.errors.ModuleUnavailableError, tfhub.errors.NotAnImageModuleError: see
            `embedding_layer.load_embedding_layer`.
    """
    from .embedding_layer import load_embedding_layer

    return load_embedding_layer(module)
