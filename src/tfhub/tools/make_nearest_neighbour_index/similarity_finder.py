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
from ...utils.printable import not_utf8
from . import ann, files, module_record
from .copies import Copies
from .flag_values import check_whole_number, required
from .text_embedding import TextEmbedder, project

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Match:
    """One result: the item and its angular distance to the query (annoy's)."""

    item: str
    distance: float


def _dimension_error(
    index_files: files.IndexFiles, index_dim: int, query_dim: int, why: str
) -> Exception:
    return errors.IndexDimensionError(
        f"The index in {index_files.where} holds {index_dim}-dimensional vectors but the query "
        f"vectors have {query_dim} dimension{'' if query_dim == 1 else 's'} ({why}). Query "
        "with the module (and projection matrix) the index was built with. Received: "
        f"{index_files.received}",
        index_dir=index_files.where,
        index_dim=index_dim,
        query_dim=query_dim,
    )


def _local_index_file(index_files: files.IndexFiles) -> str:
    path = index_files.index
    if not files.exists(path):
        raise errors.IndexFilesError(
            f"The index {path} does not exist: build the index first "
            f"(make_nearest_neighbour_index build). Received: {index_files.received}",
            path=index_files.where,
            problem="no index file",
        )
    if not files.is_remote(path):
        return path
    data = files.read_bytes(path)  # Read before the copy is made: a failed read leaves none.
    # A copy in TMPDIR (the libraries read local files), removed once loaded (_remove_copy).
    handle, local = tempfile.mkstemp(prefix="tfhub-ann-", suffix=".index")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
    except BaseException:  # A full TMPDIR: no partial copy is left.
        _remove_copy(local)
        raise
    return local


def _remove_copy(path: str) -> None:
    """Removes the local copy of a remote index once it is loaded: the libraries hold it in
    memory, or annoy mapped it, which stays readable after the name is gone (POSIX; where
    the system refuses to remove a mapped file, the copy stays in TMPDIR)."""
    try:
        os.remove(path)
    except OSError as err:
        logger.debug("Cannot remove the copy %s of the index: %s", path, err)


def _index_files(index: str | files.IndexFiles) -> files.IndexFiles:
    return index if isinstance(index, files.IndexFiles) else files.IndexFiles.in_folder(index)


class LoadedIndex:
    """An index in memory: the ANN index and its items."""

    def __init__(
        self,
        index_dir: str | files.IndexFiles,
        *,
        query_dim: int,
        allow_pickle: bool = False,
    ) -> None:
        """Loads the index folder (or the files upstream's SimilarityFinder named) for queries
        of `query_dim` dimensions (after projection).

        Raises:
            tfhub.errors.IndexFilesError: missing or damaged files.
            tfhub.errors.IndexDimensionError: the index holds vectors of another size.
            tfhub.errors.UnsafeFileError: upstream's pickles without allow_pickle.
        """
        index_files = _index_files(index_dir)
        self.index_dir = index_files.where
        self.received = index_files.received
        index_files.check_exists()
        self.items = files.read_mapping_file(
            index_files.mapping, allow_pickle=allow_pickle, received=index_files.received
        )
        info = files.read_index_info(index_files.index)
        if info is not None:
            if int(info["dimensions"]) != query_dim:
                raise _dimension_error(
                    index_files, int(info["dimensions"]), query_dim, "as ann.index.json records"
                )
            self.index = ann.make_index(str(info["library"]), query_dim, info.get("params", {}))
        else:  # Upstream's folder: annoy, whose file does not record the dimension.
            self.index = ann.make_index("annoy", query_dim)
        # tfhub's build writes ann.index.json beside its JSON mapping (upstream wrote neither).
        self._info_lost = info is None and files.exists(index_files.mapping + ".json")
        path = _local_index_file(index_files)
        try:
            count = self._load(path, shown=index_files.index, dimensions_recorded=info is not None)
        finally:
            if path != index_files.index:  # The local copy of a remote index: read, not kept.
                _remove_copy(path)
        self.copies = Copies.from_info(info, len(self.items), path=index_files.index + ".json")
        if count != self.copies.vectors:
            raise errors.IndexFilesError(
                f"The index in {self.index_dir} holds {count} items but its mapping "
                f"{self._mapped()}: the files do not belong together; build the index again. "
                f"Received: {self.received}",
                path=self.index_dir,
                problem="count mismatch",
            )

    def _mapped(self) -> str:
        """What the mapping holds, as an error says it: "N" items, or "N items of M distinct
        vectors" where some are copies."""
        if self.copies.vectors == len(self.items):
            return str(len(self.items))
        return f"{len(self.items)} items of {self.copies.vectors} distinct vectors"

    def _load(self, path: str, *, shown: str, dimensions_recorded: bool) -> int:
        """Loads the index file at `path` (a local copy of a remote one is named `shown`, the
        index the user gave, in errors); returns its number of items.

        An annoy file whose size does not fit the dimension is damaged if ann.index.json
        recorded the dimension (`dimensions_recorded`), else (upstream's folders) of
        another dimension or damaged: annoy cannot tell which.
        """
        try:
            return self.index.load(path)
        except ann.DimensionMismatch as err:
            if dimensions_recorded:
                raise errors.IndexFilesError(
                    f"The {self.index.name} index {shown} is damaged (cut short?): its size does "
                    f"not fit {self.index.dim}-dimensional vectors, as ann.index.json records. "
                    f"Build the index again. Received: {self.received}",
                    path=shown,
                    problem="damaged",
                ) from err
            raise errors.IndexDimensionError(
                f"The index {shown} does not hold {self.index.dim}-dimensional vectors, the size "
                "of the query vectors, or it is damaged. Query with the module (and projection "
                f"matrix) the index was built with, or build the index again.{self._lost_hint()} "
                f"Received: {self.received}",
                index_dir=self.index_dir,
                index_dim=None,
                query_dim=self.index.dim,
            ) from err
        except Exception as err:
            raise errors.IndexFilesError(
                f"Cannot read the {self.index.name} index {shown}: {err}. Build it again. "
                f"Received: {self.received}",
                path=shown,
                problem=str(err),
            ) from err

    def _lost_hint(self) -> str:
        """What to say of a folder that tfhub's build wrote and that lost its ann.index.json
        (read as upstream's annoy index, whatever library made it); "" for other folders."""
        if not self._info_lost:
            return ""
        return (
            f" The folder has no {files.INDEX_INFO_JSON}, which tfhub's build writes beside "
            "every index to say which library made it (without it, ann.index is read as "
            "upstream's annoy index): if another library made it, build the index again."
        )

    def search(self, vector: np.ndarray, num_matches: int) -> list[Match]:
        """The nearest items to one query vector, nearest first (the items of one vector,
        copies of each other, lowest id first: `copies`)."""
        wanted = min(num_matches, len(self.items))
        ids, distances = self.index.query(vector, min(wanted, self.copies.vectors))
        ids, distances = self.copies.expand(ids, distances, wanted)
        return [Match(self.items[int(i)], float(d)) for i, d in zip(ids, distances, strict=True)]


