"""module_search's public `loo_1nn_error` takes vectors in any memory layout (session 45): the
ranking rewrite (a65f1c9) hashed each row's buffer, which must be C-contiguous, so a transposed
or Fortran-ordered array raised numpy's ValueError where the old code gave the error."""

from __future__ import annotations

import numpy as np
import pytest

from tfhub.tools.module_search.lib import loo_1nn_error


def _plain_loo_error(vectors: np.ndarray, labels: np.ndarray) -> float:
    """The O(n^2) leave-one-out 1-NN error, first index winning ties."""
    distances = ((vectors[:, None, :] - vectors[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(distances, np.inf)
    return float(np.mean(labels != labels[np.argmin(distances, axis=1)]))


@pytest.mark.parametrize("layout", ["fortran", "transposed", "strided", "float32-fortran", "c"])
def test_the_error_of_vectors_in_any_layout_is_the_plain_leave_one_out(layout: str) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(40, 6))
    labels = rng.integers(0, 3, size=40)
    given = {
        "fortran": np.asfortranarray(vectors),
        "transposed": np.ascontiguousarray(vectors.T).T,
        "strided": np.repeat(vectors, 2, axis=1)[:, ::2],
        "float32-fortran": np.asfortranarray(vectors.astype(np.float32)),
        "c": vectors,
    }[layout]
    expected = _plain_loo_error(np.asarray(given, np.float64), labels)
    assert loo_1nn_error(given, labels) == expected
