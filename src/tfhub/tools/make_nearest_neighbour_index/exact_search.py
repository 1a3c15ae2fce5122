"""Exact nearest-neighbour search over an index's stored vectors, on annoy's angular distance,
and the distances of a library's answer computed again in float64 (`rescored`).

`AnnIndex.query` answers with it where a library's graph search cannot be trusted: a query for
every item, or for more than `EXACT_SHARE` of them, and a search that returned too few items.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# The values (vectors x dimensions) of the stored vectors read back per step of an exact
# search: 4 MiB as float32 (annoy's and hnswlib's read-back holds several times that: a
# 10,000 x 768 step took 270-315 MiB more memory).
EXACT_CHUNK_VALUES = 1 << 20

# A query for more than this share of an index's items is answered exactly (AnnIndex.query).
# Measured (session 48; 3-5 seeds, recall = share of the k returned items no farther than the
# exact k-th nearest; times per query on 2 shared cores):
# - 300 copies of one 16-d vector plus 100 others, k = 50 / 60 / 70 / 75 % of n: hnswlib and
#   annoy 1.0 throughout; faiss 1.0 / 1.0 / up to 38 of 280 far items / up to 58 of 300;
#   USearch 1.0 / 3-6 of 240 far items / 43-60 of 280 / 55-100 of 300, with k items
#   returned, so no "too few" check sees it (at 90 %: faiss 0.71-0.81, USearch 0.71-0.72).
# - 2,000 random 64-d vectors, k = 1 / 10 / 25 / 50 / 90 %: recall >= 0.95 for every library
#   (annoy 0.95 at 1 %, the rest >= 0.99). The library's search took 0.1-9 ms, the exact one
#   1.4-8.6 ms (USearch 1.4-3, the others 6-12, most of it reading the stored vectors back),
#   so above half the index the exact search costs at most about what annoy's does, and a
#   few ms more than the HNSW libraries': the price of no wrong item. At 768 dimensions it
#   costs more where the library reads its vectors back slowly (12,000 items: annoy 829 vs
#   38 ms, hnswlib 848 vs 7 ms; faiss 49 vs 21, USearch 68 vs 13).
EXACT_SHARE = 0.5


def angular(cosine: np.ndarray) -> np.ndarray:
    """annoy's angular distance from cosine similarities."""
    return np.sqrt(np.maximum(0.0, 2.0 - 2.0 * np.asarray(cosine, np.float64))).astype(np.float32)


def normalized(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    vectors = np.asarray(vectors, np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in float64 (zero rows stay zero): a vector and its float32
    copy (as a library stores it, maybe scaled) then have a cosine within about 1e-15 of 1,
    so an exact match is at angular distance 0.0000 (float32's 1 - cos of about 1e-7 became
    0.0003-0.0013 through the square root)."""
    vectors = np.asarray(vectors, np.float64)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _chunk(dim: int) -> int:
    """The vectors of `dim` values read back per step (`EXACT_CHUNK_VALUES`)."""
    return max(1, EXACT_CHUNK_VALUES // max(1, dim))


def rescored(
    vector: np.ndarray, ids: np.ndarray, *, stored: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The items `ids` a library's search returned, in its order, with their angular distances
    to `vector` computed again in float64 from the stored vectors (the libraries' own are
    float32).

    Args:
        vector: the query [dim].
        ids: the returned ids.
        stored: the stored vectors of some ids [len(ids), dim] (maybe scaled to unit length).
    """
    query = _unit(vector)
    cosines = np.empty(len(ids), np.float64)
    chunk = _chunk(query.shape[-1])
    for start in range(0, len(ids), chunk):
        cosines[start : start + chunk] = _unit(stored(ids[start : start + chunk])) @ query
    return np.asarray(ids, np.int64), angular(cosines)


def answered_exactly(k: int, count: int) -> bool:
    """Whether a query for k (at most `count`) of an index's `count` items is answered by an
    exact search: every item, or more than `EXACT_SHARE` of them."""
    return k == count or k > EXACT_SHARE * count


def exact_query(
    vector: np.ndarray, k: int, *, count: int, stored: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest of `count` items by comparing `vector` with every stored vector, in
    chunks of `EXACT_CHUNK_VALUES` values (vectors x dimensions).

    Args:
        vector: the query [dim].
        k: the number of items to return (at most `count`).
        count: the index's number of items (ids 0..count-1).
        stored: the stored vectors of some ids [len(ids), dim] (maybe scaled to unit length).

    Returns:
        The ids and angular distances, nearest first (ties nearest the lowest id first).
    """
    query = _unit(vector)
    cosines = np.empty(count, np.float64)  # float64: an exact match is at distance 0 (`_unit`).
    chunk = _chunk(query.shape[-1])
    for start in range(0, count, chunk):
        ids = np.arange(start, min(start + chunk, count))
        cosines[start : start + len(ids)] = _unit(stored(ids)) @ query
    order = np.argsort(-cosines, kind="stable")[:k]
    return order.astype(np.int64), angular(cosines[order])
