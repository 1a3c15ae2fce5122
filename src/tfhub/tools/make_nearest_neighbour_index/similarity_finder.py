"""`query`: embed a text with the module, project it, and find its nearest items in the index.

Reads folders made by `build` (ann.index.json says which library) and upstream's folders (no
ann.index.json: an annoy index, with pickled mapping and matrix read only if allowed).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from typing import Any

import numpy as np

from ... import errors
from . import ann, files
from .flag_values import required
from .text_embedding import TextEmbedder, project

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Match:
    """One result: the item and its angular distance to the query (annoy's)."""

    item: str
    distance: float


def _dimension_error(index_dir: str, index_dim: int, query_dim: int, why: str) -> Exception:
    return errors.IndexDimensionError(
        f"The index in {index_dir} holds {index_dim}-dimensional vectors but the query vectors "
        f"have {query_dim} dimensions ({why}). Query with the module (and projection matrix) "
        f"the index was built with. Received: index_output_dir={index_dir!r}",
        index_dir=index_dir,
        index_dim=index_dim,
        query_dim=query_dim,
    )


def _local_index_file(index_dir: str) -> str:
    path = files.join(index_dir, files.INDEX_FILENAME)
    if not files.exists(path):
        raise errors.IndexFilesError(
            f"The index folder {index_dir} has no {files.INDEX_FILENAME}: build the index first "
            f"(make_nearest_neighbour_index build). Received: index_output_dir={index_dir!r}",
            path=index_dir,
            problem="no index file",
        )
    if not files.is_remote(path):
        return path
    handle, local = tempfile.mkstemp(prefix="tfhub-ann-", suffix=".index")
    with os.fdopen(handle, "wb") as out:
        out.write(files.read_bytes(path))
    return local


class LoadedIndex:
    """An index folder in memory: the ANN index, the items and the projection matrix."""

    def __init__(self, index_dir: str, *, query_dim: int, allow_pickle: bool = False) -> None:
        """Loads the folder for queries of `query_dim` dimensions (after projection).

        Raises:
            tfhub.errors.IndexFilesError: missing or damaged files.
            tfhub.errors.IndexDimensionError: the index holds vectors of another size.
            tfhub.errors.UnsafeFileError: upstream's pickles without allow_pickle.
        """
        self.index_dir = index_dir
        files.check_index_folder(index_dir)
        self.items = files.read_mapping(index_dir, allow_pickle=allow_pickle)
        info = files.read_index_info(index_dir)
        path = _local_index_file(index_dir)
        if info is not None:
            if int(info["dimensions"]) != query_dim:
                raise _dimension_error(
                    index_dir, int(info["dimensions"]), query_dim, "as ann.index.json records"
                )
            self.index = ann.make_index(str(info["library"]), query_dim, info.get("params", {}))
        else:  # Upstream's folder: annoy, whose file does not record the dimension.
            self.index = ann.make_index("annoy", query_dim)
        count = self._load(path, dimensions_recorded=info is not None)
        if count != len(self.items):
            raise errors.IndexFilesError(
                f"The index in {index_dir} holds {count} items but its mapping {len(self.items)}: "
                "the files do not belong together; build the index again.",
                path=index_dir,
                problem="count mismatch",
            )

    def _load(self, path: str, *, dimensions_recorded: bool) -> int:
        """Loads the index file; returns its number of items.

        An annoy file whose size does not fit the dimension is damaged if ann.index.json
        recorded the dimension (`dimensions_recorded`), else (upstream's folders) of
        another dimension or damaged: annoy cannot tell which.
        """
        try:
            return self.index.load(path)
        except ann.DimensionMismatch as err:
            if dimensions_recorded:
                raise errors.IndexFilesError(
                    f"The {self.index.name} index {path} is damaged (cut short?): its size does "
                    f"not fit {self.index.dim}-dimensional vectors, as ann.index.json records. "
                    f"Build the index again. Received: index_output_dir={self.index_dir!r}",
                    path=path,
                    problem="damaged",
                ) from err
            raise errors.IndexDimensionError(
                f"The index {path} does not hold {self.index.dim}-dimensional vectors, the size "
                "of the query vectors, or it is damaged. Query with the module (and projection "
                "matrix) the index was built with, or build the index again. Received: "
                f"index_output_dir={self.index_dir!r}",
                index_dir=self.index_dir,
                index_dim=None,
                query_dim=self.index.dim,
            ) from err
        except Exception as err:
            raise errors.IndexFilesError(
                f"Cannot read the {self.index.name} index {path}: {err}. Build it again. "
                f"Received: index_output_dir={self.index_dir!r}",
                path=path,
                problem=str(err),
            ) from err

    def search(self, vector: np.ndarray, num_matches: int) -> list[Match]:
        """The nearest items to one query vector, nearest first."""
        ids, distances = self.index.query(vector, min(num_matches, len(self.items)))
        return [Match(self.items[int(i)], float(d)) for i, d in zip(ids, distances, strict=True)]


class SimilarityFinder:
    """Finds the items of an index most similar to a text (upstream's class, plus distances)."""

    def __init__(self, module_url: str, index_dir: str, *, allow_pickle: bool = False) -> None:
        """Loads the module, the projection matrix and the index.

        Raises:
            tfhub.errors.NotATextEmbeddingError: the module does not embed text.
            tfhub.errors.IndexDimensionError: the module, matrix and index do not fit together.
            tfhub.errors.IndexFilesError, UnsafeFileError: see LoadedIndex.
        """
        files.check_index_folder(index_dir)  # Before the module loads (seconds).
        self.embedder = TextEmbedder(module_url)
        self.matrix = files.read_matrix(index_dir, allow_pickle=allow_pickle)
        query_dim = self.embedder.dim
        if self.matrix is not None:
            if self.matrix.shape[0] != self.embedder.dim:
                raise _dimension_error(
                    index_dir,
                    int(self.matrix.shape[1]),
                    self.embedder.dim,
                    f"the module gives {self.embedder.dim}-dimensional embeddings, the "
                    f"projection matrix takes {self.matrix.shape[0]}",
                )
            query_dim = int(self.matrix.shape[1])
        self.index = LoadedIndex(index_dir, query_dim=query_dim, allow_pickle=allow_pickle)

    def find_matches(self, query: str, num_matches: int = 5) -> list[Match]:
        """The `num_matches` items nearest to `query`, with their distances."""
        vector = project(self.embedder([query]), self.matrix)[0]
        return self.index.search(vector, num_matches)

    def find_similar_items(self, query: str, num_matches: int = 5) -> list[str]:
        """The `num_matches` items nearest to `query` (upstream's method)."""
        return [match.item for match in self.find_matches(query, num_matches)]


def load(
    module_url: Any, index_dir: str | None = None, *, allow_pickle: bool | None = None
) -> SimilarityFinder:
    """Upstream's `similarity_finder.load(args)`: the finder for `args.module_url` and
    `args.index_output_dir` (and `args.allow_pickle`, if it has one); or
    `load(module_url, index_dir, allow_pickle=...)`.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) a handle without `index_dir`.
        See SimilarityFinder for the rest.
    """
    if index_dir is None:
        if isinstance(module_url, (str, os.PathLike)):
            raise errors.ArgumentError(
                "similarity_finder.load takes upstream's flags object (with module_url and "
                "index_output_dir) or a module handle and the index folder. Received: "
                f"module_url={module_url!r}, index_dir=None"
            )
        flags = module_url
        module_url = required(flags, "module_url", operation="query")
        index_dir = required(flags, "index_output_dir", operation="query")
        if allow_pickle is None:
            allow_pickle = bool(getattr(flags, "allow_pickle", False))
    return SimilarityFinder(module_url, index_dir, allow_pickle=bool(allow_pickle))
