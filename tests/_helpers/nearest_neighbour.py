"""A reference for module_search's score, computed the plain way (no library shortcut)."""

from __future__ import annotations

import numpy as np


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