def _finder_files(
    index_dir: str | None,
    index_file_path: str | None,
    mapping_file_path: str | None,
    matrix_file: str | None,
) -> files.IndexFiles:
    """The files SimilarityFinder reads: a folder's, or upstream's separately named ones."""
    upstream_form = (index_file_path, mapping_file_path, matrix_file) != (None, None, None)
    if not upstream_form and index_dir is not None:
        return files.IndexFiles.in_folder(os.fspath(index_dir))
    index = index_file_path if index_file_path is not None else index_dir
    if index is None or mapping_file_path is None or (index_file_path and index_dir):
        raise errors.ArgumentError(
            "SimilarityFinder takes the index folder, SimilarityFinder(module_url, index_dir), "
            "or upstream's files, SimilarityFinder(module_url, index_file_path, "
            "mapping_file_path, dimensions, random_projection_matrix_file). Received: "
            f"index_dir={index_dir!r}, index_file_path={index_file_path!r}, "
            f"mapping_file_path={mapping_file_path!r}, "
            f"random_projection_matrix_file={matrix_file!r}"
        )
    index = os.fspath(index)
    return files.IndexFiles(
        index=index,
        mapping=os.fspath(mapping_file_path),
        matrix=os.fspath(matrix_file) if matrix_file is not None else None,
        received=f"index_file_path={index!r}",
    )


def _check_num_matches(num_matches: int) -> None:
    """Checks the number of items a query asks for (as the command's --num_matches is checked).

    Raises:
        tfhub.errors.ArgumentTypeError: it is not an integer (a bool is not one here).
        tfhub.errors.ArgumentError: it is below 1.
    """
    check_whole_number("num_matches", num_matches, "the number of items a query returns")


