"""Reading tests/data/upstream/*.expected.json: what the real tensorflow_hub computed."""

from __future__ import annotations

import numpy as np


def record_array(tensor: dict) -> np.ndarray:
    """Returns a recorded tensor (`{dtype, shape, value}`) as a numpy array (strings as objects)."""
    if tensor["dtype"] == "string":
        return np.array(tensor["value"], dtype=object)
    return np.array(tensor["value"], dtype=tensor["dtype"])


def assert_matches_record(actual, expected: dict) -> None:
    """Asserts that a tensor, or a dict of tensors, equals the recorded one(s) to 1e-5."""
    if "value" in expected:
        np.testing.assert_allclose(np.asarray(actual), record_array(expected), atol=1e-5)
        return
    assert sorted(actual) == sorted(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(np.asarray(actual[key]), record_array(value), atol=1e-5)
