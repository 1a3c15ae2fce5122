"""Items whose embeddings are copies of one vector: indexed once, expanded at query time.

A line that repeats in the input is another item (upstream's rule), but an HNSW graph over
many copies of one vector is taken over by them: its entry point and neighbour lists are the
copies, so a walk for any other item never leaves them (review50c-F4: with 90 % of 5,000
vectors one copy, hnswlib and USearch found 0 of the true 10 nearest of the other items). So
`build` indexes each distinct vector once, in the order its first item comes, and records in
ann.index.json ("copies") which items copy an earlier one; `query` asks the library for
vectors and expands each into its items, lowest id first. An index without copies records
nothing and its ids are the items' ids, as before.

A copy is a bit-for-bit equal embedding (what one line repeated gives; found by a 128-bit
BLAKE2 digest of its bytes, so the rows are not kept twice); near copies stay separate points.
Finding them took 2.6 s for 100,000 vectors of 768 dimensions, half of them copies (0.4 s at
128), on 2 cores under a load of 10 (np.unique over the rows took 17.5 s).

Measured (session 50, review50c's duprecall.py: 5,000 random 16-d vectors of which 5/20/50/90 %
are copies of one, 200 queries for the other items and 100 near them, k = 10, index saved and
loaded, 2 shared cores): the share of queries finding the item itself, and recall@10 against an
exact search, were for hnswlib 0.99/0.96/0.85/0.00 and 0.98/0.96/0.85/0.00 with every copy
indexed (annoy at 90 %: 0.76 and 0.52, faiss 0.65 and 0.56, USearch 0.00), and 1.00 for every
library and share with each distinct vector indexed once.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from typing import Any

import numpy as np

from ... import errors

INFO_KEY = "copies"  # In ann.index.json: [[item, the earlier item it copies], ...].


@dataclasses.dataclass(frozen=True)
class Copies:
    """Which index vector holds each item.

    Attributes:
        vector_of: for each item id, the id of its vector in the index [items] (int64); the
            vectors are numbered in the order of their first item.
    """

    vector_of: np.ndarray

    @classmethod
    def none(cls, count: int) -> Copies:
        """`count` items, each its own vector."""
        return cls(np.arange(count, dtype=np.int64))

    @classmethod
    def of(cls, vectors: np.ndarray) -> tuple[Copies, np.ndarray]:
        """The copies among `vectors` [items, dim] and the distinct vectors to index, in the
        order of their first item (all of `vectors`, as they are, if none repeats)."""
        data = np.ascontiguousarray(vectors)
        rows = data.data.cast("B")
        size = data.itemsize * (data.shape[1] if data.ndim == 2 else 1)
        numbers: dict[bytes, int] = {}  # A row's digest -> its vector's number.
        vector_of = np.empty(len(data), np.int64)
        for i in range(len(data)):
            # A 128-bit digest rather than the row: 16 bytes a vector kept, not the whole array
            # again (np.unique(axis=0) sorted the rows: 9x slower at 768 dimensions).
            key = hashlib.blake2b(rows[i * size : (i + 1) * size], digest_size=16).digest()
            vector_of[i] = numbers.setdefault(key, len(numbers))
        if len(numbers) == len(data):
            return cls.none(len(data)), vectors
        _, firsts = np.unique(vector_of, return_index=True)  # Each vector's first item.
        return cls(vector_of), vectors[firsts]

    @classmethod
    def from_info(cls, info: dict[str, Any] | None, count: int, *, path: str) -> Copies:
        """The copies that ann.index.json (`info`, read from `path`) records for an index of
        `count` items (none if it records none, or there is no such file).

        Raises:
            tfhub.errors.IndexFilesError: the record is not a list of [item, earlier item]
                pairs of item ids below `count`, the earlier one no copy itself.
        """
        pairs = [] if info is None else info.get(INFO_KEY, [])
        try:
            table = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        except (TypeError, ValueError, OverflowError):
            table = np.full((1, 2), -1, np.int64)
        copy, first = (table[:, 0], table[:, 1]) if len(table) else (table[:0, 0], table[:0, 0])
        is_copy = np.zeros(count, bool)
        valid = bool(np.all((first >= 0) & (first < copy) & (copy < count)))
        if valid:
            is_copy[copy] = True
            valid = len(np.unique(copy)) == len(copy) and not np.any(is_copy[first])
        if not valid:
            raise errors.IndexFilesError(
                f"{path} records copies that are not pairs [item, earlier item] of the index's "
                f"{count} items: the file is damaged; build the index again. Received: {path!r}",
                path=path,
                problem="copies",
            )
        vector_of = np.empty(count, np.int64)
        vector_of[~is_copy] = np.arange(count - len(copy))
        vector_of[copy] = vector_of[first]
        return cls(vector_of)

    def to_info(self) -> dict[str, Any]:
        """What ann.index.json records: the number of vectors and the copies' pairs, or
        nothing if no item is a copy."""
        if self.vectors == self.items:
            return {}
        firsts = self._members[self._starts[:-1]]  # Each vector's first item.
        copy = np.flatnonzero(firsts[self.vector_of] != np.arange(self.items))
        pairs = np.stack([copy, firsts[self.vector_of[copy]]], axis=1)
        return {"vectors": self.vectors, INFO_KEY: pairs.tolist()}

    @property
    def items(self) -> int:
        """The number of items."""
        return len(self.vector_of)

    @property
    def vectors(self) -> int:
        """The number of distinct vectors (the index's size)."""
        return int(self.vector_of.max()) + 1 if self.items else 0

    @functools.cached_property
    def _members(self) -> np.ndarray:
        """The item ids sorted by vector, then by id."""
        return np.argsort(self.vector_of, kind="stable")

    @functools.cached_property
    def _starts(self) -> np.ndarray:
        """Where each vector's items start in `_members` (and, last, the number of items)."""
        return np.searchsorted(self.vector_of[self._members], np.arange(self.vectors + 1))

    def expand(
        self, ids: np.ndarray, distances: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The first k items of the vectors `ids` (at their `distances`), in that order, the
        items of one vector lowest id first.

        Args:
            ids: vector ids, nearest first (at least min(k, `vectors`) of them for k items).
            distances: their distances.
            k: the number of items wanted.
        """
        found: list[np.ndarray] = []
        spread: list[np.ndarray] = []
        total = 0
        for vector, distance in zip(ids.tolist(), distances, strict=True):
            if total >= k:
                break
            members = self._members[self._starts[vector] : self._starts[vector + 1]]
            found.append(members)
            spread.append(np.full(len(members), distance, np.float32))
            total += len(members)
        if not found:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(found)[:k].astype(np.int64), np.concatenate(spread)[:k]