class SimilarityFinder:
    """Finds the items of an index most similar to a text (upstream's class, plus distances)."""

    def __init__(
        self,
        module_url: str,
        index_dir: str | None = None,
        mapping_file_path: str | None = None,
        dimensions: int | None = None,
        random_projection_matrix_file: str | None = None,
        *,
        index_file_path: str | None = None,
        allow_pickle: bool = False,
        allow_other_module: bool = False,
    ) -> None:
        """Loads the module, the projection matrix and the index, having checked that the
        module is the one whose embeddings the index holds, where the index records it
        (`module_record`; folders without a record, upstream's, are not checked).

        Args:
            module_url: the text-embedding module's handle.
            index_dir: the index folder (as `build` writes it).
            mapping_file_path, dimensions, random_projection_matrix_file, index_file_path:
                upstream's form, `SimilarityFinder(module_url, index_file_path,
                mapping_file_path, dimensions, random_projection_matrix_file)`: the files by
                their own paths (the .json and .npy files tfhub writes are read first from
                beside them; a matrix file that does not exist means no projection).
                `dimensions` is not used, as upstream: the module and matrix say it.
            allow_pickle: read upstream's pickled mapping and matrix (they can run code).
            allow_other_module: query with another module than the record names (the same
                model moved or exported again), logged instead of refused.

        Raises:
            tfhub.errors.ArgumentError: (a ValueError) neither a folder nor upstream's files.
            tfhub.errors.NotATextEmbeddingError: the module does not embed text.
            ModuleMismatchError: (a ValueError) the index records embeddings of another module.
            tfhub.errors.IndexDimensionError: the module, matrix and index do not fit together.
            tfhub.errors.IndexFilesError, UnsafeFileError: see LoadedIndex.
        """
        del dimensions  # Upstream overwrote it with the module's and the matrix's own.
        index_files = _finder_files(
            index_dir, index_file_path, mapping_file_path, random_projection_matrix_file
        )
        index_files.check_exists()  # Before the module loads (seconds).
        recorded = module_record.check_index_module(
            index_files, module_url, allow_other_module=allow_other_module
        )
        self.embedder = TextEmbedder(module_url)
        self.matrix = (
            files.read_matrix_file(index_files.matrix, allow_pickle=allow_pickle)
            if index_files.matrix is not None
            else None
        )
        projected = None if self.matrix is None else int(self.matrix.shape[1])
        module_record.check_projection(recorded, projected, path=index_files.module_record)
        query_dim = self.embedder.dim
        if self.matrix is not None:
            if self.matrix.shape[0] != self.embedder.dim:
                raise _dimension_error(
                    index_files,
                    int(self.matrix.shape[1]),
                    self.embedder.dim,
                    f"the module gives {self.embedder.dim}-dimensional embeddings, the "
                    f"projection matrix takes {self.matrix.shape[0]}",
                )
            query_dim = int(self.matrix.shape[1])
        self.index = LoadedIndex(index_files, query_dim=query_dim, allow_pickle=allow_pickle)

    def find_matches(self, query: str, num_matches: int = 5) -> list[Match]:
        """The `num_matches` items nearest to `query`, with their distances.

        Raises:
            tfhub.errors.ArgumentError: (a ValueError) a query that is blank (empty or
                whitespace only: it would find arbitrary items; the command refuses such a
                --query too) or not UTF-8 text (lone surrogates, e.g. from argv or a file read
                with surrogateescape), or num_matches below 1; or a query whose embedding
                is all zeros (no words the module embeds, e.g. only punctuation), as far
                from every item as from any other.
            tfhub.errors.ArgumentTypeError: (a TypeError) num_matches is not an integer.
        """
        _check_num_matches(num_matches)
        if isinstance(query, (str, bytes)) and not query.strip():
            raise errors.ArgumentError(
                "The query is blank: pass the text to find similar items to (an empty query "
                f"finds arbitrary ones). Received: query={query!r}"
            )
        data = not_utf8(query) if isinstance(query, str) else None
        if data is not None:
            raise errors.ArgumentError(
                "The query is not UTF-8 text, so the text embedding cannot read it: pass it in "
                f"UTF-8. Received: query={data!r}"
            )
        embedding = self.embedder([query])[0]
        if not np.any(embedding):
            raise errors.ArgumentError(
                "The query has no words the module embeds (e.g. only punctuation): its "
                "embedding is all zeros, as far from every item as from any other, so the "
                f"items found would be arbitrary. Received: query={query!r}"
            )
        return self.index.search(project(embedding[None], self.matrix)[0], num_matches)

    def find_similar_items(self, query: str, num_matches: int = 5) -> list[str]:
        """The `num_matches` items nearest to `query` (upstream's method).

        Raises:
            See find_matches.
        """
        return [match.item for match in self.find_matches(query, num_matches)]


def load(
    module_url: Any,
    index_dir: str | None = None,
    *,
    allow_pickle: bool | None = None,
    allow_other_module: bool | None = None,
) -> SimilarityFinder:
    """Upstream's `similarity_finder.load(args)`: the finder for `args.module_url` and
    `args.index_output_dir` (and `args.allow_pickle` and `args.allow_other_module`, if it has
    them); or `load(module_url, index_dir, allow_pickle=..., allow_other_module=...)`.

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
        if allow_other_module is None:
            allow_other_module = bool(getattr(flags, "allow_other_module", False))
    return SimilarityFinder(
        module_url,
        index_dir,
        allow_pickle=bool(allow_pickle),
        allow_other_module=bool(allow_other_module),
    )
