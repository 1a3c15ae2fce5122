"""The fixtures made by the real tensorflow_hub (tests/data/upstream/) and what it computed.

`UPSTREAM_DIR` is the one definition of the folder; `record(name)` reads `<name>.expected.json`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

UPSTREAM_DIR = Path(__file__).parents[1] / "data" / "upstream"


def upstream_path(name: str) -> str:
    """The path (a str, as hub handles are) of the upstream fixture `name`."""
    return os.fspath(UPSTREAM_DIR / name)


def record(name: str, *, folder: Path = UPSTREAM_DIR) -> dict[str, Any]:
    """Reads `<name>.expected.json`: what tensorflow_hub recorded for the fixture `name`."""
    return json.loads((folder / f"{name}.expected.json").read_text())


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
