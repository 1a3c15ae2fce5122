"""References for the tools' tests: module_search's score computed the plain way (no library
shortcut), and an ANN index over NumPy whose search a test decides."""

from __future__ import annotations

import numpy as np

from tfhub.tools.make_nearest_neighbour_index import ann


def direct_loo_error(x: np.ndarray, labels: np.ndarray) -> float:
    """The leave-one-out 1-NN error from distances computed directly, (a - b)^2 summed; a tie
    goes to the row listed first (np.argmin)."""
    x = np.asarray(x, np.float64)
    wrong = 0
    for row in range(len(x)):
        distances = np.sum((x - x[row]) ** 2, axis=1)
        distances[row] = np.inf
        wrong += int(labels[np.argmin(distances)] != labels[row])
    return wrong / len(x)


class NumpyStoredIndex(ann.AnnIndex):
    """An `AnnIndex` that keeps its vectors in memory (no file): a test subclass defines
    `_query`, the "library's" search, to see what `AnnIndex.query` makes of its answers."""

    package = "numpy"

    def build(self, vectors: np.ndarray) -> None:
        self.stored = np.asarray(vectors, np.float32)

    def _save(self, path: str) -> None:
        raise NotImplementedError("kept in memory only")

    def load(self, path: str) -> int:
        raise NotImplementedError("kept in memory only")

    def count(self) -> int:
        return len(self.stored)

    def _vectors(self, ids: np.ndarray) -> np.ndarray:
        return self.stored[ids]
