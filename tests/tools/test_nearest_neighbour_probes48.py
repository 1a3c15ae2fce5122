"""Session 48's fixes of review48c's findings on make_nearest_neighbour_index: a query returns
min(k, n) items over an index of many copies of a vector (F1), the upstream-format pickle of the
projection matrix is readable by NumPy 1.x (F3), and Unicode-blank inputs are refused before the
module loads (F4)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tfhub.tools.make_nearest_neighbour_index import ann

LIBRARIES = ["annoy", "hnswlib", "faiss", "usearch"]
_PACKAGES = {"annoy": "annoy", "hnswlib": "hnswlib", "faiss": "faiss", "usearch": "usearch.index"}


def _copies_and_others(copies: int, others: int) -> tuple[np.ndarray, np.ndarray]:
    """`copies` rows of one vector, then `others` distinct rows (16-d), and a query near the
    copied vector."""
    rng = np.random.default_rng(1)
    base = rng.normal(size=(1, 16))
    vectors = np.vstack([np.tile(base, (copies, 1)), rng.normal(size=(others, 16))])
    return vectors.astype(np.float32), (base[0] + 0.01 * rng.normal(size=16)).astype(np.float32)


def _exact(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Angular distances of every row to `query`, sorted."""
    return np.sort(ann.angular(ann.normalized(vectors) @ ann.normalized(query)))


# --- F1: min(k, n) items, whatever the library --------------------------------------------------


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize(("copies", "others"), [(300, 0), (300, 100)])
def test_a_query_over_many_copies_returns_every_item_asked_for(
    library: str, copies: int, others: int
) -> None:
    """hnswlib raised "Cannot return the results in a contiguous 2D array"; faiss returned 228
    of 300 copies and USearch 247: each now returns min(k, n) distinct items, nearest first,
    with the distances an exact search finds."""
    pytest.importorskip(_PACKAGES[library])
    vectors, query = _copies_and_others(copies, others)
    index = ann.make_index(library, 16)
    index.build(vectors)
    for k in (copies, len(vectors), len(vectors) + 5):
        ids, distances = index.query(query, k)
        wanted = min(k, len(vectors))
        assert len(ids) == len(set(ids.tolist())) == wanted, (library, k, len(ids))
        np.testing.assert_allclose(distances, _exact(vectors, query)[:wanted], atol=1e-3)
    assert set(index.query(query, copies)[0].tolist()) == set(range(copies))


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_loaded_index_of_copies_answers_in_full(library: str, tmp_path: Path) -> None:
    """The exact search reads the vectors a loaded index file stores (not the build's)."""
    pytest.importorskip(_PACKAGES[library])
    vectors, query = _copies_and_others(300, 0)
    built = ann.make_index(library, 16)
    built.build(vectors)
    built.save(os.fspath(tmp_path / "ann.index"))
    loaded = ann.make_index(library, 16)
    assert loaded.load(os.fspath(tmp_path / "ann.index")) == 300
    ids, _ = loaded.query(query, 300)
    assert sorted(ids.tolist()) == list(range(300))
