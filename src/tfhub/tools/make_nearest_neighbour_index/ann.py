"""Approximate nearest-neighbour libraries behind one interface, all on angular distance.

Every index answers `query(vector, k) -> (ids, distances)` with annoy's "angular" distance
sqrt(2 - 2 cos), whatever the library computes inside, so results read the same. Libraries are
imported when used. The default is the one that measured best (benchmarks/README.md); annoy is
upstream's, and the only one whose files upstream's tool reads.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ... import errors
from ...utils import native_stderr
from ...utils.lazy import import_optional
from ...utils.threads import joined
from .exact_search import angular, answered_exactly, exact_query, normalized, rescored
from .index_write_errors import FAT32_MAX_FILE_BYTES as FAT32_MAX_FILE_BYTES
from .index_write_errors import cut_short_error, write_error

logger = logging.getLogger(__name__)

# Items added to an hnswlib index per call (see HnswlibIndex.build).
HNSWLIB_CHUNK = 10_000
# hnswlib's error for a search whose graph cannot reach k items.
_UNREACHABLE = "Cannot return the results in a contiguous 2D array"

_HINT = "make_nearest_neighbour_index with index library {!r}"


def stoppable(call: Callable[[], None], *, name: str) -> None:
    """Runs `call`, long calls into a library that releases the GIL and never checks for
    signals (annoy's `build`, hnswlib's `add_items`), in a daemon thread while this thread
    waits for it.

    Python runs a signal's handler only between two bytecodes of the main thread: while the
    main thread itself is in such a call, Ctrl-C, SIGTERM or SIGHUP waits for the whole build
    (minutes for millions of items; `docker stop` kills it first, before any clean-up). Waiting
    for a thread instead is interrupted at once; the abandoned build ends with the process.
    (faiss and USearch check for signals themselves.)

    Args:
        call: the work.
        name: the thread's name.

    Raises:
        Whatever `call` raised.
    """
    running = joined(object(), call, name=name)  # A key of its own: never joined by another.
    running.done.wait()
    running.result()


class DimensionMismatch(ValueError):
    """An index file that does not hold vectors of the expected size (annoy can tell)."""


class AnnIndex(abc.ABC):
    """An index of `dim`-dimensional vectors with ids 0..n-1."""

    name: ClassVar[str]
    package: ClassVar[str]
    defaults: ClassVar[dict[str, int]] = {}

    def __init__(self, dim: int, params: dict[str, Any]) -> None:
        self.dim = dim
        self.params = {**self.defaults, **params}

    @abc.abstractmethod
    def build(self, vectors: np.ndarray) -> None:
        """Indexes vectors [n, dim]; row i gets id i."""

    def save(self, path: str) -> None:
        """Writes the index to one file.

        Raises:
            OSError: with an errno (ENOSPC for a full disk, EFBIG past a file-size limit)
                naming `path`, where the library's own error for the failed write had none
                (see `index_write_errors.write_error`), or where the library wrote less than
                the whole index without an error (`cut_short_error`).
            Whatever else the library raised.
        """
        try:
            self._save(path)
        except (OSError, RuntimeError) as err:
            numbered = write_error(err, path)
            if numbered is None:
                raise
            raise numbered from err
        cut_short = cut_short_error(path, self._file_size())
        if cut_short is not None:
            raise cut_short

    def _file_size(self) -> int | None:
        """The size in bytes of the file `_save` writes, where the library says it (to tell
        a file it cut short without an error); None otherwise."""
        return None

    @abc.abstractmethod
    def _save(self, path: str) -> None:
        """Writes the index to one file (the library's own call)."""

    @abc.abstractmethod
    def load(self, path: str) -> int:
        """Reads an index file; returns its number of items."""

    def query(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ids and angular distances of the min(k, n) nearest of the index's n items,
        nearest first.

        A query for every item, or for more than `EXACT_SHARE` (half) of them, is an exact
        search: there an HNSW graph over many copies of a vector returned k items of which
        many were far ones (exact_search.py has the numbers). Else the library's search
        answers first; where it cannot reach that many items (hnswlib raises "Cannot return
        the results in a contiguous 2D array", faiss and USearch return fewer), the answer is
        an exact search over the vectors the index stores, as upstream's annoy
        (`search_k=-1`) returned every item asked for. The library's answer gets its
        distances computed again in float64 from the stored vectors (`rescored`), as the
        exact search computes them: an exact match is at 0.0000, as annoy's (the HNSW
        libraries' float32 1 - cos gave 0.0003-0.0013).
        """
        count = self.count()
        wanted = min(k, count)
        if wanted < 1:  # An empty index (or k 0): no library is asked for no item.
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if answered_exactly(wanted, count):
            return self._exact_query(vector, wanted, count)
        try:
            ids, _ = self._query(vector, wanted)  # Its float32 distances: see `rescored`.
        except RuntimeError as err:
            if _UNREACHABLE not in str(err):
                raise
            ids = np.zeros(0, np.int64)
        if len(ids) >= wanted:
            return rescored(vector, ids, stored=self._vectors)
        logger.debug("%s found %d of %d items: exact search", self.name, len(ids), wanted)
        return self._exact_query(vector, wanted, count)

    def _exact_query(self, vector: np.ndarray, k: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest of the index's `count` items by comparing `vector` with every stored
        vector."""
        return exact_query(vector, k, count=count, stored=self._vectors)

    @abc.abstractmethod
    def _query(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The library's search for the k (at most the index's count) nearest items, nearest
        first: maybe fewer."""

    @abc.abstractmethod
    def count(self) -> int:
        """The number of items in the index."""

    @abc.abstractmethod
    def _vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of `ids` [len(ids), dim] (maybe scaled to unit length)."""

    def _lib(self) -> Any:
        return import_optional(self.package, purpose=_HINT.format(self.name))


class AnnoyIndex(AnnIndex):
    """Spotify's annoy (upstream's choice): random-projection trees, `num_trees` of them."""

    name, package = "annoy", "annoy"
    defaults = {"num_trees": 100, "search_k": -1}  # Upstream's: 100 trees, n_trees * k nodes.

    def _new(self) -> Any:
        return self._lib().AnnoyIndex(self.dim, "angular")

    def build(self, vectors: np.ndarray) -> None:
        self._index = self._new()
        for i, vector in enumerate(np.asarray(vectors, np.float32)):
            self._index.add_item(i, vector)
        num_trees = int(self.params["num_trees"])
        stoppable(lambda: self._index.build(num_trees), name="tfhub-annoy-build")

    def _save(self, path: str) -> None:
        with native_stderr.captured():  # annoy prints its error too; the OSError says it.
            self._index.save(path)

    def load(self, path: str) -> int:
        self._index = self._new()
        try:  # annoy prints its error too; DimensionMismatch (or the OSError) says it.
            with native_stderr.captured():
                self._index.load(path, prefault=False)
        except OSError as err:  # annoy checks the file size against the node size.
            raise DimensionMismatch(f"{path} does not hold {self.dim}-dimensional vectors") from err
        return self.count()

    def count(self) -> int:
        return int(self._index.get_n_items())

    def _vectors(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray([self._index.get_item_vector(int(i)) for i in ids], np.float32)

    def _query(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        search_k = int(self.params["search_k"])
        ids, distances = self._index.get_nns_by_vector(
            np.asarray(vector, np.float32), k, search_k=search_k, include_distances=True
        )
        return np.asarray(ids, np.int64), np.asarray(distances, np.float32)


class HnswlibIndex(AnnIndex):
    """hnswlib's HNSW graph on cosine distance (M, ef_construction; ef at query time)."""

    name, package = "hnswlib", "hnswlib"
    defaults = {"M": 16, "ef_construction": 200, "ef": 128}

    def _new(self) -> Any:
        return self._lib().Index(space="cosine", dim=self.dim)

    def build(self, vectors: np.ndarray) -> None:
        self._index = self._new()
        self._index.init_index(
            max_elements=max(1, len(vectors)),
            M=int(self.params["M"]),
            ef_construction=int(self.params["ef_construction"]),
            random_seed=0,
        )
        vectors = np.asarray(vectors, np.float32)
        abandoned = threading.Event()

        def add_all() -> None:
            # In chunks (measured no slower), so that a build abandoned on a stop signal ends
            # after the chunk being added instead of running on to the last item.
            for start in range(0, len(vectors), HNSWLIB_CHUNK):
                if abandoned.is_set():
                    return
                stop = min(start + HNSWLIB_CHUNK, len(vectors))
                self._index.add_items(vectors[start:stop], np.arange(start, stop))

        try:  # A chunk of 10,000 items of 768 dimensions runs for 10-20 s here.
            stoppable(add_all, name="tfhub-hnswlib-build")
        finally:
            abandoned.set()

    def _save(self, path: str) -> None:
        self._index.save_index(path)  # Its failed writes raise nothing: see `_file_size`.

    def _file_size(self) -> int | None:
        return int(self._index.index_file_size())

    def load(self, path: str) -> int:
        self._index = self._new()
        self._index.load_index(path)
        return self.count()

    def count(self) -> int:
        return int(self._index.get_current_count())

    def _vectors(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(self._index.get_items(ids), np.float32)

    def _query(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        self._index.set_ef(max(k, int(self.params["ef"])))
        labels, distances = self._index.knn_query(np.asarray(vector, np.float32)[None], k=k)
        return labels[0].astype(np.int64), angular(1.0 - distances[0])


class FaissIndex(AnnIndex):
    """faiss's HNSW (IndexHNSWFlat) on inner products of unit vectors."""

    name, package = "faiss", "faiss"
    defaults = {"M": 16, "ef_construction": 200, "ef": 128}

    def build(self, vectors: np.ndarray) -> None:
        faiss = self._lib()
        self._index = faiss.IndexHNSWFlat(
            self.dim, int(self.params["M"]), faiss.METRIC_INNER_PRODUCT
        )
        self._index.hnsw.efConstruction = int(self.params["ef_construction"])
        self._index.add(normalized(vectors))

    def _save(self, path: str) -> None:
        self._lib().write_index(self._index, path)

    def load(self, path: str) -> int:
        self._index = self._lib().read_index(path)
        return self.count()

    def count(self) -> int:
        return int(self._index.ntotal)

    def _vectors(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, np.int64)
        if len(ids) and np.all(np.diff(ids) == 1):  # A run of ids (the exact search's): at once.
            return np.asarray(self._index.reconstruct_n(int(ids[0]), len(ids)), np.float32)
        return np.asarray(self._index.reconstruct_batch(ids), np.float32)

    def _query(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        self._index.hnsw.efSearch = max(k, int(self.params["ef"]))
        similarities, ids = self._index.search(normalized(vector)[None], k)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), angular(similarities[0][keep])


class UsearchIndex(AnnIndex):
    """USearch's HNSW on cosine distance (connectivity, expansion_add, expansion_search)."""

    name, package = "usearch", "usearch.index"
    defaults = {"M": 16, "ef_construction": 200, "ef": 128}

    def _new(self) -> Any:
        return self._lib().Index(
            ndim=self.dim,
            metric="cos",
            dtype="f32",
            connectivity=int(self.params["M"]),
            expansion_add=int(self.params["ef_construction"]),
            expansion_search=int(self.params["ef"]),
        )

    def build(self, vectors: np.ndarray) -> None:
        self._index = self._new()
        self._index.add(np.arange(len(vectors)), np.asarray(vectors, np.float32))

    def _save(self, path: str) -> None:
        self._index.save(path)

    def load(self, path: str) -> int:
        self._index = self._new()
        self._index.load(path)
        return self.count()

    def count(self) -> int:
        return len(self._index)

    def _vectors(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(self._index.get(ids), np.float32)

    def _query(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        matches = self._index.search(np.asarray(vector, np.float32), k)
        return np.asarray(matches.keys, np.int64), angular(1.0 - np.asarray(matches.distances))


LIBRARIES: dict[str, type[AnnIndex]] = {
    cls.name: cls for cls in (AnnoyIndex, HnswlibIndex, FaissIndex, UsearchIndex)
}
DEFAULT_LIBRARY = "hnswlib"  # Best recall@10 per query/s in benchmarks/bench_nearest_neighbour.


def make_index(library: str, dim: int, params: dict[str, Any] | None = None) -> AnnIndex:
    """Returns an empty index of `library` ("annoy", "hnswlib", "faiss", "usearch").

    Raises:
        tfhub.errors.ToolFlagError: for an unknown library name.
    """
    if library not in LIBRARIES:
        raise errors.ToolFlagError(
            f"Unknown index library; use one of {sorted(LIBRARIES)}. Received: "
            f"index_library={library!r}",
            flag="index_library",
            value=library,
        )
    return LIBRARIES[library](dim, params or {})


def require_installed(library: str) -> None:
    """Imports the package of `library` now: before a run's long work (e2e's pipeline), not
    after it.

    Raises:
        tfhub.errors.ToolFlagError: for an unknown library name.
        tfhub.errors.MissingDependencyError: the library's package cannot be imported; the
            message says what to install.
    """
    make_index(library, 1)._lib()
