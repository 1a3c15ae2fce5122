"""Session 48 (ann48): a query for more than half of an index's items is answered by an exact
search, as HNSW graphs over many copies of a vector returned k items of which many were far
ones (USearch, faiss); smaller queries stay on the library's search."""

from __future__ import annotations

import numpy as np
import pytest
from tests._helpers.nearest_neighbour import NumpyStoredIndex

from tfhub.tools.make_nearest_neighbour_index import ann, exact_search

LIBRARIES = ["annoy", "hnswlib", "faiss", "usearch"]
_PACKAGES = {"annoy": "annoy", "hnswlib": "hnswlib", "faiss": "faiss", "usearch": "usearch.index"}


def _copies_and_others(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """300 rows of one 16-d vector, then 100 distinct rows, and a query near the copied one."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(1, 16))
    vectors = np.vstack([np.tile(base, (300, 1)), rng.normal(size=(100, 16))])
    return vectors.astype(np.float32), (base[0] + 0.01 * rng.normal(size=16)).astype(np.float32)


def _exact(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Angular distances of every row to `query`, sorted."""
    return np.sort(ann.angular(ann.normalized(vectors) @ ann.normalized(query)))


@pytest.mark.parametrize("seed", [0, 2])
@pytest.mark.parametrize("library", LIBRARIES)
def test_a_query_for_most_of_an_index_of_copies_returns_the_nearest(
    library: str, seed: int
) -> None:
    """k = 60-75 % of 400 items, 300 of them copies: USearch returned 240 items of which 3-6
    were far ones (distance ~1 in place of ~0.02), and 280 with 43; faiss 280 with 17-38.
    Each item returned is now among the k nearest."""
    pytest.importorskip(_PACKAGES[library])
    vectors, query = _copies_and_others(seed)
    index = ann.make_index(library, 16)
    index.build(vectors)
    exact = _exact(vectors, query)
    for k in (240, 280, 300):
        ids, distances = index.query(query, k)
        assert len(set(ids.tolist())) == k, (library, k, len(ids))
        far = int(np.sum(distances > exact[k - 1] + 1e-4))
        assert far == 0, (library, seed, k, far)
        np.testing.assert_allclose(distances, exact[:k], atol=1e-3)


class _FarthestFirst(NumpyStoredIndex):
    """An index over NumPy whose search returns k items, the farthest: a wrong answer of the
    right size, as the HNSW libraries' over copies, that tells which search answered."""

    name = "farthest"

    def _query(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        ids, distances = exact_search.exact_query(
            vector, self.count(), count=self.count(), stored=self._vectors
        )
        return ids[::-1][:k].copy(), distances[::-1][:k].copy()


@pytest.mark.parametrize("count", [10, 11, 400])
def test_the_library_answers_up_to_half_the_index_and_the_exact_search_above(count: int) -> None:
    rng = np.random.default_rng(count)
    vectors = rng.normal(size=(count, 8)).astype(np.float32)
    query = rng.normal(size=8).astype(np.float32)
    index = _FarthestFirst(8, {})
    index.build(vectors)
    exact = _exact(vectors, query)
    half = int(count * exact_search.EXACT_SHARE)
    for k in (1, half):  # The library's (here wrong) answer, as it came.
        _, distances = index.query(query, k)
        np.testing.assert_allclose(distances, exact[::-1][:k], atol=1e-5)
    for k in (half + 1, count - 1, count, count + 3):  # Exact.
        ids, distances = index.query(query, k)
        assert len(ids) == min(k, count)
        np.testing.assert_allclose(distances, exact[: min(k, count)], atol=1e-5)


def test_the_share_is_half() -> None:
    """The documented rule (docs/tools.md): more than half of the items is exact."""
    assert exact_search.EXACT_SHARE == 0.5
    assert not exact_search.answered_exactly(200, 400)
    assert exact_search.answered_exactly(201, 400)
    assert exact_search.answered_exactly(1, 1)


def test_the_exact_search_reads_the_vectors_in_steps_sized_by_their_dimension(monkeypatch):
    """Steps of EXACT_CHUNK_VALUES values (vectors x dimensions), not of a fixed vector count:
    a 10,000-vector step of 768-d vectors read back from annoy or hnswlib took ~300 MiB."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(23, 5)).astype(np.float32)
    query = rng.normal(size=5).astype(np.float32)
    asked: list[int] = []

    def stored(ids: np.ndarray) -> np.ndarray:
        asked.append(len(ids))
        return vectors[ids]

    monkeypatch.setattr(exact_search, "EXACT_CHUNK_VALUES", 3 * 5)  # Three vectors a step.
    ids, distances = exact_search.exact_query(query, 23, count=23, stored=stored)
    assert asked == [3] * 7 + [2]
    cosines = exact_search.normalized(vectors) @ exact_search.normalized(query)
    assert ids.tolist() == np.argsort(-cosines, kind="stable").tolist()
    np.testing.assert_allclose(distances, exact_search.angular(np.sort(cosines)[::-1]), atol=1e-6)
